"""invoice.platform.cloudfront_{origin_access_control,distribution,invalidation} against the
local endpoint (moto + cloudfront_fixes)."""

from __future__ import annotations

from collections import Counter

import boto3
import pytest

from tests.modules.helpers import module_task, run_tasks
from tools.localaws import client as calllog

pytestmark = pytest.mark.slow

CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0e6d5f4c-1a2b-4c3d-9e8f-0123456789ab"
OAC = "invoice.platform.cloudfront_origin_access_control"
DIST = "invoice.platform.cloudfront_distribution"
INV = "invoice.platform.cloudfront_invalidation"


def dist_params(**overrides: object) -> dict:
    params = {
        "name": "web-test",
        "aliases": ["app.example.com"],
        "certificate_arn": CERT,
        "s3_origin": {"domain_name": "web-test.s3.us-east-1.amazonaws.com", "origin_access_control": "web-test"},
        "api_origin": {"domain_name": "abc123.us-east-1.awsapprunner.com"},
        "behaviors": [
            {
                "path_pattern": "/api/*",
                "target_origin": "api",
                "viewer_protocol_policy": "https-only",
                "allowed_methods": ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"],
                "cache_policy_id": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
                "origin_request_policy_id": "b689b0a8-53d0-40ab-baf2-68738e2966ac",
            }
        ],
        "default_behavior": {"response_headers_policy_id": "67f7725c-6f97-4210-82d7-5512b31e9d03"},
        "spa_fallback": "/index.html",
        "logging": {"bucket": "logs-test.s3.amazonaws.com", "prefix": "cf/"},
        "tags": {"invoice:env": "test"},
        "wait": True,
        "wait_timeout": 6,
    }
    params.update(overrides)
    return params


def task(name: str, module: str, params: dict, check: bool = False, diff: bool = False) -> dict:
    return module_task(module, name, params, check, diff)


def test_distribution_lifecycle(localaws: str) -> None:
    oac = {"name": "web-test", "description": "CloudFront to web-test"}
    inv = {"distribution_name": "web-test", "caller_reference": "release-1", "paths": ["/index.html", "/assets/*"]}
    run = run_tasks(
        [
            task("oac check", OAC, oac, check=True),
            task("dist check before oac exists", DIST, dist_params(), check=True),
            task("oac apply", OAC, oac),
            task("oac check again", OAC, oac, check=True),
            task("oac apply again", OAC, oac),
            task("oac update", OAC, {**oac, "description": "new"}, diff=True),
            task("dist check", DIST, dist_params(), check=True),
            task("dist apply", DIST, dist_params()),
            task("dist check again", DIST, dist_params(), check=True),
            task("dist apply again", DIST, dist_params()),
            task("dist alias order and case", DIST, dist_params(aliases=["App.Example.com"])),
            task("dist update check", DIST, dist_params(price_class="PriceClass_All"), check=True, diff=True),
            task("dist update", DIST, dist_params(price_class="PriceClass_All"), diff=True),
            task("dist update again", DIST, dist_params(price_class="PriceClass_All")),
            task("inv check", INV, {**inv, "wait": True}, check=True),
            task("inv apply", INV, {**inv, "wait": True, "wait_timeout": 6}),
            task("inv apply again", INV, {**inv, "wait": True}),
            task("dist delete check", DIST, {"name": "web-test", "state": "absent"}, check=True),
            task("dist delete", DIST, {"name": "web-test", "state": "absent", "wait_timeout": 6}),
            task("dist delete again", DIST, {"name": "web-test", "state": "absent"}),
            task("oac delete", OAC, {"name": "web-test", "state": "absent"}),
            task("oac delete again", OAC, {"name": "web-test", "state": "absent"}),
        ]
    )
    changed = {r["_task"]: r["changed"] for r in run.results}
    assert changed == {
        "oac check": True,
        "dist check before oac exists": True,
        "oac apply": True,
        "oac check again": False,
        "oac apply again": False,
        "oac update": True,
        "dist check": True,
        "dist apply": True,
        "dist check again": False,
        "dist apply again": False,
        "dist alias order and case": False,
        "dist update check": True,
        "dist update": True,
        "dist update again": False,
        "inv check": True,
        "inv apply": True,
        "inv apply again": False,
        "dist delete check": True,
        "dist delete": True,
        "dist delete again": False,
        "oac delete": True,
        "oac delete again": False,
    }
    assert run.result("oac update")["diff"] == {
        "before": {"description": "CloudFront to web-test"},
        "after": {"description": "new"},
    }
    oac_id = run.result("oac apply")["origin_access_control"]["id"]

    applied = run.result("dist apply")["distribution"]
    assert applied["status"] == "Deployed"
    config = applied["config"]
    assert config["origins"]["s3"]["origin_access_control_id"] == oac_id
    assert config["aliases"] == ["app.example.com"]
    assert config["certificate"]["acm_certificate_arn"] == CERT
    assert [r["error_code"] for r in config["error_responses"]] == [403, 404]
    assert run.result("dist apply")["tags"] == {"invoice:env": "test", "invoice:name": "web-test"}

    # The diff shows exactly the field that changed, in check mode and for real.
    for step in ("dist update check", "dist update"):
        assert run.result(step)["diff"] == {
            "before": {"price_class": "PriceClass_100"},
            "after": {"price_class": "PriceClass_All"},
        }, step

    inv_result = run.result("inv apply")["invalidation"]
    assert inv_result["status"] == "Completed"
    assert run.result("inv apply again")["invalidation"]["id"] == inv_result["id"]
    assert "invalidation" not in run.result("inv check")

    assert boto3.client("cloudfront").list_distributions()["DistributionList"].get("Items") in (None, [])
    assert boto3.client("cloudfront").list_origin_access_controls()["OriginAccessControlList"].get("Items") in (
        None,
        [],
    )


def test_what_aws_holds_after_apply(localaws: str) -> None:
    run_tasks([task("oac", OAC, {"name": "web-test"}), task("dist", DIST, dist_params(wait=False))])
    cf = boto3.client("cloudfront")
    (summary,) = cf.list_distributions()["DistributionList"]["Items"]
    config = cf.get_distribution_config(Id=summary["Id"])["DistributionConfig"]
    assert config["CallerReference"] == "web-test"
    assert config["DefaultRootObject"] == "index.html"
    assert config["PriceClass"] == "PriceClass_100"
    assert config["Logging"] == {
        "Enabled": True,
        "IncludeCookies": False,
        "Bucket": "logs-test.s3.amazonaws.com",
        "Prefix": "cf/",
    }
    assert config["DefaultCacheBehavior"]["ResponseHeadersPolicyId"] == "67f7725c-6f97-4210-82d7-5512b31e9d03"
    assert config["CacheBehaviors"]["Items"][0]["PathPattern"] == "/api/*"
    assert config["ViewerCertificate"]["ACMCertificateArn"] == CERT
    responses = {r["ErrorCode"]: r for r in config["CustomErrorResponses"]["Items"]}
    assert responses[404]["ResponsePagePath"] == "/index.html" and responses[404]["ResponseCode"] == "200"


def test_invalidation_reference_reused_with_other_paths_fails(localaws: str) -> None:
    inv = {"distribution_name": "web-test", "caller_reference": "release-1", "paths": ["/index.html"]}
    run = run_tasks(
        [
            task("oac", OAC, {"name": "web-test"}),
            task("dist", DIST, dist_params(wait=False)),
            task("inv", INV, inv),
            task("inv other paths", INV, {**inv, "paths": ["/*"]}),
        ],
        allow_failure=True,
    )
    assert run.result("inv")["changed"] is True
    failed = run.result("inv other paths")
    assert failed["failed"] is True
    assert "caller_reference: 'release-1' was already used for paths ['/index.html'], not ['/*']" in failed["msg"]


BAD_OPTIONS = [
    ({"certificate_arn": None}, "aliases: a distribution with aliases needs certificate_arn"),
    (
        {"certificate_arn": CERT.replace("us-east-1", "eu-west-1")},
        "certificate_arn: CloudFront needs an ACM certificate in us-east-1",
    ),
    (
        {"default_behavior": {"target_origin": "nowhere"}},
        "default_behavior.target_origin: 'nowhere' is not an origin id",
    ),
    (
        {"behaviors": [{"path_pattern": "/a", "cached_methods": ["GET", "POST"]}]},
        "behaviors[0].cached_methods: ['POST']",
    ),
    ({"spa_fallback": "index.html"}, "spa_fallback: 'index.html' must start with '/'"),
]


def test_invalid_distribution_options_fail_before_any_call(localaws: str) -> None:
    calllog.reset_calls(localaws)
    tasks = []
    for i, (overrides, _) in enumerate(BAD_OPTIONS):
        params = {k: v for k, v in dist_params(**overrides).items() if v is not None}
        tasks.append(dict(task(f"bad {i}", DIST, params), ignore_errors=True))
    run = run_tasks(tasks)
    for i, (_, message) in enumerate(BAD_OPTIONS):
        assert message in run.result(f"bad {i}")["msg"]
    assert calllog.calls(localaws) == []


def test_alias_held_by_another_distribution_is_named(localaws: str) -> None:
    run = run_tasks(
        [
            task("oac", OAC, {"name": "web-test"}),
            task("first", DIST, dist_params(wait=False)),
            task("second", DIST, dist_params(name="other", wait=False)),
        ],
        allow_failure=True,
    )
    first_id = run.result("first")["distribution"]["id"]
    assert f"aliases: 'app.example.com' is already an alias of distribution {first_id}" in run.result("second")["msg"]


def test_noop_runs_make_only_these_reads(localaws: str) -> None:
    inv = {"distribution_name": "web-test", "caller_reference": "release-1", "paths": ["/*"]}
    setup = [task("oac", OAC, {"name": "web-test"}), task("dist", DIST, dist_params()), task("inv", INV, inv)]
    run_tasks(setup)
    expected = {
        OAC: {"ListOriginAccessControls": 1},
        DIST: {
            "ListDistributions": 1,
            "ListTagsForResource": 1,
            "ListOriginAccessControls": 1,
            "GetDistributionConfig": 1,
        },
        INV: {"ListDistributions": 1, "ListTagsForResource": 1, "ListInvalidations": 1, "GetInvalidation": 1},
    }
    for step in setup:
        module = next(k for k in step if k.startswith("invoice."))
        calllog.reset_calls(localaws)
        run = run_tasks([step])
        assert run.result(step["name"])["changed"] is False
        calls = calllog.calls(localaws)
        assert [c for c in calls if c["mutating"]] == [], module
        assert Counter(c["operation"] for c in calls) == expected[module], module


def test_converges_when_a_third_of_calls_are_throttled(localaws: str) -> None:
    inv = {
        "distribution_name": "web-test",
        "caller_reference": "release-1",
        "paths": ["/*"],
        "wait": True,
        "wait_timeout": 6,
    }
    steps = [task("oac", OAC, {"name": "web-test"}), task("dist", DIST, dist_params()), task("inv", INV, inv)]
    calllog.reset_calls(localaws)
    calllog.set_faults(localaws, throttle_rate=0.3, seed=5, services=["cloudfront"])
    try:
        run = run_tasks([*steps, *({**t, "name": t["name"] + " again"} for t in steps)])
    finally:
        calllog.clear_faults(localaws)
    assert [r["changed"] for r in run.results] == [True, True, True, False, False, False]
    assert [c for c in calllog.calls(localaws) if c["status"] >= 400], "nothing was throttled"
    assert len(boto3.client("cloudfront").list_distributions()["DistributionList"]["Items"]) == 1


def test_aws_error_names_the_action_operation_and_message(localaws: str) -> None:
    inv = {"distribution_id": "ENOSUCHDIST", "caller_reference": "release-1", "paths": ["/*"]}
    run = run_tasks([task("inv", INV, inv)], allow_failure=True)
    msg = run.result("inv")["msg"]
    assert msg.startswith("Failed to create invalidation release-1 of distribution ENOSUCHDIST")
    assert "NoSuchDistribution" in msg and "CreateInvalidation" in msg
