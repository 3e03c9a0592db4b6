"""The network tier against the local endpoint: plan, create, no-op, drift of one value, bad input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from tests.playbooks.helpers import ROOT, assert_fails_in_preflight, run_clean, run_playbook
from tools.localaws.client import calls

pytestmark = pytest.mark.slow

PLAYBOOK = "playbooks/network.yml"
TASK = "invoice.platform.network : Ensure the VPC, subnets, gateways, routing and security groups"


def vpcs() -> list[dict[str, Any]]:
    ec2 = boto3.client("ec2")
    return ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["invoice-local-vpc"]}])["Vpcs"]


def test_plan_create_noop_and_one_change(localaws: str) -> None:
    plan, writes = run_clean(localaws, PLAYBOOK, check=True, diff=True)
    assert writes == []
    assert vpcs() == []
    assert TASK in plan.changed_tasks()

    created, writes = run_clean(localaws, PLAYBOOK)
    assert "ec2.CreateVpc" in writes and writes.count("ec2.CreateSubnet") == 4
    assert writes.count("ec2.CreateNatGateway") == 1
    outputs = created.task("Publish the network outputs")["ansible_facts"]["platform_outputs_network"]
    (vpc,) = vpcs()
    assert outputs["vpc_id"] == vpc["VpcId"]
    ec2 = boto3.client("ec2")
    private = ec2.describe_subnets(SubnetIds=outputs["private_subnet_ids"])["Subnets"]
    assert {s["AvailabilityZone"] for s in private} == {"us-east-1a", "us-east-1b"}
    assert not any(s["MapPublicIpOnLaunch"] for s in private)
    (db_sg,) = ec2.describe_security_groups(GroupIds=[outputs["database_security_group_id"]])["SecurityGroups"]
    (rule,) = db_sg["IpPermissions"]
    assert (rule["FromPort"], rule["ToPort"]) == (5432, 5432)
    assert [p["GroupId"] for p in rule["UserIdGroupPairs"]] == [outputs["connector_security_group_id"]]
    assert rule.get("IpRanges", []) == []

    again, writes = run_clean(localaws, PLAYBOOK)
    assert (again.changed, writes) == (0, [])
    # A no-op reads each kind of network resource once (the old per-resource modules made 79 EC2 reads).
    ec2_reads = sorted(c["operation"] for c in calls(localaws) if c["service"] == "ec2")
    expected = ["DescribeVpcs", "DescribeVpcAttribute", "DescribeVpcAttribute", "DescribeSubnets"]
    expected += ["DescribeInternetGateways", "DescribeRouteTables", "DescribeNatGateways", "DescribeSecurityGroups"]
    assert ec2_reads == sorted(expected)
    check, writes = run_clean(localaws, PLAYBOOK, check=True, diff=True)
    assert (check.changed, writes) == (0, [])

    # One value: a NAT gateway per zone adds the second gateway and re-points one route.
    per_az, writes = run_clean(localaws, PLAYBOOK, extra_vars={"network_nat_gateway": "per_az"})
    assert sorted(writes) == ["ec2.AllocateAddress", "ec2.CreateNatGateway", "ec2.ReplaceRoute"]
    assert per_az.changed_tasks() == [TASK, "Write the outputs file"]  # nat_gateway_ids gained one
    routes = ec2.describe_route_tables(Filters=[{"Name": "tag:Name", "Values": ["invoice-local-private-*"]}])
    nat_ids = {r.get("NatGatewayId") for t in routes["RouteTables"] for r in t["Routes"] if r.get("NatGatewayId")}
    assert len(nat_ids) == 2

    # And back: the second gateway is deleted (with its address) once no route uses it.
    _, writes = run_clean(localaws, PLAYBOOK)
    assert sorted(writes) == ["ec2.DeleteNatGateway", "ec2.ReleaseAddress", "ec2.ReplaceRoute"]
    live = ec2.describe_nat_gateways(Filters=[{"Name": "state", "Values": ["pending", "available"]}])["NatGateways"]
    assert len(live) == 1


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"network_nat_gateway": "maybe"}, "network_nat_gateway"),
        (
            {"network_vpc_cidr": "10.0.0.0/8"},
            'network_vpc_cidr must be an IPv4 network from /16 to /24, got "10.0.0.0/8"',
        ),
        ({"network_private_subnet_cidrs": ["10.20.10.0/24"]}, "network_private_subnet_cidrs must list 2 CIDRs"),
        ({"network_public_subnet_cidrs": ["10.99.0.0/24", "10.20.1.0/24"]}, 'subnet CIDR "10.99.0.0/24" is not'),
    ],
)
def test_bad_input_fails_before_any_network_call(localaws: str, extra: dict[str, Any], expected: str) -> None:
    assert_fails_in_preflight(localaws, PLAYBOOK, extra, expected)


INFRA_ROLES = ["network", "storage", "database", "secrets", "iam", "monitoring"]


@pytest.mark.parametrize("env_name", ["staging", "prod"])
def test_real_inventories_pass_every_infra_role_check(tmp_path: Path, env_name: str) -> None:
    """The staging/prod values (argument specs and each role's validate.yml) hold, without any AWS call."""
    tasks: list[dict[str, Any]] = []
    for role in INFRA_ROLES:
        spec = yaml.safe_load((ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text())
        tasks.append(
            {
                "name": f"Check the {role} values against its argument spec",
                "ansible.builtin.validate_argument_spec": {"argument_spec": spec["argument_specs"]["main"]["options"]},
            }
        )
        tasks.append(
            {"name": f"Run the {role} checks", "ansible.builtin.include_role": {"name": role, "tasks_from": "validate"}}
        )
    playbook = tmp_path / "validate.yml"
    playbook.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]))
    run = run_playbook(playbook, inventory=env_name, env={"INVOICE_JWT_SECRET": "", "INVOICE_ANTHROPIC_API_KEY": ""})
    assert run.rc == 0, run.explain()
    ran = [t["name"] for t in run.tasks()]
    assert sum("Check the" in name and "settings" in name for name in ran) == len(INFRA_ROLES), ran
