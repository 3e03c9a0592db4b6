"""AWS Backup for the local endpoint (moto 5.2 keeps vaults and plans, nothing more).

What the toolkit's scheduled-backups tier (roles/backup_plan with amazon.aws.backup_vault,
backup_plan and backup_selection) needs on top, as AWS answers it:

* UpdateBackupPlan: replaces the plan document, gives the plan a new VersionId, keeps RuleIds
  of rules whose name stays (AWS keeps them per rule name).
* CreateBackupSelection / GetBackupSelection / ListBackupSelections / DeleteBackupSelection:
  selections of a plan, with SelectionId, CreationDate and CreatorRequestId; an unknown plan or
  selection answers ResourceNotFoundException, a duplicate selection name
  AlreadyExistsException.
* GetBackupPlan answers ResourceNotFoundException for a deleted plan (moto returns it).
* CreateBackupPlan of a name whose plan was deleted creates it again (moto keeps deleted plans
  and answers AlreadyExistsException: a rebuild after playbooks/teardown.yml failed).
* IAM knows the AWS managed policies an AWS Backup service role attaches
  (AWSBackupServiceRolePolicyForBackup / ForRestores / ForS3Backup / ForS3Restore, documents
  from moto's copy of AWS's), which moto loads only with MOTO_IAM_LOAD_MANAGED_POLICIES (all
  1,000-odd of them, slowly).
* DescribeBackupVault of a vault that does not exist answers AccessDeniedException, as AWS
  Backup does (moto: ResourceNotFoundException, on which amazon.aws.backup_vault fails; it
  expects AWS's answer).
"""

from __future__ import annotations

import json
from typing import Any

from moto.core.utils import unix_time
from moto.moto_api._internal import mock_random


def _not_found(message: str) -> Exception:
    from moto.backup.exceptions import ResourceNotFoundException  # noqa: PLC0415

    return ResourceNotFoundException(msg=message)


def _already_exists(message: str) -> Exception:
    from moto.core.exceptions import JsonRESTError  # noqa: PLC0415

    return JsonRESTError("AlreadyExistsException", message)


def _live_plan(backend: Any, plan_id: str) -> Any:
    plan = backend.plans.get(plan_id)
    if plan is None or plan.deletion_date is not None:
        raise _not_found(f"Failed reading Backup plan with provided version {plan_id}")
    return plan


def _selections(backend: Any) -> dict[str, dict[str, dict[str, Any]]]:
    if not hasattr(backend, "localaws_selections"):
        backend.localaws_selections = {}
    return backend.localaws_selections  # type: ignore[no-any-return]


def _defaults(rule: dict[str, Any]) -> dict[str, Any]:
    rule.setdefault("ScheduleExpression", "cron(0 5 ? * * *)")
    rule.setdefault("StartWindowMinutes", 480)
    rule.setdefault("CompletionWindowMinutes", 10080)
    rule.setdefault("ScheduleExpressionTimezone", "Etc/UTC")
    return rule


BACKUP_ROLE_POLICIES = (
    "AWSBackupServiceRolePolicyForBackup",
    "AWSBackupServiceRolePolicyForRestores",
    "AWSBackupServiceRolePolicyForS3Backup",
    "AWSBackupServiceRolePolicyForS3Restore",
)


def register_managed_policies(names: tuple[str, ...]) -> None:
    """IAM knows these AWS managed policies (from moto's copy of AWS's documents) in every account.

    Also used by ``extensions/ecs_express.py`` (the ECS Express infrastructure role's policy).
    """
    from moto.iam import models as iam_models  # noqa: PLC0415
    from moto.iam.aws_managed_policies import aws_managed_policies_data  # noqa: PLC0415

    data = json.loads(aws_managed_policies_data)
    original = iam_models.IAMBackend._init_aws_policies

    def _init_aws_policies(self: Any) -> list[Any]:
        found = original(self)
        have = {p.name for p in found}
        found.extend(
            iam_models.AWSManagedPolicy.from_data(name, self.account_id, self.region_name, data[name])
            for name in names
            if name not in have and name in data
        )
        return found

    iam_models.IAMBackend._init_aws_policies = _init_aws_policies  # type: ignore[method-assign]


def register() -> None:  # noqa: PLR0915 (one patch per operation, kept together)
    from moto.backup.models import BackupBackend  # noqa: PLC0415
    from moto.backup.responses import BackupResponse  # noqa: PLC0415

    if getattr(BackupBackend, "_localaws_backup_fixes", False):
        return
    register_managed_policies(BACKUP_ROLE_POLICIES)

    original_get = BackupBackend.get_backup_plan
    original_describe_vault = BackupBackend.describe_backup_vault
    original_create_plan = BackupBackend.create_backup_plan

    def create_backup_plan(self: Any, *args: Any, **kwargs: Any) -> Any:
        deleted = {key: plan for key, plan in self.plans.items() if getattr(plan, "deletion_date", None)}
        for key in deleted:
            del self.plans[key]  # out of moto's same-name check
        try:
            return original_create_plan(self, *args, **kwargs)
        finally:
            self.plans.update(deleted)

    def describe_backup_vault(self: Any, backup_vault_name: str) -> Any:
        if backup_vault_name not in self.vaults:
            from moto.core.exceptions import JsonRESTError  # noqa: PLC0415

            raise JsonRESTError("AccessDeniedException", "Insufficient privileges to perform this action.")
        return original_describe_vault(self, backup_vault_name)

    def get_backup_plan(self: Any, backup_plan_id: str, version_id: Any | None) -> Any:
        _live_plan(self, backup_plan_id)
        return original_get(self, backup_plan_id, version_id)

    def update_backup_plan(self: Any, backup_plan_id: str, backup_plan: dict[str, Any]) -> Any:
        plan = _live_plan(self, backup_plan_id)
        old_ids = {r.get("RuleName"): r.get("RuleId") for r in plan.backup_plan.get("Rules", [])}
        for rule in backup_plan.get("Rules", []):
            _defaults(rule)
            rule["RuleId"] = old_ids.get(rule.get("RuleName")) or str(mock_random.uuid4())
        plan.backup_plan = backup_plan
        plan.advanced_backup_settings = backup_plan.get("AdvancedBackupSettings") or []
        plan.version_id = mock_random.get_random_string(length=48)
        return plan

    def create_backup_selection(
        self: Any, backup_plan_id: str, selection: dict[str, Any], request_id: str | None
    ) -> dict[str, Any]:
        _live_plan(self, backup_plan_id)
        of_plan = _selections(self).setdefault(backup_plan_id, {})
        name = selection.get("SelectionName", "")
        if any(s["BackupSelection"].get("SelectionName") == name for s in of_plan.values()):
            raise _already_exists(f"Backup selection with name {name} already exists")
        selection_id = str(mock_random.uuid4())
        of_plan[selection_id] = {
            "BackupSelection": selection,
            "SelectionId": selection_id,
            "BackupPlanId": backup_plan_id,
            "CreationDate": unix_time(),
            "CreatorRequestId": request_id or "",
        }
        return of_plan[selection_id]

    def selection_of(self: Any, backup_plan_id: str, selection_id: str) -> dict[str, Any]:
        found = _selections(self).get(backup_plan_id, {}).get(selection_id)
        if found is None:
            raise _not_found(f"Backup selection {selection_id} of plan {backup_plan_id} not found")
        return found

    def _ids(path: str) -> tuple[str, str]:
        tail = path.split("/plans/", 1)[1].strip("/").split("/")
        return tail[0], (tail[2] if len(tail) > 2 else "")

    def r_update_backup_plan(self: Any) -> str:
        plan_id, _ = _ids(self.path)
        plan = self.backup_backend.update_backup_plan(plan_id, json.loads(self.body)["BackupPlan"])
        out = plan.to_dict()
        out.pop("AdvancedBackupSettings", None)
        return json.dumps(out)

    def r_create_backup_selection(self: Any) -> str:
        plan_id, _ = _ids(self.path)
        body = json.loads(self.body)
        made = self.backup_backend.create_backup_selection(
            plan_id, body["BackupSelection"], body.get("CreatorRequestId")
        )
        return json.dumps({k: made[k] for k in ("SelectionId", "BackupPlanId", "CreationDate")})

    def r_get_backup_selection(self: Any) -> str:
        plan_id, selection_id = _ids(self.path)
        return json.dumps(self.backup_backend.selection_of(plan_id, selection_id))

    def r_list_backup_selections(self: Any) -> str:
        plan_id, _ = _ids(self.path)
        _live_plan(self.backup_backend, plan_id)
        items = [
            {
                "SelectionId": s["SelectionId"],
                "SelectionName": s["BackupSelection"].get("SelectionName"),
                "BackupPlanId": plan_id,
                "CreationDate": s["CreationDate"],
                "CreatorRequestId": s["CreatorRequestId"],
                "IamRoleArn": s["BackupSelection"].get("IamRoleArn"),
            }
            for s in _selections(self.backup_backend).get(plan_id, {}).values()
        ]
        return json.dumps({"BackupSelectionsList": items})

    def r_delete_backup_selection(self: Any) -> str:
        plan_id, selection_id = _ids(self.path)
        self.backup_backend.selection_of(plan_id, selection_id)
        del _selections(self.backup_backend)[plan_id][selection_id]
        return "{}"

    BackupBackend.get_backup_plan = get_backup_plan  # type: ignore[method-assign]
    BackupBackend.create_backup_plan = create_backup_plan  # type: ignore[method-assign]
    BackupBackend.describe_backup_vault = describe_backup_vault  # type: ignore[method-assign]
    BackupBackend.update_backup_plan = update_backup_plan  # type: ignore[attr-defined]
    BackupBackend.create_backup_selection = create_backup_selection  # type: ignore[attr-defined]
    BackupBackend.selection_of = selection_of  # type: ignore[attr-defined]
    BackupResponse.update_backup_plan = r_update_backup_plan  # type: ignore[attr-defined]
    BackupResponse.create_backup_selection = r_create_backup_selection  # type: ignore[attr-defined]
    BackupResponse.get_backup_selection = r_get_backup_selection  # type: ignore[attr-defined]
    BackupResponse.list_backup_selections = r_list_backup_selections  # type: ignore[attr-defined]
    BackupResponse.delete_backup_selection = r_delete_backup_selection  # type: ignore[attr-defined]
    BackupBackend._localaws_backup_fixes = True  # type: ignore[attr-defined]
