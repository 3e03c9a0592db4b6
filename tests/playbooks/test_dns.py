"""roles/dns through playbooks/dns.yml against the local endpoint."""

from __future__ import annotations

import boto3
import pytest

from tests.playbooks.helpers import run_playbook
from tests.playbooks.stack_helpers import converge, mutating, noop_calls
from tools.localaws.client import calls, reset_calls

pytestmark = pytest.mark.slow
ZONE = "invoice-processing.test."


def zones() -> list[dict]:
    return [z for z in boto3.client("route53").list_hosted_zones()["HostedZones"] if z["Name"] == ZONE]


def test_check_on_empty_account_creates_nothing(localaws: str) -> None:
    run = converge("playbooks/dns.yml", check=True)
    assert "invoice.platform.dns : Create the hosted zone" in run.changed_tasks()
    assert zones() == []
    assert mutating(calls(localaws)) == []


def test_converge_then_noop(localaws: str) -> None:
    run = converge("playbooks/dns.yml")
    # The zone, and the tier's section of outputs/<env>.json (a tier run alone writes its own).
    assert sorted(run.changed_tasks()) == ["Write the outputs file", "invoice.platform.dns : Create the hosted zone"], (
        run.changed_tasks()
    )
    (zone,) = zones()
    outputs = run.task("Publish the dns outputs")["ansible_facts"]["platform_outputs_dns"]
    assert zone["Id"].endswith(outputs["zone_id"])
    assert len(outputs["name_servers"]) >= 2
    tags = boto3.client("route53").list_tags_for_resource(ResourceType="hostedzone", ResourceId=outputs["zone_id"])
    assert {"Key": "Environment", "Value": "local"} in tags["ResourceTagSet"]["Tags"]

    again, log = noop_calls(localaws, "playbooks/dns.yml", diff=True)
    assert again.changed == 0
    assert mutating(log) == []
    assert len(zones()) == 1
    check = converge("playbooks/dns.yml", check=True, diff=True)
    assert check.changed == 0


def test_lookup_only_fails_naming_the_zone(localaws: str) -> None:
    run = run_playbook("playbooks/dns.yml", extra_vars={"dns_zone_create": False})
    assert run.rc != 0
    assert any(
        "invoice-processing.test does not exist and dns_zone_create is false" in m for m in run.failure_messages()
    )
    assert zones() == []


@pytest.mark.parametrize(
    ("extra", "expected"),
    [({"dns_zone_name": "Bad_Zone"}, "dns_zone_name"), ({"dns_zone_create": "maybe"}, "dns_zone_create")],
)
def test_bad_input_fails_before_any_call(localaws: str, extra: dict, expected: str) -> None:
    reset_calls(localaws)
    run = run_playbook("playbooks/dns.yml", extra_vars=extra, tags=["dns"])
    assert run.rc != 0
    assert any(expected in m for m in run.failure_messages()), run.explain()
    assert [c for c in calls(localaws) if c["service"] not in ("sts", "iam")] == []  # preflight only
