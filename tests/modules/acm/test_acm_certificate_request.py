"""invoice.platform.acm_certificate_request against the local endpoint (moto + acm_fixes).

The endpoint issues a certificate only once its validation CNAMEs exist in Route 53, so an
ISSUED result proves the module wrote the records.
"""

from __future__ import annotations

from collections import Counter

import boto3
import pytest

from tests.modules.helpers import run_tasks
from tools.localaws import client as calllog

pytestmark = pytest.mark.slow

MODULE = "invoice.platform.acm_certificate_request"


@pytest.fixture
def zone(localaws: str, monkeypatch: pytest.MonkeyPatch) -> str:
    # The endpoint runs in this process: no artificial validation delay for these tests.
    monkeypatch.setenv("LOCALAWS_ACM_DELAY", "0")
    r53 = boto3.client("route53")
    return r53.create_hosted_zone(Name="example.com", CallerReference="acm-test")["HostedZone"]["Id"].split("/")[-1]


def cert_task(name: str, check: bool = False, diff: bool = False, **args: object) -> dict:
    params = {
        "domain_name": "app.example.com",
        "subject_alternative_names": ["www.example.com"],
        "route53_zone_name": "example.com",
        "wait_timeout": 30,
        **args,
    }
    params = {k: v for k, v in params.items() if v is not None}
    task: dict = {"name": name, MODULE: params, "check_mode": check}
    if diff:
        task["diff"] = True
    return task


def test_request_validate_update_delete(zone: str) -> None:
    tags = {"invoice:env": "test", "owner": "platform"}
    run = run_tasks(
        [
            cert_task("check", check=True, tags=tags),
            {"name": "list after check", "community.aws.acm_certificate_info": {"domain_name": "app.example.com"}},
            cert_task("apply", tags=tags),
            cert_task("check again", check=True, tags=tags),
            cert_task("apply again", tags=tags),
            cert_task("retag", diff=True, tags={"invoice:env": "prod", "owner": "platform"}),
            cert_task(
                "case and order do not matter",
                domain_name="App.Example.com.",
                subject_alternative_names=["WWW.example.com", "app.example.com"],
                tags={"invoice:env": "prod", "owner": "platform"},
            ),
            cert_task("delete check", check=True, state="absent"),
            cert_task("delete", state="absent"),
            cert_task("delete again", state="absent"),
        ]
    )
    assert run.result("check")["changed"] is True
    assert "certificate_arn" not in run.result("check")
    assert run.result("list after check")["certificates"] == []

    applied = run.result("apply")
    assert applied["changed"] is True
    assert applied["certificate"]["status"] == "ISSUED"
    assert sorted(applied["certificate"]["subject_alternative_names"]) == ["app.example.com", "www.example.com"]
    assert applied["certificate"]["key_algorithm"].replace("-", "_") == "RSA_2048"
    assert applied["tags"] == tags
    assert len(applied["validation_records"]) == 2
    arn = applied["certificate_arn"]

    for step in ("check again", "apply again", "case and order do not matter"):
        assert run.result(step)["changed"] is False, step
        assert run.result(step)["certificate_arn"] == arn, step

    retag = run.result("retag")
    assert retag["changed"] is True
    assert retag["diff"]["before"]["tags"] == tags
    assert retag["diff"]["after"]["tags"] == {"invoice:env": "prod", "owner": "platform"}
    # Only the managed field that changed differs between before and after.
    changed_keys = {k for k in retag["diff"]["after"] if retag["diff"]["before"].get(k) != retag["diff"]["after"][k]}
    assert changed_keys == {"tags"}

    assert run.result("delete check")["changed"] is True
    assert run.result("delete")["changed"] is True
    assert run.result("delete again")["changed"] is False
    assert boto3.client("acm").list_certificates()["CertificateSummaryList"] == []

    # The validation records stay in the zone (another certificate for these names reuses them).
    names = {
        r["Name"] for r in boto3.client("route53").list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
    }
    assert {r["name"] for r in applied["validation_records"]} <= names


def test_key_algorithm_is_part_of_identity_and_tags_are_optional(zone: str) -> None:
    run = run_tasks(
        [
            cert_task("rsa", route53_zone_name=None, route53_zone_id=zone),
            cert_task("ecdsa", route53_zone_name=None, route53_zone_id=zone, key_algorithm="EC_prime256v1"),
            cert_task("ecdsa again", route53_zone_name=None, route53_zone_id=zone, key_algorithm="EC_prime256v1"),
        ]
    )
    rsa, ecdsa = run.result("rsa"), run.result("ecdsa")
    assert rsa["changed"] and ecdsa["changed"]
    assert rsa["certificate_arn"] != ecdsa["certificate_arn"]
    assert ecdsa["certificate"]["key_algorithm"].replace("-", "_") == "EC_prime256v1"
    assert run.result("ecdsa again")["changed"] is False
    assert run.result("ecdsa again")["certificate_arn"] == ecdsa["certificate_arn"]


def test_without_zone_it_returns_records_and_does_not_wait(localaws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCALAWS_ACM_DELAY", "0")
    run = run_tasks([cert_task("no zone", route53_zone_name=None, wait=False)])
    result = run.result("no zone")
    assert result["changed"] is True
    assert result["certificate"]["status"] == "PENDING_VALIDATION"
    assert {r["name"].split(".", 1)[1] for r in result["validation_records"]} == {
        "app.example.com.",
        "www.example.com.",
    }


BAD_OPTIONS = [
    ({"domain_name": "not a domain"}, "domain_name: 'not a domain' is not a fully qualified domain name"),
    (
        {"subject_alternative_names": ["ok.example.com", "bad..example.com"]},
        "subject_alternative_names: 'bad..example.com'",
    ),
    ({"route53_zone_id": "Z1"}, "mutually exclusive: route53_zone_id|route53_zone_name"),
    ({"wait_timeout": 0}, "wait_timeout must be a positive number"),
]


def test_invalid_options_fail_before_any_call(localaws: str) -> None:
    calllog.reset_calls(localaws)
    tasks = [dict(cert_task(f"bad {i}", **args), ignore_errors=True) for i, (args, _) in enumerate(BAD_OPTIONS)]
    run = run_tasks(tasks)
    for i, (_, message) in enumerate(BAD_OPTIONS):
        result = run.result(f"bad {i}")
        assert result["failed"] is True
        assert message in result["msg"]
    assert calllog.calls(localaws) == []


def test_unknown_zone_name_is_named(zone: str) -> None:
    run = run_tasks([cert_task("bad zone", route53_zone_name="nowhere.example.org")], allow_failure=True)
    assert "route53_zone_name: no public hosted zone named 'nowhere.example.org'" in run.result("bad zone")["msg"]


def test_noop_run_makes_only_these_reads(zone: str, localaws: str) -> None:
    params = {"tags": {"invoice:env": "test"}}
    run_tasks([cert_task("apply", **params)])
    calllog.reset_calls(localaws)
    run = run_tasks([cert_task("apply again", **params), cert_task("check", check=True, **params)])
    assert not run.result("apply again")["changed"] and not run.result("check")["changed"]
    calls = calllog.calls(localaws)
    assert [c for c in calls if c["mutating"]] == []
    per_run = {
        "ListHostedZonesByName": 1,
        "ListCertificates": 1,
        "DescribeCertificate": 1,
        "ListTagsForCertificate": 1,
        "ListResourceRecordSets": 2,  # one per validation record (app. and www.)
    }
    assert Counter(c["operation"] for c in calls) == {op: 2 * n for op, n in per_run.items()}


def test_converges_when_a_third_of_calls_are_throttled(zone: str, localaws: str) -> None:
    calllog.reset_calls(localaws)
    calllog.set_faults(localaws, throttle_rate=0.3, seed=11, services=["acm", "route53"])
    try:
        run = run_tasks([cert_task("apply"), cert_task("apply again")])
    finally:
        calllog.clear_faults(localaws)
    assert run.result("apply")["changed"] is True
    assert run.result("apply")["certificate"]["status"] == "ISSUED"
    assert run.result("apply again")["changed"] is False
    throttled = [c for c in calllog.calls(localaws) if c["status"] >= 400]
    assert throttled, "the endpoint throttled nothing: the test proves nothing"
    assert len(boto3.client("acm").list_certificates()["CertificateSummaryList"]) == 1
