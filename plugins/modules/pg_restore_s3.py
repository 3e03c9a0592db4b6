#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: pg_restore_s3
short_description: Restore a pg_dump stored in S3 into a new, empty PostgreSQL database (in parallel)
version_added: 0.2.0
description:
  - Downloads a C(pg_dump --format=custom) dump (as written by M(invoice.platform.pg_dump_s3))
    to a private temporary file (mode 0600, removed afterwards), checking the SHA-256 of the
    downloaded bytes against O(sha256) before anything is restored, creates the target database
    when it does not exist and runs C(pg_restore --jobs) into it (in parallel, which the custom
    format allows from a file).
  - A zstd dump (O(compression=zstd), C(.dump.zst)) is decompressed while it downloads, so the
    temporary file holds the uncompressed archive and C(pg_restore --jobs) restores it as any
    other; its SHA-256 is still that of the stored, compressed bytes. By hand -
    C(zstd -d -c x.dump.zst | pg_restore ...) (or C(zstd -d) to a file, for C(--jobs)).
  - Never writes over data - a target database that already holds a table makes the module fail
    before anything is restored, naming it.
  - Objects are restored without their original owner and grants (C(--no-owner --no-acl)) and
    belong to the connecting user (the master user of the new instance).
  - The connection goes to C(pg_restore) through libpq environment variables, never its command line.
  - Check mode checks that the dump exists and the target is free, and restores nothing.
author:
  - Invoice platform team (@invoice-platform)
options:
  maintenance_database:
    description: Database to connect to for creating the target (on the same server).
    type: str
    default: postgres
  bucket:
    description: Bucket holding the dump (required with O(state=present)).
    type: str
  key:
    description: Object key of the dump (required with O(state=present)).
    type: str
  state:
    description:
      - V(present) restores the dump into the target database.
      - V(absent) drops the target database (C(DROP DATABASE ... WITH (FORCE))) - for scratch
        copies such as a drill's; nothing happens when it does not exist.
    type: str
    choices: [present, absent]
    default: present
  sha256:
    description: Expected SHA-256 of the dump (from the backup manifest); a mismatch fails before restoring.
    type: str
  compression:
    description:
      - How the dump is compressed - V(gzip) (pg_dump's own, inside the archive) or V(zstd) (a zstd
        frame of the archive). Default - what the object records (its C(compression) metadata, as
        M(invoice.platform.pg_dump_s3) writes it), else V(gzip) (dumps written before zstd).
      - When set and the object records another, the module fails before anything is restored.
    type: str
    choices: [gzip, zstd]
  jobs:
    description: Parallel C(pg_restore) jobs.
    type: int
    default: 2
  pg_restore_path:
    description:
      - Path of C(pg_restore). Default - the newest C(/usr/lib/postgresql/<major>/bin/pg_restore),
        else the one on C(PATH).
    type: path
  temp_dir:
    description:
      - Directory for the temporary copy of the dump (default - the system's). A zstd dump is stored
        there uncompressed, several times the size of the object.
    type: path
requirements:
  - pg_restore (PostgreSQL client)
  - asyncpg
  - zstandard (for a zstd dump)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - invoice.platform.postgres
"""

EXAMPLES = r"""
- name: Drop a scratch copy
  invoice.platform.pg_restore_s3:
    database_url: postgresql://invoice_admin@127.0.0.1:15433/drill_copy
    password: "{{ master_password }}"
    state: absent

- name: Restore the latest dump into a new database
  invoice.platform.pg_restore_s3:
    database_url: postgresql://invoice_admin@127.0.0.1:15433/invoices
    password: "{{ master_password }}"
    bucket: shop-prod-backups
    key: backups/shop-prod-db-20260101030000/invoices.dump
    sha256: "{{ manifest.dump.sha256 }}"
    jobs: 4

- name: Restore a zstd dump (its compression as the backup's manifest recorded it)
  invoice.platform.pg_restore_s3:
    database_url: postgresql://invoice_admin@127.0.0.1:15433/invoices
    password: "{{ master_password }}"
    bucket: shop-prod-backups
    key: backups/shop-prod-db-20260101030000/invoices.dump.zst
    sha256: "{{ manifest.dump.sha256 }}"
    compression: "{{ manifest.dump.compression | default(omit) }}"
"""

RETURN = r"""
target:
  description: The database restored into, as C(user@host:port/dbname) (no password).
  returned: always
  type: str
created_database:
  description: Whether the target database was created (or would be in check mode).
  returned: always
  type: bool
size:
  description: Size of the dump in bytes (as stored).
  returned: always
  type: int
compression:
  description: How the dump was compressed, V(gzip) or V(zstd).
  returned: when O(state=present)
  type: str
seconds:
  description: Download plus restore time.
  returned: always
  type: float
restore_seconds:
  description: Time of C(pg_restore) alone.
  returned: always
  type: float
"""

import asyncio
import os
import subprocess
import tempfile
import time
import traceback

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
    ARCHIVE_MAGIC,
    COMPRESSIONS,
    DEFAULT_COMPRESSION,
    HAS_ASYNCPG,
    HAS_ZSTANDARD,
    ZSTD_MAGIC,
    ConnectionSettingsError,
    ZstdSink,
    asyncpg_kwargs,
    describe_target,
    download_with_sha256,
    find_pg_binary,
    libpq_env,
    parse_database_url,
    quote_ident,
)

if HAS_ASYNCPG:
    import asyncpg

USER_TABLES_SQL = """
SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1 LIMIT 5
"""


async def _target_state(settings, maintenance):
    """(exists, first tables) of the target database."""
    conn = await asyncpg.connect(**asyncpg_kwargs(settings, maintenance))
    try:
        exists = await conn.fetchval("SELECT true FROM pg_database WHERE datname = $1", settings["database"])
    finally:
        await conn.close()
    if not exists:
        return False, []
    conn = await asyncpg.connect(**asyncpg_kwargs(settings))
    try:
        return True, [r[0] for r in await conn.fetch(USER_TABLES_SQL)]
    finally:
        await conn.close()


async def _create_database(settings, maintenance):
    conn = await asyncpg.connect(**asyncpg_kwargs(settings, maintenance))
    try:
        await conn.execute(f"CREATE DATABASE {quote_ident(settings['database'])}")
    finally:
        await conn.close()


async def _drop_database(settings, maintenance, check_mode):
    conn = await asyncpg.connect(**asyncpg_kwargs(settings, maintenance))
    try:
        exists = await conn.fetchval("SELECT true FROM pg_database WHERE datname = $1", settings["database"])
        if exists and not check_mode:
            await conn.execute(f"DROP DATABASE {quote_ident(settings['database'])} WITH (FORCE)")
        return bool(exists)
    finally:
        await conn.close()


def drop(module, settings, target):
    try:
        existed = asyncio.run(_drop_database(settings, module.params["maintenance_database"], module.check_mode))
    except Exception as e:  # asyncpg and OS errors: name the target, never the password
        module.fail_json(msg=f"Cannot drop {target}: {type(e).__name__}: {e}", exception=traceback.format_exc())
    module.exit_json(changed=existed, target=target, created_database=False, size=0, seconds=0.0, restore_seconds=0.0)


def dump_compression(module, head):
    """The dump's compression: the object's record, else gzip; a different O(compression) fails."""
    recorded = (head.get("Metadata") or {}).get("compression")
    asked = module.params["compression"]
    if recorded and recorded not in COMPRESSIONS:
        module.fail_json(
            msg=f"s3://{module.params['bucket']}/{module.params['key']} records compression {recorded!r}, "
            f"which this module does not know ({', '.join(COMPRESSIONS)})"
        )
    if asked and recorded and asked != recorded:
        module.fail_json(
            msg=f"compression: s3://{module.params['bucket']}/{module.params['key']} records compression "
            f"{recorded}, not {asked}; nothing was restored"
        )
    compression = asked or recorded or DEFAULT_COMPRESSION
    if compression == "zstd" and not HAS_ZSTANDARD:
        module.fail_json(msg=missing_required_lib("zstandard (for a zstd dump)"))
    return compression


def download(module, client, path, compression):
    """Download the dump into ``path`` (a zstd one decompressed on the way); its size as stored.

    Fails, before anything is restored, on a SHA-256 other than O(sha256), a zstd stream that is
    not one or ends early, or a file that is not a custom-format archive.
    """
    params = module.params
    where = f"s3://{params['bucket']}/{params['key']}"
    try:
        with open(path, "wb") as dest:
            sink = ZstdSink(dest) if compression == "zstd" else dest
            size, sha = download_with_sha256(client, params["bucket"], params["key"], sink)
    except ValueError as e:  # ZstdSink: not zstd
        module.fail_json(msg=f"{where} records compression zstd but is {e}; nothing was restored")
    if params["sha256"] and sha != params["sha256"]:
        module.fail_json(
            msg=f"{where} has SHA-256 {sha}, the backup recorded "
            f"{params['sha256']}: the dump is damaged or not this backup's; nothing was restored"
        )
    if compression == "zstd" and not sink.complete:
        module.fail_json(msg=f"{where}: the zstd stream ends before its frame does (truncated); nothing was restored")
    with open(path, "rb") as archive:
        start = archive.read(len(ARCHIVE_MAGIC))
    if start != ARCHIVE_MAGIC:
        what = "a zstd stream: compression=zstd" if start.startswith(ZSTD_MAGIC) else "something else"
        module.fail_json(
            msg=f"{where} (compression {compression}) is not a custom-format pg_dump archive (it is {what}); "
            "nothing was restored"
        )
    return size


def restore(module, client, settings, exists, compression):
    params = module.params
    binary = find_pg_binary("pg_restore", params["pg_restore_path"])
    if not binary:
        module.fail_json(msg="pg_restore not found: install the PostgreSQL client or set pg_restore_path")
    started = time.monotonic()
    fd, path = tempfile.mkstemp(prefix="pg-restore-", suffix=".dump", dir=params["temp_dir"])
    os.close(fd)
    try:
        size = download(module, client, path, compression)
        if not exists:
            asyncio.run(_create_database(settings, params["maintenance_database"]))
        restore_started = time.monotonic()
        argv = [binary, "--no-owner", "--no-acl", "--exit-on-error", f"--jobs={params['jobs']}", "--no-password"]
        argv += ["--dbname", settings["database"], path]
        proc = subprocess.run(  # noqa: S603 (argv of pg_restore, no shell, no secret)
            argv, env=libpq_env(settings), capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            module.fail_json(
                msg=f"pg_restore into {describe_target(settings)} failed ({proc.returncode}): "
                + proc.stderr.strip()[-2000:],
                created_database=not exists,
            )
        now = time.monotonic()
        return {
            "size": size,
            "compression": compression,
            "seconds": round(now - started, 3),
            "restore_seconds": round(now - restore_started, 3),
        }
    finally:
        os.unlink(path)


def main():
    argument_spec = dict(
        **database_options(),
        maintenance_database=dict(type="str", default="postgres"),
        bucket=dict(type="str"),
        key=dict(type="str", no_log=False),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        sha256=dict(type="str"),
        compression=dict(type="str", choices=list(COMPRESSIONS)),
        jobs=dict(type="int", default=2),
        pg_restore_path=dict(type="path"),
        temp_dir=dict(type="path"),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_if=[("state", "present", ("bucket", "key"))],
    )
    if not HAS_ASYNCPG:
        module.fail_json(msg=missing_required_lib("asyncpg"))
    if module.params["jobs"] < 1:
        module.fail_json(msg=f"jobs must be at least 1, got {module.params['jobs']}")
    try:
        settings = parse_database_url(module.params["database_url"], module.params["password"])
    except ConnectionSettingsError as e:
        module.fail_json(msg=f"database_url: {e}")
    target = describe_target(settings)
    if module.params["state"] == "absent":
        drop(module, settings, target)
    client = module.client("s3", retry_decorator=AWSRetry.jittered_backoff())
    bucket, key = module.params["bucket"], module.params["key"]
    try:
        head = client.head_object(Bucket=bucket, Key=key, aws_retry=True)
    except is_boto3_error_code(["404", "NoSuchKey", "NotFound"]):
        module.fail_json(msg=f"No dump at s3://{bucket}/{key}")
    except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Failed to read s3://{bucket}/{key}")
    try:
        exists, tables = asyncio.run(_target_state(settings, module.params["maintenance_database"]))
    except Exception as e:  # asyncpg and OS errors: name the target, never the password
        module.fail_json(msg=f"Cannot reach {target}: {type(e).__name__}: {e}", exception=traceback.format_exc())
    if tables:
        module.fail_json(
            msg=f"The restore target {target} already holds tables ({', '.join(tables)}): "
            "a restore never writes over a database; choose a new one"
        )
    compression = dump_compression(module, head)
    result = dict(
        target=target,
        created_database=not exists,
        size=int(head["ContentLength"]),
        compression=compression,
        seconds=0.0,
        restore_seconds=0.0,
    )
    if module.check_mode:
        module.exit_json(changed=True, **result)
    try:
        result.update(restore(module, client, settings, exists, compression))
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg=f"Failed to read s3://{bucket}/{key}")
    module.exit_json(changed=True, **result)


if __name__ == "__main__":
    main()
