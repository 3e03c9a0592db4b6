"""Option checks and planners of invoice.platform.ec2_vpc_network (module_utils/_ec2), without AWS."""

from __future__ import annotations

from typing import Any

import pytest
from ansible_collections.invoice.platform.plugins.module_utils._ec2 import network_options, network_plans
from ansible_collections.invoice.platform.plugins.module_utils._ec2.network_plans import rule_text


def rule(**overrides: Any) -> dict[str, Any]:
    return {
        "protocol": "tcp",
        "ports": ["5432"],
        "source_group": None,
        "cidr": "10.0.0.0/8",
        "description": None,
        **overrides,
    }


def params(**overrides: Any) -> dict[str, Any]:
    base = {
        "cidr_block": "10.30.0.0/16",
        "subnets": [
            {"name": "pub-a", "cidr": "10.30.0.0/24", "az": "a", "tier": "public"},
            {"name": "priv-a", "cidr": "10.30.10.0/24", "az": "a", "tier": "private"},
            {"name": "priv-b", "cidr": "10.30.11.0/24", "az": "b", "tier": "private"},
        ],
        "nat_gateway": "single",
        "internet_gateway": True,
        "security_groups": [{"name": "app", "description": "d", "ingress": [rule()], "egress": None}],
    }
    return {**base, **overrides}


def test_valid_layout_has_no_problems() -> None:
    assert network_options.validate(params()) == []


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"nat_gateway": "per_az"}, "nat_gateway: per_az needs a public subnet in b"),
        ({"internet_gateway": False}, "nat_gateway: single needs internet_gateway: true"),
        (
            {
                "security_groups": [
                    {"name": "app", "description": "d", "ingress": [rule(protocol="gre")], "egress": None}
                ]
            },
            "protocol 'gre' is not tcp, udp, icmp or -1",
        ),
        (
            {
                "security_groups": [
                    {"name": "app", "description": "d", "ingress": [rule(ports=["70000"])], "egress": None}
                ]
            },
            "port '70000' is not a port or range",
        ),
        (
            {
                "security_groups": [
                    {"name": "app", "description": "d", "ingress": [rule(source_group="app")], "egress": None}
                ]
            },
            "give exactly one of cidr and source_group",
        ),
        (
            {"security_groups": [{"name": "app", "description": "d", "ingress": [], "egress": [rule(ports=[])]}]},
            "app egress[0]: protocol tcp needs ports",
        ),
    ],
)
def test_problems_name_the_option(overrides: dict[str, Any], expected: str) -> None:
    problems = network_options.validate(params(**overrides))
    assert any(expected in p for p in problems), problems


def test_rules_from_aws_and_from_the_task_compare_equal() -> None:
    live = [
        {
            "IpProtocol": "tcp",
            "FromPort": 8000,
            "ToPort": 8100,
            "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "web"}],
            "UserIdGroupPairs": [{"GroupId": "sg-1", "UserId": "123"}],
        }
    ]
    current = network_plans.current_rules(live)
    assert current == {("tcp", 8000, 8100, "10.0.0.0/8", "web"), ("tcp", 8000, 8100, "sg-1", None)}
    assert sorted(rule_text(r) for r in current) == ["tcp 8000-8100 10.0.0.0/8 (web)", "tcp 8000-8100 sg-1"]
    assert network_plans.to_permission(("tcp", 8000, 8100, "sg-1", None)) == {
        "IpProtocol": "tcp",
        "FromPort": 8000,
        "ToPort": 8100,
        "UserIdGroupPairs": [{"GroupId": "sg-1"}],
    }
    assert network_plans.normalize_protocol("ALL") == "-1" and network_plans.port_range("22") == (22, 22)
