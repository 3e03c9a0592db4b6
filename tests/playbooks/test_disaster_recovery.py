"""Disaster recovery on the local endpoint: backup.yml, restore.yml, dr_drill.yml on real data.

One converged stack is shared by this module: site.yml with only the tiers the DR path needs
(network, storage, secrets, database, iam, deploy, service), so the API is served by the local
App Runner backend on the database tier's RDS instance, which the local endpoint runs as a real
PostgreSQL cluster. Invoices are created through the API (rows and uploaded files), backed up,
destroyed (rows deleted, database dropped, files deleted and overwritten), restored by each
path (snapshot, point in time, logical dump: each a real new instance), cut over, and read back
through the API; then the drill passes and fails naming what changed after its backup.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import shlex
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import boto3
import httpx2 as httpx
import pytest

from app.auth import hash_password
from tests.app.conftest import html_invoice
from tests.conftest import AWS_TEST_ENV, reset_localaws
from tests.helpers import require_in_process_endpoint
from tests.playbooks.helpers import PlaybookRun, run_playbook
from tools.localaws.client import calls, reset_calls

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery staple"
FILES_BUCKET = "invoice-local-files"
BACKUPS_BUCKET = "invoice-local-backups"
LIVE = "invoice-local-db"
# The tiers under the API and its data; the rest of site.yml (DNS, certificates, worker, CDN,
# monitoring, scheduled backups) plays no part in a backup, restore, cutover or drill.
DR_TIERS = ["network", "storage", "secrets", "database", "iam", "deploy", "service"]
# The served API publishes its queue metric on its own: not a call of the playbook under test.
NOT_THE_PLAYBOOKS = {"cloudwatch.PutMetricData"}


def _sql(url: str, query: str, *args: Any) -> list[asyncpg.Record]:
    async def run() -> list[asyncpg.Record]:
        conn = await asyncpg.connect(url)
        try:
            return await conn.fetch(query, *args)
        finally:
            await conn.close()

    return asyncio.run(run())


def _wait_healthy(url: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/api/health", timeout=5) as response:
                body = json.loads(response.read())
                if body.get("checks", {}).get("database", {}).get("status") == "ok":
                    return dict(body)
        except (urllib.error.URLError, OSError, ValueError) as e:
            last = e
        time.sleep(1)
    raise AssertionError(f"{url} not healthy after {timeout}s: {last}")


class Stack:
    def __init__(self, endpoint: str, tmp: Path) -> None:
        self.endpoint = endpoint
        self.tmp = tmp
        self.api_url = ""

    def play(self, playbook: str, extra: dict[str, Any] | None = None, **kwargs: Any) -> PlaybookRun:
        extra_vars = {"platform_outputs_dir": str(self.tmp), **(extra or {})}
        return run_playbook(playbook, extra_vars=extra_vars, timeout=900, **kwargs)

    def writes(
        self, playbook: str, extra: dict[str, Any] | None = None, **kwargs: Any
    ) -> tuple[PlaybookRun, list[str]]:
        reset_calls(self.endpoint)
        run = self.play(playbook, extra, **kwargs)
        made = [f"{c['service']}.{c['operation']}" for c in calls(self.endpoint) if c["mutating"]]
        return run, [c for c in made if c not in NOT_THE_PLAYBOOKS]

    def parallel_writes(
        self, runs: list[tuple[str, dict[str, Any], dict[str, Any]]]
    ) -> tuple[list[PlaybookRun], list[str]]:
        """Runs that must write nothing, at once (they wait on the endpoint more than they compute)."""
        reset_calls(self.endpoint)
        with ThreadPoolExecutor(max_workers=3) as pool:
            done = list(pool.map(lambda run: self.play(run[0], run[1], **run[2]), runs))
        made = [f"{c['service']}.{c['operation']}" for c in calls(self.endpoint) if c["mutating"]]
        return done, [c for c in made if c not in NOT_THE_PLAYBOOKS]


def _instance_url(identifier: str, secret_name: str) -> str:
    """postgresql:// URL (with the password: for this test's SQL only) of an instance's database."""
    instance = boto3.client("rds").describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]
    secret = json.loads(boto3.client("secretsmanager").get_secret_value(SecretId=secret_name)["SecretString"])
    host, port = instance["Endpoint"]["Address"], instance["Endpoint"]["Port"]
    return f"postgresql://{secret['username']}:{secret['password']}@{host}:{port}/invoices?sslmode=require"


@pytest.fixture(scope="module")
def stack(localaws_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    require_in_process_endpoint()
    tmp = tmp_path_factory.mktemp("dr")
    s = Stack(localaws_server, tmp)
    with pytest.MonkeyPatch.context() as mp:
        for key, value in AWS_TEST_ENV.items():
            mp.setenv(key, value)
        mp.setenv("AWS_ENDPOINT_URL", localaws_server)
        mp.delenv("AWS_PROFILE", raising=False)
        mp.delenv("LOCAL_DATABASE_URL", raising=False)
        mp.setenv("LOCALAWS_APPRUNNER_COMMAND", shlex.join([sys.executable, "-m", "app", "serve"]))
        mp.setenv("LOCALAWS_APPRUNNER_LOG_DIR", str(tmp / "apprunner"))
        mp.setenv("FAKEDOCKER_STATE_DIR", str(tmp / "docker"))
        reset_localaws(localaws_server)
        try:
            run = s.play("site.yml", {"deploy_allow_dirty": True}, tags=DR_TIERS)
            assert run.rc == 0, run.explain()
            s.api_url = json.loads((tmp / "local.json").read_text())["service"]["service_url"]
            _wait_healthy(s.api_url)
            yield s
        finally:
            reset_localaws(localaws_server)  # stops the served process and the instances' clusters


@contextmanager
def _api(stack: Stack, live: str) -> Iterator[httpx.Client]:
    """A client of the served API, logged in as a new admin of the database at ``live``."""
    email = f"dr-{uuid.uuid4().hex[:6]}@example.test"
    _sql(
        live,
        "INSERT INTO users (email, password_hash, name, role) VALUES ($1, $2, 'DR', 'admin')",
        email,
        hash_password(PASSWORD),
    )
    with httpx.Client(base_url=stack.api_url, timeout=30) as client:
        login = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        client.headers["Authorization"] = f"Bearer {login.json()['token']}"
        yield client


def _invoices(client: httpx.Client) -> dict[str, dict[str, Any]]:
    """id -> the invoice as GET /api/invoices/{id} returns it, plus the SHA-256 of its file."""
    listed = client.get("/api/invoices", params={"limit": 1000})
    assert listed.status_code == 200, listed.text
    out = {}
    for item in listed.json()["invoices"]:
        detail = client.get(f"/api/invoices/{item['id']}")
        assert detail.status_code == 200, detail.text
        body = client.get(f"/api/invoices/{item['id']}/file")
        assert body.status_code == 200, (item["id"], body.text)
        out[str(item["id"])] = {**detail.json(), "file_sha256": hashlib.sha256(body.content).hexdigest()}
    return out


def _results(run: PlaybookRun, name: str) -> list[dict[str, Any]]:
    """Every result of the tasks whose name starts with ``name`` (one per loop round)."""
    return [t["result"] for t in run.tasks() if t["name"].split(" : ")[-1].startswith(name)]


def _object_sha(key: str) -> str:
    return hashlib.sha256(boto3.client("s3").get_object(Bucket=FILES_BUCKET, Key=key)["Body"].read()).hexdigest()


def test_backup_destroy_restore_each_path_cut_over_and_drill(stack: Stack) -> None:
    s3 = boto3.client("s3")
    rds = boto3.client("rds")
    live_url = _instance_url(LIVE, "invoice-local-database-master")
    vendor = str(_sql(live_url, "SELECT id FROM vendors ORDER BY name LIMIT 1")[0]["id"])
    with _api(stack, live_url) as api:
        for number in ("DR-1", "DR-2", "DR-3"):
            up = api.post(
                "/api/invoices/upload",
                data={"vendor_id": vendor},
                files={"invoice": (f"{number}.html", html_invoice(number), "text/html")},
            )
            assert up.status_code in (200, 201), up.text
        before = _invoices(api)
    assert len(before) == 3
    paths = {str(r["id"]): r["file_path"] for r in _sql(live_url, "SELECT id::text AS id, file_path FROM invoices")}

    # --- check mode of the backup and of the drill (every path, the default) writes nothing
    (plan, drill_plan), writes = stack.parallel_writes(
        [("playbooks/backup.yml", {}, {"check": True, "diff": True}), ("playbooks/dr_drill.yml", {}, {"check": True})]
    )
    assert plan.rc == 0, plan.explain()
    assert drill_plan.rc == 0, drill_plan.explain()
    assert writes == []
    assert s3.list_objects_v2(Bucket=BACKUPS_BUCKET).get("KeyCount", 0) == 0
    assert rds.describe_db_snapshots(SnapshotType="manual")["DBSnapshots"] == []
    planned_paths = [t["msg"].split(" by ")[1].split()[0] for t in _results(drill_plan, "Say what the drill would")]
    assert planned_paths == ["snapshot", "pitr", "dump"]

    # --- the backup, then the same backup id again changes nothing
    backup, writes = stack.writes("playbooks/backup.yml")
    assert backup.rc == 0, backup.explain()
    assert "rds.CreateDBSnapshot" in writes and "s3.CompleteMultipartUpload" in writes
    manifest = json.loads((stack.tmp / "local-backup.json").read_text())
    backup_id = manifest["backup_id"]
    assert backup_id.startswith(f"{LIVE}-") and len(backup_id) == len(LIVE) + 15
    db = manifest["database"]
    assert db["tables"]["invoices"]["rows"] == 3 and len(db["tables"]["invoices"]["hash"]) == 64
    assert db["postgresql_version"] and len(db["schema_hash"]) == 64
    dump = s3.get_object(Bucket=BACKUPS_BUCKET, Key=db["dump"]["key"])
    assert dump["ServerSideEncryption"] == "aws:kms"
    assert hashlib.sha256(dump["Body"].read()).hexdigest() == db["dump"]["sha256"]
    assert {k: manifest["files"]["objects"][k]["sha256"] for k in paths.values()} == {
        k: _object_sha(k) for k in paths.values()
    }
    stored = json.loads(s3.get_object(Bucket=BACKUPS_BUCKET, Key=f"backups/{backup_id}/manifest.json")["Body"].read())
    assert stored == manifest
    (snap,) = rds.describe_db_snapshots(DBSnapshotIdentifier=backup_id)["DBSnapshots"]
    tags = {t["Key"]: t["Value"] for t in rds.list_tags_for_resource(ResourceName=snap["DBSnapshotArn"])["TagList"]}
    assert tags["BackupId"] == backup_id and tags["ManagedBy"] == "ansible"
    secret = json.loads(
        boto3.client("secretsmanager").get_secret_value(SecretId="invoice-local-database-master")["SecretString"]
    )
    assert secret["password"] not in backup.stdout + backup.stderr

    again, writes = stack.writes("playbooks/backup.yml", {"backup_id": backup_id})
    assert again.rc == 0, again.explain()
    assert (again.changed, writes) == (0, [])

    # --- destroy: a deleted row, a deleted file, an overwritten file, then the whole database
    deleted_id, overwritten_id, _ = sorted(before)
    with _api(stack, live_url) as api:
        assert api.delete(f"/api/invoices/{deleted_id}").status_code in (200, 204)
    s3.delete_object(Bucket=FILES_BUCKET, Key=paths[deleted_id])
    s3.put_object(Bucket=FILES_BUCKET, Key=paths[overwritten_id], Body=b"ransomware was here")
    _sql(live_url.replace("/invoices?", "/postgres?"), "DROP DATABASE invoices WITH (FORCE)")

    # --- restore by snapshot: a new instance, the live one untouched
    snap_run, writes = stack.writes("playbooks/restore.yml", {"restore_source": "snapshot"})
    assert snap_run.rc == 0, snap_run.explain()
    assert "rds.RestoreDBInstanceFromDBSnapshot" in writes
    assert not [w for w in writes if w in ("rds.ModifyDBInstance", "rds.DeleteDBInstance")]
    restored = rds.describe_db_instances(DBInstanceIdentifier=f"{LIVE}-r{backup_id[-14:]}")["DBInstances"][0]
    assert restored["DBSubnetGroup"]["DBSubnetGroupName"] == "invoice-local-db" and not restored["PubliclyAccessible"]
    assert restored["DBInstanceStatus"] == "available"
    assert json.loads((stack.tmp / "local-restore.json").read_text())["verified"] is True  # real data, as backed up

    # --- bad input fails before any change, naming the variable (the settings checks name every
    # problem of a run at once; the lookups stop at the first); a second restore to the same target
    # is refused; the dump path with the files and the cutover planned in check mode. None writes.
    cut = {
        "restore_source": "dump",
        "restore_instance": "dr-dump",
        "restore_files": True,
        "restore_cutover": True,
        "restore_confirm": "local",
    }
    refused: list[tuple[dict[str, Any], list[str]]] = [
        (
            {
                "restore_source": "tape",
                "restore_time": "2999-01-01T00:00:00Z",
                "restore_instance": LIVE,
                "restore_files": True,
                "restore_cutover": True,
                "restore_confirm": "prod",
            },
            [
                'restore_source must be snapshot, pitr or dump, got "tape"',
                "restore_time 2999-01-01T00:00:00Z is in the future",
                f"restore_instance must not be the live instance {LIVE}",
                'restore_confirm must be "local" (the environment) for restore_files and restore_cutover, got "prod"',
            ],
        ),
        (
            {"restore_source": "dump", "restore_cutover": True},
            ['restore_confirm must be "local" (the environment) for restore_cutover, it is not set'],
        ),
        (
            {"restore_source": "dump", "restore_id": f"{LIVE}-20000101000000"},
            [f"{LIVE}-20000101000000: no such backup"],
        ),
        (
            {"restore_source": "snapshot", "restore_id": "no-such-snapshot"},
            ["restore_id: no snapshot no-such-snapshot"],
        ),
        (
            {"restore_source": "pitr", "restore_time": "2000-01-01T00:00:00Z"},
            [f"restore_time 2000-01-01T00:00:00Z is outside what {LIVE} can restore"],
        ),
        (
            {"restore_source": "snapshot"},
            [f"restore_instance: an RDS instance {LIVE}-r{backup_id[-14:]} already exists"],
        ),
    ]
    (plan, *bad_runs), writes = stack.parallel_writes(
        [("playbooks/restore.yml", cut, {"check": True, "diff": True})]
        + [("playbooks/restore.yml", extra, {}) for extra, _ in refused]
    )
    assert writes == []
    for (extra, expected), bad in zip(refused, bad_runs, strict=True):
        assert bad.rc != 0, extra
        message = " ".join(bad.failure_messages())
        assert [e for e in expected if e not in message] == [], (extra, message)
    assert plan.rc == 0, plan.explain()
    planned = plan.task("Copy the files' backed-up versions forward")["copied"]
    assert sorted((c["key"], c["reason"]) for c in planned) == sorted(
        [(paths[deleted_id], "deleted"), (paths[overwritten_id], "overwritten")]
    )
    assert {c["version_id"] for c in planned} == {
        manifest["files"]["objects"][paths[k]]["version_id"] for k in (deleted_id, overwritten_id)
    }
    assert "dr-dump" not in [i["DBInstanceIdentifier"] for i in rds.describe_db_instances()["DBInstances"]]

    # --- restore by point in time: a new instance, the live one untouched
    deadline = time.monotonic() + 600  # the dump's instant is restorable once its WAL is archived
    while (
        str(rds.describe_db_instances(DBInstanceIdentifier=LIVE)["DBInstances"][0].get("LatestRestorableTime", ""))[
            :19
        ].replace(" ", "T")
        < db["taken_at"][:19]
    ):
        assert time.monotonic() < deadline, "LatestRestorableTime never passed the backup"
        time.sleep(1)  # the fixture's endpoint archives WAL every second
    pitr_vars = {"restore_source": "pitr", "restore_instance": "dr-pitr", "restore_time": db["taken_at"]}
    pitr, writes = stack.writes("playbooks/restore.yml", pitr_vars)
    assert pitr.rc == 0, pitr.explain()
    assert "rds.RestoreDBInstanceToPointInTime" in writes
    assert json.loads((stack.tmp / "local-restore.json").read_text())["verified"] is True  # before the drop
    assert rds.describe_db_instances(DBInstanceIdentifier=LIVE)["DBInstances"][0]["DBInstanceStatus"] == "available"

    # --- the dump path with the files and the cutover
    done, writes = stack.writes("playbooks/restore.yml", cut)
    assert done.rc == 0, done.explain()
    report = json.loads((stack.tmp / "local-restore.json").read_text())
    assert report["verified"] is True and report["differences"] == []
    assert sorted(report["files_copied"]) == sorted([paths[deleted_id], paths[overwritten_id]])
    assert "apprunner.UpdateService" in writes
    versions = s3.list_object_versions(Bucket=FILES_BUCKET, Prefix=paths[overwritten_id])["Versions"]
    assert len(versions) == 3  # original, overwrite, original copied forward: no version deleted
    assert secret["password"] not in done.stdout + done.stderr

    # The service now runs on the restored database: every invoice and every file is back.
    service = boto3.client("apprunner").list_services()["ServiceSummaryList"][0]
    config = boto3.client("apprunner").describe_service(ServiceArn=service["ServiceArn"])["Service"]
    image = config["SourceConfiguration"]["ImageRepository"]["ImageConfiguration"]
    assert (
        image["RuntimeEnvironmentVariables"]["DB_HOST"]
        == rds.describe_db_instances(DBInstanceIdentifier="dr-dump")["DBInstances"][0]["Endpoint"]["Address"]
    )
    assert ":secret:dr-dump-master" in image["RuntimeEnvironmentSecrets"]["DB_PASSWORD"]
    assert rds.describe_db_instances(DBInstanceIdentifier=LIVE)["DBInstances"]  # the old instance is kept
    # App Runner serves the new deployment; locally its ServiceUrl moves to the new process's port.
    stack.api_url = f"http://{config['ServiceUrl']}"
    _wait_healthy(stack.api_url)
    target_url = _instance_url("dr-dump", "dr-dump-master")
    with _api(stack, target_url) as api:
        after = _invoices(api)
    assert after == before

    # Files already back: a second run would copy nothing.
    files_again = {**cut, "restore_instance": "dr-dump-2", "restore_cutover": False}
    replan, writes = stack.writes("playbooks/restore.yml", files_again, check=True)
    assert replan.rc == 0 and writes == []
    assert replan.task("Copy the files' backed-up versions forward")["copied"] == []

    # --- the drill: passes on the healthy (restored) system, fails naming what changed after its backup
    # The restored instance is the live one now (as the inventory's database_identifier would say).
    on_restored = {
        "backup_database_identifier": "dr-dump",
        "backup_database_secret": "dr-dump-master",
        "restore_database_identifier": "dr-dump",
        "restore_database_secret": "dr-dump-master",
        "dr_drill_database_identifier": "dr-dump",
    }
    # The dump path was restored and verified above; the drill restores by the other two (the
    # point in time once the backup's instant is archived) and compares the live system.
    drill = stack.play("playbooks/dr_drill.yml", {**on_restored, "dr_drill_paths": ["pitr", "snapshot"]})
    assert drill.rc == 0, drill.explain()
    result = json.loads((stack.tmp / "local-drill.json").read_text())
    print("drill report (RPO/RTO per path):", json.dumps(result["paths"]))  # shown by pytest -rP
    assert result["passed"] is True and result["problems"] == []
    assert result["files_checked"] == 3
    assert [p["path"] for p in result["paths"]] == ["pitr", "snapshot"]
    for path in result["paths"]:
        assert path["verified"] is True and path["rto_seconds"] > 0 and path["rpo_seconds"] is not None, path
    assert not [i for i in rds.describe_db_instances()["DBInstances"] if "-drill-" in i["DBInstanceIdentifier"]]

    # Altered after the backup, a table and a file: the drill on that backup fails naming both,
    # while its restore (the dump path) still matches the backup.
    _sql(target_url, "UPDATE invoices SET invoice_number = 'TAMPERED' WHERE id::text = $1", overwritten_id)
    s3.put_object(Bucket=FILES_BUCKET, Key=paths[overwritten_id], Body=b"changed after the backup")
    failed = stack.play("playbooks/dr_drill.yml", {**on_restored, "dr_drill_paths": ["dump"], "dr_drill_backup": False})
    assert failed.rc != 0
    message = " ".join(failed.failure_messages())
    assert "changed since the backup: table invoices content differs" in message, message
    assert f"changed since the backup: file {paths[overwritten_id]} is 24 bytes, the backup " in message, message
    assert "dump:" not in message  # the restore matched its backup
    result = json.loads((stack.tmp / "local-drill.json").read_text())
    print("failed drill report:", json.dumps(result["paths"]), result["problems"])
    assert result["passed"] is False and result["backup_id"].startswith("dr-dump-")
    assert [(p["path"], p["verified"]) for p in result["paths"]] == [("dump", True)]
