"""playbooks/import_data.yml: the original application's database and uploads into the local stack.

One converge per module (network, storage, database: the files bucket and the real local RDS
instance; the database is migrated the way the API migrates it when it starts). The source is
the original's schema in a scratch database on the test PostgreSQL, filled by
tests/fixtures/original_app.py (vendors, prompt versions, customers, batches, 300 invoices with
line items and their PDFs on disk in multer's three path forms, and broken rows).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import boto3
import pytest
from starlette.datastructures import Secret
from starlette.testclient import TestClient

from app.auth import hash_password, issue_token
from app.db import asyncpg_dsn, migrate
from app.main import create_app
from app.settings import Settings
from app.storage import S3Storage
from tests.conftest import AWS_TEST_ENV, reset_localaws
from tests.fixtures import original_app
from tests.playbooks import helpers
from tests.playbooks.helpers import PlaybookRun, run_playbook
from tools.localaws.client import calls, reset_calls

pytestmark = pytest.mark.slow

PLAYBOOK = "playbooks/import_data.yml"
BUCKET = "invoice-local-files"
SECRET = "invoice-local-database-master"
INVOICES = 300


async def _query(url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


def query(url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    return asyncio.run(_query(url, sql, *args))


async def _make_source(pg_url: str, name: str, uploads: Path) -> original_app.Dataset:
    admin = await asyncpg.connect(pg_url.rsplit("/", 1)[0] + "/postgres")
    try:
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    conn = await asyncpg.connect(pg_url.rsplit("/", 1)[0] + f"/{name}")
    try:
        await original_app.create_schema(conn)
        return await original_app.fill(conn, uploads, invoices=INVOICES, line_items=4)
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def stack(localaws_server: str, pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The converged tiers the import needs, the migrated target and the filled source."""
    reset_localaws(localaws_server)
    with pytest.MonkeyPatch.context() as mp:
        for key, value in AWS_TEST_ENV.items():
            mp.setenv(key, value)
        mp.setenv("AWS_ENDPOINT_URL", localaws_server)
        mp.delenv("AWS_PROFILE", raising=False)
        for playbook in ("playbooks/network.yml", "playbooks/storage.yml", "playbooks/database.yml"):
            run = run_playbook(playbook)
            assert run.rc == 0, run.explain()
        (db,) = boto3.client("rds").describe_db_instances()["DBInstances"]
        secret = json.loads(boto3.client("secretsmanager").get_secret_value(SecretId=SECRET)["SecretString"])
        target = (
            f"postgresql://{secret['username']}:{secret['password']}@{db['Endpoint']['Address']}:"
            f"{db['Endpoint']['Port']}/{secret['dbname']}?ssl=require"
        )
        asyncio.run(migrate(target))  # what the API does when it starts
        uploads = tmp_path_factory.mktemp("old-backend") / "uploads"
        name = f"original_{uuid.uuid4().hex[:8]}"
        data = asyncio.run(_make_source(pg_url, name, uploads))
        source = pg_url.rsplit("/", 1)[0] + f"/{name}"
        yield {
            "url": localaws_server,
            "target": target,
            "password": secret["password"],
            "source": source,
            "uploads": str(uploads),
            "data": data,
            "vars": {"import_database_url": source, "import_uploads_dir": str(uploads)},
        }


def import_run(stack: dict[str, Any], **kwargs: Any) -> tuple[PlaybookRun, list[str]]:
    reset_calls(stack["url"])
    run = run_playbook(PLAYBOOK, extra_vars={**stack["vars"], **kwargs.pop("extra_vars", {})}, **kwargs)
    return run, [f"{c['service']}.{c['operation']}" for c in calls(stack["url"]) if c["mutating"]]


def report_of(run: PlaybookRun) -> dict[str, Any]:
    return run.task("Import the database and the files")["report"]


def skipped(report: dict[str, Any], table: str) -> dict[str, str]:
    return {s["id"]: s["reason"] for s in report["tables"][table]["skipped"]}


def test_bad_input_is_refused_before_anything(stack: dict[str, Any]) -> None:
    before = _imported_rows(stack["target"])
    run, writes = import_run(
        stack, extra_vars={"import_database_url": "", "import_uploads_dir": "/nonexistent/uploads"}
    )
    assert run.rc != 0 and writes == []
    (message,) = run.failure_messages()
    assert "import_database_url is required" in message and "import_uploads_dir: /nonexistent/uploads" in message
    assert not [c for c in calls(stack["url"])], "no AWS call before the settings are checked"
    # A source that cannot be reached: the module names the option before it writes anything.
    run, writes = import_run(stack, extra_vars={"import_database_url": "postgresql://nobody@127.0.0.1:9/none"})
    assert run.rc != 0 and writes == []
    assert any(
        m.startswith("source_database_url: cannot connect to nobody@127.0.0.1:9/none") for m in run.failure_messages()
    )
    assert _imported_rows(stack["target"]) == before


def _imported_rows(target: str) -> int:
    """Rows the import has recorded so far (0 before the first import created its map)."""
    try:
        return int(query(target, "SELECT count(*) AS n FROM import_id_map")[0]["n"])
    except asyncpg.UndefinedTableError:
        return 0


def _api_client(stack: dict[str, Any]) -> tuple[TestClient, dict[str, str]]:
    settings = Settings(
        environment="test",
        database_url=Secret(stack["target"]),
        jwt_secret=Secret("import-test-" + "x" * 40),
        storage_backend="s3",
        files_bucket=BUCKET,
        log_level="WARNING",
    )
    email = f"admin-{uuid.uuid4().hex[:6]}@example.test"
    row = query(
        stack["target"],
        "INSERT INTO users (email, password_hash, name, role) VALUES ($1, $2, 'Admin', 'admin')"
        " RETURNING id, email, name, role, token_version",
        email,
        hash_password("not used"),
    )[0]
    token = issue_token(dict(row), str(settings.jwt_secret), settings.jwt_ttl_seconds)
    client = TestClient(create_app(settings, storage=S3Storage(BUCKET)))
    return client, {"Authorization": f"Bearer {token}"}


def _start_killable(stack: dict[str, Any], batch_size: int) -> subprocess.Popen[str]:
    cmd = [
        str(helpers.VENV_BIN / "ansible-playbook"),
        "-i",
        str(helpers.ROOT / "inventories" / "local"),
        str(helpers.ROOT / PLAYBOOK),
        "-e",
        json.dumps({**stack["vars"], "import_batch_size": batch_size}),
    ]
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(helpers.ROOT / "ansible.cfg"),
        "PATH": f"{helpers.VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    return subprocess.Popen(cmd, cwd=helpers.ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def _wait_for_invoices(target: str, count: int, proc: subprocess.Popen[str]) -> None:
    """Until ``count`` invoices are committed (polling on one connection), the run ends or 5 minutes pass."""
    conn = await asyncpg.connect(asyncpg_dsn(target))
    try:
        deadline = time.monotonic() + 300
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                done = await conn.fetchval("SELECT count(*) FROM import_id_map WHERE source_table = 'invoices'")
            except asyncpg.UndefinedTableError:
                done = 0
            if done >= count:
                return
            await asyncio.sleep(0.02)
    finally:
        await conn.close()


def _imported_invoices(target: str) -> int:
    try:
        return int(query(target, "SELECT count(*) AS n FROM import_id_map WHERE source_table = 'invoices'")[0]["n"])
    except asyncpg.UndefinedTableError:
        return 0


def test_import_check_kill_resume_verify_and_noop(stack: dict[str, Any]) -> None:
    data: original_app.Dataset = stack["data"]
    target = stack["target"]
    expected_items = sum(len(data.line_items[i]) for i in data.invoices)

    # 1. Dry run: reads everything, reports what would be imported and what cannot be, writes nothing.
    plan, writes = import_run(stack, check=True, diff=True)
    assert plan.rc == 0, plan.explain()
    assert writes == [], "check mode made a mutating AWS call"
    assert query(target, "SELECT to_regclass('import_id_map') AS t")[0]["t"] is None
    assert query(target, "SELECT count(*) AS n FROM invoices")[0]["n"] == 0
    planned = report_of(plan)
    assert planned["check_mode"] and plan.changed == 1
    assert planned["tables"]["invoices"]["imported"] == INVOICES
    assert planned["tables"]["line_items"]["imported"] == expected_items
    assert planned["files"]["would_upload"] == INVOICES  # the batch files share their invoice's file
    assert planned["files"]["would_upload_bytes"] == data.file_bytes
    for table in ("invoices", "line_items", "batch_files"):
        refused = skipped(planned, table)
        for sid, (where, why) in data.broken.items():
            if where == table:
                assert why in refused.get(sid, ""), (sid, why, refused.get(sid))
    assert not Path(os.environ[helpers.OUTPUTS_DIR_ENV], "local-import.json").exists()

    # 2. A run killed half-way (SIGKILL of ansible-playbook and its module after some chunks).
    # Small chunks (5 invoices each, 60 commits) so that the kill lands between two of them.
    proc = _start_killable(stack, batch_size=5)
    try:
        asyncio.run(_wait_for_invoices(target, 10, proc))
    finally:
        helpers.kill_tree(proc)
    half = _imported_invoices(target)
    assert 0 < half < INVOICES, f"the kill came too late or too early: {half} of {INVOICES} invoices"

    # 3. The next run finishes without duplicates.
    done, writes = import_run(stack)
    assert done.rc == 0, done.explain()
    assert done.changed >= 1 and "s3.PutObject" in writes
    report = report_of(done)
    invoices = report["tables"]["invoices"]
    assert invoices["imported_before"] == half and invoices["imported"] == INVOICES - half
    assert query(target, "SELECT count(*) AS n FROM invoices")[0]["n"] == INVOICES
    assert query(target, "SELECT count(*) AS n FROM line_items")[0]["n"] == expected_items
    assert query(target, "SELECT sum(n) AS n FROM invoice_counts")[0]["n"] == INVOICES
    assert report["files"]["count"] == INVOICES and report["files"]["bytes"] == data.file_bytes
    assert report["files"]["verified"] == INVOICES and report["files"]["mismatched"] == []
    for sid, (where, why) in data.broken.items():
        assert why in skipped(report, where).get(sid, ""), (sid, why)
    assert {u["email"] for u in report["users_to_invite"]} == {f"user{i}@example.com" for i in range(3)}
    assert report["not_imported"]["export_logs"]["rows"] == 1
    written = json.loads(Path(os.environ[helpers.OUTPUTS_DIR_ENV], "local-import.json").read_text())
    assert written["tables"] == report["tables"] and written["environment"] == "local"
    assert stack["password"] not in done.stdout + done.stderr

    # 4. Through our API: every invoice, line item, vendor, prompt version and file (byte-equal).
    client, auth = _api_client(stack)
    with client:
        listed = client.get("/api/invoices?limit=1000", headers=auth).json()
        assert {i["id"] for i in listed["invoices"]} == set(data.invoices) and listed["total"] == INVOICES
        for invoice_id in data.invoices:
            body = client.get(f"/api/invoices/{invoice_id}", headers=auth).json()["invoice"]
            assert [li["id"] for li in body["line_items"]] == data.line_items[invoice_id]
            file = client.get(f"/api/invoices/{invoice_id}/file", headers=auth)
            assert file.status_code == 200 and file.content == data.files[invoice_id], invoice_id
        duplicate = client.get(f"/api/invoices/{data.invoices[2]}", headers=auth).json()["invoice"]
        assert duplicate["is_duplicate"] and duplicate["duplicate_of"] == data.invoices[1]
        vendors = {v["id"]: v for v in client.get("/api/vendors", headers=auth).json()["vendors"]}
        # genesys and five9 were seeded by our migrations: mapped to those, not copied.
        mapped = {m["id"]: m["target_id"] for m in planned["tables"]["vendors"]["mapped_to_existing"]}
        assert set(mapped) == set(data.vendors[:2])
        assert {mapped.get(v, v) for v in data.vendors} <= set(vendors)
        assert vendors[data.vendors[2]]["name"] == "acme telecom"  # our vendor names are lower case
        prompts = client.get("/api/prompts?limit=100", headers=auth).json()["prompts"]
        by_id = {p["id"]: p for p in prompts}
        for pid in data.prompts[1:]:
            assert pid in by_id, pid
        # One active prompt per vendor here: the one the vendor chose, its other versions inactive.
        for index, vendor in enumerate(data.vendors[:3]):
            active = [p for p in prompts if p["vendor_id"] == mapped.get(vendor, vendor) and p["is_active"]]
            assert len(active) == 1, (index, active)
        base = [p for p in prompts if p["prompt_name"] == "Base Template"]
        assert sorted(p["version"] for p in base) == [1, 2]  # ours v1, the original's text as v2
        batches = client.get("/api/batches", headers=auth).json()
        assert {b["id"] for b in batches["batches"]} == set(data.batches)

    # 5. Second run: nothing new, changed=0, no mutating call; every file checked again (HEAD).
    again, writes = import_run(stack)
    assert again.rc == 0, again.explain()
    assert (again.changed, writes) == (0, []), again.changed_tasks()
    second = report_of(again)
    assert second["tables"]["invoices"]["imported"] == 0
    assert second["tables"]["invoices"]["imported_before"] == INVOICES
    assert second["files"]["uploaded"] == 0 and second["files"]["verified"] == INVOICES
    assert query(target, "SELECT count(*) AS n FROM invoices")[0]["n"] == INVOICES
