"""ecs_express_domain's rule and priority helpers, without AWS."""

from __future__ import annotations

from typing import Any

import pytest
from ansible_collections.invoice.platform.plugins.module_utils.ecs_express import AnsibleECSExpressError
from ansible_collections.invoice.platform.plugins.modules.ecs_express_domain import (
    forward_target,
    free_priority,
    rule_hosts,
)

TG = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/api/1"


@pytest.mark.parametrize(
    ("conditions", "hosts"),
    [
        ([{"Field": "host-header", "HostHeaderConfig": {"Values": ["b.test", "a.test"]}}], ["a.test", "b.test"]),
        ([{"Field": "host-header", "Values": ["a.test"]}], ["a.test"]),  # the older form
        ([{"Field": "path-pattern", "Values": ["/api/*"]}], []),
        ([], []),
    ],
)
def test_rule_hosts_read_both_condition_forms(conditions: list[dict[str, Any]], hosts: list[str]) -> None:
    assert rule_hosts({"Conditions": conditions}) == hosts


@pytest.mark.parametrize(
    ("actions", "target"),
    [
        ([{"Type": "forward", "TargetGroupArn": TG}], TG),
        ([{"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": TG, "Weight": 1}]}}], TG),
        (
            [{"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": TG}, {"TargetGroupArn": "x"}]}}],
            None,
        ),
        ([{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}], None),
    ],
)
def test_forward_target_is_the_single_target_group(actions: list[dict[str, Any]], target: str | None) -> None:
    assert forward_target({"Actions": actions}) == target


def test_free_priority_skips_used_ones_and_refuses_a_taken_one() -> None:
    rules = [{"Priority": "1"}, {"Priority": "1000"}, {"Priority": "1001"}, {"Priority": "default"}]
    assert free_priority(rules, None) == 1002
    assert free_priority(rules, 5) == 5
    with pytest.raises(AnsibleECSExpressError, match="priority 1000 is taken"):
        free_priority(rules, 1000)
