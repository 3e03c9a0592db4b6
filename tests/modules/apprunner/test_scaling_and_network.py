"""apprunner_auto_scaling_configuration and apprunner_vpc_connector against the local endpoint."""

from __future__ import annotations

import boto3
import pytest

from tests.modules.helpers import module_task, run_tasks
from tools.localaws import client as control

pytestmark = pytest.mark.slow


def task(module, title, *, check=False, diff=False, **options):
    return module_task(f"invoice.platform.{module}", title, options, check, diff)


def asc(title, **kwargs):
    return task("apprunner_auto_scaling_configuration", title, **kwargs)


def vpc(title, **kwargs):
    return task("apprunner_vpc_connector", title, **kwargs)


STAND_IN = "(auto scaling configuration invoice-api revision {revision}, to be created)"


def test_auto_scaling_revisions_four_steps_and_quota(localaws):
    base = dict(name="invoice-api", min_size=1, max_size=4, max_concurrency=80, tags={"project": "invoice"})
    steps = [
        asc("create (check)", check=True, **base),
        asc("create", **base),
        asc("create again (check)", check=True, **base),
        asc("create again", **base),
        asc("change max_size (check)", check=True, diff=True, **{**base, "max_size": 5}),
        asc("change max_size", diff=True, **{**base, "max_size": 5}),
        asc("change again", **{**base, "max_size": 5}),
    ]
    # Four more revisions (six in all): with keep_revisions=2 the 5-per-name quota is never reached.
    steps += [asc(f"revision {n}", **{**base, "max_size": n}) for n in range(6, 10)]
    run = run_tasks(steps)
    assert run.result("create (check)")["changed"] is True
    # check mode returns the revision it would create, a stand-in in place of its ARN (for the
    # service task of the same plan), and writes nothing
    planned = run.result("create (check)")["auto_scaling_configuration"]
    assert planned["auto_scaling_configuration_arn"] == STAND_IN.format(revision=1)
    assert (planned["auto_scaling_configuration_revision"], planned["max_concurrency"]) == (1, 80)
    assert planned["tags"] == {"project": "invoice"}
    created = run.result("create")
    settings = ("auto_scaling_configuration_revision", "max_concurrency", "max_size", "min_size", "tags")
    assert {k: created["auto_scaling_configuration"][k] for k in settings} == {k: planned[k] for k in settings}
    assert created["auto_scaling_configuration"]["auto_scaling_configuration_revision"] == 1
    assert created["auto_scaling_configuration"]["max_concurrency"] == 80
    assert created["auto_scaling_configuration"]["tags"] == {"project": "invoice"}
    assert run.result("create again (check)")["changed"] is False
    assert run.result("create again")["changed"] is False
    diff = run.result("change max_size (check)")["diff"]
    assert {k for k in diff["after"] if diff["after"][k] != diff["before"].get(k)} == {"max_size", "revision"}
    assert (diff["before"]["max_size"], diff["after"]["max_size"]) == (4, 5)
    revised = run.result("change max_size (check)")["auto_scaling_configuration"]
    assert revised["auto_scaling_configuration_arn"] == STAND_IN.format(revision=2)
    assert (revised["auto_scaling_configuration_revision"], revised["max_size"]) == (2, 5)
    changed = run.result("change max_size")
    assert changed["auto_scaling_configuration"]["auto_scaling_configuration_revision"] == 2
    assert [r["revision"] for r in changed["revisions"]] == [1, 2]
    assert run.result("change again")["changed"] is False
    last = run.result("revision 9")
    assert last["auto_scaling_configuration"]["auto_scaling_configuration_revision"] == 6
    assert [r["revision"] for r in last["revisions"]] == [5, 6]
    assert len(last["deleted_revisions"]) == 1
    listed = boto3.client("apprunner").list_auto_scaling_configurations(AutoScalingConfigurationName="invoice-api")
    active = [s for s in listed["AutoScalingConfigurationSummaryList"] if s["Status"] == "ACTIVE"]
    assert sorted(s["AutoScalingConfigurationRevision"] for s in active) == [5, 6]


def test_auto_scaling_in_use_revision_is_kept_and_service_follows_name(localaws):
    service = {
        "name": "invoice-api",
        "image": {"identifier": "public.ecr.aws/invoice/api:1"},
        "auto_scaling_configuration": "invoice-api",
        "wait_timeout": 60,
    }
    run = run_tasks(
        [
            asc("v1", name="invoice-api", max_size=3, keep_revisions=1),
            task("apprunner_service", "service on v1", **service),
            asc("v2", name="invoice-api", max_size=4, keep_revisions=1),
            task("apprunner_service", "service moves to v2", **service),
            asc("v2 again trims v1", name="invoice-api", max_size=4, keep_revisions=1),
            asc("absent while in use", name="invoice-api", state="absent"),
        ],
        allow_failure=True,
    )
    v2 = run.result("v2")
    # v1 is in use by the service: kept despite keep_revisions=1.
    assert [(r["revision"], r["in_use"]) for r in v2["revisions"]] == [(1, True), (2, False)]
    moved = run.result("service moves to v2")
    assert moved["changed"] is True
    assert moved["service"]["auto_scaling_configuration_summary"]["auto_scaling_configuration_revision"] == 2
    trimmed = run.result("v2 again trims v1")
    assert trimmed["changed"] is True
    assert [r["revision"] for r in trimmed["revisions"]] == [2]
    refused = run.result("absent while in use")
    assert refused["failed"] is True
    assert "used by a service" in refused["msg"]


def test_auto_scaling_validation_fails_before_any_call(localaws):
    control.reset_calls(localaws)
    run = run_tasks([asc("bad sizes", name="invoice-api", min_size=5, max_size=2)], allow_failure=True)
    assert run.result("bad sizes")["msg"] == "min_size (5) is greater than max_size (2)"
    assert control.calls(localaws) == []


def _network():
    ec2 = boto3.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.0.{n}.0/24")["Subnet"]["SubnetId"] for n in range(3)]
    group = ec2.create_security_group(GroupName="apprunner", Description="egress", VpcId=vpc_id)["GroupId"]
    return subnets, group


def test_vpc_connector_four_steps_replace_and_refusal(localaws):
    subnets, group = _network()
    base = dict(name="invoice-db", subnets=subnets[:2], security_groups=[group], tags={"project": "invoice"})
    reordered = {**base, "subnets": list(reversed(subnets[:2]))}
    run = run_tasks(
        [
            vpc("create (check)", check=True, **base),
            vpc("create", **base),
            vpc("create again (check)", check=True, **reordered),
            vpc("create again", **reordered),
            vpc("retag", diff=True, **{**base, "tags": {"project": "invoice", "tier": "db"}}),
            vpc("add a subnet (check)", check=True, diff=True, **{**base, "subnets": subnets}),
            vpc("add a subnet", **{**base, "subnets": subnets}),
            task(
                "apprunner_service",
                "service uses it",
                name="invoice-api",
                image={"identifier": "public.ecr.aws/invoice/api:1"},
                vpc_connector="invoice-db",
                wait_timeout=60,
            ),
            vpc("replace while in use", **base),
        ],
        allow_failure=True,
    )
    assert run.result("create (check)")["changed"] is True
    created = run.result("create")
    arn = created["vpc_connector"]["vpc_connector_arn"]
    assert sorted(created["vpc_connector"]["subnets"]) == sorted(subnets[:2])
    assert run.result("create again (check)")["changed"] is False
    assert run.result("create again")["changed"] is False
    retag = run.result("retag")
    assert retag["changed"] is True and retag["replaced"] is False
    assert retag["diff"]["after"]["tags"] == {"project": "invoice", "tier": "db"}
    check = run.result("add a subnet (check)")
    assert check["replaced"] is True
    assert check["diff"]["before"]["subnets"] == sorted(subnets[:2])
    assert check["diff"]["after"]["subnets"] == sorted(subnets)
    replaced = run.result("add a subnet")
    assert replaced["replaced"] is True
    assert replaced["vpc_connector"]["vpc_connector_arn"] != arn
    assert sorted(replaced["vpc_connector"]["subnets"]) == sorted(subnets)
    assert replaced["vpc_connector"]["tags"] == {"project": "invoice"}
    uses = run.result("service uses it")["service"]["network_configuration"]["egress_configuration"]
    assert uses == {"egress_type": "VPC", "vpc_connector_arn": replaced["vpc_connector"]["vpc_connector_arn"]}
    refused = run.result("replace while in use")
    assert refused["failed"] is True
    assert "App Runner service(s) invoice-api use it" in refused["msg"]
    connectors = boto3.client("apprunner").list_vpc_connectors()["VpcConnectors"]
    active = [c for c in connectors if c["Status"] == "ACTIVE"]
    assert [c["VpcConnectorArn"] for c in active] == [replaced["vpc_connector"]["vpc_connector_arn"]]


def test_vpc_connector_noop_calls_and_delete(localaws):
    subnets, group = _network()
    base = dict(name="invoice-db", subnets=subnets[:2], security_groups=[group], tags={"project": "invoice"})
    run_tasks([vpc("create", **base), asc("asc", name="invoice-api", max_size=3)])
    control.reset_calls(localaws)
    run = run_tasks([vpc("no-op", **base), asc("asc no-op", name="invoice-api", max_size=3)])
    assert not any(r["changed"] for r in run.results)
    calls = [(c["operation"], c["mutating"]) for c in control.calls(localaws)]
    assert calls == [
        ("ListVpcConnectors", False),
        ("ListTagsForResource", False),
        ("ListAutoScalingConfigurations", False),
        ("DescribeAutoScalingConfiguration", False),
    ]
    run = run_tasks(
        [vpc("delete", name="invoice-db", state="absent"), vpc("delete again", name="invoice-db", state="absent")]
    )
    assert run.result("delete")["changed"] is True
    assert run.result("delete again")["changed"] is False
