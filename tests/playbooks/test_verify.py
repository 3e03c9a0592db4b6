"""playbooks/verify.yml on the local stack: one converge, one verify of the fresh stack (every
check PASS or WARN, nothing written to AWS), then several independent things broken behind the
toolkit's back with boto3 and one more verify: each check FAILs naming its resource.

The upload probe: not configured on the fresh run (WARN skipped); a probe user created on the
local database, with a wrong password on the broken run (FAIL naming the sign-in), then a third
run of the performance checks alone with the right password read from SSM (PASS, and nothing
left behind: the invoice list and the files bucket as before).

One converge for the whole file (module-scoped), three verify runs: the CI budget.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.conftest import AWS_TEST_ENV, reset_localaws
from tests.helpers import require_in_process_endpoint
from tests.playbooks.helpers import PlaybookRun, run_playbook
from tools.localaws.client import calls, reset_calls

pytestmark = pytest.mark.slow

PREFIX = "invoice-local"
PROBE_EMAIL = "verify-probe@example.test"
PROBE_PASSWORD = "probe-password-not-a-secret-9"
PROBE_PARAMETER = "/verify-probe/password"
ROOT = Path(__file__).resolve().parents[2]


def by_check(run_dir: Path) -> dict[tuple[str, str], dict[str, str]]:
    report = json.loads((run_dir / "local-verify.json").read_text(encoding="utf-8"))
    return {(r["check"], r["resource"]): r for r in report["results"]}


@pytest.fixture(scope="module")
def stack(localaws_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    require_in_process_endpoint()
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
            create_probe_user(localaws_server, tmp)
            broken = break_things()
            broken_dir = tmp / "broken"
            broken_dir.mkdir()
            after = run_playbook(
                "playbooks/verify.yml",
                extra_vars={**checks, "verify_probe_user_email": PROBE_EMAIL},
                env={"VERIFY_PROBE_PASSWORD": "not-the-password"},
                timeout=600,
            )
            (tmp / "local-verify.json").rename(broken_dir / "local-verify.json")
            # the upload probe with the right password, from SSM: the performance checks alone
            api_url = json.loads((tmp / "local.json").read_text(encoding="utf-8"))["service"]["service_url"]
            boto3.client("ssm").put_parameter(Name=PROBE_PARAMETER, Value=PROBE_PASSWORD, Type="SecureString")
            before = leftovers(api_url)
            probe = run_playbook(
                "playbooks/verify.yml",
                extra_vars={
                    **extra,
                    "verify_outputs_dir": str(tmp),
                    "verify_checks": ["performance"],
                    "verify_probe_user_email": PROBE_EMAIL,
                    "verify_probe_password_parameter": PROBE_PARAMETER,
                },
                timeout=600,
            )
            probe_dir = tmp / "probe"
            probe_dir.mkdir()
            (tmp / "local-verify.json").rename(probe_dir / "local-verify.json")
            yield {
                "probe": probe,
                "probe_results": by_check(probe_dir),
                "probe_before": before,
                "probe_after": leftovers(api_url),
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


def create_probe_user(endpoint: str, outputs_dir: Path) -> None:
    """A reviewer on the stack's database, as an operator makes one (app create-user, the password on stdin)."""
    done = subprocess.run(
        [
            sys.executable,
            *("-m", "tools.localaws.rds.dbenv", "local", "--endpoint", endpoint, "--outputs-dir", str(outputs_dir)),
            *("--", sys.executable, "-m", "app", "create-user", "--email", PROBE_EMAIL, "--role", "reviewer"),
            "--password-stdin",
        ],
        input=PROBE_PASSWORD + "\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def leftovers(api_url: str) -> dict[str, Any]:
    """What the probe could leave: the invoices the API lists and the files bucket's objects."""
    login = urllib.request.Request(
        api_url + "/api/auth/login",
        data=json.dumps({"email": PROBE_EMAIL, "password": PROBE_PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(login, timeout=10) as response:
        token = json.loads(response.read())["token"]
    listing = urllib.request.Request(api_url + "/api/invoices?limit=100", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(listing, timeout=10) as response:
        invoices = json.loads(response.read())["invoices"]
    objects = boto3.client("s3").list_objects_v2(Bucket=f"{PREFIX}-files").get("Contents", [])
    return {
        "invoices": sorted(i["invoice_number"] or "" for i in invoices),
        "objects": sorted(o["Key"] for o in objects),
    }


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


def test_the_upload_probe_is_skipped_when_not_configured(stack: dict[str, Any]) -> None:
    upload = stack["fresh_results"][("performance.upload", "upload and extraction")]
    assert upload["status"] == "WARN", upload
    assert upload["evidence"].startswith("skipped: no probe user configured (set verify_probe_user_email"), upload


def test_the_upload_probe_passes_and_leaves_nothing(stack: dict[str, Any]) -> None:
    probe: PlaybookRun = stack["probe"]
    results = stack["probe_results"]
    assert probe.rc == 0, probe.explain()
    upload = results[("performance.upload", "upload and extraction")]
    assert upload["status"] == "PASS", upload
    assert re.fullmatch(
        r"invoice [0-9a-f-]{36}: upload \d+ ms, extraction \d+\.\d s; "
        r"invoice_number VERIFY-PROBE-\d{14}-[0-9a-f]{8}, total_amount 11\.00 extracted",
        upload["evidence"],
    ), upload
    # the cleanup found nothing left over (it reports only what it had to delete)
    assert [r for r in results.values() if r["resource"].endswith("(cleanup)")] == []
    # deleted through the API: no probe invoice in the list, no new object in the files bucket
    assert stack["probe_after"] == stack["probe_before"]
    assert not any(n.startswith("VERIFY-PROBE-") for n in stack["probe_after"]["invoices"])
    assert PROBE_PASSWORD not in probe.stdout + probe.stderr


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
        ("performance.upload", "upload and extraction", "sign-in refused: HTTP 401"),
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
