"""roles/certificates through playbooks/certificates.yml (runs dns first)."""

from __future__ import annotations

import boto3
import pytest

from tests.playbooks.helpers import run_playbook
from tests.playbooks.stack_helpers import converge, mutating, noop_calls
from tools.localaws.client import calls, reset_calls

pytestmark = pytest.mark.slow


def test_certificate_in_us_east_1_issued_and_idempotent(localaws: str) -> None:
    run = converge("playbooks/certificates.yml")
    arn = run.task("Publish the certificate outputs")["ansible_facts"]["platform_outputs_certificates"][
        "cloudfront_certificate_arn"
    ]
    assert arn.startswith("arn:aws:acm:us-east-1:")
    cert = boto3.client("acm", region_name="us-east-1").describe_certificate(CertificateArn=arn)["Certificate"]
    assert cert["Status"] == "ISSUED"
    assert set(cert["SubjectAlternativeNames"]) == {"invoice-processing.test", "www.invoice-processing.test"}

    again, log = noop_calls(localaws, "playbooks/certificates.yml")
    assert again.changed == 0
    assert mutating(log) == []
    assert len(boto3.client("acm", region_name="us-east-1").list_certificates()["CertificateSummaryList"]) == 1


def test_check_on_empty_account_creates_nothing(localaws: str) -> None:
    run = converge("playbooks/certificates.yml", check=True)
    assert (
        "invoice.platform.certificates : Request the web UI certificate in us-east-1 (CloudFront)"
        in run.changed_tasks()
    )
    assert mutating(calls(localaws)) == []
    assert boto3.client("acm", region_name="us-east-1").list_certificates()["CertificateSummaryList"] == []


def test_name_outside_the_zone_fails_before_any_call(localaws: str) -> None:
    reset_calls(localaws)
    run = run_playbook("playbooks/certificates.yml", extra_vars={"certificates_cloudfront_sans": ["www.other.example"]})
    assert run.rc != 0
    assert any('"www.other.example" is outside the zone' in m for m in run.failure_messages()), run.explain()
    assert [c for c in calls(localaws) if c["service"] in ("acm", "route53")] == []
