"""Unit tests of the ACM helpers: identity, validation records, waiters (no endpoint)."""

from __future__ import annotations

import datetime

import boto3
import pytest
from ansible_collections.invoice.platform.plugins.module_utils import acm
from ansible_collections.invoice.platform.plugins.module_utils._acm.waiters import AcmWaiterFactory
from botocore.exceptions import WaiterError
from botocore.stub import Stubber

ARN = "arn:aws:acm:us-east-1:123456789012:certificate/0e6d5f4c-1a2b-4c3d-9e8f-0123456789ab"


def detail(**overrides: object) -> dict:
    base = {
        "CertificateArn": ARN,
        "DomainName": "app.example.com",
        "SubjectAlternativeNames": ["app.example.com", "www.example.com"],
        "Status": "ISSUED",
        "Type": "AMAZON_ISSUED",
        "KeyAlgorithm": "RSA-2048",
        "CreatedAt": datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
    }
    base.update(overrides)
    return base


@pytest.mark.parametrize(
    ("overrides", "sans", "algorithm", "expected"),
    [
        ({}, ["www.example.com"], "RSA_2048", True),
        ({}, ["WWW.example.com.", "app.example.com"], "RSA_2048", True),
        ({}, [], "RSA_2048", False),
        ({}, ["www.example.com", "api.example.com"], "RSA_2048", False),
        ({}, ["www.example.com"], "EC_prime256v1", False),
        ({"KeyAlgorithm": "EC_prime256v1"}, ["www.example.com"], "EC_prime256v1", True),
        ({"Status": "PENDING_VALIDATION"}, ["www.example.com"], "RSA_2048", True),
        ({"Status": "FAILED"}, ["www.example.com"], "RSA_2048", False),
        ({"Status": "EXPIRED"}, ["www.example.com"], "RSA_2048", False),
        ({"Type": "IMPORTED"}, ["www.example.com"], "RSA_2048", False),
        ({"DomainName": "www.example.com"}, ["app.example.com"], "RSA_2048", False),
    ],
)
def test_certificate_matches(overrides: dict, sans: list[str], algorithm: str, expected: bool) -> None:
    assert acm.certificate_matches(detail(**overrides), "app.example.com", sans, algorithm) is expected


def test_pick_prefers_issued_then_newest() -> None:
    old_issued = detail(CertificateArn="a", CreatedAt=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC))
    new_issued = detail(CertificateArn="b", CreatedAt=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))
    newest_pending = detail(
        CertificateArn="c", Status="PENDING_VALIDATION", CreatedAt=datetime.datetime(2027, 1, 1, tzinfo=datetime.UTC)
    )
    assert acm.pick_certificate([old_issued, newest_pending, new_issued])["CertificateArn"] == "b"
    assert acm.pick_certificate([newest_pending])["CertificateArn"] == "c"
    assert acm.pick_certificate([]) is None


def option(domain: str, record: dict | None) -> dict:
    result = {"DomainName": domain, "ValidationMethod": "DNS"}
    if record is not None:
        result["ResourceRecord"] = record
    return result


def test_validation_records_are_distinct_and_normalised() -> None:
    shared = {"Name": "_A.Example.com.", "Type": "CNAME", "Value": "_B.acm-validations.aws."}
    other = {"Name": "_c.www.example.com", "Type": "CNAME", "Value": "_d.acm-validations.aws"}
    records = acm.validation_records(
        {
            "DomainValidationOptions": [
                option("example.com", shared),
                option("*.example.com", shared),
                option("www", other),
            ]
        }
    )
    assert records == [
        {"name": "_a.example.com.", "type": "CNAME", "value": "_b.acm-validations.aws."},
        {"name": "_c.www.example.com.", "type": "CNAME", "value": "_d.acm-validations.aws."},
    ]


def test_validation_records_not_ready() -> None:
    assert acm.validation_records({"DomainValidationOptions": [option("example.com", None)]}) is None


@pytest.mark.parametrize(
    ("rrsets", "expected"),
    [
        ([], False),
        ([{"Name": "_a.example.com.", "Type": "CNAME", "ResourceRecords": [{"Value": "_b.aws."}]}], True),
        ([{"Name": "_A.example.com", "Type": "CNAME", "ResourceRecords": [{"Value": "_B.aws"}]}], True),
        ([{"Name": "_a.example.com.", "Type": "CNAME", "ResourceRecords": [{"Value": "_other.aws."}]}], False),
        ([{"Name": "_a.example.com.", "Type": "TXT", "ResourceRecords": [{"Value": "_b.aws."}]}], False),
        # ListResourceRecordSets starts at the name: the next record in the zone is not a match.
        ([{"Name": "_z.example.com.", "Type": "CNAME", "ResourceRecords": [{"Value": "_b.aws."}]}], False),
    ],
)
def test_record_in_sync(rrsets: list[dict], expected: bool) -> None:
    assert acm.record_in_sync(rrsets, {"name": "_a.example.com.", "type": "CNAME", "value": "_b.aws."}) is expected


def test_idempotency_token_is_stable_and_valid() -> None:
    token = acm.idempotency_token("app.example.com", ["www.example.com"], "RSA_2048")
    assert token == acm.idempotency_token("APP.example.com.", ["app.example.com", "www.example.com"], "RSA-2048")
    assert token != acm.idempotency_token("app.example.com", ["www.example.com"], "EC_prime256v1")
    assert len(token) == 32 and token.isalnum()
    # one request's retries share a nonce; the next request (a rebuild after a teardown) gets a new token
    assert acm.idempotency_token("app.example.com", ["www.example.com"], "RSA_2048", "1") != token


@pytest.fixture
def acm_client() -> boto3.client:
    return boto3.client("acm", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")


def describe(status: str, records: bool = True) -> dict:
    record = {"Name": "_a.example.com.", "Type": "CNAME", "Value": "_b.aws."} if records else None
    return {"Certificate": {"CertificateArn": ARN, "Status": status, "DomainValidationOptions": [option("x", record)]}}


def wait(client: boto3.client, name: str) -> None:
    AcmWaiterFactory().get_waiter(client, name).wait(CertificateArn=ARN, WaiterConfig={"Delay": 0, "MaxAttempts": 5})


def test_issued_waiter_survives_throttling(acm_client: boto3.client) -> None:
    with Stubber(acm_client) as stub:
        stub.add_client_error("describe_certificate", "ThrottlingException", "Rate exceeded")
        stub.add_response("describe_certificate", describe("PENDING_VALIDATION"))
        stub.add_client_error("describe_certificate", "ThrottlingException", "Rate exceeded")
        stub.add_response("describe_certificate", describe("ISSUED"))
        wait(acm_client, "certificate_issued")
        stub.assert_no_pending_responses()


@pytest.mark.parametrize("status", ["FAILED", "VALIDATION_TIMED_OUT", "REVOKED"])
def test_issued_waiter_stops_on_failure(acm_client: boto3.client, status: str) -> None:
    with Stubber(acm_client) as stub:
        stub.add_response("describe_certificate", describe(status))
        with pytest.raises(WaiterError, match="terminal failure"):
            wait(acm_client, "certificate_issued")


def test_records_waiter_waits_for_every_record(acm_client: boto3.client) -> None:
    with Stubber(acm_client) as stub:
        stub.add_response(
            "describe_certificate", {"Certificate": {"CertificateArn": ARN, "Status": "PENDING_VALIDATION"}}
        )
        stub.add_response("describe_certificate", describe("PENDING_VALIDATION", records=False))
        stub.add_response("describe_certificate", describe("PENDING_VALIDATION"))
        wait(acm_client, "validation_records_ready")
        stub.assert_no_pending_responses()
