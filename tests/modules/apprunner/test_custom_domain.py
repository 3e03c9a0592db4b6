"""apprunner_custom_domain against the local endpoint (App Runner + moto's Route 53)."""

from __future__ import annotations

import boto3
import pytest

from tests.modules.helpers import module_task, run_tasks
from tools.localaws import client as control

pytestmark = pytest.mark.slow


# The service the domains are associated with.
SERVICE_TASK = {
    "name": "service",
    "invoice.platform.apprunner_service": {
        "name": "invoice-api",
        "image": {"identifier": "public.ecr.aws/invoice/api:1"},
        "wait_timeout": 60,
    },
}


def domain_task(title, *, check=False, diff=False, **options):
    params = {"service": "invoice-api", "wait_timeout": 60, **options}
    return module_task("invoice.platform.apprunner_custom_domain", title, params, check, diff)


def _zone_records(zone_id):
    rrsets = boto3.client("route53").list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    return {(r["Name"], r["Type"]): [v["Value"] for v in r.get("ResourceRecords", [])] for r in rrsets}


def test_custom_domain_with_route53(localaws):
    route53 = boto3.client("route53")
    zone_id = route53.create_hosted_zone(Name="example.com", CallerReference="test")["HostedZone"]["Id"]
    route53.change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": "old.example.com",
                        "Type": "CNAME",
                        "TTL": 60,
                        "ResourceRecords": [{"Value": "legacy.example.net"}],
                    },
                }
            ]
        },
    )
    options = dict(domain_name="api.example.com", route53_zone="example.com")
    run = run_tasks(
        [
            SERVICE_TASK,
            domain_task("associate (check)", check=True, **options),
            domain_task("associate", diff=True, **options),
            domain_task("associate again (check)", check=True, **options),
            domain_task("associate again", **options),
            domain_task("www cannot change", enable_www_subdomain=True, **options),
        ],
        allow_failure=True,
    )
    assert run.result("associate (check)")["changed"] is True
    assert "custom_domain" not in run.result("associate (check)")
    associated = run.result("associate")
    assert associated["changed"] is True, associated.get("msg")
    assert associated["custom_domain"]["status"] == "active"
    target = associated["dns_target"]
    validation = associated["custom_domain"]["certificate_validation_records"][0]
    records = _zone_records(zone_id)
    assert records[("api.example.com.", "CNAME")] == [target]
    assert records[(validation["name"], "CNAME")] == [validation["value"]]
    assert {c["name"] for c in associated["route53_changes"]} == {validation["name"], "api.example.com"}
    assert {"name": "api.example.com", "type": "CNAME", "value": target} in associated["dns_records"]
    assert run.result("associate again (check)")["changed"] is False
    assert run.result("associate again")["changed"] is False
    www = run.result("www cannot change")
    assert www["failed"] is True
    assert "cannot change it: disassociate (state=absent) and associate again" in www["msg"]

    control.reset_calls(localaws)
    run = run_tasks(
        [
            domain_task("existing CNAME", domain_name="old.example.com", route53_zone="example.com"),
        ],
        allow_failure=True,
    )
    conflict = run.result("existing CNAME")
    assert conflict["failed"] is True
    assert (
        "old.example.com already has a CNAME record in Route 53 zone example.com. pointing to legacy.example.net"
        in (conflict["msg"])
    )
    assert not [c for c in control.calls(localaws) if c["mutating"]], "a conflicting domain must not be associated"
    assert _zone_records(zone_id)[("old.example.com.", "CNAME")] == ["legacy.example.net"]

    run = run_tasks(
        [
            domain_task("remove (check)", check=True, state="absent", **options),
            domain_task("remove", state="absent", **options),
            domain_task("remove again", state="absent", **options),
        ]
    )
    assert run.result("remove (check)")["changed"] is True
    assert run.result("remove")["changed"] is True
    assert run.result("remove again")["changed"] is False
    domains = boto3.client("apprunner").describe_custom_domains(
        ServiceArn=boto3.client("apprunner").list_services()["ServiceSummaryList"][0]["ServiceArn"]
    )["CustomDomains"]
    assert domains == []


def test_custom_domain_without_zone_returns_records(localaws):
    run = run_tasks(
        [
            SERVICE_TASK,
            domain_task("associate", domain_name="api.example.org", enable_www_subdomain=True, wait=False),
        ]
    )
    result = run.result("associate")
    assert result["changed"] is True
    assert result["custom_domain"]["status"] == "pending_certificate_dns_validation"
    names = {r["name"] for r in result["dns_records"]}
    assert {"api.example.org", "www.api.example.org"} <= names
    assert len(result["dns_records"]) == 4  # two validation CNAMEs, the domain and www
    assert "route53_changes" not in result
