"""Unit tests of the S3 settings views and desired state (no endpoint)."""

from __future__ import annotations

import pytest
from ansible_collections.invoice.platform.plugins.module_utils import s3


@pytest.mark.parametrize(
    ("current", "enabled", "in_sync"),
    [
        ("Enabled", True, True),
        ("Suspended", True, False),
        ("Disabled", True, False),
        ("Enabled", False, False),
        ("Suspended", False, True),
        ("Disabled", False, True),
    ],
)
def test_versioning_in_sync(current: str, enabled: bool, in_sync: bool) -> None:
    assert s3.versioning_in_sync(current, enabled) is in_sync


def test_versioning_view_of_a_never_versioned_bucket() -> None:
    assert s3.versioning_view(None) == "Disabled"


def test_encryption_view_round_trip() -> None:
    option = {"algorithm": "aws:kms", "kms_key_id": "alias/k", "bucket_key_enabled": True}
    assert s3.encryption_view(s3.encryption_rules(option)) == {
        "algorithm": "aws:kms",
        "kms_key_id": "alias/k",
        "bucket_key_enabled": True,
    }
    # SSE-S3 ignores a key and AWS omits BucketKeyEnabled when false.
    aws = [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
    assert s3.encryption_view(aws) == s3.encryption_view(
        s3.encryption_rules({"algorithm": "AES256", "kms_key_id": None, "bucket_key_enabled": False})
    )
    assert s3.encryption_view(None) is None


def test_policy_merges_tls_statement_first() -> None:
    reader = {
        "Sid": "Reader",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::b/*",
    }
    policy = s3.desired_policy("b", True, [reader])
    assert [st["Sid"] for st in policy["Statement"]] == [s3.TLS_STATEMENT_SID, "Reader"]
    assert policy["Statement"][0]["Resource"] == ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]
    # A caller-supplied statement with the same Sid does not duplicate it.
    again = s3.desired_policy("b", True, [s3.tls_statement("b"), reader])
    assert again == policy
    assert s3.desired_policy("b", False, []) is None
    assert s3.desired_policy("b", None, [reader])["Statement"] == [reader]


def test_policy_comparison_ignores_order_and_list_forms() -> None:
    desired = s3.desired_policy("b", True, [])
    current = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": ["s3:*"],
                "Resource": ["arn:aws:s3:::b/*", "arn:aws:s3:::b"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }
    assert not s3.policy_differs(current, desired)
    assert s3.policy_differs(None, desired)
    assert not s3.policy_differs(None, None)


def test_lifecycle_view_reads_filter_and_legacy_prefix() -> None:
    options = [
        {
            "id": "b",
            "status": "enabled",
            "prefix": "exports/",
            "expiration_days": 90,
            "transitions": None,
            "noncurrent_version_expiration_days": None,
            "abort_incomplete_multipart_upload_days": None,
        },
        {
            "id": "a",
            "status": "disabled",
            "prefix": "",
            "expiration_days": None,
            "transitions": [{"days": 60, "storage_class": "GLACIER"}, {"days": 30, "storage_class": "STANDARD_IA"}],
            "noncurrent_version_expiration_days": 30,
            "abort_incomplete_multipart_upload_days": 7,
        },
    ]
    view = s3.lifecycle_view(s3.lifecycle_rules(options))
    assert [v["id"] for v in view] == ["a", "b"]
    assert view[0]["transitions"] == [
        {"days": 30, "storage_class": "STANDARD_IA"},
        {"days": 60, "storage_class": "GLACIER"},
    ]
    legacy = [{"ID": "b", "Status": "Enabled", "Prefix": "exports/", "Expiration": {"Days": 90}}]
    assert s3.lifecycle_view(legacy) == [view[1]]


def test_cors_view_is_case_and_order_insensitive() -> None:
    rules = s3.cors_rules(
        [
            {
                "allowed_origins": ["https://b", "https://a"],
                "allowed_methods": ["put", "get"],
                "allowed_headers": None,
                "expose_headers": None,
                "max_age_seconds": None,
            }
        ]
    )
    aws = [{"AllowedOrigins": ["https://a", "https://b"], "AllowedMethods": ["GET", "PUT"]}]
    assert s3.cors_view(rules) == s3.cors_view(aws)
