"""ECS Express Mode on the local endpoint, through plain boto3: states, errors, managed resources, serving."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.localaws.conftest import POLL_TIMEOUT, client
from tests.localaws.test_apprunner_serving import APP, fetch, refused, serve_with

ACCOUNT = "123456789012"
EXECUTION_ROLE = f"arn:aws:iam::{ACCOUNT}:role/ecsTaskExecutionRole"
INFRASTRUCTURE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/ecsInfrastructureRoleForExpressServices"
IMAGE = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/invoice-api:v1"


@pytest.fixture
def ecs(localaws: str) -> Any:
    return client("ecs")


@pytest.fixture
def ecs_unchecked(localaws: str) -> Any:
    """An ECS client whose requests botocore does not validate."""
    return client("ecs", checked=False)


def create(ecs: Any, name: str = "invoice-api", **extra: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "serviceName": name,
        "executionRoleArn": EXECUTION_ROLE,
        "infrastructureRoleArn": INFRASTRUCTURE_ROLE,
        "primaryContainer": {"image": IMAGE, "containerPort": 8000},
        "healthCheckPath": "/health",
        **extra,
    }
    return dict(ecs.create_express_gateway_service(**params)["service"])


def ecs_service(ecs: Any, arn: str) -> dict[str, Any]:
    return dict(ecs.describe_services(cluster=arn.split("/")[1], services=[arn])["services"][0])


def until(check: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + POLL_TIMEOUT
    while not (result := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not after {POLL_TIMEOUT}s")
        time.sleep(0.05)
    return result


def rolled_out(ecs: Any, arn: str) -> dict[str, Any]:
    """The ECS service once its PRIMARY deployment is no longer IN_PROGRESS."""
    return until(
        lambda: (s := ecs_service(ecs, arn))["deployments"][0]["rolloutState"] != "IN_PROGRESS" and s,
        f"deployment of {arn}",
    )


def error(call: Callable[[], Any]) -> tuple[str, str]:
    with pytest.raises(ClientError) as exc:
        call()
    return exc.value.response["Error"]["Code"], exc.value.response["Error"]["Message"]


def test_create_provisions_what_aws_creates(ecs: Any) -> None:
    service = create(
        ecs,
        tags=[{"key": "env", "value": "test"}],
        scalingTarget={
            "minTaskCount": 2,
            "maxTaskCount": 4,
            "autoScalingMetric": "REQUEST_COUNT_PER_TARGET",
            "autoScalingTargetValue": 100,
        },
    )
    arn = service["serviceArn"]
    assert arn == f"arn:aws:ecs:us-east-1:{ACCOUNT}:service/default/invoice-api"
    assert service["status"] == {"statusCode": "ACTIVE"}
    assert service["cluster"] == f"arn:aws:ecs:us-east-1:{ACCOUNT}:cluster/default"  # created: none was named
    assert service["currentDeployment"].startswith(f"arn:aws:ecs:us-east-1:{ACCOUNT}:service-deployment/default/")
    (config,) = service["activeConfigurations"]
    assert (config["cpu"], config["memory"], config["cpuArchitecture"]) == ("256", "512", "X86_64")
    assert config["scalingTarget"] == {
        "minTaskCount": 2,
        "maxTaskCount": 4,
        "autoScalingMetric": "REQUEST_COUNT_PER_TARGET",
        "autoScalingTargetValue": 100,
    }
    (ingress,) = config["ingressPaths"]
    assert ingress["accessType"] == "PUBLIC"
    assert ingress["endpoint"].endswith(".ecs.us-east-1.on.aws")

    # The ECS service: FARGATE behind the target group, its first deployment rolling out, then done.
    first = ecs_service(ecs, arn)
    assert (first["status"], first["launchType"], first["desiredCount"]) == ("ACTIVE", "FARGATE", 2)
    assert first["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    done = rolled_out(ecs, arn)
    assert [(d["status"], d["rolloutState"], d["runningCount"]) for d in done["deployments"]] == [
        ("PRIMARY", "COMPLETED", 2)
    ]
    definition = ecs.describe_task_definition(taskDefinition=config["taskDefinitionArn"])["taskDefinition"]
    (container,) = definition["containerDefinitions"]
    assert (container["name"], container["image"], container["portMappings"][0]["containerPort"]) == (
        "Main",
        IMAGE,
        8000,
    )
    assert definition["requiresCompatibilities"] == ["FARGATE"]
    log_group = container["logConfiguration"]["options"]["awslogs-group"]
    assert boto3.client("logs").describe_log_groups(logGroupNamePrefix=log_group)["logGroups"]

    # The load balancer: HTTPS on 443 with an ACM certificate, a host rule to the target group.
    elbv2 = boto3.client("elbv2")
    (binding,) = done["loadBalancers"]
    (group,) = elbv2.describe_target_groups(TargetGroupArns=[binding["targetGroupArn"]])["TargetGroups"]
    assert (group["Protocol"], group["Port"], group["TargetType"], group["HealthCheckPath"]) == (
        "HTTP",
        8000,
        "ip",
        "/health",
    )
    (balancer,) = elbv2.describe_load_balancers(LoadBalancerArns=group["LoadBalancerArns"])["LoadBalancers"]
    assert (balancer["Type"], balancer["Scheme"]) == ("application", "internet-facing")
    (listener,) = elbv2.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]
    assert (listener["Protocol"], listener["Port"]) == ("HTTPS", 443)
    certificate = listener["Certificates"][0]["CertificateArn"]
    assert (
        boto3.client("acm").describe_certificate(CertificateArn=certificate)["Certificate"]["DomainName"]
        == (ingress["endpoint"])
    )
    rules = elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
    (rule,) = [r for r in rules if not r["IsDefault"]]
    assert rule["Conditions"][0]["Values"] == [ingress["endpoint"]]
    assert rule["Actions"][0]["TargetGroupArn"] == group["TargetGroupArn"]

    # Security groups: the balancer's takes 443 from anywhere, the tasks' only the container port from it.
    ec2 = boto3.client("ec2")
    (lb_group,) = ec2.describe_security_groups(GroupIds=balancer["SecurityGroups"])["SecurityGroups"]
    assert [(p["FromPort"], p["IpRanges"][0]["CidrIp"]) for p in lb_group["IpPermissions"]] == [(443, "0.0.0.0/0")]
    task_groups = done["deployments"][0].get("networkConfiguration") or done["networkConfiguration"]
    (task_group,) = ec2.describe_security_groups(GroupIds=task_groups["awsvpcConfiguration"]["securityGroups"])[
        "SecurityGroups"
    ]
    (permission,) = task_group["IpPermissions"]
    assert (permission["FromPort"], permission["UserIdGroupPairs"][0]["GroupId"]) == (8000, lb_group["GroupId"])

    # Application Auto Scaling: the target (min/max) and the target-tracking policy on requests per target.
    autoscaling = boto3.client("application-autoscaling")
    (target,) = autoscaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]
    assert (target["ResourceId"], target["MinCapacity"], target["MaxCapacity"]) == (
        "service/default/invoice-api",
        2,
        4,
    )
    (policy,) = autoscaling.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"]
    tracking = policy["TargetTrackingScalingPolicyConfiguration"]
    assert (policy["PolicyType"], tracking["TargetValue"]) == ("TargetTrackingScaling", 100.0)
    assert tracking["PredefinedMetricSpecification"]["PredefinedMetricType"] == "ALBRequestCountPerTarget"

    # Tags only when asked for.
    assert "tags" not in ecs.describe_express_gateway_service(serviceArn=arn)["service"]
    tagged = ecs.describe_express_gateway_service(serviceArn=arn, include=["TAGS"])["service"]
    assert tagged["tags"] == [{"key": "env", "value": "test"}]


def test_update_is_a_canary_and_delete_drains(ecs: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    arn = create(ecs)["serviceArn"]
    before = rolled_out(ecs, arn)
    old_definition = before["taskDefinition"]
    monkeypatch.setenv("LOCALAWS_ECS_EXPRESS_DELAY", "2.5")  # long enough to look at the canary mid-way

    updated = ecs.update_express_gateway_service(
        serviceArn=arn, primaryContainer={"image": f"{IMAGE[:-2]}v2", "containerPort": 8000}, cpu="512", memory="1024"
    )["service"]
    assert updated["targetConfiguration"]["primaryContainer"]["image"].endswith(":v2")
    assert updated["targetConfiguration"]["healthCheckPath"] == "/health"  # kept: not in the update
    during = ecs.describe_express_gateway_service(serviceArn=arn)["service"]
    assert [c["primaryContainer"]["image"][-2:] for c in during["activeConfigurations"]] == ["v2", "v1"]
    rolling = ecs_service(ecs, arn)["deployments"]
    assert [(d["status"], d["rolloutState"]) for d in rolling] == [("PRIMARY", "IN_PROGRESS"), ("ACTIVE", "COMPLETED")]
    assert rolling[1]["taskDefinition"] == old_definition
    monkeypatch.setenv("LOCALAWS_ECS_EXPRESS_DELAY", "0.5")  # the drain on delete

    after = rolled_out(ecs, arn)
    assert [(d["status"], d["rolloutState"]) for d in after["deployments"]] == [("PRIMARY", "COMPLETED")]
    assert after["taskDefinition"] != old_definition
    (config,) = ecs.describe_express_gateway_service(serviceArn=arn)["service"]["activeConfigurations"]
    assert (config["cpu"], config["memory"], config["primaryContainer"]["image"][-2:]) == ("512", "1024", "v2")

    deleted = ecs.delete_express_gateway_service(serviceArn=arn)["service"]
    assert deleted["status"]["statusCode"] == "DRAINING"
    assert ecs_service(ecs, arn)["status"] == "DRAINING"
    inactive = until(
        lambda: (
            (s := ecs.describe_express_gateway_service(serviceArn=arn)["service"])["status"]["statusCode"] == "INACTIVE"
            and s
        ),
        "INACTIVE",
    )
    assert inactive["serviceArn"] == arn
    assert ecs_service(ecs, arn)["status"] == "INACTIVE"
    assert boto3.client("elbv2").describe_load_balancers()["LoadBalancers"] == []
    assert (
        boto3.client("application-autoscaling").describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]
        == []
    )
    assert error(lambda: ecs.update_express_gateway_service(serviceArn=arn, cpu="512")) == (
        "ServiceNotActiveException",
        "Service was not ACTIVE.",
    )
    assert error(lambda: ecs.delete_express_gateway_service(serviceArn=arn))[0] == "ServiceNotActiveException"
    assert create(ecs)["status"]["statusCode"] == "ACTIVE"  # the name is free again


def test_unknown_services_and_clusters(ecs: Any) -> None:
    missing = f"arn:aws:ecs:us-east-1:{ACCOUNT}:service/default/nope"
    assert error(lambda: ecs.describe_express_gateway_service(serviceArn=missing)) == (
        "ResourceNotFoundException",
        f"The Express service {missing} does not exist.",
    )
    assert error(lambda: ecs.update_express_gateway_service(serviceArn=missing, cpu="512")) == (
        "ServiceNotFoundException",
        "Service not found.",
    )
    assert error(lambda: ecs.delete_express_gateway_service(serviceArn=missing)) == (
        "ServiceNotFoundException",
        "Service not found.",
    )
    assert error(lambda: create(ecs, cluster="no-such-cluster")) == ("ClusterNotFoundException", "Cluster not found.")


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        (
            {"cpuArchitecture": "SPARC"},
            "InvalidParameterException",
            "1 validation error detected: Value 'SPARC' at 'cpuArchitecture' failed to satisfy constraint: "
            "Member must satisfy enum value set: [X86_64, ARM64]",
        ),
        (
            {"infrastructureRoleArn": None, "scalingTarget": {"minTaskCount": "two"}},
            "InvalidParameterException",
            "2 validation errors detected: Value null at 'infrastructureRoleArn' failed to satisfy constraint: "
            "Member must not be null; Value 'two' at 'scalingTarget.minTaskCount' failed to satisfy constraint: "
            "Member must be an integer",
        ),
        (
            {"cpu": "256", "memory": "4096"},
            "ClientException",
            "No Fargate configuration exists for given values: 256 CPU, 4096 memory. "
            "See the Amazon ECS documentation for the valid values.",
        ),
        (
            {"scalingTarget": {"minTaskCount": 5, "maxTaskCount": 2}},
            "InvalidParameterException",
            "scalingTarget: minTaskCount (5) must be less than or equal to maxTaskCount (2).",
        ),
        (
            {"healthCheckPath": "health"},
            "InvalidParameterException",
            "healthCheckPath must start with a forward slash (/), got 'health'.",
        ),
        (
            {"taskDefinitionArn": f"arn:aws:ecs:us-east-1:{ACCOUNT}:task-definition/mine:1"},
            "InvalidParameterException",
            "taskDefinitionArn can't be specified together with primaryContainer, executionRoleArn.",
        ),
        (
            {"serviceName": "invoice api"},
            "InvalidParameterException",
            "serviceName can contain up to 255 letters (uppercase and lowercase), numbers, underscores, and "
            "hyphens, got 'invoice api'.",
        ),
        (
            {"networkConfiguration": {"subnets": ["subnet-00000000"]}},
            "InvalidParameterException",
            "networkConfiguration.subnets: The subnet ID 'subnet-00000000' does not exist",
        ),
    ],
)
def test_invalid_values_are_refused_before_anything_is_created(
    ecs_unchecked: Any, extra: dict[str, Any], code: str, message: str
) -> None:
    params = {k: v for k, v in extra.items() if v is not None}
    if extra.get("infrastructureRoleArn", "") is None:
        params["infrastructureRoleArn"] = None
    assert error(lambda: create(ecs_unchecked, **params)) == (code, message)
    assert boto3.client("elbv2").describe_load_balancers()["LoadBalancers"] == []
    assert ecs_unchecked.list_clusters()["clusterArns"] == []  # not even the default cluster


def test_a_second_create_of_the_same_name_is_refused(ecs: Any) -> None:
    create(ecs)
    assert error(lambda: create(ecs)) == ("InvalidParameterException", "Creation of service was not idempotent.")


def test_served_url_answers_and_a_failed_canary_rolls_back(
    localaws: str, ecs: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    serve_with(monkeypatch, tmp_path, str(APP), "$PORT", "APP_ENV", "DB_PASSWORD", "RELEASE")
    parameter = "/invoice/test/db-password"
    boto3.client("ssm").put_parameter(Name=parameter, Value="local-only-password", Type="SecureString")

    def container(release: str) -> dict[str, Any]:
        return {
            "image": IMAGE,
            "containerPort": 8000,
            "environment": [{"name": "APP_ENV", "value": "test"}, {"name": "RELEASE", "value": release}],
            "secrets": [{"name": "DB_PASSWORD", "valueFrom": f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter{parameter}"}],
        }

    service = create(ecs, primaryContainer=container("1"))
    arn = service["serviceArn"]
    url = service["activeConfigurations"][0]["ingressPaths"][0]["endpoint"]
    assert url.startswith("127.0.0.1:")
    assert rolled_out(ecs, arn)["deployments"][0]["rolloutState"] == "COMPLETED"
    assert fetch(url) == {"APP_ENV": "test", "DB_PASSWORD": "local-only-password", "RELEASE": "1"}

    # The canary: once healthy the new revision answers 5% of the requests, then all of them, on the same URL.
    monkeypatch.setenv("LOCALAWS_ECS_EXPRESS_DELAY", "4")

    def canary_share() -> list[str] | None:
        ecs.describe_express_gateway_service(serviceArn=arn)  # a request settles the deployment's state
        releases = [fetch(url)["RELEASE"] for _ in range(20)]
        return releases if "2" in releases else None

    ecs.update_express_gateway_service(serviceArn=arn, primaryContainer=container("2"))
    releases = until(canary_share, "the canary's share of the traffic")
    assert sorted(releases) == ["1"] * 19 + ["2"]
    assert ecs_service(ecs, arn)["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    monkeypatch.setenv("LOCALAWS_ECS_EXPRESS_DELAY", "0.5")
    rolled_out(ecs, arn)
    assert {fetch(url)["RELEASE"] for _ in range(20)} == {"2"}

    # New tasks that fail their health check: rolled back, the old revision keeps serving.
    serve_with(monkeypatch, tmp_path, "-c", "raise SystemExit(3)")
    ecs.update_express_gateway_service(serviceArn=arn, primaryContainer=container("3"))
    failed = rolled_out(ecs, arn)
    primary, rolled_back = failed["deployments"]
    assert (primary["status"], primary["rolloutState"]) == ("PRIMARY", "COMPLETED")
    assert (rolled_back["status"], rolled_back["rolloutState"]) == ("INACTIVE", "FAILED")
    assert "rolled back" in rolled_back["rolloutStateReason"]
    (active,) = ecs.describe_express_gateway_service(serviceArn=arn)["service"]["activeConfigurations"]
    assert active["primaryContainer"]["environment"][1] == {"name": "RELEASE", "value": "2"}
    assert fetch(url)["RELEASE"] == "2"

    # Delete drains: the URL answers until the service is INACTIVE, then nothing does.
    ecs.delete_express_gateway_service(serviceArn=arn)
    assert fetch(url)["RELEASE"] == "2"
    until(
        lambda: ecs.describe_express_gateway_service(serviceArn=arn)["service"]["status"]["statusCode"] == "INACTIVE",
        "INACTIVE",
    )
    assert refused(url)


def test_the_ecs_task_supervisor_leaves_express_services_alone(ecs: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """With LOCALAWS_ECS_PYTHON set the supervisor runs ECS services' tasks, but not an Express service's."""
    from tools.localaws.ecs.tasks import SUPERVISOR

    monkeypatch.setenv("LOCALAWS_ECS_PYTHON", "python3")
    arn = create(ecs, primaryContainer={"image": IMAGE, "containerPort": 8000, "command": ["python3", "-V"]})[
        "serviceArn"
    ]
    rolled_out(ecs, arn)
    SUPERVISOR.reconcile_all()
    assert SUPERVISOR.tasks_of(arn) == []
    service = ecs_service(ecs, arn)
    assert (service["runningCount"], service["deployments"][0]["rolloutState"]) == (1, "COMPLETED")
    assert not [e for e in service["events"] if "task" in e["message"]]
