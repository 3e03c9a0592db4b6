"""The iam tier: least-privilege roles whose grants follow the other tiers' resources."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

import boto3
import pytest

from tests.playbooks.helpers import assert_fails_in_preflight, run_clean
from tools.localaws.client import calls

pytestmark = pytest.mark.slow

PLAYBOOK = "playbooks/iam.yml"
INSTANCE = "invoice-local-apprunner-instance"
ECR = "invoice-local-apprunner-ecr-access"


def statements(role: str) -> dict[str, dict[str, Any]]:
    document = boto3.client("iam").get_role_policy(RoleName=role, PolicyName=role)["PolicyDocument"]
    if isinstance(document, str):
        document = json.loads(unquote(document))
    return {s["Sid"]: s for s in document["Statement"]}


def test_plan_create_noop_and_one_change(localaws: str) -> None:
    _, writes = run_clean(localaws, PLAYBOOK, check=True, diff=True)
    assert writes == []
    assert [r["RoleName"] for r in boto3.client("iam").list_roles()["Roles"] if r["RoleName"] in (INSTANCE, ECR)] == []

    storage, _ = run_clean(localaws, "playbooks/storage.yml")
    published = storage.task("Publish the storage outputs")["ansible_facts"]["platform_outputs_storage"]
    created, writes = run_clean(localaws, PLAYBOOK)
    assert sorted(writes) == ["iam.CreateRole", "iam.CreateRole", "iam.PutRolePolicy", "iam.PutRolePolicy"]
    outputs = created.task("Publish the IAM outputs")["ansible_facts"]["platform_outputs_iam"]
    assert outputs["instance_role_arn"] == f"arn:aws:iam::123456789012:role/{INSTANCE}"

    grants = statements(INSTANCE)
    for sid, statement in grants.items():
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert not any("*" in a for a in actions), statement
        if sid == "QueueMetric":  # PutMetricData has no resource-level permissions: one namespace, by condition
            assert actions == ["cloudwatch:PutMetricData"], statement
            assert statement["Condition"] == {"StringEquals": {"cloudwatch:namespace": "InvoicePlatform/Batch"}}
            continue
        assert "*" not in statement["Resource"], statement
    assert sorted(grants["ObjectsOfTheApi"]["Resource"]) == sorted(
        [f"arn:aws:s3:::invoice-local-files/{p}/*" for p in ("invoices", "prompt-tests", "batches")]
        + ["arn:aws:s3:::invoice-local-exports/exports/*"]
    )
    kms_arns = [
        boto3.client("kms").describe_key(KeyId=a["AliasName"])["KeyMetadata"]["Arn"]
        for a in boto3.client("kms").list_aliases()["Aliases"]
        if a["AliasName"] == "alias/invoice-local-storage"
    ]
    assert grants["StorageKey"]["Resource"] == kms_arns
    assert statements(ECR)["PullTheApiImage"]["Resource"] == [
        "arn:aws:ecr:us-east-1:123456789012:repository/invoice-local-api"
    ]

    again, writes = run_clean(localaws, PLAYBOOK)
    assert (again.changed, writes) == (0, [])
    assert {"s3", "kms"} <= {c["service"] for c in calls(localaws)}  # alone, the tier looks storage up
    # Inside site.yml the storage tier published its buckets and key earlier in the same run.
    # As inside site.yml: storage published its buckets, the last play writes the outputs.
    inside, writes = run_clean(
        localaws, PLAYBOOK, extra_vars={"platform_outputs_storage": published, "__outputs_at_end": True}
    )
    assert (inside.changed, writes) == (0, [])
    assert not [c for c in calls(localaws) if c["service"] in ("s3", "kms")]
    check, writes = run_clean(localaws, PLAYBOOK, check=True, diff=True)
    assert (check.changed, writes) == (0, [])

    # One value: another exports prefix rewrites the instance role's policy, nothing else.
    changed, writes = run_clean(
        localaws, PLAYBOOK, extra_vars={"iam_exports_object_prefixes": ["exports/", "reports/"]}
    )
    assert writes == ["iam.PutRolePolicy"]
    assert changed.changed_tasks() == ["invoice.platform.iam : Ensure the instance role's policy names its resources"]
    assert "arn:aws:s3:::invoice-local-exports/reports/*" in statements(INSTANCE)["ObjectsOfTheApi"]["Resource"]


def test_grants_only_what_exists(localaws: str) -> None:
    run, _ = run_clean(localaws, PLAYBOOK)
    assert "Not granted yet (bucket does not exist): invoice-local-files, invoice-local-exports" in str(
        run.task("Report the grants left out for missing resources")["msg"]
    )
    grants = statements(INSTANCE)
    assert "ObjectsOfTheApi" not in grants and "StorageKey" not in grants
    # the queue metric names a namespace, not a resource: granted whatever exists
    assert set(grants) == {"ApplicationParameters", "DatabaseMasterSecret", "QueueMetric"}


def test_ecs_express_roles(localaws: str) -> None:
    ecs = {"service_backend": "ecs_express"}
    names = ["invoice-local-ecs-execution", "invoice-local-ecs-infrastructure", "invoice-local-ecs-task"]
    _, writes = run_clean(localaws, PLAYBOOK, check=True, extra_vars=ecs)
    assert writes == []
    run, writes = run_clean(localaws, PLAYBOOK, extra_vars=ecs)
    assert writes.count("iam.CreateRole") == 5 and writes.count("iam.PutRolePolicy") == 5
    assert writes.count("iam.AttachRolePolicy") == 1
    iam = boto3.client("iam")
    trusted = {
        n: iam.get_role(RoleName=n)["Role"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"]
        for n in names
    }
    assert trusted == dict(
        zip(names, ["ecs-tasks.amazonaws.com", "ecs.amazonaws.com", "ecs-tasks.amazonaws.com"], strict=True)
    )
    attached = iam.list_attached_role_policies(RoleName=names[1])["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AmazonECSInfrastructureRoleforExpressGatewayServices"]
    execution = statements(names[0])
    assert execution["ServiceLogs"]["Resource"] == [
        "arn:aws:logs:us-east-1:123456789012:log-group:/aws/ecs/default/invoice-local-api-*"
    ]
    assert execution["DatabaseMasterSecret"]["Action"] == ["secretsmanager:GetSecretValue"]
    for statement in execution.values():
        assert "*" not in statement["Resource"] and not any("*" in a for a in statement["Action"]), statement
    document = iam.get_role_policy(RoleName=names[0], PolicyName=f"{names[0]}-image")["PolicyDocument"]
    document = json.loads(unquote(document)) if isinstance(document, str) else document
    assert document["Statement"][0]["Resource"] == ["arn:aws:ecr:us-east-1:123456789012:repository/invoice-local-api"]
    assert statements(names[2]) == statements(INSTANCE)  # the API's grants, on either backend
    outputs = run.task("Publish the IAM outputs")["ansible_facts"]["platform_outputs_iam"]
    assert outputs["ecs_task_role_arn"] == f"arn:aws:iam::123456789012:role/{names[2]}"

    again, writes = run_clean(localaws, PLAYBOOK, extra_vars=ecs)
    assert (again.changed, writes) == (0, [])
    run_clean(localaws, PLAYBOOK, extra_vars={**ecs, "iam_state": "absent"})
    left = {r["RoleName"] for r in iam.list_roles()["Roles"]}
    assert not left & {*names, INSTANCE, ECR}


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"iam_files_object_prefixes": ["*"]}, 'object prefix "*"'),
        (
            {"iam_exports_object_prefixes": []},
            "iam_files_object_prefixes and iam_exports_object_prefixes must not be empty",
        ),
        ({"iam_max_session_duration": 60}, "iam_max_session_duration must be 3600-43200 seconds, got 60"),
        ({"iam_ecs_express": "sometimes"}, 'iam_ecs_express must be true or false, got "sometimes"'),
    ],
)
def test_bad_input_fails_before_any_iam_change(localaws: str, extra: dict[str, Any], expected: str) -> None:
    assert_fails_in_preflight(localaws, PLAYBOOK, extra, expected)
