"""invoice.platform.kms_alias_key (the storage tier's KMS key) against the local endpoint."""

from __future__ import annotations

import json
from functools import partial

import boto3
import pytest

from tests.modules.helpers import module_task, run_tasks
from tools.localaws import client as calllog

pytestmark = pytest.mark.slow

MODULE = "invoice.platform.kms_alias_key"
ALIAS = "alias/invoice-test-storage"
NO_OP_READS = ["DescribeKey", "GetKeyRotationStatus", "ListResourceTags"]


def key(**overrides: object) -> dict:
    params: dict = {
        "alias": "invoice-test-storage",
        "description": "Encrypts the test buckets",
        "enable_key_rotation": True,
        "tags": {"Name": "invoice-test-storage", "invoice:env": "test"},
    }
    params.update(overrides)
    return params


task = partial(module_task, MODULE)


def policy(sid: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Id": "invoice-test",
        "Statement": [
            {
                "Sid": sid,
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }


def kms_tags(key_id: str) -> dict[str, str]:
    found = boto3.client("kms").list_resource_tags(KeyId=key_id)["Tags"]
    return {t["TagKey"]: t["TagValue"] for t in found}


def test_check_apply_check_apply_and_a_no_op_is_three_reads(localaws: str) -> None:
    kms = boto3.client("kms")
    calllog.reset_calls(localaws)
    plan = run_tasks([task("check", key(), check=True, diff=True)]).result("check")
    assert (plan["changed"], plan["key_arn"], plan["alias"]) == (True, "", ALIAS)
    assert plan["diff"]["after"]["enable_key_rotation"] is True
    assert plan["diff"]["after"]["tags"] == {"Name": "invoice-test-storage", "invoice:env": "test"}
    calls = calllog.calls(localaws)
    assert [c for c in calls if c["mutating"]] == []
    assert [c["operation"] for c in calls] == ["DescribeKey"]
    assert kms.list_keys()["Keys"] == []

    run = run_tasks([task("apply", key()), task("check again", key(), check=True)])
    applied = run.result("apply")
    assert applied["changed"] is True
    meta = kms.describe_key(KeyId=ALIAS)["KeyMetadata"]
    assert (applied["key_id"], applied["key_arn"]) == (meta["KeyId"], meta["Arn"])
    assert (meta["Description"], meta["KeyState"], meta["KeySpec"]) == (
        "Encrypts the test buckets",
        "Enabled",
        "SYMMETRIC_DEFAULT",
    )
    assert kms.get_key_rotation_status(KeyId=meta["KeyId"])["KeyRotationEnabled"] is True
    assert kms_tags(meta["KeyId"]) == {"Name": "invoice-test-storage", "invoice:env": "test"}
    again = run.result("check again")
    assert again["changed"] is False
    assert (again["key_arn"], again["key_state"], again["enable_key_rotation"]) == (meta["Arn"], "Enabled", True)

    calllog.reset_calls(localaws)
    result = run_tasks([task("apply again", key())]).result("apply again")
    assert (result["changed"], result["key_arn"]) == (False, meta["Arn"])
    assert result["tags"] == {"Name": "invoice-test-storage", "invoice:env": "test"}
    calls = calllog.calls(localaws)
    assert [c for c in calls if c["mutating"]] == []
    assert sorted(c["operation"] for c in calls) == NO_OP_READS
    assert len(kms.list_keys()["Keys"]) == 1


def test_description_rotation_enabled_and_tags_change_with_their_diff(localaws: str) -> None:
    changed = key(
        alias=ALIAS, description="Still the test buckets", enable_key_rotation=False, tags={"Name": "renamed"}
    )
    run = run_tasks(
        [
            task("apply", key()),
            task("change check", changed, check=True, diff=True),
            task("change", changed, diff=True),
            task("change again", changed),
            task("disable", {**changed, "enabled": False, "enable_key_rotation": True}, diff=True),
            task("keep tags not purged", {"alias": ALIAS, "enabled": False, "tags": {"x": "1"}, "purge_tags": False}),
            task("rotation off, key stays disabled", {"alias": ALIAS, "enabled": False, "enable_key_rotation": False}),
        ]
    )
    for step in ("change check", "change"):
        result = run.result(step)
        assert result["changed"] is True
        assert result["diff"]["before"] == {
            "description": "Encrypts the test buckets",
            "enable_key_rotation": True,
            "tags": {"Name": "invoice-test-storage", "invoice:env": "test"},
        }
        assert result["diff"]["after"] == {
            "description": "Still the test buckets",
            "enable_key_rotation": False,
            "tags": {"Name": "renamed"},
        }
    assert run.result("change again")["changed"] is False
    disabled = run.result("disable")
    assert disabled["diff"]["before"] == {"enabled": True, "enable_key_rotation": False}
    assert disabled["diff"]["after"] == {"enabled": False, "enable_key_rotation": True}
    assert run.result("keep tags not purged")["tags"] == {"Name": "renamed", "x": "1"}
    kms = boto3.client("kms")
    meta = kms.describe_key(KeyId=ALIAS)["KeyMetadata"]
    assert (meta["Description"], meta["KeyState"]) == ("Still the test buckets", "Disabled")
    assert kms.get_key_rotation_status(KeyId=meta["KeyId"])["KeyRotationEnabled"] is False
    assert kms_tags(meta["KeyId"]) == {"Name": "renamed", "x": "1"}
    still_disabled = run.result("rotation off, key stays disabled")
    assert (still_disabled["changed"], still_disabled["key_state"]) == (True, "Disabled")


def test_policy_is_managed_only_when_given(localaws: str) -> None:
    kms = boto3.client("kms")
    first, second = policy("first"), policy("second")
    run = run_tasks(
        [
            task("create with policy", key(policy=first)),
            task("same policy as a string", key(policy=json.dumps(first, indent=4))),
            task("policy check", key(policy=second), check=True, diff=True),
            task("policy", key(policy=second), diff=True),
        ]
    )
    key_id = run.result("create with policy")["key_id"]
    assert run.result("same policy as a string")["changed"] is False
    for step in ("policy check", "policy"):
        result = run.result(step)
        assert result["changed"] is True
        assert result["diff"] == {"before": {"policy": first}, "after": {"policy": second}}
    assert json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]) == second

    calllog.reset_calls(localaws)
    run = run_tasks([task("policy again", key(policy=second)), task("policy unmanaged", key())])
    assert run.result("policy again")["policy"] == second
    assert "policy" not in run.result("policy unmanaged")
    calls = calllog.calls(localaws)
    assert [c for c in calls if c["mutating"]] == []
    assert sorted(c["operation"] for c in calls) == sorted([*NO_OP_READS, "GetKeyPolicy", *NO_OP_READS])


def test_absent_schedules_deletion_and_pending_deletion_fails_present(localaws: str) -> None:
    kms = boto3.client("kms")
    run = run_tasks(
        [
            task("apply", key()),
            task("delete check", {"alias": ALIAS, "state": "absent", "pending_window": 7}, check=True),
            task("delete", {"alias": ALIAS, "state": "absent", "pending_window": 7}),
            task("delete again", {"alias": ALIAS, "state": "absent", "pending_window": 7}),
        ]
    )
    key_id = run.result("apply")["key_id"]
    assert run.result("delete check")["changed"] is True
    deleted = run.result("delete")
    assert (deleted["changed"], deleted["key_id"], deleted["key_state"]) == (True, key_id, "PendingDeletion")
    assert run.result("delete again")["changed"] is False
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert meta["KeyState"] == "PendingDeletion"
    window = (meta["DeletionDate"] - meta["CreationDate"]).days
    assert 6 <= window <= 7
    assert [a for a in kms.list_aliases()["Aliases"] if a["AliasName"] == ALIAS] == []

    # A key scheduled for deletion by hand while its alias stays: present refuses, naming the key.
    other = kms.create_key(Description="hand made")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=ALIAS, TargetKeyId=other)
    kms.schedule_key_deletion(KeyId=other, PendingWindowInDays=7)
    calllog.reset_calls(localaws)
    run = run_tasks([task("present on a pending deletion", key(), check=True)], allow_failure=True)
    failed = run.result("present on a pending deletion")
    assert failed["failed"] is True
    assert "pending deletion" in failed["msg"] and other in failed["msg"]
    assert [c["operation"] for c in calllog.calls(localaws)] == ["DescribeKey"]
    run = run_tasks([task("absent on a pending deletion", {"alias": ALIAS, "state": "absent"})])
    assert run.result("absent on a pending deletion")["changed"] is True
    assert [a for a in kms.list_aliases()["Aliases"] if a["AliasName"] == ALIAS] == []
    assert kms.describe_key(KeyId=other)["KeyMetadata"]["KeyState"] == "PendingDeletion"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"alias": "alias/aws/s3"}, "reserved for AWS managed keys"),
        ({"alias": "bad alias!"}, "'bad alias!'"),
        ({"alias": "ok", "pending_window": 3}, "pending_window must be 7-30 days, got 3"),
        ({"alias": "ok", "policy": "{not json"}, "policy must be a JSON document"),
    ],
)
def test_bad_options_fail_before_any_call(localaws: str, params: dict, message: str) -> None:
    calllog.reset_calls(localaws)
    run = run_tasks([task("bad", params)], allow_failure=True)
    assert message in run.result("bad")["msg"]
    assert calllog.calls(localaws) == []
