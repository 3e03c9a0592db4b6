"""invoice.platform.ec2_vpc_network against the local endpoint."""

from __future__ import annotations

from collections import Counter
from typing import Any

import boto3
import pytest

from tests.modules.helpers import run_tasks
from tools.localaws import client as calllog

pytestmark = pytest.mark.slow

MODULE = "invoice.platform.ec2_vpc_network"
PREFIX = "inv-test"
SUBNETS = [
    {"name": f"{PREFIX}-public-us-east-1a", "cidr": "10.30.0.0/24", "az": "us-east-1a", "tier": "public"},
    {"name": f"{PREFIX}-public-us-east-1b", "cidr": "10.30.1.0/24", "az": "us-east-1b", "tier": "public"},
    {"name": f"{PREFIX}-private-us-east-1a", "cidr": "10.30.10.0/24", "az": "us-east-1a", "tier": "private"},
    {"name": f"{PREFIX}-private-us-east-1b", "cidr": "10.30.11.0/24", "az": "us-east-1b", "tier": "private"},
]
GROUPS = [
    {"name": f"{PREFIX}-connector", "description": "connector (egress only)"},
    {
        "name": f"{PREFIX}-database",
        "description": "database",
        "ingress": [
            {"protocol": "tcp", "ports": ["5432"], "source_group": f"{PREFIX}-connector", "description": "PostgreSQL"}
        ],
        "egress": [],
    },
]
# One read of each kind, however many subnets, tables and groups the layout has.
NOOP_READS = {
    "DescribeVpcs": 1,
    "DescribeVpcAttribute": 2,
    "DescribeSubnets": 1,
    "DescribeInternetGateways": 1,
    "DescribeRouteTables": 1,
    "DescribeNatGateways": 1,
    "DescribeSecurityGroups": 1,
}


def network(**overrides: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "name": f"{PREFIX}-vpc",
        "cidr_block": "10.30.0.0/16",
        "subnets": SUBNETS,
        "nat_gateway": "single",
        "security_groups": GROUPS,
        "tags": {"Project": "invoice"},
    }
    params.update(overrides)
    return params


def task(name: str, check: bool = False, diff: bool = False, **overrides: Any) -> dict[str, Any]:
    return {"name": name, MODULE: network(**overrides), "check_mode": check, "diff": diff}


def ec2_calls(url: str) -> tuple[Counter[str], list[str]]:
    calls = [c for c in calllog.calls(url) if c["service"] == "ec2"]
    reads = Counter(c["operation"] for c in calls if not c["mutating"])
    return reads, [c["operation"] for c in calls if c["mutating"]]


def tags_of(resource: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}


def live_nats(ec2: Any) -> list[dict[str, Any]]:
    return ec2.describe_nat_gateways(Filters=[{"Name": "state", "Values": ["pending", "available"]}])["NatGateways"]


def test_check_apply_check_apply(localaws: str) -> None:
    ec2 = boto3.client("ec2")
    calllog.reset_calls(localaws)
    plan = run_tasks([task("Plan", check=True, diff=True)]).result("Plan")
    assert plan["changed"] and plan["vpc"]["id"] == ""
    assert set(plan["diff"]["after"]["subnets"]) == {s["name"] for s in SUBNETS}
    assert plan["diff"]["after"]["security_groups"][f"{PREFIX}-database"]["ingress"] == [
        f"tcp 5432 ({PREFIX}-connector) (PostgreSQL)"
    ]
    for az in ("us-east-1a", "us-east-1b"):  # single: both zones route through the one gateway in the first zone
        planned = plan["diff"]["after"]["route_tables"][f"{PREFIX}-private-{az}"]
        assert planned["routes"] == {"0.0.0.0/0": f"(new NAT gateway {PREFIX}-nat-us-east-1a)"}
        assert planned["subnets"] == [f"{PREFIX}-private-{az}"]
    assert ec2_calls(localaws)[1] == []
    assert ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [f"{PREFIX}-vpc"]}])["Vpcs"] == []

    run = run_tasks([task("Apply"), task("Check", check=True, diff=True)])
    apply, check = run.result("Apply"), run.result("Check")
    assert apply["changed"] and not check["changed"], check.get("diff")
    assert check["diff"]["before"] == check["diff"]["after"]
    vpc_id = apply["vpc"]["id"]
    subnets = {
        s["SubnetId"]: s for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    }
    for item in apply["subnets"]:
        live = subnets[item["id"]]
        assert (live["CidrBlock"], live["AvailabilityZone"]) == (item["cidr"], item["az"])
        assert tags_of(live) == {"Name": item["name"], "Tier": item["tier"], "Project": "invoice"}
    (nat,) = apply["nat_gateways"]
    assert nat["subnet_id"] == apply["subnets"][0]["id"] and nat["public_ip"]
    tables = {
        tags_of(t).get("Name"): t
        for t in ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"]
    }
    public_routes = [r for r in tables[f"{PREFIX}-public"]["Routes"] if r["DestinationCidrBlock"] == "0.0.0.0/0"]
    assert [r["GatewayId"] for r in public_routes] == [apply["internet_gateway_id"]]
    for az in ("us-east-1a", "us-east-1b"):
        table = tables[f"{PREFIX}-private-{az}"]
        assert [r.get("NatGatewayId") for r in table["Routes"] if r["DestinationCidrBlock"] == "0.0.0.0/0"] == [
            nat["id"]
        ]
    groups = {
        g["GroupName"]: g
        for g in ec2.describe_security_groups(GroupIds=list(apply["security_groups"].values()))["SecurityGroups"]
    }
    database = groups[f"{PREFIX}-database"]
    assert database["IpPermissionsEgress"] == []
    assert [p["GroupId"] for p in database["IpPermissions"][0]["UserIdGroupPairs"]] == [
        apply["security_groups"][f"{PREFIX}-connector"]
    ]
    assert groups[f"{PREFIX}-connector"]["IpPermissionsEgress"][0]["IpProtocol"] == "-1"

    calllog.reset_calls(localaws)
    again = run_tasks([task("Again")]).result("Again")
    reads, writes = ec2_calls(localaws)
    assert (again["changed"], writes) == (False, [])
    assert reads == Counter(NOOP_READS)
    for key in ("vpc", "subnets", "route_tables", "internet_gateway_id", "nat_gateways", "security_groups"):
        assert again[key] == apply[key], key


def test_nat_modes_drift_and_rule_purge(localaws: str) -> None:
    ec2 = boto3.client("ec2")
    created = run_tasks([task("Apply")]).result("Apply")
    (first_nat,) = created["nat_gateways"]
    subnet_id = created["subnets"][2]["id"]
    db_id = created["security_groups"][f"{PREFIX}-database"]
    ec2.create_tags(Resources=[subnet_id], Tags=[{"Key": "Tier", "Value": "public"}, {"Key": "Extra", "Value": "x"}])
    ec2.create_tags(Resources=[first_nat["id"]], Tags=[{"Key": "Name", "Value": "renamed"}])
    ec2.authorize_security_group_ingress(
        GroupId=db_id,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )

    calllog.reset_calls(localaws)
    fixed = run_tasks([task("Fix", diff=True)]).result("Fix")
    _, writes = ec2_calls(localaws)
    assert fixed["changed"]
    assert sorted(writes) == ["CreateTags", "CreateTags", "DeleteTags", "RevokeSecurityGroupIngress"]
    before, after = fixed["diff"]["before"], fixed["diff"]["after"]
    subnet_name = SUBNETS[2]["name"]
    assert before["subnets"][subnet_name]["tags"]["Tier"] == "public"
    assert after["subnets"][subnet_name]["tags"] == {"Name": subnet_name, "Tier": "private", "Project": "invoice"}
    assert before["nat_gateways"][f"{PREFIX}-nat-us-east-1a"]["tags"]["Name"] == "renamed"
    assert "tcp 22 0.0.0.0/0" in before["security_groups"][f"{PREFIX}-database"]["ingress"]
    assert after["security_groups"][f"{PREFIX}-database"]["ingress"] == [
        f"tcp 5432 {created['security_groups'][f'{PREFIX}-connector']} (PostgreSQL)"
    ]
    (subnet,) = ec2.describe_subnets(SubnetIds=[subnet_id])["Subnets"]
    assert tags_of(subnet) == {"Name": subnet_name, "Tier": "private", "Project": "invoice"}
    (nat,) = ec2.describe_nat_gateways(NatGatewayIds=[first_nat["id"]])["NatGateways"]
    assert tags_of(nat)["Name"] == f"{PREFIX}-nat-us-east-1a"
    (db,) = ec2.describe_security_groups(GroupIds=[db_id])["SecurityGroups"]
    assert [p["FromPort"] for p in db["IpPermissions"]] == [5432]

    # single -> per_az: a second NAT gateway, one route re-pointed; nothing else.
    calllog.reset_calls(localaws)
    per_az = run_tasks([task("Per zone", nat_gateway="per_az"), task("Per zone again", nat_gateway="per_az")])
    _, writes = ec2_calls(localaws)
    assert sorted(writes) == ["AllocateAddress", "CreateNatGateway", "ReplaceRoute"]
    assert not per_az.result("Per zone again")["changed"]
    nats = per_az.result("Per zone")["nat_gateways"]
    assert [n["az"] for n in nats] == ["us-east-1a", "us-east-1b"] and nats[0]["id"] == first_nat["id"]
    assert {n["subnet_id"] for n in nats} == {created["subnets"][0]["id"], created["subnets"][1]["id"]}

    # per_az -> none: the default routes go first, then both gateways and their addresses.
    calllog.reset_calls(localaws)
    none = run_tasks([task("None", nat_gateway="none", diff=True)]).result("None")
    _, writes = ec2_calls(localaws)
    assert writes == [
        "DeleteRoute",
        "DeleteRoute",
        "DeleteNatGateway",
        "DeleteNatGateway",
        "ReleaseAddress",
        "ReleaseAddress",
    ]
    assert none["nat_gateways"] == [] and live_nats(ec2) == []
    assert none["diff"]["after"]["route_tables"][f"{PREFIX}-private-us-east-1a"]["routes"] == {}
    assert ec2.describe_addresses()["Addresses"] == []


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"cidr_block": "10.30.0.1/16"}, "cidr_block: '10.30.0.1/16' is not an IPv4 network"),
        (
            {"subnets": [{**SUBNETS[0], "cidr": "10.99.0.0/24"}]},
            f"subnets: {PREFIX}-public-us-east-1a: cidr 10.99.0.0/24 is not inside cidr_block 10.30.0.0/16",
        ),
        ({"subnets": [SUBNETS[0], {**SUBNETS[1], "cidr": "10.30.0.0/25"}]}, "overlaps subnet"),
        ({"subnets": [SUBNETS[0], {**SUBNETS[1], "name": SUBNETS[0]["name"]}]}, "the name is listed twice"),
        ({"subnets": [{**SUBNETS[0], "tier": "dmz"}]}, "tier"),
        (
            {"security_groups": [{**GROUPS[1], "ingress": [{**GROUPS[1]["ingress"][0], "source_group": "nope"}]}]},
            f"security_groups: {PREFIX}-database ingress[0]: source_group 'nope' is not a group in security_groups",
        ),
        ({"security_groups": [GROUPS[0], GROUPS[0]]}, f"security_groups: {PREFIX}-connector is listed twice"),
        ({"subnets": SUBNETS[2:], "nat_gateway": "single"}, "nat_gateway: single needs at least one public subnet"),
    ],
)
def test_bad_options_fail_before_any_call(localaws: str, overrides: dict[str, Any], expected: str) -> None:
    calllog.reset_calls(localaws)
    run = run_tasks([task("Bad", **overrides)], allow_failure=True)
    assert run.rc != 0
    assert expected in run.result("Bad")["msg"]
    assert calllog.calls(localaws) == []


def test_absent_deletes_the_layout_in_order(localaws: str) -> None:
    ec2 = boto3.client("ec2")
    absent = {"name": f"{PREFIX}-vpc", "cidr_block": "10.30.0.0/16", "state": "absent"}
    created = run_tasks([task("Apply")]).result("Apply")
    vpc_id = created["vpc"]["id"]
    calllog.reset_calls(localaws)
    run = run_tasks(
        [
            {"name": "Plan", MODULE: absent, "check_mode": True, "diff": True},
            {"name": "Delete", MODULE: absent},
            {"name": "Delete again", MODULE: absent},
        ]
    )
    plan, delete, again = run.result("Plan"), run.result("Delete"), run.result("Delete again")
    assert plan["changed"] and plan["vpc"]["id"] == ""
    assert plan["diff"]["before"]["security_groups"] == sorted(created["security_groups"])
    assert delete["changed"] and not again["changed"]
    _, writes = ec2_calls(localaws)
    assert writes[:2] == ["DeleteNatGateway", "ReleaseAddress"]
    assert writes.count("DeleteSecurityGroup") == 2 and writes.count("DeleteRouteTable") == 3
    assert writes.count("DeleteSubnet") == 4 and writes[-1] == "DeleteVpc"
    assert ec2.describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Vpcs"] == []
    assert live_nats(ec2) == [] and ec2.describe_addresses()["Addresses"] == []
    igws = ec2.describe_internet_gateways(
        Filters=[{"Name": "internet-gateway-id", "Values": [created["internet_gateway_id"]]}]
    )
    assert igws["InternetGateways"] == []
