"""ecs_express_service's comparison and request helpers, without AWS."""

from __future__ import annotations

from typing import Any

import pytest
from ansible_collections.invoice.platform.plugins.modules.ecs_express_service import (
    create_request,
    differences,
    update_request,
    wanted,
)

CONFIGURATION = {
    "cpu": "256",
    "memory": "512",
    "healthCheckPath": "/health",
    "primaryContainer": {
        "image": "api:1",
        "containerPort": 8000,
        "environment": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}],
    },
    "networkConfiguration": {"subnets": ["subnet-b", "subnet-a"]},
    "scalingTarget": {"minTaskCount": 1, "maxTaskCount": 20, "autoScalingMetric": "AVERAGE_CPU"},
}


@pytest.mark.parametrize(
    ("options", "changed"),
    [
        ({"environment": {"A": "1", "B": 2}}, []),  # a map: order and number types do not matter
        ({"subnets": ["subnet-a", "subnet-b"]}, []),  # a set
        ({"environment": {}}, ["environment"]),
        ({"image": "api:2", "cpu": "256"}, ["image"]),
        ({"secrets": {}}, []),  # none set, none wanted
        ({"max_tasks": 4, "task_role_arn": "arn:aws:iam::1:role/r"}, ["task_role_arn", "max_tasks"]),
    ],
)
def test_differences_compare_what_the_task_sets(options: dict[str, Any], changed: list[str]) -> None:
    assert differences(wanted(options), CONFIGURATION) == changed


def test_update_request_sends_whole_sections_with_the_current_values_kept() -> None:
    desired = wanted({"image": "api:2", "max_tasks": 4, "memory": "1024", "log_group": "/g", "log_stream_prefix": "p"})
    request = update_request(["image", "max_tasks", "memory", "log_group", "log_stream_prefix"], desired, CONFIGURATION)
    assert request == {
        "primaryContainer": {
            "image": "api:2",
            "containerPort": 8000,
            "environment": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}],
            "awsLogsConfiguration": {"logGroup": "/g", "logStreamPrefix": "p"},
        },
        "scalingTarget": {"minTaskCount": 1, "maxTaskCount": 4, "autoScalingMetric": "AVERAGE_CPU"},
        "memory": "1024",
    }


def test_create_request_is_the_api_form_of_the_options() -> None:
    params = {"name": "api", "cluster": "default", "infrastructure_role_arn": "arn:i", "tags": {"b": "2", "a": "1"}}
    desired = wanted({"image": "api:1", "secrets": {"S": "arn:s"}, "security_groups": ["sg-2", "sg-1"]})
    assert create_request(params, desired) == {
        "serviceName": "api",
        "cluster": "default",
        "infrastructureRoleArn": "arn:i",
        "primaryContainer": {"image": "api:1", "secrets": [{"name": "S", "valueFrom": "arn:s"}]},
        "networkConfiguration": {"securityGroups": ["sg-1", "sg-2"]},
        "tags": [{"key": "a", "value": "1"}, {"key": "b", "value": "2"}],
    }
