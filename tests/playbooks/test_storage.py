"""The storage tier against the local endpoint: plan, create, no-op, drift of one value, bad input."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from tests.playbooks.helpers import assert_fails_in_preflight, run_clean

pytestmark = pytest.mark.slow

PLAYBOOK = "playbooks/storage.yml"
BUCKETS = [f"invoice-local-{p}" for p in ("files", "exports", "frontend", "backups")]


def bucket_names() -> list[str]:
    return sorted(b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"])


def test_plan_create_noop_and_one_change(localaws: str) -> None:
    plan, writes = run_clean(localaws, PLAYBOOK, check=True, diff=True)
    assert writes == []
    assert bucket_names() == []
    assert plan.changed > 0

    created, writes = run_clean(localaws, PLAYBOOK)
    assert writes.count("s3.CreateBucket") == 4
    assert bucket_names() == sorted(BUCKETS)
    outputs = created.task("Publish the storage outputs")["ansible_facts"]["platform_outputs_storage"]
    assert outputs["buckets"]["files"] == "invoice-local-files"
    s3 = boto3.client("s3")
    for name in BUCKETS:
        rule = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"][0]
        if name.endswith("-frontend"):  # read by CloudFront: S3 managed keys
            assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
        else:
            assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
            assert rule["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] == outputs["kms_key_arn"]
        assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"
        assert all(s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"].values())
        policy = json.loads(s3.get_bucket_policy(Bucket=name)["Policy"])
        (deny,) = [st for st in policy["Statement"] if st["Effect"] == "Deny"]
        assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        allows = [st for st in policy["Statement"] if st["Effect"] == "Allow"]
        if name.endswith("-frontend"):
            (allow,) = allows
            assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
            assert allow["Action"] == "s3:GetObject"
            assert allow["Condition"]["ArnLike"] == {"AWS:SourceArn": "arn:aws:cloudfront::123456789012:distribution/*"}
        else:
            assert allows == []
    exports_rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=BUCKETS[1])["Rules"]}
    assert exports_rules["expire-objects"]["Expiration"]["Days"] == 7
    files_rules = {r["ID"] for r in s3.get_bucket_lifecycle_configuration(Bucket=BUCKETS[0])["Rules"]}
    assert files_rules == {"expire-noncurrent-versions"}

    again, writes = run_clean(localaws, PLAYBOOK)
    assert (again.changed, writes) == (0, [])
    check, writes = run_clean(localaws, PLAYBOOK, check=True, diff=True)
    assert (check.changed, writes) == (0, [])

    # One value: the exports expiry changes the exports bucket's lifecycle and nothing else.
    changed, writes = run_clean(localaws, PLAYBOOK, diff=True, extra_vars={"storage_exports_expiration_days": 14})
    # The call log names PUT /?lifecycle after the older of the two operations sharing that path.
    assert writes in (["s3.PutBucketLifecycleConfiguration"], ["s3.PutBucketLifecycle"])
    result = changed.task("Ensure the buckets exist, encrypted, versioned, private and TLS-only")
    assert [r["item"]["name"] for r in result["results"] if r["changed"]] == ["invoice-local-exports"]
    exports_rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=BUCKETS[1])["Rules"]}
    assert exports_rules["expire-objects"]["Expiration"]["Days"] == 14

    # Staging's choice: S3 managed keys re-encrypt every bucket's default (the frontend bucket
    # has them already) and touch nothing else.
    _, writes = run_clean(
        localaws, PLAYBOOK, extra_vars={"storage_exports_expiration_days": 14, "storage_encryption": "sse-s3"}
    )
    assert writes == ["s3.PutBucketEncryption"] * 3
    for name in BUCKETS:
        rule = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"][0]
        assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"storage_encryption": "rot13"}, "storage_encryption"),
        ({"storage_exports_expiration_days": 0}, "storage_exports_expiration_days must be 1 or more, got 0"),
        ({"storage_cors_origins": ["http://evil.example"]}, 'storage_cors_origins entry "http://evil.example"'),
        ({"storage_bucket_prefix": "Invoice_Prod"}, 'bucket name "Invoice_Prod-files"'),
    ],
)
def test_bad_input_fails_before_any_storage_call(localaws: str, extra: dict[str, Any], expected: str) -> None:
    assert_fails_in_preflight(localaws, PLAYBOOK, extra, expected)
