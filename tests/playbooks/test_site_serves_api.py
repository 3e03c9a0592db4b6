"""What `make demo` promises: site.yml on the local inventory ends with the API answering,
and a batch of 20 PDFs is processed by the worker tier, scaled from zero, with a worker killed
mid-batch (no file lost or done twice); the worker tier converges again with changed=0.

The local App Runner backend serves the service from ``python -m app serve``
(LOCALAWS_APPRUNNER_COMMAND, as `make up` sets it). Its database is the database tier's RDS
instance, reached exactly as on AWS: DB_HOST/DB_PORT from the instance's Endpoint (a real
PostgreSQL cluster of the local endpoint) and DB_PASSWORD from the master secret in Secrets
Manager. The image the deploy tier pushes is a recording stand-in; the process runs this
checkout's code.
"""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

import asyncpg
import boto3
import pytest

from bench.worker import Api, run_on_stack
from tests.playbooks.helpers import ROOT, kill_tree, playbook_command, run_playbook
from tests.playbooks.stack_helpers import mutating, noop_calls
from tools.localaws.client import calls, reset_calls

pytestmark = pytest.mark.slow


def get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        assert response.status == 200
        return dict(json.loads(response.read()))


def _mtime(path: Path) -> float | None:
    return path.stat().st_mtime if path.exists() else None


async def _tables(database: dict, password: str) -> list[str]:
    conn = await asyncpg.connect(
        host=database["endpoint"],
        port=int(database["port"]),
        user=database["master_username"],
        password=password,
        database=database["name"],
        ssl="require",
    )
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
        return [r["tablename"] for r in rows]
    finally:
        await conn.close()


def _invoices(outputs: dict, database: dict) -> list[tuple[str, str]]:
    """(id, invoice number) of every invoice, through the API (a new admin, as bench.worker logs in)."""
    secret = boto3.client("secretsmanager").get_secret_value(SecretId=database["master_secret_name"])
    password = quote(json.loads(secret["SecretString"])["password"], safe="")
    database_url = (
        f"postgresql://{database['master_username']}:{password}@{database['endpoint']}:{database['port']}"
        f"/{database['name']}?ssl=require"
    )
    api = Api(outputs["service"]["service_url"], database_url)
    body = api.get("/api/invoices", params={"limit": 1000}).json()
    return sorted((str(i["id"]), str(i.get("invoice_number", ""))) for i in body["invoices"])


TEARDOWN = "playbooks/teardown.yml"
CONFIRMED = {"teardown_confirm": "local", "teardown_purge_data": True, "teardown_delete_zone": True}


def _teardown_and_rebuild(localaws: str, tmp_path: Path, database: dict, served: list[tuple[str, str]]) -> None:
    out = {"platform_outputs_dir": str(tmp_path)}
    # The guard: without the confirmation, or with another environment's name, not one call.
    for confirm in ({}, {"teardown_confirm": "prod"}):
        reset_calls(localaws)
        refused = run_playbook(TEARDOWN, extra_vars={**out, **confirm})
        assert refused.rc != 0 and any("teardown_confirm=local" in m for m in refused.failure_messages())
        assert calls(localaws) == []

    # The plan lists every resource with its id and deletes nothing.
    reset_calls(localaws)
    plan = run_playbook(TEARDOWN, extra_vars={**out, **CONFIRMED}, check=True, diff=True, timeout=900)
    assert plan.rc == 0, plan.explain()
    assert mutating(calls(localaws)) == []
    (instance,) = boto3.client("rds").describe_db_instances()["DBInstances"]
    assert instance["DBInstanceArn"] in plan.task("List what the database tier deletes")["msg"]
    (vpc,) = boto3.client("ec2").describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["invoice-local-vpc"]}])["Vpcs"]
    network = plan.task("Delete the VPC, subnets, gateways, routing and security groups")
    assert network["changed"] and network["diff"]["before"]["vpc"]["id"] == vpc["VpcId"]
    assert "invoice-processing.test. A" in plan.task("List what the dns tier deletes")["msg"]

    # Killed half-way (SIGKILL once the service is being deleted), then run again: it finishes.
    reset_calls(localaws)
    cmd, env = playbook_command(TEARDOWN, extra_vars={**out, **CONFIRMED})
    started = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while "apprunner.DeleteService" not in mutating(calls(localaws)):
            assert proc.poll() is None, "the teardown ended before it deleted the service"
            assert time.monotonic() - started < 600
            time.sleep(0.5)
    finally:
        kill_tree(proc)
    killed = mutating(calls(localaws))
    assert "rds.DeleteDBInstance" not in killed and "ec2.DeleteVpc" not in killed, killed
    finished = run_playbook(TEARDOWN, extra_vars={**out, **CONFIRMED}, timeout=900)
    assert finished.rc == 0, finished.explain()
    print(f"teardown (killed, then finished): {time.monotonic() - started:.0f} s")
    deleted = set(mutating(calls(localaws)))
    assert {
        "appautoscaling.DeregisterScalableTarget",
        "ecs.DeleteService",
        "ecs.DeleteCluster",
        "route53.ChangeResourceRecordSets",
        "route53.DeleteHostedZone",
        "apprunner.DisassociateCustomDomain",
        "apprunner.DeleteService",
        "apprunner.DeleteAutoScalingConfiguration",
        "apprunner.DeleteVpcConnector",
        "cloudfront.DeleteDistribution",
        "cloudfront.DeleteOriginAccessControl",
        "cloudwatch.DeleteAlarms",
        "sns.DeleteTopic",
        "backup.DeleteBackupSelection",
        "backup.DeleteBackupPlan",
        "rds.DeleteDBInstance",
        "rds.DeleteDBParameterGroup",
        "rds.DeleteDBSubnetGroup",
        "secretsmanager.DeleteSecret",
        "ssm.DeleteParameter",
        "iam.DeleteRole",
        "acm.DeleteCertificate",
        "ecr.DeleteRepository",
        "s3.DeleteObjects",
        "s3.DeleteBucket",
        "kms.ScheduleKeyDeletion",
        "ec2.DeleteVpc",
    } <= deleted | set(killed), sorted(deleted)
    assert "kms.DeleteKey" not in deleted  # scheduled, never at once
    assert boto3.client("rds").describe_db_instances()["DBInstances"] == []
    assert boto3.client("s3").list_buckets()["Buckets"] == []
    assert boto3.client("apprunner").list_services()["ServiceSummaryList"] == []
    assert boto3.client("route53").list_hosted_zones()["HostedZones"] == []
    report = json.loads((tmp_path / "local-teardown.json").read_text())
    snapshots = boto3.client("rds").describe_db_snapshots(DBInstanceIdentifier=database["identifier"])["DBSnapshots"]
    assert report["final_snapshot"] in [s["DBSnapshotIdentifier"] for s in snapshots], report
    assert (report["buckets_kept"], report["hosted_zone_kept"]) == ([], ""), report

    # Nothing left: a second teardown changes nothing and calls nothing that mutates.
    again, log = noop_calls(localaws, TEARDOWN, extra_vars={**out, **CONFIRMED}, timeout=900)
    assert again.changed == 0, again.changed_tasks()
    assert mutating(log) == []

    # The rebuild from the final snapshot serves the same invoices.
    started = time.monotonic()
    rebuilt = run_playbook(
        "site.yml",
        extra_vars={**out, "deploy_allow_dirty": True, "database_restore_snapshot": "latest-final"},
        timeout=1200,
    )
    assert rebuilt.rc == 0, rebuilt.explain()
    print(f"rebuild (site.yml, database_restore_snapshot=latest-final): {time.monotonic() - started:.0f} s")
    outputs = json.loads((tmp_path / "local.json").read_text())
    assert _invoices(outputs, outputs["database"]) == served


def test_site_converges_and_the_api_answers(localaws: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    if os.environ.get("LOCALAWS_URL"):
        pytest.skip("serving needs the in-process endpoint (LOCALAWS_URL points at another one)")
    monkeypatch.setenv("LOCALAWS_APPRUNNER_COMMAND", shlex.join([sys.executable, "-m", "app", "serve"]))
    monkeypatch.setenv("LOCALAWS_APPRUNNER_LOG_DIR", str(tmp_path / "apprunner"))
    monkeypatch.setenv("FAKEDOCKER_STATE_DIR", str(tmp_path / "docker"))
    monkeypatch.setenv("LOCALAWS_ECS_PYTHON", sys.executable)  # the worker tier's tasks run (`make up` sets it)
    monkeypatch.setenv("LOCALAWS_ECS_LOG_DIR", str(tmp_path / "ecs"))
    before = _mtime(ROOT / "outputs" / "local.json")
    try:
        run = run_playbook(
            "site.yml",
            extra_vars={"platform_outputs_dir": str(tmp_path), "deploy_allow_dirty": True},
            timeout=900,
        )
        assert run.rc == 0, run.explain()
        outputs = json.loads((tmp_path / "local.json").read_text())
        url = outputs["service"]["service_url"]
        assert url.startswith("http://127.0.0.1:"), url
        health = get(f"{url}/api/health")
        assert health["status"] == "ok"
        assert health["checks"]["database"] == {"status": "ok", "pending_migrations": []}
        assert health["checks"]["storage"] == {"status": "ok", "backend": "s3"}
        # the database the API migrated is the RDS instance's, at its reported endpoint, behind
        # the master password from Secrets Manager (a real PostgreSQL cluster of the endpoint)
        database = outputs["database"]
        assert database["endpoint"].startswith("127.") and database["endpoint"] != "127.0.0.1", database
        secret = boto3.client("secretsmanager").get_secret_value(SecretId=database["master_secret_name"])
        tables = asyncio.run(_tables(database, json.loads(secret["SecretString"])["password"]))
        assert {"schema_migrations", "users", "invoices"} <= set(tables), tables
        # platform_outputs_dir sent the report to tmp_path: the checkout's own outputs are untouched.
        assert _mtime(ROOT / "outputs" / "local.json") == before

        # The worker tier: 20 PDFs processed to completed with 20 invoices, the worker scaled out
        # from its minimum (0) by the queue depth, one worker SIGKILLed after 2 files.
        assert outputs["worker"]["min_size"] == 0
        assert "desired_count" not in outputs["worker"]  # it moves by itself: printed, not written
        (idle,) = boto3.client("ecs").describe_services(cluster="invoice-local", services=["invoice-local-worker"])[
            "services"
        ]
        assert idle["desiredCount"] == 0, idle
        password = quote(json.loads(secret["SecretString"])["password"], safe="")
        database_url = (
            f"postgresql://{database['master_username']}:{password}@{database['endpoint']}:{database['port']}"
            f"/{database['name']}?ssl=require"
        )
        batch = run_on_stack(outputs, database_url, files=20, kill_one=True, timeout=600)
        assert batch["running_before"] == 0 and batch["max_running"] >= 1, batch
        assert batch["killed"] is not None, batch
        assert (batch["status"], batch["processed"], batch["failed"], batch["invoices"]) == ("completed", 20, 0, 20)

        # Converging the worker tier again changes nothing and calls nothing that mutates (the
        # API and the workers keep publishing the queue metric meanwhile: not the playbook's calls).
        again, log = noop_calls(localaws, "playbooks/worker.yml", extra_vars={"platform_outputs_dir": str(tmp_path)})
        assert again.changed == 0, again.changed_tasks()
        assert [c for c in mutating(log) if c != "cloudwatch.PutMetricData"] == []

        # What deploy.yml runs after moving the API: the existing worker moves to the new image.
        image = outputs["worker"]["image"].rsplit(":", 1)[0] + ":worker-moves-too"
        moved = run_playbook("playbooks/worker.yml", extra_vars={"worker_deploy_only": True, "worker_image": image})
        assert moved.rc == 0, moved.explain()
        ecs = boto3.client("ecs")
        (service,) = ecs.describe_services(cluster="invoice-local", services=["invoice-local-worker"])["services"]
        definition = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
        assert definition["containerDefinitions"][0]["image"] == image
        assert definition["revision"] == 2

        # Issue 10 on the same stack: teardown (guarded, planned, killed half-way, finished),
        # again (changed=0), rebuild from the final snapshot, the same invoices through the API.
        served = _invoices(outputs, database)
        assert len(served) == 20
        _teardown_and_rebuild(localaws, tmp_path, database, served)
    finally:
        from tests.conftest import reset_localaws

        reset_localaws(localaws)  # stops the served process and drops the instance's cluster
