"""Local ECS: a service's tasks run as processes of its task definition's command, with its
environment and secrets; desired count followed; SIGTERM then SIGKILL after stopTimeout;
step scaling policies triggered by CloudWatch alarms on PutMetricData set the desired count."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.helpers import put_alarm

APP = Path(__file__).with_name("ecs_task_app.py")
CLUSTER = "local-cluster"


def wait(condition: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached after {timeout}s")
        time.sleep(0.1)


@pytest.fixture
def ecs(localaws: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    if os.environ.get("LOCALAWS_URL"):
        pytest.skip("local tasks need the in-process endpoint (LOCALAWS_URL points at another one)")
    monkeypatch.setenv("LOCALAWS_ECS_PYTHON", sys.executable)
    monkeypatch.setenv("LOCALAWS_ECS_LOG_DIR", str(tmp_path / "logs"))
    client = boto3.client("ecs")
    client.create_cluster(clusterName=CLUSTER)
    ec2 = boto3.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="tasks", Description="tasks", VpcId=vpc)["GroupId"]
    client.network = {"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group]}}
    return client


def task_definition(ecs: Any, out: Path, mode: str, stop_timeout: int, secrets: list[dict[str, str]]) -> str:
    container = {
        "name": "app",
        "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v1",
        "command": ["python", str(APP), str(out), mode],
        "environment": [
            {"name": "RECORD", "value": "APP_ENV,DB_PASSWORD,JWT_SECRET,AWS_ENDPOINT_URL"},
            {"name": "APP_ENV", "value": "test"},
        ],
        "secrets": secrets,
        "stopTimeout": stop_timeout,
        "essential": True,
    }
    return ecs.register_task_definition(
        family=f"app-{mode}",
        containerDefinitions=[container],
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
    )["taskDefinition"]["taskDefinitionArn"]


def service(ecs: Any, name: str, task_definition_arn: str, desired_count: int) -> None:
    ecs.create_service(
        cluster=CLUSTER,
        serviceName=name,
        taskDefinition=task_definition_arn,
        desiredCount=desired_count,
        launchType="FARGATE",
        networkConfiguration=ecs.network,
    )


def running(ecs: Any, name: str) -> int:
    return int(ecs.describe_services(cluster=CLUSTER, services=[name])["services"][0]["runningCount"])


def records(out: Path) -> dict[int, dict[str, Any]]:
    return {int(p.stem): json.loads(p.read_text()) for p in out.glob("*.json") if p.stat().st_size}


def test_tasks_follow_the_desired_count_with_env_secrets_and_graceful_stop(ecs: Any, localaws: str, tmp_path: Path):
    ssm = boto3.client("ssm")
    ssm.put_parameter(Name="/app/jwt", Value="jwt-value-1", Type="SecureString")
    secret = boto3.client("secretsmanager").create_secret(Name="db", SecretString='{"password": "pw-1"}')["ARN"]
    out = tmp_path / "graceful"
    out.mkdir()
    arn = task_definition(
        ecs,
        out,
        "graceful",
        10,
        [
            {"name": "JWT_SECRET", "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/app/jwt"},
            {"name": "DB_PASSWORD", "valueFrom": f"{secret}:password::"},
        ],
    )
    service(ecs, "svc", arn, 2)
    wait(lambda: running(ecs, "svc") == 2 and len(records(out)) == 2, what="2 running tasks")
    seen = records(out)
    assert all(
        r == {"APP_ENV": "test", "DB_PASSWORD": "pw-1", "JWT_SECRET": "jwt-value-1", "AWS_ENDPOINT_URL": localaws}
        for r in seen.values()
    )
    # the secret values are nowhere in the tasks' command lines
    for pid in seen:
        assert b"pw-1" not in Path(f"/proc/{pid}/cmdline").read_bytes()
    ecs.update_service(cluster=CLUSTER, service="svc", desiredCount=1)
    wait(lambda: running(ecs, "svc") == 1 and len(list(out.glob("*.term"))) == 1, what="one task stopped")
    stopped = int(next(out.glob("*.term")).stem)
    wait(lambda: not Path(f"/proc/{stopped}").exists(), what="the stopped task gone")
    events = [e["message"] for e in ecs.describe_services(cluster=CLUSTER, services=["svc"])["services"][0]["events"]]
    assert any("has stopped 1 running task" in m for m in events), events
    # a task that exits is replaced
    survivor = next(p for p in seen if p != stopped)
    os.kill(survivor, 9)
    wait(lambda: len(records(out)) == 3 and running(ecs, "svc") == 1, what="the killed task replaced")
    ecs.delete_service(cluster=CLUSTER, service="svc", force=True)
    wait(lambda: all(not Path(f"/proc/{p}").exists() for p in records(out)), what="tasks of a deleted service gone")


def test_a_task_that_ignores_sigterm_is_killed_after_its_stop_timeout(ecs: Any, tmp_path: Path):
    out = tmp_path / "stubborn"
    out.mkdir()
    service(ecs, "stubborn", task_definition(ecs, out, "stubborn", 2, []), 1)
    pid = next(iter(wait(lambda: records(out), what="a task")))
    ecs.update_service(cluster=CLUSTER, service="stubborn", desiredCount=0)
    wait((out / f"{pid}.term").exists, what="SIGTERM")
    termed = time.monotonic()
    wait(lambda: not Path(f"/proc/{pid}").exists() or " Z " in Path(f"/proc/{pid}/stat").read_text(), what="SIGKILL")
    assert 1.0 < time.monotonic() - termed < 10  # killed after stopTimeout (2 s), not at once


def test_step_scaling_on_a_queue_metric_moves_the_desired_count(ecs: Any, tmp_path: Path):
    out = tmp_path / "scaled"
    out.mkdir()
    service(ecs, "scaled", task_definition(ecs, out, "graceful", 5, []), 0)
    autoscaling = boto3.client("application-autoscaling")
    resource = f"service/{CLUSTER}/scaled"
    target = {"ServiceNamespace": "ecs", "ResourceId": resource, "ScalableDimension": "ecs:service:DesiredCount"}
    autoscaling.register_scalable_target(**target, MinCapacity=0, MaxCapacity=3)
    out_policy = autoscaling.put_scaling_policy(
        **target,
        PolicyName="out",
        PolicyType="StepScaling",
        StepScalingPolicyConfiguration={
            "AdjustmentType": "ExactCapacity",
            "StepAdjustments": [
                {"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 5, "ScalingAdjustment": 1},
                {"MetricIntervalLowerBound": 5, "ScalingAdjustment": 2},
            ],
        },
    )["PolicyARN"]
    in_policy = autoscaling.put_scaling_policy(
        **target,
        PolicyName="in",
        PolicyType="StepScaling",
        StepScalingPolicyConfiguration={
            "AdjustmentType": "ExactCapacity",
            "StepAdjustments": [{"MetricIntervalUpperBound": 0, "ScalingAdjustment": 0}],
        },
    )["PolicyARN"]
    cloudwatch = boto3.client("cloudwatch")
    metric = {"Namespace": "Test/Queue", "MetricName": "QueueDepth", "Dimensions": [{"Name": "Queue", "Value": "q"}]}
    for name, comparison, policy in (
        ("jobs", "GreaterThanThreshold", out_policy),
        ("idle", "LessThanOrEqualToThreshold", in_policy),
    ):
        put_alarm(
            name,
            **metric,
            Statistic="Maximum",
            Period=10,
            Threshold=0,
            ComparisonOperator=comparison,
            AlarmActions=[policy],
        )

    def put(value: float) -> None:
        cloudwatch.put_metric_data(
            Namespace=metric["Namespace"],
            MetricData=[
                {"MetricName": "QueueDepth", "Dimensions": metric["Dimensions"], "Value": value, "StorageResolution": 1}
            ],
        )

    def state(name: str) -> str:
        return str(cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["StateValue"])

    put(3)  # 3 - 0 in [0, 5): one task
    wait(lambda: running(ecs, "scaled") == 1, what="scaled out to 1")
    assert state("jobs") == "ALARM"
    put(20)  # the period's maximum is 20: two tasks, not more (MaxCapacity 3, the step says 2)
    wait(lambda: running(ecs, "scaled") == 2, what="scaled out to 2")
    time.sleep(11)  # a new period
    put(0)
    wait(lambda: running(ecs, "scaled") == 0, what="scaled in to 0")
    assert state("idle") == "ALARM" and state("jobs") == "OK"
    assert len(list(out.glob("*.term"))) == 2  # both stopped with SIGTERM
