#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: import_data
short_description: Import the original Express application's database and uploaded files into this platform
version_added: 0.2.0
description:
  - Reads the original application's PostgreSQL database (WTI-MVicente/invoice-processing-app) read-only, in one
    repeatable-read transaction (one consistent snapshot), and the files its rows name under O(uploads_dir).
  - Maps the rows into this platform's schema (app/migrations) - vendors, extraction prompts with their versions,
    customers, processing batches and their files, invoices with their line items, export templates - and writes them
    into the target database (the environment's RDS database, migrated by the API). Users are not imported (the
    original created one for any e-mail); they are listed in RV(report.users_to_invite). Export logs are not imported.
  - Uploads every file a row needs to O(bucket) under the API's key layout (C(invoices/<vendor id>/<invoice id>.pdf),
    C(batches/<batch id>/<file id>.pdf)), with its SHA-256 (the object's C(ChecksumSHA256), which S3 verifies on
    receipt, and C(x-amz-meta-sha256)); with O(verify_files) every upload is verified (by S3 on receipt, or by
    reading it back where an endpoint does not answer the checksum) and the files of earlier runs are checked by HEAD.
  - Rows the API would refuse (a value its validation refuses, a file that is missing or is not what its type says,
    an invoice whose vendor is gone, a second invoice of the same file) are skipped and reported with their ids and
    reasons, with the rows that depend on them; nothing else is written for them.
  - The original ids are kept as this platform's ids (both use UUIDs) unless the id is taken; rows that exist already
    (the seeded vendors, built-in export templates, the sample customer, a prompt of the same name, version and text)
    are mapped, not copied. Every imported row is recorded in the table C(import_id_map) (source table, source id,
    target id) in the transaction that writes it; invoices are written O(batch_size) at a time. A second run imports
    nothing (C(changed=false), no write); a run that stopped half-way continues where it stopped.
  - Check mode reads everything (source, target, every file) and reports what would be imported and what cannot be;
    it writes nothing, to the database or the bucket. Diff mode shows the rows per table before and after.
  - Why not C(pg_dump | psql)? The schemas differ (our columns for file hashes, token use, reviewers, one active
    prompt per vendor, lower-case vendor names), the files must move from a disk to S3 under new keys, and a plain
    restore neither skips refused rows nor resumes.
  - Passwords are given through O(source_password) and O(password) (or the URLs) straight to the driver; they never
    appear in the result or a message.
author:
  - Invoice platform team (@invoice-platform)
options:
  source_database_url:
    description: PostgreSQL URL of the original database, C(postgresql://user@host:port/dbname). Read only.
    type: str
    required: true
  source_password:
    description: Password of O(source_database_url)'s user (wins over one in the URL).
    type: str
  uploads_dir:
    description:
      - A copy of the original's C(backend/uploads) directory. A row's C(file_path) (absolute on the old machine, POSIX
        or Windows, or relative to C(backend/)) is resolved to the part after its last C(uploads) component under it.
    type: path
    required: true
  database_url:
    # type and required: invoice.platform.postgres
    description: PostgreSQL URL of the target database (this platform's, migrated by the API).
  bucket:
    description: The environment's files bucket.
    type: str
    required: true
  batch_size:
    description: Invoices (with their line items and files) written per transaction.
    type: int
    default: 200
  upload_concurrency:
    description: Files uploaded at once.
    type: int
    default: 8
  verify_files:
    description:
      - Verify every file uploaded by this run - by S3 on receipt when it answers the object's C(ChecksumSHA256) (AWS
        does), else by reading it back and comparing the SHA-256 - and HEAD the files of earlier runs (present, same
        size and recorded SHA-256). Reads only.
    type: bool
    default: true
requirements:
  - asyncpg
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - invoice.platform.postgres
"""

EXAMPLES = r"""
- name: Import the original application's data
  invoice.platform.import_data:
    source_database_url: postgresql://invoice@old-db.internal:5432/invoice_processing
    source_password: "{{ lookup('ansible.builtin.env', 'IMPORT_DATABASE_PASSWORD') }}"
    uploads_dir: /srv/old-app/backend/uploads
    database_url: postgresql://invoice_admin@127.0.0.1:15432/invoices?sslmode=require
    password: "{{ master_password }}"
    bucket: invoice-prod-files
  register: imported
"""

RETURN = r"""
summary:
  description: The report in lines (what the playbook prints).
  returned: always
  type: list
  elements: str
report:
  description: What was imported (in check mode, what would be) and what cannot be.
  returned: always
  type: dict
  contains:
    tables:
      description:
        - Per table of our schema - C(source) rows, C(imported) by this run, C(imported_before) by earlier runs,
          C(mapped_to_existing) (id, target_id, why), C(skipped) (id, reason), C(warnings).
      type: dict
    files:
      description:
        - C(count) and C(bytes) of the imported rows' files, C(uploaded) and C(uploaded_bytes) by this run,
          C(verified) (SHA-256 checked - on receipt by S3, read back, or recorded and matching on HEAD),
          C(verified_on_receipt) (of those, by S3), C(mismatched) keys.
      type: dict
    users_to_invite:
      description: The original's users without an account here (id, email, name); invite them.
      type: list
      elements: dict
    not_imported:
      description: Source tables that are not imported, with their row counts and why.
      type: dict
    source:
      description: The source database, C(user@host:port/db) (no password).
      type: str
    target:
      description: The target database, C(user@host:port/db) (no password).
      type: str
    snapshot_at:
      description: The time of the source snapshot (the server's clock).
      type: str
    seconds:
      description: Duration of the import.
      type: float
    invoices_per_second:
      description: Invoices imported per second by this run.
      type: float
    file_mb_per_second:
      description: MiB of files uploaded per second by this run.
      type: float
"""

import asyncio
import base64
import datetime
import hashlib
import os
import time
import traceback
from concurrent.futures import ThreadPoolExecutor

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.basic import missing_required_lib
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.invoice.platform.plugins.module_utils._options import database_options
from ansible_collections.invoice.platform.plugins.module_utils.dr import (
    HAS_ASYNCPG,
    MIB,
    ConnectionSettingsError,
    asyncpg_kwargs,
    describe_target,
    parse_database_url,
)
from ansible_collections.invoice.platform.plugins.module_utils.importer import (
    MAP_TABLE_SQL,
    TARGET_TABLES,
    TargetState,
    plan_import,
)

if HAS_ASYNCPG:
    import asyncpg

SOURCE_TABLES = (
    "users",
    "vendors",
    "customers",
    "extraction_prompts",
    "processing_batches",
    "invoices",
    "line_items",
    "batch_files",
    "export_templates",
    "export_logs",
)
# The tables our schema must have before an import (the API's migrations create them).
REQUIRED_TABLES = (*TARGET_TABLES, "users", "schema_migrations")


class ImportProblem(RuntimeError):
    """A problem the message explains (bad input, target not ready)."""


async def read_source(kwargs):
    """Every row of the original's tables, in one read-only repeatable-read snapshot."""
    conn = await asyncpg.connect(**kwargs)
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            present = {
                r["table_name"]
                for r in await conn.fetch(
                    "SELECT table_name FROM information_schema.tables"
                    " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
                )
            }
            if "invoices" not in present or "vendors" not in present:
                raise ImportProblem(
                    "source_database_url: the database has no invoices or vendors table;"
                    " is it the original application's?"
                )
            rows = {}
            for table in SOURCE_TABLES:
                if table in present:
                    sql = f"SELECT * FROM {table} ORDER BY created_at, id"  # noqa: S608 (names from SOURCE_TABLES)  # nosec B608
                    rows[table] = [dict(r) for r in await conn.fetch(sql)]
            snapshot_at = await conn.fetchval(
                "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
            )
    finally:
        await conn.close()
    for table in rows.values():
        for row in table:
            for key, value in row.items():
                if hasattr(value, "hex") and type(value).__name__ == "UUID":
                    row[key] = str(value)
    return rows, snapshot_at


async def read_target(conn, source):  # noqa: PLR0912 (one lookup per table)
    present = {
        r["table_name"]
        for r in await conn.fetch("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
    }
    missing = [t for t in REQUIRED_TABLES if t not in present]
    if missing:
        raise ImportProblem(
            f"the target database has no {', '.join(missing)} table(s): it is not migrated yet. Deploy the API first"
            " (site.yml or playbooks/deploy.yml; it applies its migrations when it starts)"
            " or run `python -m app migrate`."
        )
    state = TargetState()
    has_map = "import_id_map" in present
    if has_map:
        for r in await conn.fetch("SELECT source_table, source_id::text, target_id::text FROM import_id_map"):
            state.id_map[(r["source_table"], r["source_id"])] = r["target_id"]
    for table in TARGET_TABLES:  # the original's tables have our tables' names
        ids = [str(r["id"]) for r in source.get(table, []) if (table, str(r["id"])) not in state.id_map]
        if ids:
            found = await conn.fetch(f"SELECT id::text FROM {table} WHERE id = ANY($1::uuid[])", ids)  # noqa: S608 (TARGET_TABLES)  # nosec B608
            state.taken_ids[table] = {r["id"] for r in found}
    for r in await conn.fetch("SELECT lower(name) AS name, id::text FROM vendors"):
        state.vendors_by_name[r["name"]] = r["id"]
    for r in await conn.fetch("SELECT normalized_name, id::text FROM customers"):
        state.customers_by_name[r["normalized_name"]] = r["id"]
    for r in await conn.fetch(
        "SELECT id::text, vendor_id::text, prompt_name, version, prompt_text, is_active FROM extraction_prompts"
    ):
        state.prompts[(r["vendor_id"], r["prompt_name"], r["version"])] = (r["id"], r["prompt_text"])
        if r["is_active"] and r["vendor_id"]:
            state.active_prompt_vendors.add(r["vendor_id"])
    for r in await conn.fetch(
        "SELECT name, id::text FROM export_templates WHERE user_id IS NULL ORDER BY created_at DESC"
    ):
        state.public_templates[r["name"]] = r["id"]
    for r in await conn.fetch("SELECT lower(email) AS email, id::text FROM users"):
        state.users_by_email[r["email"]] = r["id"]
    for r in await conn.fetch("SELECT id::text, vendor_id::text, invoice_number, file_hash, file_path FROM invoices"):
        state.invoice_hashes[r["file_hash"].strip()] = r["id"]
        if r["invoice_number"]:
            state.invoice_numbers[(r["vendor_id"], r["invoice_number"])] = r["id"]
        state.invoice_files[r["id"]] = (r["file_path"], r["file_hash"].strip())
    return state, has_map


def _now():
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def _row(action, now):
    values = dict(action.values, id=action.target_id)
    for column in ("created_at", "updated_at"):
        if column in values and values[column] is None:
            values[column] = now
    return values


async def insert(conn, table, actions, now):
    """INSERT the actions' rows (all with the same columns) and their import_id_map rows."""
    rows = [_row(a, now) for a in actions if a.values]
    if rows:
        columns = list(rows[0])
        placeholders = ", ".join(f"${i + 1}" for i in range(len(columns)))
        # Table and column names are the plan's own (TARGET_TABLES, importer.py), never input.
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"  # noqa: S608  # nosec B608
        await conn.executemany(sql, [[r[c] for c in columns] for r in rows])
    await conn.executemany(
        "INSERT INTO import_id_map (source_table, source_id, target_id, file_key, file_size, file_sha256)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        [
            (
                table,
                a.source_id,
                a.target_id,
                *((a.upload.key, a.upload.size, a.upload.sha256) if a.upload else (None,) * 3),
            )
            for a in actions
        ],
    )


class Uploader:
    def __init__(self, client, bucket, concurrency, verify):
        self.client = client
        self.bucket = bucket
        self.pool = ThreadPoolExecutor(max_workers=max(1, concurrency))
        self.verify = verify
        self.done = set()
        self.uploaded = 0
        self.uploaded_bytes = 0
        self.verified = 0
        self.verified_by_s3 = 0
        self.mismatched = []
        self.seconds = 0.0

    def _put(self, up):
        checksum = base64.b64encode(bytes.fromhex(up.sha256)).decode()
        with open(up.path, "rb") as body:
            answer = self.client.put_object(
                Bucket=self.bucket,
                Key=up.key,
                Body=body,
                ContentType=up.content_type,
                ChecksumSHA256=checksum,
                Metadata={"sha256": up.sha256},
                aws_retry=True,
            )
        if not self.verify:
            return True
        if answer.get("ChecksumSHA256") == checksum:
            # S3 computed the SHA-256 of what it stored and refuses a PutObject whose
            # x-amz-checksum-sha256 differs (BadDigest): verified on receipt, no read-back.
            self.verified_by_s3 += 1
            return True
        digest = hashlib.sha256()  # an endpoint that does not answer the checksum: read it back
        stream = self.client.get_object(Bucket=self.bucket, Key=up.key, aws_retry=True)["Body"]
        for chunk in iter(lambda: stream.read(MIB), b""):
            digest.update(chunk)
        return digest.hexdigest() == up.sha256

    def upload(self, uploads):
        todo = [u for u in uploads if u.key not in self.done]
        started = time.monotonic()
        for up, ok in zip(todo, self.pool.map(self._put, todo), strict=True):
            self.done.add(up.key)
            self.uploaded += 1
            self.uploaded_bytes += up.size
            if not self.verify:
                continue
            if ok:
                self.verified += 1
            else:
                self.mismatched.append(up.key)
        self.seconds += time.monotonic() - started
        if self.mismatched:
            raise ImportProblem(
                f"files read back differ from the originals (SHA-256): {', '.join(self.mismatched[:10])}"
            )

    def _head(self, item):
        key, size, sha = item
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=key, aws_retry=True)
        except is_boto3_error_code(["404", "NoSuchKey", "NotFound"]):
            return False
        return int(head["ContentLength"]) == size and head.get("Metadata", {}).get("sha256") == sha

    def check(self, files):
        """HEAD files imported by earlier runs: present, same size, same recorded SHA-256."""
        todo = [f for f in files if f[0] not in self.done]
        for item, ok in zip(todo, self.pool.map(self._head, todo), strict=True):
            if ok:
                self.verified += 1
            else:
                self.mismatched.append(item[0])


async def imported_files(conn):
    """(key, size, sha256) of every file of the rows imported so far (a shared file once)."""
    rows = await conn.fetch(
        "SELECT DISTINCT file_key, file_size, file_sha256 FROM import_id_map"
        " WHERE file_key IS NOT NULL ORDER BY file_key"
    )
    return [(r["file_key"], int(r["file_size"]), r["file_sha256"].strip()) for r in rows]


async def execute(conn, plan, source, uploader, *, batch_size, has_map):
    """Write the plan: small tables in one transaction, then invoices and batch files in chunks."""
    now = _now()
    written = 0
    if not has_map:
        await conn.execute(MAP_TABLE_SQL)
    first = ("vendors", "extraction_prompts", "customers", "processing_batches", "export_templates")
    if any(plan.actions.get(t) for t in first):
        async with conn.transaction():
            for table in first:
                actions = plan.actions.get(table, [])
                if actions:
                    await insert(conn, table, actions, now)
                    written += len(actions)
            for vendor, prompt in plan.vendor_prompts:
                await conn.execute(
                    "UPDATE vendors SET extraction_prompt_id = $2 WHERE id = $1 AND extraction_prompt_id IS NULL",
                    vendor,
                    prompt,
                )
    for table in ("invoices", "batch_files"):
        actions = plan.actions.get(table, [])
        for start in range(0, len(actions), batch_size):
            chunk = actions[start : start + batch_size]
            uploader.upload([a.upload for a in chunk if a.upload is not None and not a.shared])
            async with conn.transaction():
                await insert(conn, table, chunk, now)
                items = [c for a in chunk for c in a.children]
                if items:
                    for item in items:
                        item.values["invoice_id"] = next(a.target_id for a in chunk if item in a.children)
                    await insert(conn, "line_items", items, now)
            written += len(chunk)
    # Links to invoices imported later than the invoice that names them (or by an earlier run).
    ids = {sid: tid for (table, sid), tid in plan.ids.items() if table == "invoices"}
    pairs = [
        (ids[str(r["id"])], ids[str(r["duplicate_of"])])
        for r in source.get("invoices", [])
        if r.get("duplicate_of") and str(r["id"]) in ids and str(r["duplicate_of"]) in ids
    ]
    if pairs:
        open_ids = {
            str(r["id"])
            for r in await conn.fetch(
                "SELECT id FROM invoices WHERE id = ANY($1::uuid[]) AND duplicate_of IS NULL", [p[0] for p in pairs]
            )
        }
        todo = [p for p in pairs if p[0] in open_ids]
        if todo:
            await conn.executemany("UPDATE invoices SET duplicate_of = $2 WHERE id = $1 AND duplicate_of IS NULL", todo)
            written += len(todo)
    return written


async def connect(kwargs, option, target):
    try:
        return await asyncpg.connect(**kwargs)
    except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as e:
        raise ImportProblem(f"{option}: cannot connect to {target}: {type(e).__name__}: {e}") from None


async def run(module, client, source_settings, target_settings):
    params = module.params
    started = time.monotonic()
    source_kwargs = asyncpg_kwargs(source_settings)
    await (await connect(source_kwargs, "source_database_url", describe_target(source_settings))).close()
    conn = await connect(asyncpg_kwargs(target_settings), "database_url", describe_target(target_settings))
    try:
        source, snapshot_at = await read_source(source_kwargs)
        state, has_map = await read_target(conn, source)
        plan = plan_import(source, state, params["uploads_dir"])
        uploader = Uploader(client, params["bucket"], params["upload_concurrency"], params["verify_files"])
        planned = {u.key: u.size for u in plan.uploads}
        would_change = any(plan.actions.values())
        written = 0
        if not module.check_mode:
            written = await execute(conn, plan, source, uploader, batch_size=params["batch_size"], has_map=has_map)
        files = {"count": 0, "bytes": 0}
        if has_map or not module.check_mode:
            done = await imported_files(conn)
            files["count"], files["bytes"] = len(done), sum(f[1] for f in done)
            if params["verify_files"]:
                uploader.check(done)
    finally:
        await conn.close()
    if module.check_mode:
        files["count"] += len(planned)
        files["bytes"] += sum(planned.values())
    files.update(
        uploaded=uploader.uploaded,
        uploaded_bytes=uploader.uploaded_bytes,
        verified=uploader.verified,
        verified_on_receipt=uploader.verified_by_s3,
        mismatched=uploader.mismatched,
    )
    if module.check_mode:
        files.update(would_upload=len(planned), would_upload_bytes=sum(planned.values()))
    seconds = time.monotonic() - started
    tables = {t: plan.reports[t].as_dict() for t in TARGET_TABLES}
    imported_invoices = tables["invoices"]["imported"] if not module.check_mode else 0
    report = {
        "check_mode": module.check_mode,
        "source": describe_target(source_settings),
        "target": describe_target(target_settings),
        "bucket": params["bucket"],
        "snapshot_at": snapshot_at,
        "tables": tables,
        "files": files,
        "users_to_invite": plan.users_to_invite,
        "not_imported": plan.not_imported,
        "seconds": round(seconds, 3),
        "invoices_per_second": round(imported_invoices / seconds, 1) if seconds else 0.0,
        "file_mb_per_second": round(uploader.uploaded_bytes / MIB / uploader.seconds, 2) if uploader.seconds else 0.0,
    }
    diff = {
        "before": {t: tables[t]["imported_before"] for t in TARGET_TABLES},
        "after": {t: tables[t]["imported_before"] + tables[t]["imported"] for t in TARGET_TABLES},
    }
    if uploader.mismatched:
        raise ImportProblem(
            f"files in s3://{params['bucket']} differ from what was imported (missing, other size or SHA-256):"
            f" {', '.join(uploader.mismatched[:10])}"
        )
    return (bool(written) if not module.check_mode else would_change), report, diff


def summary_lines(report):
    """The report in a few lines a person reads."""
    verb = "would import" if report["check_mode"] else "imported"
    lines = [
        f"{'Dry run (check mode), nothing written' if report['check_mode'] else 'Import'}: {report['source']}"
        f" (snapshot {report['snapshot_at']}) into {report['target']} and s3://{report['bucket']}"
    ]
    for name, t in report["tables"].items():
        line = f"{name}: {t['source']} in the source, {verb} {t['imported']}, imported before {t['imported_before']}"
        if t["mapped_to_existing"]:
            line += f", {len(t['mapped_to_existing'])} mapped to existing rows"
        if t["skipped"]:
            shown = "; ".join(f"{s['id']}: {s['reason']}" for s in t["skipped"][:20])
            more = f" (and {len(t['skipped']) - 20} more in the report)" if len(t["skipped"]) > 20 else ""
            line += f", SKIPPED {len(t['skipped'])}: {shown}{more}"
        lines.append(line)
        lines.extend(f"  warning: {w}" for w in t["warnings"][:10])
    f = report["files"]
    lines.append(
        f"files: {f['count']} ({f['bytes']} bytes); uploaded by this run {f['uploaded']} ({f['uploaded_bytes']} bytes);"
        f" SHA-256 verified {f['verified']}"
        + (f"; would upload {f['would_upload']} ({f['would_upload_bytes']} bytes)" if "would_upload" in f else "")
    )
    invite = ", ".join(u["email"] for u in report["users_to_invite"]) or "none"
    lines.append(f"users to invite (users are not imported): {invite}")
    lines.extend(
        f"not imported: {name} ({v['rows']} rows): {v['reason']}" for name, v in report["not_imported"].items()
    )
    if not report["check_mode"]:
        lines.append(
            f"{report['seconds']} s, {report['invoices_per_second']} invoices/s,"
            f" {report['file_mb_per_second']} MiB/s of files"
        )
    return lines


def main():
    argument_spec = dict(
        **database_options("source_"),
        uploads_dir=dict(type="path", required=True),
        **database_options(),
        bucket=dict(type="str", required=True),
        batch_size=dict(type="int", default=200),
        upload_concurrency=dict(type="int", default=8),
        verify_files=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    if not HAS_ASYNCPG:
        module.fail_json(msg=missing_required_lib("asyncpg"))
    params = module.params
    if not os.path.isdir(params["uploads_dir"]):
        module.fail_json(msg=f"uploads_dir: {params['uploads_dir']} is not a directory")
    if params["batch_size"] < 1 or params["upload_concurrency"] < 1:
        module.fail_json(msg="batch_size and upload_concurrency must be at least 1")
    settings = {}
    for name, password in (("source_database_url", "source_password"), ("database_url", "password")):
        try:
            settings[name] = parse_database_url(params[name], params[password])
        except ConnectionSettingsError as e:
            module.fail_json(msg=f"{name}: {e}")
    client = module.client("s3", retry_decorator=AWSRetry.jittered_backoff())
    try:
        client.head_bucket(Bucket=params["bucket"], aws_retry=True)
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg=f"bucket: cannot reach s3://{params['bucket']}")
    try:
        changed, report, diff = asyncio.run(
            run(module, client, settings["source_database_url"], settings["database_url"])
        )
    except ImportProblem as e:
        module.fail_json(msg=str(e))
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg=f"Failed to write to s3://{params['bucket']}")
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as e:
        module.fail_json(
            msg=f"Import from {describe_target(settings['source_database_url'])} into"
            f" {describe_target(settings['database_url'])} failed: {type(e).__name__}: {e}",
            exception=traceback.format_exc(),
        )
    module.exit_json(changed=changed, report=report, summary=summary_lines(report), diff=diff)


if __name__ == "__main__":
    main()
