"""invoice.platform.ecs_autoscaled_service: helpers without AWS, then plan/create/no-op/change on the local endpoint.

The point of the module: once the service exists, its desired count belongs to Application
Auto Scaling. A count moved between two runs stays where it is, and the second run reports
no change and makes no mutating call.
"""

from __future__ import annotations

from functools import partial

import boto3
import pytest

from tests.modules.helpers import module_task, run_tasks
from tools.localaws import client as calllog

MODULE = "invoice.platform.ecs_autoscaled_service"
task = partial(module_task, MODULE)


def test_settings_compare_arns_and_order_as_aws_answers() -> None:
    from ansible_collections.invoice.platform.plugins.module_utils._diff import view_diff
    from ansible_collections.invoice.platform.plugins.modules.ecs_autoscaled_service import (
        current_settings,
        wanted_settings,
    )

    params = {
        "task_definition": "w:3",
        "launch_type": "FARGATE",
        "network_configuration": {"subnets": ["b", "a"], "security_groups": ["g"], "assign_public_ip": False},
        "deployment_configuration": {"minimum_healthy_percent": 100, "maximum_percent": 200},
        "propagate_tags": "SERVICE",
        "tags": {"Name": "w"},
    }
    described = {
        "taskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/w:3",
        "launchType": "FARGATE",
        "networkConfiguration": {
            "awsvpcConfiguration": {"subnets": ["a", "b"], "securityGroups": ["g"], "assignPublicIp": "DISABLED"}
        },
        "propagateTags": "SERVICE",
        "tags": [{"key": "Name", "value": "w"}],
        "desiredCount": 7,  # not a setting of the module
    }  # no deploymentConfiguration: AWS's defaults
    assert view_diff(current_settings(described), wanted_settings(params)) == {"before": {}, "after": {}}
    moved = view_diff(current_settings({**described, "taskDefinition": "w:2"}), wanted_settings(params))
    assert moved == {"before": {"task_definition": "w:2"}, "after": {"task_definition": "w:3"}}


@pytest.fixture
def network(localaws: str) -> dict:
    ec2 = boto3.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="w", Description="w", VpcId=vpc)["GroupId"]
    ecs = boto3.client("ecs")
    for revision in (1, 2):
        ecs.register_task_definition(
            family="w",
            requiresCompatibilities=["FARGATE"],
            networkMode="awsvpc",
            cpu="256",
            memory="512",
            containerDefinitions=[{"name": "w", "image": f"x:{revision}"}],
        )
    return {"subnets": [subnet], "security_groups": [group]}


@pytest.mark.slow
def test_plan_create_keep_the_scaled_count_then_change(localaws: str, network: dict) -> None:
    params = {
        "name": "w",
        "cluster": "c1",
        "task_definition": "w:1",
        "desired_count": 1,
        "network_configuration": network,
        "propagate_tags": "SERVICE",
        "tags": {"Name": "w", "Environment": "test"},
    }
    ecs = boto3.client("ecs")
    # check mode before the cluster exists: the service is planned as created, nothing is called that mutates
    calllog.reset_calls(localaws)
    run = run_tasks([task("plan", params, check=True, diff=True)])
    plan = run.result("plan")
    assert plan["changed"] and plan["created"] and plan["service"] == {}, plan
    assert plan["diff"]["after"]["desired_count"] == 1 and plan["diff"]["after"]["task_definition"] == "w:1"
    assert [c for c in calllog.calls(localaws) if c["mutating"]] == []

    ecs.create_cluster(clusterName="c1")
    run = run_tasks([task("create", params), task("again", params, diff=True)])
    created, again = run.result("create"), run.result("again")
    assert created["changed"] and created["created"], created
    assert created["service"]["desiredCount"] == 1 and created["service"]["taskDefinition"].endswith("/w:1")
    assert created["service"]["deploymentConfiguration"]["minimumHealthyPercent"] == 100
    assert again["changed"] is False and again["diff"] == {"before": {}, "after": {}}, again

    # a scaling decision between two runs: the next run leaves it and reports nothing
    ecs.update_service(cluster="c1", service="w", desiredCount=3)
    calllog.reset_calls(localaws)
    run = run_tasks([task("after scaling", params)])
    assert run.result("after scaling")["changed"] is False
    assert [c for c in calllog.calls(localaws) if c["mutating"]] == []
    assert ecs.describe_services(cluster="c1", services=["w"])["services"][0]["desiredCount"] == 3

    # a new task definition and a tag edit: planned field by field, then applied; the count stays 3
    changed = {**params, "task_definition": "w:2", "tags": {"Name": "w", "Environment": "prod"}}
    calllog.reset_calls(localaws)
    run = run_tasks([task("plan change", changed, check=True, diff=True)])
    planned = run.result("plan change")
    assert planned["changed"] and not planned["created"]
    assert planned["diff"] == {
        "before": {"task_definition": "w:1", "tags": {"Name": "w", "Environment": "test"}},
        "after": {"task_definition": "w:2", "tags": {"Name": "w", "Environment": "prod"}},
    }
    assert [c for c in calllog.calls(localaws) if c["mutating"]] == []
    run = run_tasks([task("change", changed), task("change again", changed)])
    applied = run.result("change")
    assert applied["changed"] and applied["service"]["taskDefinition"].endswith("/w:2")
    assert applied["service"]["desiredCount"] == 3
    assert {t["key"]: t["value"] for t in applied["service"]["tags"]} == {"Name": "w", "Environment": "prod"}
    assert run.result("change again")["changed"] is False

    # a launch type the service does not have is refused, naming both
    run = run_tasks([task("ec2", {**changed, "launch_type": "EC2"})], allow_failure=True)
    assert "runs on FARGATE; launch_type EC2 needs a new service" in run.result("ec2")["msg"]
