"""What a teardown and a rebuild need of the local endpoint, as AWS answers it."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

PLAN = {"BackupPlanName": "invoice-test-daily", "Rules": [{"RuleName": "daily", "TargetBackupVaultName": "v"}]}


def test_a_deleted_backup_plan_can_be_created_again(localaws: str) -> None:
    backup = boto3.client("backup")
    backup.create_backup_vault(BackupVaultName="v")
    first = backup.create_backup_plan(BackupPlan=PLAN)["BackupPlanId"]
    with pytest.raises(ClientError, match="AlreadyExistsException"):
        backup.create_backup_plan(BackupPlan=PLAN)  # a live plan of that name: refused, as on AWS
    backup.delete_backup_plan(BackupPlanId=first)
    again = backup.create_backup_plan(BackupPlan=PLAN)["BackupPlanId"]
    assert again != first
    assert [p["BackupPlanId"] for p in backup.list_backup_plans()["BackupPlansList"]] == [again]


def test_a_secret_in_its_recovery_window_answers_with_awss_message(localaws: str) -> None:
    secrets = boto3.client("secretsmanager")
    secrets.create_secret(Name="invoice-test-master", SecretString="{}")
    secrets.delete_secret(SecretId="invoice-test-master", RecoveryWindowInDays=7)
    with pytest.raises(ClientError, match="because it was marked for deletion"):
        secrets.get_secret_value(SecretId="invoice-test-master")
    secrets.restore_secret(SecretId="invoice-test-master")
    assert secrets.get_secret_value(SecretId="invoice-test-master")["SecretString"] == "{}"
