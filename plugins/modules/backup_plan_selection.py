#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: backup_plan_selection
short_description: The resources an AWS Backup plan backs up (a backup selection), by plan and selection name
version_added: 0.2.0
description:
  - Ensures that the backup plan named O(backup_plan_name) has a selection named
    O(selection_name) that assigns exactly O(resources) with the IAM role O(iam_role_arn), or
    that it has none (O(state=absent)).
  - What this fixes over M(amazon.aws.backup_selection) - that module reads the selection name
    from its alias (C(module.params["selection_name"])), which is never set, so every run fails with
    C(Invalid type for parameter BackupSelection.SelectionName, value None) (amazon.aws 10.x).
  - AWS Backup selections cannot be changed - a selection whose role or resources differ is
    deleted and created again with the same name (the plan's recovery points are not affected).
  - Check mode makes no mutating call; diff mode shows the role and resources before and after.
author:
  - Invoice platform team (@invoice-platform)
options:
  backup_plan_name:
    description: Name of the backup plan (it must exist, except in check mode).
    type: str
    required: true
  selection_name:
    description: Name of the selection.
    type: str
    required: true
  iam_role_arn:
    description: ARN of the IAM role AWS Backup assumes to back the resources up (required with O(state=present)).
    type: str
  resources:
    description: ARNs of the resources to back up (compared as a set).
    type: list
    elements: str
    default: []
  state:
    description: Whether the selection exists.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Back up the database and the files bucket with the daily plan
  invoice.platform.backup_plan_selection:
    backup_plan_name: shop-prod-daily
    selection_name: shop-prod-data
    iam_role_arn: arn:aws:iam::123456789012:role/shop-prod-backup
    resources:
      - arn:aws:rds:us-east-1:123456789012:db:shop-prod-db
      - arn:aws:s3:::shop-prod-files
"""

RETURN = r"""
backup_plan_id:
  description: ID of the plan (empty when it does not exist).
  returned: always
  type: str
selection_id:
  description: ID of the selection (empty when there is none, or when check mode would create it).
  returned: always
  type: str
iam_role_arn:
  description: The selection's role.
  returned: when the selection exists or would be created
  type: str
resources:
  description: The selection's resources, sorted.
  returned: when the selection exists or would be created
  type: list
  elements: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.invoice.platform.plugins.module_utils._run import run_module


def find_plan_id(client, name):
    paginator = client.get_paginator("list_backup_plans")
    for page in paginator.paginate():
        for plan in page.get("BackupPlansList", []):
            if plan.get("BackupPlanName") == name and not plan.get("DeletionDate"):
                return plan["BackupPlanId"]
    return ""


def find_selection(client, plan_id, name):
    """The selection {SelectionId, IamRoleArn, Resources} named ``name``, or None."""
    paginator = client.get_paginator("list_backup_selections")
    for page in paginator.paginate(BackupPlanId=plan_id):
        for item in page.get("BackupSelectionsList", []):
            if item.get("SelectionName") == name:
                found = client.get_backup_selection(
                    BackupPlanId=plan_id, SelectionId=item["SelectionId"], aws_retry=True
                )
                selection = found["BackupSelection"]
                return {
                    "SelectionId": item["SelectionId"],
                    "IamRoleArn": selection.get("IamRoleArn", ""),
                    "Resources": sorted(selection.get("Resources", [])),
                }
    return None


def view(selection):
    return {"iam_role_arn": selection["IamRoleArn"], "resources": sorted(selection["Resources"])} if selection else {}


def ensure_selection(module, client, plan_id, current):
    """(changed, selection after) for state=present."""
    params = module.params
    wanted = {"IamRoleArn": params["iam_role_arn"], "Resources": sorted(set(params["resources"]))}
    if current and view(current) == view(wanted):
        return False, current
    if module.check_mode:
        return True, dict(wanted, SelectionId=current["SelectionId"] if current else "")
    if current:
        client.delete_backup_selection(BackupPlanId=plan_id, SelectionId=current["SelectionId"], aws_retry=True)
    made = client.create_backup_selection(
        BackupPlanId=plan_id,
        BackupSelection={"SelectionName": params["selection_name"], **wanted},
        aws_retry=True,
    )
    return True, dict(wanted, SelectionId=made["SelectionId"])


def converge(module, client):
    plan_name = module.params["backup_plan_name"]
    plan_id = find_plan_id(client, plan_name)
    current = find_selection(client, plan_id, module.params["selection_name"]) if plan_id else None
    if module.params["state"] == "absent":
        changed = current is not None
        if current and not module.check_mode:
            client.delete_backup_selection(BackupPlanId=plan_id, SelectionId=current["SelectionId"], aws_retry=True)
        after = None
    elif not plan_id and not module.check_mode:
        module.fail_json(msg=f"backup_plan_name: no backup plan {plan_name}")
    else:
        changed, after = ensure_selection(module, client, plan_id, current)
    return dict(
        changed=changed,
        backup_plan_id=plan_id,
        selection_id=(after or {}).get("SelectionId", ""),
        **view(after),
        diff={"before": view(current), "after": view(after)},
    )


def main():
    argument_spec = dict(
        backup_plan_name=dict(type="str", required=True),
        selection_name=dict(type="str", required=True),
        iam_role_arn=dict(type="str"),
        resources=dict(type="list", elements="str", default=[]),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_if=[("state", "present", ("iam_role_arn",))],
    )
    name, plan_name = module.params["selection_name"], module.params["backup_plan_name"]
    run_module(
        module,
        "backup",
        lambda client: converge(module, client),
        f"Failed to converge backup selection {name} of {plan_name}",
    )


if __name__ == "__main__":
    main()
