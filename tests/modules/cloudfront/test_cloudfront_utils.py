"""Unit tests of the CloudFront config building, normalisation and merge (no endpoint)."""

from __future__ import annotations

import copy

import boto3
import pytest
from ansible_collections.invoice.platform.plugins.module_utils import cloudfront as cf
from ansible_collections.invoice.platform.plugins.module_utils._cloudfront.waiters import CloudFrontWaiterFactory
from botocore.exceptions import WaiterError
from botocore.stub import Stubber

CERT = "arn:aws:acm:us-east-1:123456789012:certificate/abc"


def behavior(**overrides: object) -> dict:
    base = {
        "target_origin": "s3",
        "viewer_protocol_policy": "redirect-to-https",
        "allowed_methods": ["GET", "HEAD"],
        "cached_methods": ["GET", "HEAD"],
        "compress": True,
        "cache_policy_id": cf.CACHING_OPTIMIZED,
        "origin_request_policy_id": None,
        "response_headers_policy_id": None,
    }
    base.update(overrides)
    return base


def params(**overrides: object) -> dict:
    base = {
        "name": "web",
        "comment": None,
        "enabled": True,
        "aliases": ["b.example.com", "a.example.com"],
        "certificate_arn": CERT,
        "minimum_protocol_version": "TLSv1.2_2021",
        "default_root_object": "index.html",
        "s3_origin": {"id": "s3", "domain_name": "web.s3.us-east-1.amazonaws.com", "origin_path": ""},
        "api_origin": {
            "id": "api",
            "domain_name": "api.example.com",
            "origin_path": "",
            "https_port": 443,
            "read_timeout": 30,
            "keepalive_timeout": 5,
        },
        "default_behavior": behavior(),
        "behaviors": [
            dict(behavior(target_origin="api", allowed_methods=["GET", "HEAD", "OPTIONS"]), path_pattern="/api/*")
        ],
        "error_responses": [
            {"error_code": 404, "response_code": 200, "response_page_path": "/index.html", "caching_min_ttl": 10},
            {"error_code": 403, "response_code": 200, "response_page_path": "/index.html", "caching_min_ttl": 10},
        ],
        "price_class": "PriceClass_100",
        "http_version": "http2and3",
        "ipv6_enabled": True,
        "logging": None,
    }
    base.update(overrides)
    return base


def as_aws_returns(config: dict) -> dict:
    """What GetDistributionConfig gives back: defaults added, lists reordered, Items kept."""
    aws = copy.deepcopy(config)
    aws["Aliases"]["Items"] = list(reversed(aws["Aliases"]["Items"]))
    aws["CustomErrorResponses"]["Items"] = list(reversed(aws["CustomErrorResponses"]["Items"]))
    aws["Restrictions"] = {"GeoRestriction": {"RestrictionType": "none", "Quantity": 0}}
    aws["WebACLId"] = ""
    for origin in aws["Origins"]["Items"]:
        origin.update(ConnectionAttempts=3, ConnectionTimeout=10, OriginShield={"Enabled": False})
    aws["DefaultCacheBehavior"].update(
        ForwardedValues={"QueryString": False, "Cookies": {"Forward": "none"}},
        MinTTL=0,
        FunctionAssociations={"Quantity": 1, "Items": [{"FunctionARN": "arn:fn", "EventType": "viewer-request"}]},
    )
    aws["ViewerCertificate"]["CertificateSource"] = "acm"
    return aws


def test_view_ignores_what_aws_adds_and_reorders() -> None:
    desired = cf.build_config(params(), "web", "OAC1")
    assert cf.config_view(as_aws_returns(desired)) == cf.config_view(desired)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"price_class": "PriceClass_All"}, "price_class"),
        ({"aliases": ["a.example.com"]}, "aliases"),
        ({"default_root_object": "app.html"}, "default_root_object"),
        ({"certificate_arn": CERT + "2"}, "certificate"),
        ({"logging": {"bucket": "logs.s3.amazonaws.com", "prefix": "", "include_cookies": False}}, "logging"),
        ({"default_behavior": behavior(response_headers_policy_id="rhp")}, "default_behavior"),
        ({"error_responses": []}, "error_responses"),
        ({"enabled": False}, "enabled"),
        ({"comment": "other"}, "comment"),
    ],
)
def test_each_managed_field_is_compared(overrides: dict, field: str) -> None:
    before = cf.config_view(cf.build_config(params(), "web", "OAC1"))
    after = cf.config_view(cf.build_config(params(**overrides), "web", "OAC1"))
    assert cf.view_diff(before, after)["after"].keys() == {field}


def test_oac_change_is_a_difference_of_origins() -> None:
    before = cf.config_view(cf.build_config(params(), "web", "OAC1"))
    after = cf.config_view(cf.build_config(params(), "web", "OAC2"))
    assert cf.view_diff(before, after)["after"]["origins"]["s3"]["origin_access_control_id"] == "OAC2"


def test_behaviour_order_matters() -> None:
    first = dict(behavior(), path_pattern="/a/*")
    second = dict(behavior(), path_pattern="/b/*")
    one = cf.config_view(cf.build_config(params(behaviors=[first, second]), "web", "O"))
    other = cf.config_view(cf.build_config(params(behaviors=[second, first]), "web", "O"))
    assert one != other


def test_merge_keeps_unmanaged_fields_and_drops_legacy_cache_settings() -> None:
    desired = cf.build_config(params(price_class="PriceClass_All"), "web", "OAC1")
    current = as_aws_returns(cf.build_config(params(), "web", "OAC1"))
    merged = cf.merge_config(current, desired)
    assert merged["PriceClass"] == "PriceClass_All"
    assert merged["Restrictions"] == current["Restrictions"]
    assert merged["CallerReference"] == current["CallerReference"]
    assert merged["DefaultCacheBehavior"]["FunctionAssociations"]["Quantity"] == 1
    assert "ForwardedValues" not in merged["DefaultCacheBehavior"]
    assert "MinTTL" not in merged["DefaultCacheBehavior"]
    assert merged["Origins"]["Items"][0]["ConnectionAttempts"] == 3
    assert "CertificateSource" not in merged["ViewerCertificate"]
    assert cf.config_view(merged) == cf.config_view(desired)


def test_alias_holders() -> None:
    summaries = [{"Id": "E1", "Aliases": {"Quantity": 1, "Items": ["App.example.com"]}}, {"Id": "E2", "Aliases": {}}]
    assert cf.alias_holders(summaries, ["app.example.com", "www.example.com"]) == {"App.example.com": "E1"}


@pytest.fixture
def cf_client() -> boto3.client:
    return boto3.client("cloudfront", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def test_invalidation_waiter_survives_throttling(cf_client: boto3.client) -> None:
    inv = {
        "Id": "I1",
        "Status": "InProgress",
        "CreateTime": "2026-01-01T00:00:00Z",
        "InvalidationBatch": {"Paths": {"Quantity": 0}, "CallerReference": "r"},
    }
    with Stubber(cf_client) as stub:
        stub.add_client_error("get_invalidation", "Throttling", "Rate exceeded", http_status_code=400)
        stub.add_response("get_invalidation", {"Invalidation": inv})
        stub.add_response("get_invalidation", {"Invalidation": dict(inv, Status="Completed")})
        waiter = CloudFrontWaiterFactory().get_waiter(cf_client, "invalidation_completed")
        waiter.wait(DistributionId="E1", Id="I1", WaiterConfig={"Delay": 0, "MaxAttempts": 5})
        stub.assert_no_pending_responses()


def test_deployed_waiter_fails_when_distribution_is_gone(cf_client: boto3.client) -> None:
    with Stubber(cf_client) as stub:
        stub.add_client_error("get_distribution", "NoSuchDistribution", "gone", http_status_code=404)
        waiter = CloudFrontWaiterFactory().get_waiter(cf_client, "distribution_deployed")
        with pytest.raises(WaiterError):
            waiter.wait(Id="E1", WaiterConfig={"Delay": 0, "MaxAttempts": 3})
