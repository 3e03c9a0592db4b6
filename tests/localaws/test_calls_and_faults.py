"""The call log (every AWS call, with its mutating flag) and throttling faults."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import reset_localaws
from tests.helpers import put_alarm
from tests.localaws.conftest import NO_RETRY, create_service
from tools.localaws import client
from tools.localaws.client import LocalAWSControlError


def call_tuples(url: str) -> list[tuple[str | None, str | None, int, bool]]:
    return [(c["service"], c["operation"], c["status"], c["mutating"]) for c in client.calls(url)]


def test_call_log_covers_json_rest_xml_and_query_services(localaws: str) -> None:
    client.reset_calls(localaws)
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="invoice-files")
    s3.put_object(Bucket="invoice-files", Key="2026/01/inv-1.pdf", Body=b"%PDF")
    s3.get_object(Bucket="invoice-files", Key="2026/01/inv-1.pdf")
    s3.list_objects_v2(Bucket="invoice-files")
    s3.put_bucket_versioning(Bucket="invoice-files", VersioningConfiguration={"Status": "Enabled"})
    s3.head_object(Bucket="invoice-files", Key="2026/01/inv-1.pdf")
    boto3.client("sts").get_caller_identity()
    apprunner = boto3.client("apprunner", config=NO_RETRY)
    apprunner.list_services()
    with pytest.raises(ClientError):
        apprunner.describe_service(ServiceArn="arn:aws:apprunner:us-east-1:123456789012:service/none/" + "0" * 32)
    put_alarm(
        "api-5xx",
        MetricName="5xxStatusResponses",
        Namespace="AWS/AppRunner",
        Statistic="Sum",
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    boto3.client("route53").list_hosted_zones()

    assert call_tuples(localaws) == [
        ("s3", "CreateBucket", 200, True),
        ("s3", "PutObject", 200, True),
        ("s3", "GetObject", 200, False),
        ("s3", "ListObjectsV2", 200, False),
        ("s3", "PutBucketVersioning", 200, True),
        ("s3", "HeadObject", 200, False),
        ("sts", "GetCallerIdentity", 200, False),
        ("apprunner", "ListServices", 200, False),
        ("apprunner", "DescribeService", 400, False),
        ("cloudwatch", "PutMetricAlarm", 200, True),
        ("route53", "ListHostedZones", 200, False),
    ]

    client.reset_calls(localaws)
    assert client.calls(localaws) == []
    s3.list_buckets()
    assert call_tuples(localaws) == [("s3", "ListBuckets", 200, False)]
    reset_localaws(localaws)  # /moto-api/reset clears the log too
    assert client.calls(localaws) == []


def test_throttling_is_deterministic_with_a_seed(localaws: str) -> None:
    apprunner = boto3.client("apprunner", config=NO_RETRY)

    def outcomes() -> list[bool]:
        result = []
        for _ in range(30):
            try:
                apprunner.list_services()
                result.append(True)
            except ClientError as exc:
                assert exc.response["Error"]["Code"] == "ThrottlingException"
                assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 400
                result.append(False)
        return result

    settings = client.set_faults(
        localaws, throttle_rate=0.3, seed=7, services=["apprunner"], operations=["ListServices"]
    )
    assert settings["throttle_rate"] == 0.3
    first = outcomes()
    client.set_faults(localaws, throttle_rate=0.3, seed=7, services=["apprunner"], operations=["ListServices"])
    second = outcomes()
    assert first == second
    assert 0 < first.count(False) < 30
    client.set_faults(localaws, throttle_rate=0.3, seed=8, services=["apprunner"], operations=["ListServices"])
    assert outcomes() != first

    # Calls outside the filter are never throttled.
    for _ in range(10):
        boto3.client("sts").get_caller_identity()
        apprunner.list_auto_scaling_configurations()
    throttled = [c for c in client.calls(localaws) if c["status"] == 400]
    assert {(c["service"], c["operation"]) for c in throttled} == {("apprunner", "ListServices")}
    client.clear_faults(localaws)
    assert outcomes() == [True] * 30


def test_throttled_call_does_not_reach_the_backend(localaws: str) -> None:
    apprunner = boto3.client("apprunner", config=NO_RETRY)
    client.set_faults(localaws, throttle_rate=1.0, services=["apprunner"], operations=["CreateService"])
    with pytest.raises(ClientError) as exc:
        create_service(apprunner)
    assert exc.value.response["Error"]["Code"] == "ThrottlingException"
    client.clear_faults(localaws)
    assert apprunner.list_services()["ServiceSummaryList"] == []
    # The call log tells the throttled answer from the ones the backend gave.
    assert [(c["operation"], c["throttled"]) for c in client.calls(localaws)] == [
        ("CreateService", True),
        ("ListServices", False),
    ]


@pytest.mark.parametrize(
    ("service", "call", "code", "status"),
    [
        ("s3", lambda c: c.list_buckets(), "SlowDown", 503),
        ("s3", lambda c: c.head_bucket(Bucket="invoice-files"), "503", 503),  # HEAD: no body, status only
        ("sts", lambda c: c.get_caller_identity(), "Throttling", 400),
        ("ec2", lambda c: c.describe_vpcs(), "RequestLimitExceeded", 400),
        ("cloudwatch", lambda c: c.describe_alarms(), "Throttling", 400),
        ("route53", lambda c: c.list_hosted_zones(), "Throttling", 400),
        ("acm", lambda c: c.list_certificates(), "ThrottlingException", 400),
    ],
)
def test_throttling_error_is_protocol_correct(localaws: str, service: str, call: Any, code: str, status: int) -> None:
    client.set_faults(localaws, throttle_rate=1.0)
    with pytest.raises(ClientError) as exc:
        call(boto3.client(service, config=NO_RETRY))
    assert exc.value.response["Error"]["Code"] == code
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == status


def test_retrying_clients_converge_under_throttling(localaws: str) -> None:
    from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

    client.set_faults(localaws, throttle_rate=0.5, seed=3)
    # botocore's own retries (standard mode) absorb throttling on their own.
    retrying = boto3.client("apprunner", config=Config(retries={"mode": "standard", "max_attempts": 10}))
    arn = create_service(retrying)["ServiceArn"]

    # amazon.aws's AWSRetry: "Throttling" is retried by default; JSON services' "ThrottlingException"
    # needs catch_extra_error_codes.
    no_retry = boto3.client("apprunner", config=NO_RETRY)
    describe = AWSRetry.jittered_backoff(
        retries=20, delay=0.01, max_delay=0.05, catch_extra_error_codes=["ThrottlingException"]
    )(no_retry.describe_service)
    s3 = boto3.client("s3", config=NO_RETRY)
    # S3 answers SlowDown/503, which botocore's own retries handle; AWSRetry needs it named.
    list_buckets = AWSRetry.jittered_backoff(
        retries=20, delay=0.01, max_delay=0.05, catch_extra_error_codes=["SlowDown"]
    )(s3.list_buckets)
    for _ in range(5):
        assert describe(ServiceArn=arn)["Service"]["ServiceArn"] == arn
        assert list_buckets()["Buckets"] == []
    client.clear_faults(localaws)
    statuses = {c["status"] for c in client.calls(localaws)}
    assert statuses == {200, 400, 503}


@pytest.mark.parametrize(
    ("settings", "fragment"),
    [
        ({"throttle_rate": 1.5}, "'throttle_rate' must be a number from 0 to 1"),
        ({"throttle_rate": 0.5, "seed": "x"}, "'seed' must be an integer"),
        ({"throttle_rate": 0.5, "services": "apprunner"}, "'services' must be a list"),
        ({"throttle_rate": 0.5, "rate": 1}, "unknown setting(s) rate"),
    ],
)
def test_bad_fault_settings_are_refused_with_the_field_named(
    localaws: str, settings: dict[str, Any], fragment: str
) -> None:
    from tools.localaws.client import _request

    with pytest.raises(LocalAWSControlError) as exc:
        _request(localaws, "POST", "/_localaws/faults", settings)
    assert "HTTP 400" in str(exc.value)
    assert fragment in str(exc.value)


def test_client_refuses_non_loopback_urls() -> None:
    with pytest.raises(LocalAWSControlError, match="not a loopback URL"):
        client.calls("http://example.com:4566")


@pytest.mark.parametrize("signature_version", ["s3v4", "s3"])
def test_presigned_urls_are_named_too(localaws: str, signature_version: str) -> None:
    import urllib.request

    s3 = boto3.client("s3", config=Config(signature_version=signature_version))
    s3.create_bucket(Bucket="presigned-files")
    s3.put_object(Bucket="presigned-files", Key="a.txt", Body=b"hello")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "presigned-files", "Key": "a.txt"}, ExpiresIn=60)
    client.reset_calls(localaws)
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == b"hello"
    assert call_tuples(localaws) == [("s3", "GetObject", 200, False)]
