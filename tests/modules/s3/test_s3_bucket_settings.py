"""invoice.platform.s3_bucket_settings against the local endpoint."""

from __future__ import annotations

import json
from collections import Counter
from functools import partial

import boto3
import pytest

from tests.modules.helpers import module_task, run_tasks
from tools.localaws import client as calllog

pytestmark = pytest.mark.slow

MODULE = "invoice.platform.s3_bucket_settings"
BUCKET = "invoice-test-files"

READER = {
    "Sid": "Reader",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
    "Action": "s3:GetObject",
    "Resource": f"arn:aws:s3:::{BUCKET}/*",
}


def settings(**overrides: object) -> dict:
    params = {
        "name": BUCKET,
        "encryption": {"algorithm": "aws:kms", "kms_key_id": "alias/invoice-test", "bucket_key_enabled": True},
        "versioning": True,
        "public_access_block": {},
        "object_ownership": "BucketOwnerEnforced",
        "require_tls": True,
        "policy_statements": [READER],
        "lifecycle_rules": [
            {
                "id": "old-versions",
                "noncurrent_version_expiration_days": 30,
                "abort_incomplete_multipart_upload_days": 7,
            },
            {
                "id": "exports",
                "prefix": "exports/",
                "expiration_days": 90,
                "transitions": [{"days": 30, "storage_class": "STANDARD_IA"}],
            },
        ],
        "cors_rules": [
            {
                "allowed_origins": ["https://app.example.com"],
                "allowed_methods": ["get", "PUT"],
                "allowed_headers": ["*"],
                "max_age_seconds": 3000,
            }
        ],
        "tags": {"invoice:env": "test"},
    }
    params.update(overrides)
    return params


task = partial(module_task, MODULE)


def test_bucket_four_steps_update_diff_delete(localaws: str) -> None:
    run = run_tasks(
        [
            task("check", settings(), check=True, diff=True),
            {"name": "buckets after check", "amazon.aws.s3_bucket_info": {}},
            task("apply", settings()),
            task("check again", settings(), check=True),
            task("apply again", settings()),
            task("versioning off check", settings(versioning=False), check=True, diff=True),
            task("versioning off", settings(versioning=False), diff=True),
            task("versioning off again", settings(versioning=False)),
            task("only tags, others untouched", {"name": BUCKET, "tags": {"invoice:env": "prod"}}, diff=True),
            task("delete check", {"name": BUCKET, "state": "absent"}, check=True),
            {"name": "buckets after delete check", "amazon.aws.s3_bucket_info": {}},
            task("delete", {"name": BUCKET, "state": "absent"}),
            task("delete again", {"name": BUCKET, "state": "absent"}),
        ]
    )
    changed = {r["_task"]: r.get("changed") for r in run.results if not r["_task"].startswith("buckets")}
    assert changed == {
        "check": True,
        "apply": True,
        "check again": False,
        "apply again": False,
        "versioning off check": True,
        "versioning off": True,
        "versioning off again": False,
        "only tags, others untouched": True,
        "delete check": True,
        "delete": True,
        "delete again": False,
    }
    assert run.result("buckets after check")["buckets"] == []
    assert [b["name"] for b in run.result("buckets after delete check")["buckets"]] == [BUCKET]
    plan = run.result("check")["diff"]["after"]
    assert set(plan) == {
        "name",
        "object_ownership",
        "public_access_block",
        "encryption",
        "versioning",
        "policy",
        "lifecycle_rules",
        "cors_rules",
        "tags",
    }

    for step in ("versioning off check", "versioning off"):
        assert run.result(step)["diff"] == {"before": {"versioning": "Enabled"}, "after": {"versioning": "Suspended"}}
    assert run.result("only tags, others untouched")["diff"] == {
        "before": {"tags": {"invoice:env": "test"}},
        "after": {"tags": {"invoice:env": "prod"}},
    }
    bucket = run.result("apply again")["bucket"]
    assert bucket["versioning"] == "Enabled"
    assert bucket["encryption"] == {
        "algorithm": "aws:kms",
        "kms_key_id": "alias/invoice-test",
        "bucket_key_enabled": True,
    }


def test_what_s3_holds_after_apply(localaws: str) -> None:
    run_tasks([task("apply", settings())])
    s3 = boto3.client("s3")
    policy = json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["DenyInsecureTransport", "Reader"]
    deny = policy["Statement"][0]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    pab = s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]
    assert pab == {
        k: True for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
    }
    rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]}
    assert rules["exports"]["Expiration"] == {"Days": 90}
    assert rules["old-versions"]["NoncurrentVersionExpiration"]["NoncurrentDays"] == 30
    assert s3.get_bucket_cors(Bucket=BUCKET)["CORSRules"][0]["AllowedMethods"] == ["GET", "PUT"]
    assert s3.get_bucket_ownership_controls(Bucket=BUCKET)["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "BucketOwnerEnforced"}
    ]
    encryption = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert encryption["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": "alias/invoice-test",
    }


def test_lists_replace_and_empty_lists_remove(localaws: str) -> None:
    one_rule = [{"id": "exports", "prefix": "exports/", "expiration_days": 10}]
    cleared = {"cors_rules": [], "require_tls": False, "policy_statements": []}
    run = run_tasks(
        [
            task("apply", settings()),
            task("one rule", settings(lifecycle_rules=one_rule), diff=True),
            task("no cors, no policy", settings(lifecycle_rules=one_rule, **cleared), diff=True),
            task("again", settings(lifecycle_rules=one_rule, **cleared)),
        ]
    )
    one = run.result("one rule")["diff"]
    assert set(one["after"]) == {"lifecycle_rules"}
    assert one["after"]["lifecycle_rules"] == [
        {"id": "exports", "status": "Enabled", "prefix": "exports/", "expiration_days": 10}
    ]
    assert run.result("no cors, no policy")["diff"]["after"] == {"policy": None, "cors_rules": []}
    assert run.result("again")["changed"] is False
    s3 = boto3.client("s3")
    with pytest.raises(s3.exceptions.ClientError, match="NoSuchCORSConfiguration"):
        s3.get_bucket_cors(Bucket=BUCKET)


BAD_OPTIONS = [
    ({"encryption": {"algorithm": "AES256", "kms_key_id": "alias/x"}}, "encryption.kms_key_id: a KMS key needs"),
    (
        {"lifecycle_rules": [{"id": "a", "expiration_days": 1}, {"id": "a", "expiration_days": 2}]},
        "lifecycle_rules: rule ids must be unique",
    ),
    ({"lifecycle_rules": [{"id": "empty"}]}, "lifecycle_rules: rule 'empty' has no action"),
    ({"policy_statements": [{"Action": "s3:*"}]}, "policy_statements: statement"),
]


def test_invalid_options_fail_before_any_call(localaws: str) -> None:
    calllog.reset_calls(localaws)
    tasks = [dict(task(f"bad {i}", settings(**o)), ignore_errors=True) for i, (o, _) in enumerate(BAD_OPTIONS)]
    run = run_tasks(tasks)
    for i, (_, message) in enumerate(BAD_OPTIONS):
        assert message in run.result(f"bad {i}")["msg"]
    assert calllog.calls(localaws) == []


def test_noop_run_makes_only_these_reads(localaws: str) -> None:
    run_tasks([task("apply", settings())])
    calllog.reset_calls(localaws)
    run = run_tasks([task("apply again", settings())])
    assert run.result("apply again")["changed"] is False
    calls = calllog.calls(localaws)
    assert [c for c in calls if c["mutating"]] == []
    # GetBucketLifecycle (deprecated) and GetBucketLifecycleConfiguration are the same HTTP
    # request (GET /{bucket}?lifecycle): the call log cannot tell them apart.
    same_request = {"GetBucketLifecycle": "GetBucketLifecycleConfiguration"}
    assert Counter(same_request.get(c["operation"], c["operation"]) for c in calls) == {
        "HeadBucket": 1,
        "GetBucketOwnershipControls": 1,
        "GetPublicAccessBlock": 1,
        "GetBucketEncryption": 1,
        "GetBucketVersioning": 1,
        "GetBucketPolicy": 1,
        "GetBucketLifecycleConfiguration": 1,
        "GetBucketCors": 1,
        "GetBucketTagging": 1,
    }


def test_converges_when_a_third_of_calls_are_throttled(localaws: str) -> None:
    calllog.reset_calls(localaws)
    # HeadBucket is left alone: a HEAD response has no body, so a throttled HEAD can only be
    # recognised by its status (S3 answers 503 SlowDown); the endpoint's fault injector answers 400.
    operations = [
        "CreateBucket",
        "GetBucketOwnershipControls",
        "PutBucketOwnershipControls",
        "GetPublicAccessBlock",
        "PutPublicAccessBlock",
        "GetBucketEncryption",
        "PutBucketEncryption",
        "GetBucketVersioning",
        "PutBucketVersioning",
        "GetBucketPolicy",
        "PutBucketPolicy",
        "GetBucketLifecycle",
        "GetBucketLifecycleConfiguration",
        "PutBucketLifecycleConfiguration",
        "GetBucketCors",
        "PutBucketCors",
        "GetBucketTagging",
        "PutBucketTagging",
    ]
    calllog.set_faults(localaws, throttle_rate=0.3, seed=3, services=["s3"], operations=operations)
    try:
        run = run_tasks([task("apply", settings()), task("apply again", settings())])
    finally:
        calllog.clear_faults(localaws)
    assert run.result("apply")["changed"] is True
    assert run.result("apply again")["changed"] is False
    assert [c for c in calllog.calls(localaws) if c["status"] >= 400], "nothing was throttled"


def test_absent_with_purge_objects_deletes_every_version_and_delete_marker(localaws: str) -> None:
    run_tasks([task("apply", settings())])
    s3 = boto3.client("s3")
    for body in (b"one", b"two"):
        s3.put_object(Bucket=BUCKET, Key="invoices/a.pdf", Body=body)
    s3.delete_object(Bucket=BUCKET, Key="invoices/a.pdf")  # a delete marker over two versions
    gone = {"name": BUCKET, "state": "absent", "purge_objects": True}
    calllog.reset_calls(localaws)
    plan = run_tasks([task("check", gone, check=True, diff=True)]).result("check")
    assert (plan["changed"], plan["deleted_object_versions"]) == (True, 3)
    assert plan["diff"] == {"before": {"name": BUCKET, "object_versions": 3}, "after": {}}
    assert not [c for c in calllog.calls(localaws) if c["mutating"]]
    # Without purge_objects S3 refuses the bucket that holds data; with it, it goes.
    refused = run_tasks([task("no purge", {"name": BUCKET, "state": "absent"})], allow_failure=True)
    assert refused.result("no purge")["failed"] is True
    run = run_tasks([task("delete", gone), task("delete again", gone)])
    assert run.result("delete")["deleted_object_versions"] == 3
    assert run.result("delete again")["changed"] is False
    assert BUCKET not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
