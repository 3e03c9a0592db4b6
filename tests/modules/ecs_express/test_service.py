"""ecs_express_service and ecs_express_service_info, in-process, against the local endpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.localaws.test_apprunner_serving import APP, fetch, serve_with
from tests.modules.ecs_express.conftest import Run
from tools.localaws import client as calllog

ACCOUNT = "123456789012"
IMAGE = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/invoice-api"
SERVICE = {
    "name": "invoice-api",
    "image": f"{IMAGE}:1",
    "port": 8000,
    "health_check_path": "/health",
    "environment": {"APP_ENV": "test", "RELEASE": "1"},
    "execution_role_arn": f"arn:aws:iam::{ACCOUNT}:role/invoice-ecs-execution",
    "infrastructure_role_arn": f"arn:aws:iam::{ACCOUNT}:role/invoice-ecs-infrastructure",
    "min_tasks": 1,
    "max_tasks": 3,
    "tags": {"project": "invoice"},
}
READS = [("ecs", "DescribeServices", False), ("ecs", "DescribeExpressGatewayService", False)]


def calls(url: str) -> list[tuple[str, str, bool]]:
    return [(c["service"], c["operation"], c["mutating"]) for c in calllog.calls(url)]


def rollout(arn: str) -> list[tuple[str, str]]:
    ecs = boto3.client("ecs")
    (service,) = ecs.describe_services(cluster="default", services=[arn])["services"]
    return [(d["status"], d["rolloutState"]) for d in service["deployments"]]


def test_check_apply_check_apply_then_update_with_diff(localaws: str, express: Run, express_info: Run) -> None:
    calllog.reset_calls(localaws)
    planned = express(SERVICE, check=True, diff=True)
    assert planned["changed"] is True
    assert planned["diff"] == {
        "before": {},
        "after": {k: v for k, v in SERVICE.items() if k not in ("name", "infrastructure_role_arn")},
    }
    assert not [c for c in calls(localaws) if c[2]], "check mode made a mutating call"
    assert express_info({"name": "invoice-api"})["services"] == []

    created = express(SERVICE)
    assert created["changed"] is True
    service = created["service"]
    assert service["status"] == {"status_code": "ACTIVE"}
    assert service["tags"] == {"project": "invoice"}
    assert service["service_url"].endswith(".ecs.us-east-1.on.aws")
    (config,) = service["active_configurations"]
    assert config["primary_container"]["environment"] == [
        {"name": "APP_ENV", "value": "test"},
        {"name": "RELEASE", "value": "1"},
    ]
    assert config["scaling_target"]["max_task_count"] == 3
    assert rollout(service["service_arn"]) == [("PRIMARY", "COMPLETED")], "the module waited for the deployment"

    calllog.reset_calls(localaws)
    assert express(SERVICE, check=True)["changed"] is False
    again = express(SERVICE)
    assert (again["changed"], again["changes"]) == (False, [])
    assert calls(localaws) == READS + READS, "a converged service costs two reads a run, nothing else"

    # An update: the diff names only what changes; check mode changes nothing; apply deploys and waits.
    update = {**SERVICE, "image": f"{IMAGE}:2", "environment": {"APP_ENV": "test", "RELEASE": "2"}}
    calllog.reset_calls(localaws)
    plan = express(update, check=True, diff=True)
    assert plan["changes"] == ["image", "environment"]
    before, after = plan["diff"]["before"], plan["diff"]["after"]
    assert {k for k in after if after[k] != before.get(k)} == {"image", "environment"}
    assert (before["image"], after["image"]) == (f"{IMAGE}:1", f"{IMAGE}:2")
    assert not [c for c in calls(localaws) if c[2]]
    applied = express(update)
    assert applied["changed"] is True
    assert applied["deployment"] != created["deployment"]
    (config,) = applied["service"]["active_configurations"]
    assert config["primary_container"]["image"] == f"{IMAGE}:2"
    assert config["health_check_path"] == "/health"  # not in the update: kept
    assert rollout(applied["service"]["service_arn"]) == [("PRIMARY", "COMPLETED")]
    (listed,) = express_info({})["services"]
    assert listed["service_url"] == service["service_url"]


def test_tags_are_purged_and_only_tag_calls_change_them(localaws: str, express: Run) -> None:
    express(SERVICE)
    calllog.reset_calls(localaws)
    retagged = express({**SERVICE, "tags": {"owner": "ops"}}, diff=True)
    assert retagged["changes"] == ["tags"]
    assert retagged["diff"]["before"]["tags"] == {"project": "invoice"}
    assert retagged["service"]["tags"] == {"owner": "ops"}
    mutating = [c[1] for c in calls(localaws) if c[2]]
    assert mutating == ["UntagResource", "TagResource"], "tags change without a deployment"
    kept = express({**SERVICE, "tags": {"extra": "1"}, "purge_tags": False})
    assert kept["service"]["tags"] == {"owner": "ops", "extra": "1"}


def test_a_rolled_back_deployment_fails_the_task(
    localaws: str, express: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    serve_with(monkeypatch, tmp_path, str(APP), "$PORT", "RELEASE")
    created = express(SERVICE)
    url = created["service"]["service_url"]
    assert fetch(url) == {"RELEASE": "1"}

    serve_with(monkeypatch, tmp_path, "-c", "raise SystemExit(3)")  # the new tasks exit: health checks fail
    failed = express({**SERVICE, "environment": {"APP_ENV": "test", "RELEASE": "2"}})
    assert failed.get("failed") is True
    assert f"The deployment of ECS Express service {created['service']['service_arn']} was rolled back" in failed["msg"]
    assert "failed health checks" in failed["msg"]
    assert fetch(url) == {"RELEASE": "1"}, "the previous revision still serves"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"min_tasks": 4, "max_tasks": 2}, "min_tasks (4) must not be greater than max_tasks (2)"),
        ({"health_check_path": "health"}, "health_check_path must start with '/', got 'health'"),
        ({"port": 70000}, "port must be between 1 and 65535, got 70000"),
        ({"log_group": "/invoice/api"}, "parameters are required together: log_group, log_stream_prefix"),
    ],
)
def test_bad_options_fail_before_any_call(localaws: str, express: Run, options: dict[str, Any], message: str) -> None:
    calllog.reset_calls(localaws)
    result = express({**SERVICE, **options})
    assert result["failed"] is True
    assert message in result["msg"]
    assert calllog.calls(localaws) == []


def test_what_cannot_be_done_fails_after_reads_only(localaws: str, express: Run) -> None:
    calllog.reset_calls(localaws)
    missing = express({"name": "invoice-api", "image": f"{IMAGE}:1"})
    assert missing["msg"] == (
        "ECS Express service invoice-api does not exist: execution_role_arn, infrastructure_role_arn are needed to "
        "create it"
    )
    express(SERVICE)
    calllog.reset_calls(localaws)
    moved = express({**SERVICE, "infrastructure_role_arn": f"arn:aws:iam::{ACCOUNT}:role/other"})
    assert "ECS sets it at creation only" in moved["msg"]
    assert calls(localaws) == READS


def test_delete_check_apply_again(localaws: str, express: Run, express_info: Run) -> None:
    express(SERVICE)
    absent = {"name": "invoice-api", "state": "absent"}
    calllog.reset_calls(localaws)
    assert express(absent, check=True)["changed"] is True
    assert not [c for c in calls(localaws) if c[2]]
    deleted = express(absent)
    assert (deleted["changed"], "service" in deleted) == (True, False)
    assert express_info({})["services"] == []
    assert boto3.client("elbv2").describe_load_balancers()["LoadBalancers"] == []
    assert express(absent)["changed"] is False
