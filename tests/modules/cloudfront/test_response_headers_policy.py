"""invoice.platform.cloudfront_response_headers_policy against the local endpoint."""

from __future__ import annotations

from collections import Counter

import boto3
import pytest

from tests.modules.helpers import run_tasks
from tools.localaws import client as calllog

pytestmark = pytest.mark.slow

RHP = "invoice.platform.cloudfront_response_headers_policy"

SECURITY = {
    "strict_transport_security": {"max_age": 63072000, "include_subdomains": True},
    "content_type_options": {},
    "frame_options": {"frame_option": "DENY"},
    "referrer_policy": {"referrer_policy": "strict-origin-when-cross-origin"},
}


def rhp(name: str, check: bool = False, diff: bool = False, **params: object) -> dict:
    args = {"name": "web-security", "security_headers": SECURITY, "custom_headers": [], **params}
    return {"name": name, RHP: args, "check_mode": check, "diff": diff}


def test_policy_four_steps_update_diff_delete(localaws: str) -> None:
    custom = [{"header": "X-Service", "value": "invoice"}]
    same_custom_other_case = [{"header": "x-service", "value": "invoice"}]
    run = run_tasks(
        [
            rhp("check", check=True),
            rhp("apply"),
            rhp("check again", check=True),
            rhp("apply again"),
            rhp("add header", diff=True, custom_headers=custom),
            rhp("header name case", custom_headers=same_custom_other_case),
            rhp("delete check", check=True, state="absent"),
            rhp("delete", state="absent"),
            rhp("delete again", state="absent"),
        ]
    )
    assert [r["changed"] for r in run.results] == [True, True, False, False, True, False, True, True, False]
    created = run.result("apply")["response_headers_policy"]
    assert run.result("apply again")["response_headers_policy"]["id"] == created["id"]
    assert created["config"]["security_headers"]["frame_options"] == {"frame_option": "DENY", "override": True}
    assert run.result("add header")["diff"] == {
        "before": {"custom_headers": []},
        "after": {"custom_headers": [{"header": "x-service", "value": "invoice", "override": False}]},
    }
    policies = boto3.client("cloudfront").list_response_headers_policies(Type="custom")["ResponseHeadersPolicyList"]
    assert not policies.get("Items")


def test_what_cloudfront_holds_and_noop_reads(localaws: str) -> None:
    run_tasks([rhp("apply")])
    cf = boto3.client("cloudfront")
    (item,) = cf.list_response_headers_policies(Type="custom")["ResponseHeadersPolicyList"]["Items"]
    security = item["ResponseHeadersPolicy"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    assert security["StrictTransportSecurity"] == {
        "AccessControlMaxAgeSec": 63072000,
        "IncludeSubdomains": True,
        "Preload": False,
        "Override": True,
    }
    assert security["ReferrerPolicy"]["ReferrerPolicy"] == "strict-origin-when-cross-origin"
    calllog.reset_calls(localaws)
    assert run_tasks([rhp("again")]).result("again")["changed"] is False
    assert Counter(c["operation"] for c in calllog.calls(localaws)) == {"ListResponseHeadersPolicies": 1}
