"""What `make demo` promises: site.yml on the local inventory (molecule's stack scenario:
converge, idempotence, verify) ends with the API answering,
and a batch of 20 PDFs is processed by the worker tier, scaled from zero, with a worker killed
mid-batch (no file lost or done twice); the worker tier converges again with changed=0.

Then the same stack is torn down and rebuilt (issue 10): teardown.yml refuses to run
unconfirmed or for another environment before any call; --check --diff deletes nothing; a
teardown killed half-way finishes on the next run, which leaves nothing of the stack but what
it reports kept (the final snapshot, the buckets, the zone, the KMS key that encrypts them);
a second teardown changes nothing; site.yml with database_restore_snapshot=latest-final
brings the API back with the same invoices and their files.

The local App Runner backend serves the service from ``python -m app serve``
(LOCALAWS_APPRUNNER_COMMAND, as `make up` sets it). Its database is the database tier's RDS
instance, reached exactly as on AWS: DB_HOST/DB_PORT from the instance's Endpoint (a real
PostgreSQL cluster of the local endpoint) and DB_PASSWORD from the master secret in Secrets
Manager. The image the deploy tier pushes is a recording stand-in; the process runs this
checkout's code.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
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
from tests.helpers import require_in_process_endpoint
from tests.molecule.run import run_scenario
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


def test_site_converges_and_the_api_answers(localaws: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    require_in_process_endpoint()
    monkeypatch.setenv("LOCALAWS_APPRUNNER_COMMAND", shlex.join([sys.executable, "-m", "app", "serve"]))
    monkeypatch.setenv("LOCALAWS_APPRUNNER_LOG_DIR", str(tmp_path / "apprunner"))
    monkeypatch.setenv("FAKEDOCKER_STATE_DIR", str(tmp_path / "docker"))
    monkeypatch.setenv("LOCALAWS_ECS_PYTHON", sys.executable)  # the worker tier's tasks run (`make up` sets it)
    monkeypatch.setenv("LOCALAWS_ECS_LOG_DIR", str(tmp_path / "ecs"))
    before = _mtime(ROOT / "outputs" / "local.json")
    try:
        # The converge is molecule's stack scenario (site.yml; converge, idempotence, verify) on
        # this endpoint: tests/molecule/test_scenarios.py leaves that scenario to this test.
        run_scenario("stack", endpoint=localaws, outputs_dir=tmp_path)
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

        # Converging the worker tier again at once, while the scaling policy still owns a count
        # above the minimum and may move it during the run, changes nothing and calls nothing that
        # mutates: the desired count is never sent on an update (the API and the workers keep
        # publishing the queue metric meanwhile: not the playbook's calls).
        ecs = boto3.client("ecs")
        again, log = noop_calls(localaws, "playbooks/worker.yml", extra_vars={"platform_outputs_dir": str(tmp_path)})
        assert again.changed == 0, again.changed_tasks()
        assert [c for c in mutating(log) if c != "cloudwatch.PutMetricData"] == []

        # The queue is empty: the scaling policy takes the worker tier back to its minimum (0)
        # after worker_scale_in_periods empty periods.
        waited = time.monotonic()
        while ecs.describe_services(cluster="invoice-local", services=["invoice-local-worker"])["services"][0][
            "desiredCount"
        ]:
            assert time.monotonic() - waited < 300, "the worker tier did not scale back in within 300 s"
            time.sleep(2)

        # What deploy.yml runs after moving the API: the existing worker moves to the new image.
        image = outputs["worker"]["image"].rsplit(":", 1)[0] + ":worker-moves-too"
        moved = run_playbook("playbooks/worker.yml", extra_vars={"worker_deploy_only": True, "worker_image": image})
        assert moved.rc == 0, moved.explain()
        ecs = boto3.client("ecs")
        (service,) = ecs.describe_services(cluster="invoice-local", services=["invoice-local-worker"])["services"]
        definition = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
        assert definition["containerDefinitions"][0]["image"] == image
        assert definition["revision"] == 2

        _teardown_and_rebuild(localaws, tmp_path, outputs, database_url)
    finally:
        from tests.conftest import reset_localaws

        reset_localaws(localaws)  # stops the served process and drops the instance's cluster


def _invoices_with_files(outputs: dict, database_url: str) -> dict[str, tuple]:
    """Every invoice through the API: id -> (number, total, status, SHA-256 of the file it serves)."""
    api = Api(outputs["service"]["service_url"], database_url)
    listed = api.get("/api/invoices", params={"limit": 1000}).json()
    out = {}
    for invoice in listed["invoices"]:
        file = api.get(f"/api/invoices/{invoice['id']}/file")
        assert file.status_code == 200, (invoice["id"], file.status_code, file.text[:200])
        digest = hashlib.sha256(file.content).hexdigest()
        out[invoice["id"]] = (invoice["invoice_number"], invoice["total_amount"], invoice["processing_status"], digest)
    assert len(out) == listed["total"], listed["total"]
    return out


def _left_of_the_stack() -> dict[str, list]:
    """What the account still holds that site.yml creates (the kept things are listed apart)."""
    name = "invoice-local"
    aws = boto3.client
    return {
        "apprunner services": [s["ServiceName"] for s in aws("apprunner").list_services()["ServiceSummaryList"]],
        "vpc connectors": [
            c["VpcConnectorName"]
            for c in aws("apprunner").list_vpc_connectors()["VpcConnectors"]
            if c["Status"] == "ACTIVE"
        ],
        "distributions": [d["Id"] for d in aws("cloudfront").list_distributions()["DistributionList"].get("Items", [])],
        "origin access controls": [
            o["Name"]
            for o in aws("cloudfront").list_origin_access_controls()["OriginAccessControlList"].get("Items", [])
        ],
        "alarms": [a["AlarmName"] for a in aws("cloudwatch").describe_alarms()["MetricAlarms"]],
        "topics": [t["TopicArn"] for t in aws("sns").list_topics()["Topics"]],
        "db instances": [d["DBInstanceIdentifier"] for d in aws("rds").describe_db_instances()["DBInstances"]],
        "db subnet groups": [g["DBSubnetGroupName"] for g in aws("rds").describe_db_subnet_groups()["DBSubnetGroups"]],
        "db parameter groups": [
            g["DBParameterGroupName"]
            for g in aws("rds").describe_db_parameter_groups()["DBParameterGroups"]
            if not g["DBParameterGroupName"].startswith("default.")
        ],
        "secrets": [s["Name"] for s in aws("secretsmanager").list_secrets()["SecretList"]],
        "parameters": [p["Name"] for p in aws("ssm").describe_parameters()["Parameters"]],
        "roles": [r["RoleName"] for r in aws("iam").list_roles()["Roles"] if r["RoleName"].startswith(name)],
        "certificates": [c["DomainName"] for c in aws("acm").list_certificates()["CertificateSummaryList"]],
        "repositories": [r["repositoryName"] for r in aws("ecr").describe_repositories()["repositories"]],
        "ecs clusters": [  # a deleted cluster is INACTIVE for a while, as on AWS
            c["clusterName"]
            for c in aws("ecs").describe_clusters(clusters=aws("ecs").list_clusters()["clusterArns"])["clusters"]
            if c["status"] == "ACTIVE"
        ],
        "backup plans": [p["BackupPlanName"] for p in aws("backup").list_backup_plans()["BackupPlansList"]],
        "vpcs": [
            v["VpcId"] for v in aws("ec2").describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [f"{name}*"]}])["Vpcs"]
        ],
        # App Runner's own log groups (/aws/apprunner/...) outlive the service, as on AWS: they
        # expire by the retention the monitoring tier set
        "log groups": [
            g["logGroupName"]
            for g in aws("logs").describe_log_groups()["logGroups"]
            if name in g["logGroupName"] and not g["logGroupName"].startswith("/aws/apprunner/")
        ],
        # the zone is kept (teardown_delete_zone is false) with its NS, SOA and the certificates'
        # validation CNAMEs (a certificate requested again for the same names uses the same records)
        "records": [
            f"{r['Name']} {r['Type']}"
            for z in aws("route53").list_hosted_zones()["HostedZones"]
            for r in aws("route53").list_resource_record_sets(HostedZoneId=z["Id"])["ResourceRecordSets"]
            if r["Type"] not in ("NS", "SOA") and not (r["Type"] == "CNAME" and r["Name"].startswith("_"))
        ],
    }


def _teardown_and_rebuild(url: str, tmp_path: Path, outputs: dict, database_url: str) -> None:
    before = _invoices_with_files(outputs, database_url)
    assert len(before) == 20, before
    out_dir = {"platform_outputs_dir": str(tmp_path)}

    # The guard: unconfirmed, confirmed for another environment, a bad option, or deletion
    # protection not lifted: each stops before any AWS call, saying why.
    for extra, expected in (
        ({"teardown_confirm": ""}, "confirm with -e teardown_confirm=local"),
        ({"teardown_confirm": "staging"}, "confirm with -e teardown_confirm=local"),
        ({"teardown_confirm": "local", "teardown_purge_data": "yes please"}, "must be true or false"),
        (
            {"teardown_confirm": "local", "database_deletion_protection": True},
            "The local inventory protects: database_deletion_protection (RDS instance invoice-local-db",
        ),
    ):
        reset_calls(url)
        refused = run_playbook("playbooks/teardown.yml", extra_vars={**out_dir, **extra})
        assert refused.rc != 0
        assert any(expected in m for m in refused.failure_messages()), (extra, refused.explain())
        # (the API and the worker publish the queue metric meanwhile: not the playbook's calls)
        made = [c for c in calls(url) if (c["service"], c["operation"]) != ("cloudwatch", "PutMetricData")]
        assert made == [], (extra, made)

    # --check --diff: every resource it would delete, and not one mutating call of its own (the
    # API and the worker keep publishing the queue metric meanwhile).
    confirmed = {**out_dir, "teardown_confirm": "local"}
    reset_calls(url)
    plan = run_playbook("playbooks/teardown.yml", extra_vars=confirmed, check=True, diff=True)
    assert plan.rc == 0, plan.explain()
    assert [c for c in mutating(calls(url)) if c != "cloudwatch.PutMetricData"] == []
    assert plan.changed >= 20, plan.changed_tasks()
    assert _left_of_the_stack()["db instances"] == ["invoice-local-db"]

    # Killed once the database is being deleted; the next run finishes the job.
    reset_calls(url)
    cmd, env = playbook_command("playbooks/teardown.yml", extra_vars=confirmed)
    started = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while "rds.DeleteDBInstance" not in mutating(calls(url)):
            assert proc.poll() is None, "teardown.yml ended before it deleted the database"
            assert time.monotonic() - started < 600, "teardown.yml did not reach the database in 600 s"
            time.sleep(0.2)
    finally:
        kill_tree(proc)
    first = set(mutating(calls(url)))
    assert proc.returncode != 0 and "ec2.DeleteVpc" not in first, first  # stopped half-way
    reset_calls(url)
    finished = run_playbook("playbooks/teardown.yml", extra_vars=confirmed)
    assert finished.rc == 0, finished.explain()
    deleted = first | set(mutating(calls(url)))
    print(f"teardown: killed after {time.monotonic() - started:.0f} s in all, finished by a second run")
    for op in (
        "apprunner.DisassociateCustomDomain", "apprunner.DeleteService", "apprunner.DeleteAutoScalingConfiguration",
        "apprunner.DeleteVpcConnector", "cloudfront.DeleteDistribution", "cloudfront.DeleteOriginAccessControl",
        "cloudwatch.DeleteAlarms", "sns.DeleteTopic", "rds.DeleteDBInstance", "rds.DeleteDBSubnetGroup",
        "rds.DeleteDBParameterGroup", "secretsmanager.DeleteSecret", "ssm.DeleteParameter", "iam.DeleteRole",
        "acm.DeleteCertificate", "ecr.DeleteRepository", "ecs.DeleteService", "ecs.DeleteCluster",
        "backup.DeleteBackupPlan", "route53.ChangeResourceRecordSets", "ec2.DeleteVpc",
    ):  # fmt: skip
        assert op in deleted, (op, sorted(deleted))
    assert not {op for op in deleted if op.startswith(("s3.Delete", "kms.", "route53.DeleteHostedZone"))}, deleted
    left = _left_of_the_stack()
    assert {kind: names for kind, names in left.items() if names} == {}, left

    report = json.loads((tmp_path / "local-teardown.json").read_text())
    snapshots = boto3.client("rds").describe_db_snapshots(DBSnapshotIdentifier=report["final_snapshot"])["DBSnapshots"]
    assert [s["Status"] for s in snapshots] == ["available"], snapshots
    assert sorted(report["buckets_kept"]) == sorted(
        b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"] if b["Name"].startswith("invoice-local-")
    )
    assert report["hosted_zone_kept"].startswith("invoice-processing.test ")
    assert not (tmp_path / "local.json").exists()  # the outputs of a stack that is gone

    # Nothing is left to delete: changed=0 and no mutating call.
    reset_calls(url)
    again = run_playbook("playbooks/teardown.yml", extra_vars=confirmed)
    assert again.rc == 0 and again.changed == 0, again.changed_tasks()
    assert mutating(calls(url)) == []

    # The rebuild from the final snapshot serves the same invoices and files.
    rebuilt = run_playbook(
        "site.yml",
        extra_vars={**out_dir, "deploy_allow_dirty": True, "database_restore_snapshot": "latest-final"},
        timeout=900,
    )
    assert rebuilt.rc == 0, rebuilt.explain()
    outputs = json.loads((tmp_path / "local.json").read_text())
    secret = boto3.client("secretsmanager").get_secret_value(SecretId=outputs["database"]["master_secret_name"])
    database = outputs["database"]
    password = quote(json.loads(secret["SecretString"])["password"], safe="")
    database_url = (
        f"postgresql://{database['master_username']}:{password}@{database['endpoint']}:{database['port']}"
        f"/{database['name']}?ssl=require"
    )
    assert _invoices_with_files(outputs, database_url) == before

    # Asked for, the data goes too: every object version of every bucket, then the buckets, the
    # zone, and the KMS key that encrypted them (scheduled, never at once); the rebuilt database
    # leaves a final snapshot of its own.
    reset_calls(url)
    purge = {**confirmed, "teardown_purge_data": True, "teardown_delete_zone": True}
    purged = run_playbook("playbooks/teardown.yml", extra_vars=purge)
    assert purged.rc == 0, purged.explain()
    ops = set(mutating(calls(url)))
    assert {"s3.DeleteBucket", "route53.DeleteHostedZone", "kms.ScheduleKeyDeletion"} <= ops, sorted(ops)
    buckets = [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]]
    assert [b for b in buckets if b.startswith("invoice-local-")] == [], buckets
    assert boto3.client("route53").list_hosted_zones()["HostedZones"] == []
    shown = purged.task("Show what the teardown kept")["msg"]
    assert shown["object_versions_deleted"] >= 20, shown  # the 20 PDFs and the web UI at least
    purged_report = json.loads((tmp_path / "local-teardown.json").read_text())
    assert (purged_report["buckets_kept"], purged_report["hosted_zone_kept"], purged_report["kms_key_kept"]) == (
        [],
        "",
        "",
    ), purged_report
    assert purged_report["final_snapshot"] not in ("", report["final_snapshot"]), purged_report
    final = boto3.client("rds").describe_db_snapshots(DBSnapshotIdentifier=purged_report["final_snapshot"])
    assert [s["Status"] for s in final["DBSnapshots"]] == ["available"], final
    assert {kind: names for kind, names in _left_of_the_stack().items() if names} == {}
