"""The CloudFront errors the endpoint adds to moto's (extensions/cloudfront_fixes.py): code and message.

InvalidationBatchAlreadyExists is not among them: botocore's CloudFront model has no such error
shape, so moto's serialiser warns, which the tests' warnings-as-errors turn into a 500."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.localaws.test_cloudfront_serving import make_site


def refused(call: Callable[[], Any]) -> tuple[str, str]:
    with pytest.raises(ClientError) as exc:
        call()
    error = exc.value.response["Error"]
    return error["Code"], error["Message"]


def test_cloudfront_errors_of_the_endpoint(localaws: str) -> None:
    cloudfront = boto3.client("cloudfront")
    dist_id = make_site("api.invoice.test")["Id"]
    current = cloudfront.get_distribution_config(Id=dist_id)
    config, etag = current["DistributionConfig"], current["ETag"]

    stale = refused(lambda: cloudfront.update_distribution(Id=dist_id, IfMatch="stale", DistributionConfig=config))
    assert stale == (
        "PreconditionFailed",
        "The If-Match version does not match the current version of the resource.",
    )
    assert refused(lambda: cloudfront.delete_distribution(Id=dist_id, IfMatch=etag)) == (
        "DistributionNotDisabled",
        "The distribution you are trying to delete has not been disabled.",
    )

    policy = {"Name": "invoice-test-headers", "RemoveHeadersConfig": {"Quantity": 1, "Items": [{"Header": "Server"}]}}
    cloudfront.create_response_headers_policy(ResponseHeadersPolicyConfig=policy)
    assert refused(lambda: cloudfront.create_response_headers_policy(ResponseHeadersPolicyConfig=policy)) == (
        "ResponseHeadersPolicyAlreadyExists",
        "A response headers policy with the name invoice-test-headers already exists.",
    )
    assert refused(lambda: cloudfront.get_response_headers_policy(Id="00000000-0000-0000-0000-000000000000")) == (
        "NoSuchResponseHeadersPolicy",
        "The response headers policy does not exist.",
    )
