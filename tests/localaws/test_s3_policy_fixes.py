"""Bucket policies on the local endpoint: conditions are evaluated as AWS does over TLS."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from tools.localaws.extensions.s3_policy_fixes import applicable_policy

TLS_ONLY = {
    "Sid": "DenyInsecureTransport",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": ["arn:aws:s3:::invoice-files", "arn:aws:s3:::invoice-files/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}


def put_policy(s3: object, *statements: dict) -> None:
    s3.put_bucket_policy(  # type: ignore[attr-defined]
        Bucket="invoice-files", Policy=json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
    )


def test_tls_only_policy_lets_tls_clients_through(localaws: str) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="invoice-files")
    put_policy(s3, TLS_ONLY)
    s3.put_object(Bucket="invoice-files", Key="a.pdf", Body=b"%PDF")
    assert s3.get_object(Bucket="invoice-files", Key="a.pdf")["Body"].read() == b"%PDF"


def test_unconditional_deny_still_denies(localaws: str) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="invoice-files")
    deny_put = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::invoice-files/*",
    }
    put_policy(s3, TLS_ONLY, deny_put)
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket="invoice-files", Key="a.pdf", Body=b"%PDF")
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


@pytest.mark.parametrize(
    ("condition", "applies"),
    [
        ({"Bool": {"aws:SecureTransport": "false"}}, False),
        ({"Bool": {"aws:SecureTransport": "true"}}, True),
        ({"ArnLike": {"AWS:SourceArn": "arn:aws:cloudfront::123456789012:distribution/*"}}, False),
        ({"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1"}}, True),
        ({"NumericLessThan": {"s3:TlsVersion": "1.2"}}, False),
    ],
)
def test_conditions(condition: dict, applies: bool) -> None:
    statement = {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*", "Condition": condition}
    reduced = applicable_policy(json.dumps({"Version": "2012-10-17", "Statement": [statement]}))
    assert (reduced is not None) is applies
    if reduced:
        assert "Condition" not in json.loads(reduced)["Statement"][0]
