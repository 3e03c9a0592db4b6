"""playbooks/verify.yml on the local stack: one converge, one verify of the fresh stack (every
check PASS or WARN, nothing written to AWS), then several independent things broken behind the
toolkit's back with boto3 and one more verify: each check FAILs naming its resource.

One converge for the whole file (module-scoped), two verify runs: the CI budget.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.conftest import AWS_TEST_ENV, reset_localaws
from tests.playbooks.helpers import PlaybookRun, run_playbook
from tools.localaws.client import calls, reset_calls

pytestmark = pytest.mark.slow

PREFIX = "invoice-local"


def by_check(run_dir: Path) -> dict[tuple[str, str], dict[str, str]]:
    report = json.loads((run_dir / "local-verify.json").read_text(encoding="utf-8"))
    return {(r["check"], r["resource"]): r for r in report["results"]}


@pytest.fixture(scope="module")
def stack(localaws_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    if os.environ.get("LOCALAWS_URL"):
        pytest.skip("serving needs the in-process endpoint (LOCALAWS_URL points at another one)")
    tmp = tmp_path_factory.mktemp("verify")
    with pytest.MonkeyPatch.context() as mp:
        reset_localaws(localaws_server)
        for key, value in AWS_TEST_ENV.items():
            mp.setenv(key, value)
        mp.setenv("AWS_ENDPOINT_URL", localaws_server)
        mp.delenv("AWS_PROFILE", raising=False)
        mp.setenv("LOCALAWS_APPRUNNER_COMMAND", shlex.join([sys.executable, "-m", "app", "serve"]))
        mp.setenv("LOCALAWS_APPRUNNER_LOG_DIR", str(tmp / "apprunner"))
        mp.setenv("FAKEDOCKER_STATE_DIR", str(tmp / "docker"))
        extra = {"platform_outputs_dir": str(tmp), "deploy_allow_dirty": True}
        try:
            converge = run_playbook("site.yml", extra_vars=extra, timeout=900)
            assert converge.rc == 0, converge.explain()
            fresh_dir = tmp / "fresh"
            fresh_dir.mkdir()
            reset_calls(localaws_server)
            # drift: the two tiers broken below (a check-mode run of every tier costs minutes;
            # the judge is the same whatever the tiers)
            checks = {**extra, "verify_outputs_dir": str(tmp), "verify_drift_extra_vars": extra}
            checks["verify_drift_tags"] = ["network", "storage"]
            fresh = run_playbook("playbooks/verify.yml", extra_vars=checks, timeout=600)
            fresh_calls = calls(localaws_server)
            (tmp / "local-verify.json").rename(fresh_dir / "local-verify.json")
            broken = break_things()
            broken_dir = tmp / "broken"
            broken_dir.mkdir()
            after = run_playbook("playbooks/verify.yml", extra_vars=checks, timeout=600)
            (tmp / "local-verify.json").rename(broken_dir / "local-verify.json")
            yield {
                "outputs": json.loads((tmp / "local.json").read_text(encoding="utf-8")),
                "fresh": fresh,
                "fresh_results": by_check(fresh_dir),
                "fresh_calls": fresh_calls,
                "broken": broken,
                "after": after,
                "after_results": by_check(broken_dir),
            }
        finally:
            reset_localaws(localaws_server)


def break_things() -> dict[str, str]:
    """Independent breakages, one per check, made as someone with console access would."""
    ec2 = boto3.client("ec2")
    groups = {
        g["GroupName"]: g["GroupId"]
        for g in ec2.describe_security_groups(
            Filters=[{"Name": "group-name", "Values": [f"{PREFIX}-database", f"{PREFIX}-apprunner-connector"]}]
        )["SecurityGroups"]
    }
    database_group = groups[f"{PREFIX}-database"]
    ec2.authorize_security_group_ingress(
        GroupId=database_group,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    s3 = boto3.client("s3")
    s3.put_bucket_versioning(Bucket=f"{PREFIX}-exports", VersioningConfiguration={"Status": "Suspended"})
    boto3.client("cloudwatch").delete_alarms(AlarmNames=[f"{PREFIX}-db-cpu"])
    boto3.client("iam").put_role_policy(
        RoleName=f"{PREFIX}-apprunner-instance",
        PolicyName="debugging",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        ),
    )
    rds = boto3.client("rds")
    (instance,) = rds.describe_db_instances(DBInstanceIdentifier=f"{PREFIX}-db")["DBInstances"]
    rds.modify_db_parameter_group(
        DBParameterGroupName=instance["DBParameterGroups"][0]["DBParameterGroupName"],
        Parameters=[{"ParameterName": "rds.force_ssl", "ParameterValue": "0", "ApplyMethod": "immediate"}],
    )
    # (the local endpoint writes no App Runner or RDS logs: the worker's group is the one there)
    boto3.client("logs").delete_retention_policy(logGroupName=f"/ecs/{PREFIX}-worker")
    return {"database_group": database_group}


def test_a_fresh_stack_passes(stack: dict[str, Any]) -> None:
    fresh: PlaybookRun = stack["fresh"]
    results = stack["fresh_results"]
    assert fresh.rc == 0, (
        fresh.explain()
        + "\n"
        + "\n".join(
            f"{r['status']} {r['check']} {r['resource']}: {r['evidence']}"
            for r in results.values()
            if r["status"] == "FAIL"
        )
    )
    statuses = {r["status"] for r in results.values()}
    assert "FAIL" not in statuses
    checks = {check for check, _ in results}
    for expected in (
        "tls.certificate",
        "tls.cloudfront_https",
        "tls.database_ssl",
        "network.database_ingress",
        "network.open_ingress",
        "network.database_private",
        "iam.least_privilege",
        "secrets.by_reference",
        "secrets.plain_environment",
        "secrets.encryption",
        "storage.bucket",
        "monitoring.alarm",
        "monitoring.subscription",
        "monitoring.log_retention",
        "backups.retention",
        "backups.latest_snapshot",
        "backups.drill",
        "performance.api_p95",
        "performance.web_first_load",
        "drift",
    ):
        assert expected in checks, (expected, sorted(checks))
    assert results[("drift", "check-mode run")]["status"] == "PASS"
    # the web UI through the local CloudFront: the loopback URL of the distribution (issue 15)
    web = results[("performance.web_first_load", stack["outputs"]["cdn"]["local_url"])]
    assert web["status"] == "PASS", web
    assert " assets in " in web["evidence"]
    assert "Show the checklist" in [t["name"].split(" : ")[-1] for t in fresh.tasks()]


def test_verify_writes_nothing_to_aws(stack: dict[str, Any]) -> None:
    mutating = [f"{c['service']}.{c['operation']}" for c in stack["fresh_calls"] if c["mutating"]]
    # the API and the worker publish their queue metric on their own meanwhile
    assert [m for m in mutating if m != "cloudwatch.PutMetricData"] == []


@pytest.mark.parametrize(
    ("check", "resource", "evidence"),
    [
        ("network.database_ingress", "{database_group} (invoice-local-database)", "tcp 5432-5432 from 0.0.0.0/0"),
        ("network.open_ingress", "{database_group} (invoice-local-database)", "open to the internet"),
        ("storage.bucket", "invoice-local-exports", "versioning Suspended"),
        ("monitoring.alarm", "invoice-local-db-cpu", "missing"),
        ("iam.least_privilege", "invoice-local-apprunner-instance", "debugging statement 0: Action *"),
        ("tls.database_ssl", "invoice-local-db", "rds.force_ssl = '0'"),
        ("monitoring.log_retention", "/ecs/invoice-local-worker", "never expires"),
    ],
)
def test_each_breakage_fails_naming_the_resource(
    stack: dict[str, Any], check: str, resource: str, evidence: str
) -> None:
    resource = resource.format(**stack["broken"])
    found = stack["after_results"].get((check, resource))
    assert found is not None, sorted(k for k in stack["after_results"] if k[0] == check)
    assert found["status"] == "FAIL", found
    assert evidence in found["evidence"], found
    assert stack["fresh_results"].get((check, resource), {"status": "PASS"})["status"] != "FAIL"


def test_drift_names_the_task_and_the_field(stack: dict[str, Any]) -> None:
    drift = {resource.split(" : ")[0]: r for (check, resource), r in stack["after_results"].items() if check == "drift"}
    assert set(drift) == {"invoice.platform.network", "invoice.platform.storage"}, drift
    assert all(r["status"] == "FAIL" for r in drift.values()), drift
    assert (
        'invoice-local-exports: versioning: "Suspended" -> "Enabled"' in drift["invoice.platform.storage"]["evidence"]
    )
    network = drift["invoice.platform.network"]["evidence"]
    assert "security_groups.invoice-local-database.ingress" in network and "0.0.0.0/0" in network, network


def test_any_fail_fails_the_run(stack: dict[str, Any]) -> None:
    after: PlaybookRun = stack["after"]
    assert after.rc != 0
    message = " ".join(after.failure_messages())
    assert "checks FAILED" in message and "invoice-local-exports storage.bucket" in message, message
