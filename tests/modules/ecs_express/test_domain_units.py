"""ecs_express_domain's rule and priority helpers, without AWS."""

from __future__ import annotations

from typing import Any

import pytest
from ansible_collections.invoice.platform.plugins.module_utils.ecs_express import AnsibleECSExpressError
from ansible_collections.invoice.platform.plugins.modules.ecs_express_domain import (
    ensure_rule,
    forward_actions,
    forward_groups,
    free_priority,
    rule_hosts,
    serving_groups,
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
    ("actions", "groups"),
    [
        ([{"Type": "forward", "TargetGroupArn": TG}], [[TG, 1]]),
        ([{"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": TG, "Weight": 1}]}}], [[TG, 1]]),
        (
            [
                {
                    "Type": "forward",
                    "ForwardConfig": {
                        "TargetGroups": [{"TargetGroupArn": TG, "Weight": 90}, {"TargetGroupArn": "x", "Weight": 10}]
                    },
                }
            ],
            [[TG, 90], ["x", 10]],
        ),
        ([{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}], []),
    ],
)
def test_forward_groups_read_both_action_forms(actions: list[dict[str, Any]], groups: list[list[Any]]) -> None:
    assert forward_groups({"Actions": actions}) == groups
    if groups:  # and the actions made from them read back the same
        assert forward_groups({"Actions": forward_actions(groups)}) == groups


class FakeELB:
    """The ELBv2 calls ensure_rule and serving_groups make, on one listener's rules."""

    def __init__(self, rules: dict[str, dict[str, Any]]) -> None:
        self.rules = rules
        self.modified: list[tuple[str, list[dict[str, Any]]]] = []

    def describe_rules(self, aws_retry: bool, RuleArns: list[str]) -> dict[str, Any]:
        return {"Rules": [self.rules[arn] for arn in RuleArns]}

    def modify_rule(self, aws_retry: bool, RuleArn: str, Actions: list[dict[str, Any]]) -> None:
        self.modified.append((RuleArn, Actions))
        self.rules[RuleArn]["Actions"] = Actions


class FakeModule:
    check_mode = False


def test_the_domain_rule_follows_ecs_production_rule_through_a_canary() -> None:
    """ECS moves its production rule from the primary to the alternate target group; the domain's
    rule, converged again, forwards where that rule does (not to the service's first target group)."""
    blue, green = TG, TG.replace("/api/1", "/api-alt/2")
    production = {"RuleArn": "ecs-rule", "Actions": forward_actions([[blue, 100], [green, 0]])}
    ours = {"RuleArn": "our-rule", "Actions": forward_actions([[blue, 1]])}
    elbv2 = FakeELB({"ecs-rule": production, "our-rule": ours})
    service = {
        "loadBalancers": [{"targetGroupArn": blue, "advancedConfiguration": {"productionListenerRule": "ecs-rule"}}]
    }
    converge = dict(listener_arn="l", domain_name="api.test", priority=None)

    assert serving_groups(elbv2, service, [blue]) == sorted([[blue, 100], [green, 0]])
    assert ensure_rule(FakeModule(), elbv2, rule=ours, groups=serving_groups(elbv2, service, [blue]), **converge) == (
        True,
        "our-rule",
    )
    assert ensure_rule(FakeModule(), elbv2, rule=ours, groups=serving_groups(elbv2, service, [blue]), **converge) == (
        False,
        "our-rule",
    )

    production["Actions"] = forward_actions([[blue, 0], [green, 100]])  # the deployment is done
    changed, _ = ensure_rule(FakeModule(), elbv2, rule=ours, groups=serving_groups(elbv2, service, [blue]), **converge)
    assert changed and forward_groups(ours) == sorted([[blue, 0], [green, 100]])
    assert len(elbv2.modified) == 2

    # without a production listener rule (the local endpoint): the service's target group
    assert serving_groups(elbv2, {"loadBalancers": [{"targetGroupArn": blue}]}, [blue]) == [[blue, 1]]


def test_free_priority_skips_used_ones_and_refuses_a_taken_one() -> None:
    rules = [{"Priority": "1"}, {"Priority": "1000"}, {"Priority": "1001"}, {"Priority": "default"}]
    assert free_priority(rules, None) == 1002
    assert free_priority(rules, 5) == 5
    with pytest.raises(AnsibleECSExpressError, match="priority 1000 is taken"):
        free_priority(rules, 1000)
