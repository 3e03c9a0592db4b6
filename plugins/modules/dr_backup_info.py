#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: dr_backup_info
short_description: The backups playbooks/backup.yml stored in a bucket, and the manifest of one of them
version_added: 0.2.0
description:
  - Lists the manifests (C(<prefix>/<backup id>/manifest.json)) in the backups bucket and returns
    the backup ids, newest first, and the manifest of O(backup_id) or, when it is empty, of the
    newest backup.
  - Fails, naming O(backup_id), when that backup does not exist (and lists the ones that do).
  - Reads only.
author:
  - Invoice platform team (@invoice-platform)
options:
  bucket:
    description: The backups bucket.
    type: str
    required: true
  prefix:
    description: Prefix of the backups in the bucket.
    type: str
    default: backups
  backup_id:
    description: The backup whose manifest to return; empty - the newest.
    type: str
    default: ""
  database_identifier:
    description: Only backups of this DB instance (backup ids start with it).
    type: str
  required:
    description:
      - Fail when there is no backup at all, or none with O(backup_id). With V(false) an empty
        RV(backup_id) and RV(manifest) are returned instead.
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Read the newest backup's manifest
  invoice.platform.dr_backup_info:
    bucket: shop-prod-backups
  register: backup
"""

RETURN = r"""
backup_ids:
  description: Every backup id in the bucket, newest first (ids end with their UTC timestamp).
  returned: always
  type: list
  elements: str
backup_id:
  description: The backup chosen (empty when there is none).
  returned: always
  type: str
manifest:
  description: Its manifest, as playbooks/backup.yml wrote it (empty when there is none).
  returned: always
  type: dict
"""

import json

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.invoice.platform.plugins.module_utils._run import run_module
from ansible_collections.invoice.platform.plugins.module_utils.dr import backup_ids_in


def read_backups(module, client):
    bucket, prefix = module.params["bucket"], module.params["prefix"].strip("/")
    keys = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/"):
        keys.extend(o["Key"] for o in page.get("Contents", []))
    ids = backup_ids_in(keys, prefix, module.params["database_identifier"])
    wanted = module.params["backup_id"]
    if wanted and wanted not in ids and not module.params["required"]:
        module.exit_json(changed=False, backup_ids=ids, backup_id="", manifest={})
    if wanted and wanted not in ids:
        module.fail_json(
            msg=f"backup id {wanted}: no such backup in s3://{bucket}/{prefix}/"
            f" (found: {', '.join(ids[:10]) or 'none'})",
            backup_ids=ids,
        )
    chosen = wanted or (ids[0] if ids else "")
    if not chosen:
        if module.params["required"]:
            module.fail_json(msg=f"No backup in s3://{bucket}/{prefix}/: run playbooks/backup.yml first", backup_ids=[])
        module.exit_json(changed=False, backup_ids=[], backup_id="", manifest={})
    body = client.get_object(Bucket=bucket, Key=f"{prefix}/{chosen}/manifest.json", aws_retry=True)["Body"].read()
    return dict(changed=False, backup_ids=ids, backup_id=chosen, manifest=json.loads(body))


def main():
    argument_spec = dict(
        bucket=dict(type="str", required=True),
        prefix=dict(type="str", default="backups"),
        backup_id=dict(type="str", default=""),
        database_identifier=dict(type="str"),
        required=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    run_module(
        module,
        "s3",
        lambda client: read_backups(module, client),
        f"Failed to read the backups in {module.params['bucket']}",
    )


if __name__ == "__main__":
    main()
