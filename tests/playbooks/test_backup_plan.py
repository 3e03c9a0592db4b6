"""The scheduled backups tier: AWS Backup vault (KMS), daily plan, selection of the database and the files bucket."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from tests.playbooks.helpers import run_clean, run_playbook
from tools.localaws.client import calls, reset_calls

pytestmark = pytest.mark.slow

PLAYBOOK = "playbooks/backup_plan.yml"


def plan() -> dict[str, Any]:
    backup = boto3.client("backup")
    (summary,) = [
        p for p in backup.list_backup_plans()["BackupPlansList"] if p["BackupPlanName"] == "invoice-local-daily"
    ]
    return dict(backup.get_backup_plan(BackupPlanId=summary["BackupPlanId"]), BackupPlanId=summary["BackupPlanId"])


def test_plan_create_noop_change_and_bad_input(localaws: str) -> None:
    storage = run_playbook("playbooks/storage.yml")
    assert storage.rc == 0, storage.explain()
    backup = boto3.client("backup")

    planned, writes = run_clean(localaws, PLAYBOOK, check=True, diff=True)
    assert writes == [] and planned.changed >= 3
    assert backup.list_backup_plans()["BackupPlansList"] == []

    _, writes = run_clean(localaws, PLAYBOOK)
    assert {
        "backup.CreateBackupVault",
        "backup.CreateBackupPlan",
        "backup.CreateBackupSelection",
        "iam.CreateRole",
    } <= set(writes)
    vault = backup.describe_backup_vault(BackupVaultName="invoice-local-vault")
    key = boto3.client("kms").describe_key(KeyId="alias/invoice-local-storage")["KeyMetadata"]["Arn"]
    assert vault["EncryptionKeyArn"] == key
    (rule,) = plan()["BackupPlan"]["Rules"]
    assert rule["Lifecycle"] == {"DeleteAfterDays": 7} and rule["ScheduleExpression"] == "cron(0 3 * * ? *)"
    assert rule["TargetBackupVaultName"] == "invoice-local-vault" and "CopyActions" not in rule
    (selection,) = backup.list_backup_selections(BackupPlanId=plan()["BackupPlanId"])["BackupSelectionsList"]
    chosen = backup.get_backup_selection(BackupPlanId=plan()["BackupPlanId"], SelectionId=selection["SelectionId"])
    assert sorted(chosen["BackupSelection"]["Resources"]) == [
        "arn:aws:rds:us-east-1:123456789012:db:invoice-local-db",
        "arn:aws:s3:::invoice-local-files",
    ]
    assert chosen["BackupSelection"]["IamRoleArn"].endswith(":role/invoice-local-backup")

    again, writes = run_clean(localaws, PLAYBOOK)
    assert (again.changed, writes) == (0, [])
    plan_check, writes = run_clean(localaws, PLAYBOOK, check=True, diff=True)
    assert (plan_check.changed, writes) == (0, [])

    copy = "arn:aws:backup:eu-west-1:123456789012:backup-vault:invoice-local-vault"
    changed = {"backup_plan_retention_days": 14, "backup_plan_copy_vault_arn": copy}
    _, writes = run_clean(localaws, PLAYBOOK, extra_vars=changed)
    assert writes == ["backup.UpdateBackupPlan"]
    (rule,) = plan()["BackupPlan"]["Rules"]
    assert rule["Lifecycle"] == {"DeleteAfterDays": 14}
    assert rule["CopyActions"] == [{"DestinationBackupVaultArn": copy, "Lifecycle": {"DeleteAfterDays": 35}}]
    _, writes = run_clean(localaws, PLAYBOOK, extra_vars=changed)
    assert writes == []

    reset_calls(localaws)
    bad = run_playbook(PLAYBOOK, extra_vars={"backup_plan_retention_days": 0, "backup_plan_copy_vault_arn": "vault"})
    assert bad.rc != 0
    message = " ".join(bad.failure_messages())
    assert "backup_plan_retention_days must be" in message and "backup_plan_copy_vault_arn must be" in message
    assert [c for c in calls(localaws) if c["mutating"]] == []
