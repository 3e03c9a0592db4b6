"""invoice.platform.ecs_service_scaling: helpers without AWS, then check/apply/check/apply on the local endpoint."""

from __future__ import annotations

from functools import partial

import boto3
import pytest

from tests.modules.helpers import module_task, run_tasks
from tools.localaws import client as calllog

MODULE = "invoice.platform.ecs_service_scaling"
task = partial(module_task, MODULE)
OUT = {
    "name": "w-out",
    "adjustment_type": "ExactCapacity",
    "metric_aggregation_type": "Maximum",
    "steps": [{"lower": 0, "upper": 10, "adjustment": 1}, {"lower": 10, "adjustment": 2}],
}
IN = {"name": "w-in", "adjustment_type": "ExactCapacity", "steps": [{"upper": 0, "adjustment": 0}]}


def test_comparable_ignores_step_order_and_number_types() -> None:
    from ansible_collections.invoice.platform.plugins.modules.ecs_service_scaling import (
        comparable,
        wanted_configuration,
    )

    wanted = wanted_configuration({**OUT, "cooldown": 60})
    described = {
        "AdjustmentType": "ExactCapacity",
        "Cooldown": 60,
        "MetricAggregationType": "Maximum",
        "StepAdjustments": [
            {"MetricIntervalLowerBound": 10, "ScalingAdjustment": 2},
            {"MetricIntervalLowerBound": 0.0, "MetricIntervalUpperBound": 10.0, "ScalingAdjustment": 1},
        ],
    }
    assert comparable(wanted) == comparable(described)
    assert comparable({**described, "Cooldown": 30}) != comparable(wanted)


@pytest.fixture
def service(localaws: str) -> str:
    ecs = boto3.client("ecs")
    ecs.create_cluster(clusterName="c1")
    family = ecs.register_task_definition(
        family="w", containerDefinitions=[{"name": "w", "image": "x:1", "memory": 512}]
    )
    ecs.create_service(
        cluster="c1", serviceName="w", taskDefinition=family["taskDefinition"]["taskDefinitionArn"], desiredCount=0
    )
    return localaws


@pytest.mark.slow
def test_check_apply_check_apply_then_changes_and_purge(service: str) -> None:
    params = {"cluster": "c1", "service": "w", "min_size": 0, "max_size": 3, "policies": [OUT, IN]}
    calllog.reset_calls(service)
    run = run_tasks(
        [
            task("check", params, check=True, diff=True),
        ]
    )
    check = run.result("check")
    assert check["changed"] is True and check["policy_arns"] == {"w-out": "", "w-in": ""}
    assert check["diff"]["after"]["scalable_target"] == {"min_capacity": 0, "max_capacity": 3}
    assert [c for c in calllog.calls(service) if c["mutating"]] == []
    autoscaling = boto3.client("application-autoscaling")
    assert autoscaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"] == []

    run = run_tasks(
        [
            task("apply", params),
            task("check again", params, check=True),
            task("apply again", params),
        ]
    )
    assert run.result("apply")["changed"] is True
    assert run.result("check again")["changed"] is False
    assert run.result("apply again")["changed"] is False
    arns = run.result("apply")["policy_arns"]
    assert run.result("apply again")["policy_arns"] == arns and all(arns.values())
    policies = autoscaling.describe_scaling_policies(ServiceNamespace="ecs", ResourceId="service/c1/w")
    steps = {
        p["PolicyName"]: p["StepScalingPolicyConfiguration"]["StepAdjustments"] for p in policies["ScalingPolicies"]
    }
    assert steps["w-in"] == [{"MetricIntervalUpperBound": 0.0, "ScalingAdjustment": 0}]

    calllog.reset_calls(service)
    run_tasks([task("no-op", params)])
    assert [c["operation"] for c in calllog.calls(service)] == ["DescribeScalableTargets", "DescribeScalingPolicies"]

    # A new maximum and one policy fewer: the target is registered again, w-in deleted.
    smaller = {**params, "max_size": 2, "policies": [OUT]}
    run = run_tasks([task("plan", smaller, check=True, diff=True), task("shrink", smaller)])
    assert run.result("plan")["policies_deleted"] == ["w-in"]
    assert run.result("plan")["diff"]["before"]["scalable_target"]["max_capacity"] == 3
    assert run.result("shrink")["changed"] is True
    target = autoscaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"][0]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (0, 2)
    names = [p["PolicyName"] for p in autoscaling.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"]]
    assert names == ["w-out"]


@pytest.mark.slow
def test_bad_options_fail_before_any_call(service: str) -> None:
    overlapping = {**OUT, "steps": [{"lower": 0, "upper": 10, "adjustment": 1}, {"lower": 5, "adjustment": 2}]}
    calllog.reset_calls(service)
    run = run_tasks(
        [
            task("overlap", {"cluster": "c1", "service": "w", "min_size": 0, "max_size": 2, "policies": [overlapping]}),
        ],
        allow_failure=True,
    )
    assert "overlap" in run.result("overlap")["msg"]
    run = run_tasks(
        [task("min above max", {"cluster": "c1", "service": "w", "min_size": 3, "max_size": 2})], allow_failure=True
    )
    assert "min_size must be >= 0 and at most max_size" in run.result("min above max")["msg"]
    assert calllog.calls(service) == []
