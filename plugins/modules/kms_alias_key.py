#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: kms_alias_key
short_description: A symmetric customer managed KMS key found by its alias, read in three calls
version_added: 0.2.0
description:
  - Creates, updates or schedules the deletion of a symmetric customer managed KMS key
    (key spec C(SYMMETRIC_DEFAULT), key usage C(ENCRYPT_DECRYPT)) that is identified by its alias;
    manages its description, whether it is enabled, automatic key rotation, its key policy (only
    when O(policy) is given) and its tags.
  - What this fixes over M(amazon.aws.kms_key) - a no-op run reads the key with one
    C(DescribeKey) of the alias (which finds the key and its alias in one call), one
    C(GetKeyRotationStatus) and one C(ListResourceTags), plus one C(GetKeyPolicy) only when
    O(policy) is set - 3 or 4 reads instead of about 17 (listing every alias in the region,
    grants, key policies, and describing the key twice).
  - A key found by the alias that is pending deletion makes the module fail (with state V(present))
    and name the key and its deletion date; it does not cancel the deletion by itself. Cancel it
    by hand (C(aws kms cancel-key-deletion)) and re-run, or choose another alias.
  - Check mode makes no mutating call (a key that does not exist yet is reported as changed);
    diff mode shows the description, enabled, rotation, tags and (when managed) policy before and after.
author:
  - Invoice platform team (@invoice-platform)
options:
  alias:
    description:
      - Alias of the key, with or without the C(alias/) prefix. Aliases under C(alias/aws/) are
        reserved for AWS managed keys and refused.
    type: str
    required: true
  description:
    description:
      - Description of the key. Not changed when unset (a new key then gets an empty description).
    type: str
  enabled:
    description: Whether the key is enabled.
    type: bool
    default: true
  enable_key_rotation:
    description:
      - Whether automatic yearly rotation of the key material is on. Not changed when unset (a new
        key then has rotation off).
    type: bool
  policy:
    description:
      - Key policy, as a JSON string or a dict. Compared as parsed JSON, so formatting and key
        order do not count as differences. When unset the key policy is not read or changed (a
        new key gets the KMS default policy).
    type: json
  pending_window:
    description:
      - With O(state=absent), the number of days (7-30) before KMS deletes the key.
    type: int
    default: 30
    aliases: [deletion_delay]
  state:
    description:
      - V(present) creates or updates the key and its alias.
      - V(absent) schedules the deletion of the key (after O(pending_window) days) and deletes the
        alias, so that a later V(present) run creates a new key. Nothing happens when the alias
        does not exist.
    type: str
    choices: [present, absent]
    default: present
notes:
  - Grants, multi-Region keys, asymmetric and HMAC keys, imported key material and custom key
    stores are not managed. A key found by the alias that is not a symmetric customer managed key
    makes the module fail.
  - The rotation period is left at its default (365 days).
  - KMS changes rotation only on an enabled key. To change O(enable_key_rotation) of a key that
    stays disabled, the module enables the key, changes rotation and disables it again.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Ensure the storage KMS key exists, rotated yearly
  invoice.platform.kms_alias_key:
    alias: shop-prod-storage
    description: Encrypts the S3 buckets of shop-prod
    enable_key_rotation: true
    tags:
      Name: shop-prod-storage
  register: storage_key

- name: Manage the key policy too
  invoice.platform.kms_alias_key:
    alias: alias/shop-prod-storage
    policy: "{{ lookup('ansible.builtin.template', 'key-policy.json.j2') }}"

- name: Schedule the key for deletion in 7 days and delete its alias
  invoice.platform.kms_alias_key:
    alias: shop-prod-storage
    state: absent
    pending_window: 7
"""

RETURN = r"""
key_id:
  description: ID of the key (empty when there is none, or when check mode would create it).
  returned: always
  type: str
  sample: 1234abcd-12ab-34cd-56ef-1234567890ab
key_arn:
  description: ARN of the key (empty when there is none, or when check mode would create it).
  returned: always
  type: str
  sample: arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
alias:
  description: The alias, with its C(alias/) prefix.
  returned: always
  type: str
  sample: alias/shop-prod-storage
key_state:
  description:
    - State of the key after the run (C(Enabled), C(Disabled), C(PendingDeletion)); empty when there is none.
  returned: always
  type: str
  sample: Enabled
description:
  description: Description of the key.
  returned: when the key exists or would be created
  type: str
  sample: Encrypts the S3 buckets of shop-prod
enabled:
  description: Whether the key is enabled.
  returned: when the key exists or would be created
  type: bool
  sample: true
enable_key_rotation:
  description: Whether automatic key rotation is on.
  returned: when the key exists or would be created
  type: bool
  sample: true
tags:
  description: Tags of the key.
  returned: when the key exists or would be created
  type: dict
  sample: {"Name": "shop-prod-storage"}
policy:
  description: The key policy (parsed).
  returned: when O(policy) is set and the key exists or would be created
  type: dict
deletion_date:
  description: When KMS deletes the key (ISO 8601).
  returned: when the key is pending deletion
  type: str
  sample: "2026-12-25T21:40:00+00:00"
"""

import json
import re

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
)
from ansible_collections.invoice.platform.plugins.module_utils._options import tag_options
from ansible_collections.invoice.platform.plugins.module_utils._tags import tag_plan

ALIAS_NAME = re.compile(r"^[a-zA-Z0-9/_-]+$")
MANAGEABLE_STATES = ("Enabled", "Disabled")
KEY_TAG = ("TagKey", "TagValue")


def alias_name(module):
    """The alias with its ``alias/`` prefix; fails on a name KMS would refuse or reserves for AWS."""
    raw = module.params["alias"] or ""
    name = raw[len("alias/") :] if raw.startswith("alias/") else raw
    full = f"alias/{name}"
    if not name or not ALIAS_NAME.match(name) or len(full) > 256:
        module.fail_json(
            msg=f"alias must be a KMS alias name (letters, digits, '/', '_', '-'; at most 256 characters "
            f"with the alias/ prefix), got {raw!r}"
        )
    if name.startswith("aws/"):
        module.fail_json(msg=f"alias {raw!r} is reserved for AWS managed keys (alias/aws/...)")
    return full


def wanted_policy(module):
    """The policy option parsed, or None when the key policy is not managed."""
    policy = module.params["policy"]
    if policy is None:
        return None
    try:
        parsed = json.loads(policy)
    except ValueError as e:
        module.fail_json(msg=f"policy must be a JSON document: {e}")
    if not isinstance(parsed, dict):
        module.fail_json(msg=f"policy must be a JSON object, got {type(parsed).__name__}")
    return parsed


def validate(module):
    alias = alias_name(module)
    window = module.params["pending_window"]
    if not 7 <= window <= 30:
        module.fail_json(msg=f"pending_window must be 7-30 days, got {window}")
    return alias, wanted_policy(module)


def describe_key(module, client, alias):
    """The key the alias points at (KeyMetadata), or None when the alias does not exist."""
    try:
        return client.describe_key(aws_retry=True, KeyId=alias)["KeyMetadata"]
    except is_boto3_error_code("NotFoundException"):
        return None
    except (BotoCoreError, ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Failed to describe the KMS key {alias}")


def read_rotation(module, client, key_id):
    try:
        return client.get_key_rotation_status(aws_retry=True, KeyId=key_id)["KeyRotationEnabled"]
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg=f"Failed to read the rotation status of the KMS key {key_id}")


def read_tags(module, client, key_id):
    tags = []
    params = {"KeyId": key_id}
    try:
        while True:
            page = client.list_resource_tags(aws_retry=True, **params)
            tags.extend(page.get("Tags", []))
            if not page.get("Truncated"):
                break
            params["Marker"] = page["NextMarker"]
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg=f"Failed to read the tags of the KMS key {key_id}")
    return boto3_tag_list_to_ansible_dict(tags, *KEY_TAG)


def read_policy(module, client, key_id):
    try:
        return json.loads(client.get_key_policy(aws_retry=True, KeyId=key_id, PolicyName="default")["Policy"])
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg=f"Failed to read the key policy of the KMS key {key_id}")


def check_manageable(module, alias, key):
    """Fail on a key this module must not manage: AWS managed, not symmetric, pending deletion, ..."""
    key_id = key["KeyId"]
    if key.get("KeyManager") != "CUSTOMER":
        module.fail_json(msg=f"{alias} points at the AWS managed key {key_id}; only customer managed keys are managed")
    spec = key.get("KeySpec") or key.get("CustomerMasterKeySpec")
    if spec != "SYMMETRIC_DEFAULT" or key.get("KeyUsage", "ENCRYPT_DECRYPT") != "ENCRYPT_DECRYPT":
        module.fail_json(
            msg=f"{alias} points at the KMS key {key_id} with key spec {spec} and key usage "
            f"{key.get('KeyUsage')}; only symmetric ENCRYPT_DECRYPT keys (SYMMETRIC_DEFAULT) are managed"
        )
    state = key.get("KeyState")
    if state == "PendingDeletion":
        when = key.get("DeletionDate")
        module.fail_json(
            msg=f"{alias} points at the KMS key {key_id}, which is pending deletion"
            f"{' (deletion date ' + when.isoformat() + ')' if when else ''}; this module does not cancel "
            f"a deletion: run 'aws kms cancel-key-deletion --key-id {key_id}' (the key comes back disabled) "
            "and re-run, or choose another alias"
        )
    if state not in MANAGEABLE_STATES:
        module.fail_json(
            msg=f"{alias} points at the KMS key {key_id} in state {state}; it can only be managed when "
            f"{' or '.join(MANAGEABLE_STATES)}"
        )


def record(diff, field, before, after):
    diff["before"][field], diff["after"][field] = before, after


def ensure_description(module, client, key, diff):
    wanted, current = module.params["description"], key.get("Description", "")
    if wanted is None or wanted == current:
        return False
    record(diff, "description", current, wanted)
    if module.check_mode:
        return True
    try:
        client.update_key_description(aws_retry=True, KeyId=key["KeyId"], Description=wanted)
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg=f"Failed to update the description of the KMS key {key['KeyId']}")
    return True


def switch(module, key_id, on, calls, what):
    """``calls`` is (enable, disable): the one ``on`` asks for, on the key; a failure names ``what``."""
    enable, disable = calls
    try:
        (enable if on else disable)(aws_retry=True, KeyId=key_id)
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg=f"Failed to {'enable' if on else 'disable'} {what}")


def set_enabled(module, client, key_id, enabled):
    switch(module, key_id, enabled, (client.enable_key, client.disable_key), f"the KMS key {key_id}")


def set_rotation(module, client, key_id, rotation):
    calls = (client.enable_key_rotation, client.disable_key_rotation)
    switch(module, key_id, rotation, calls, f"rotation of the KMS key {key_id}")


def ensure_enabled_and_rotation(module, client, key, rotation, diff):
    """Enabled state and rotation together: KMS changes rotation only on an enabled key."""
    key_id = key["KeyId"]
    wanted_enabled = module.params["enabled"]
    current_enabled = key.get("Enabled", key.get("KeyState") == "Enabled")
    wanted_rotation = module.params["enable_key_rotation"]
    enabled_changes = wanted_enabled != current_enabled
    rotation_changes = wanted_rotation is not None and wanted_rotation != rotation
    if enabled_changes:
        record(diff, "enabled", current_enabled, wanted_enabled)
    if rotation_changes:
        record(diff, "enable_key_rotation", rotation, wanted_rotation)
    if module.check_mode or not (enabled_changes or rotation_changes):
        return enabled_changes or rotation_changes
    if enabled_changes and wanted_enabled:
        set_enabled(module, client, key_id, True)
    if rotation_changes:
        if not current_enabled and not wanted_enabled:
            # Rotation of a key that stays disabled: enable it briefly, as KMS requires.
            set_enabled(module, client, key_id, True)
            set_rotation(module, client, key_id, wanted_rotation)
            set_enabled(module, client, key_id, False)
        else:
            set_rotation(module, client, key_id, wanted_rotation)
    if enabled_changes and not wanted_enabled:
        set_enabled(module, client, key_id, False)
    return True


def ensure_tags(module, client, key_id, current, diff):
    wanted = module.params["tags"]
    if wanted is None:
        return False, current
    to_set, to_remove, after = tag_plan(current, wanted, module.params["purge_tags"])
    if not to_set and not to_remove:
        return False, current
    record(diff, "tags", current, after)
    if module.check_mode:
        return True, after
    try:
        if to_remove:
            client.untag_resource(aws_retry=True, KeyId=key_id, TagKeys=to_remove)
        if to_set:
            client.tag_resource(aws_retry=True, KeyId=key_id, Tags=ansible_dict_to_boto3_tag_list(to_set, *KEY_TAG))
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg=f"Failed to update the tags of the KMS key {key_id}")
    return True, after


def ensure_policy(module, client, key_id, policy, diff):
    """Returns (changed, policy after); the key policy is read only when it is managed."""
    if policy is None:
        return False, None
    current = read_policy(module, client, key_id)
    if current == policy:
        return False, current
    record(diff, "policy", current, policy)
    if module.check_mode:
        return True, policy
    try:
        client.put_key_policy(aws_retry=True, KeyId=key_id, PolicyName="default", Policy=json.dumps(policy))
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg=f"Failed to set the key policy of the KMS key {key_id}")
    return True, policy


def create_key(module, client, alias, policy, diff):
    """Create the key (with tags and policy), its alias, and turn rotation on when asked."""
    params = module.params
    description = params["description"] or ""
    tags = params["tags"] or {}
    rotation = bool(params["enable_key_rotation"])
    after = {
        "alias": alias,
        "description": description,
        "enabled": params["enabled"],
        "enable_key_rotation": rotation,
        "tags": tags,
    }
    if policy is not None:
        after["policy"] = policy
    diff["after"] = dict(after)
    result = dict(after, key_id="", key_arn="", key_state="Enabled" if params["enabled"] else "Disabled")
    if module.check_mode:
        return result
    create = {
        "Description": description,
        "KeyUsage": "ENCRYPT_DECRYPT",
        "KeySpec": "SYMMETRIC_DEFAULT",
        "Tags": ansible_dict_to_boto3_tag_list(tags, *KEY_TAG),
    }
    if policy is not None:
        create["Policy"] = json.dumps(policy)
    try:
        key = client.create_key(aws_retry=True, **create)["KeyMetadata"]
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg=f"Failed to create the KMS key for {alias}")
    try:
        client.create_alias(aws_retry=True, AliasName=alias, TargetKeyId=key["KeyId"])
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg=f"Created the KMS key {key['KeyId']} but failed to create its alias {alias}")
    if rotation:
        set_rotation(module, client, key["KeyId"], True)
    if not params["enabled"]:
        set_enabled(module, client, key["KeyId"], False)
    result.update(key_id=key["KeyId"], key_arn=key["Arn"])
    return result


def delete_key(module, client, alias, key, diff):
    """Schedule the deletion of the key (unless it already is) and delete the alias."""
    key_id = key["KeyId"]
    diff["before"] = {"alias": alias, "key_id": key_id, "key_state": key.get("KeyState")}
    diff["after"] = {}
    result = {"key_id": key_id, "key_arn": key["Arn"], "key_state": "PendingDeletion"}
    if key.get("DeletionDate"):
        result["deletion_date"] = key["DeletionDate"].isoformat()
    if module.check_mode:
        return result
    if key.get("KeyState") != "PendingDeletion":
        try:
            response = client.schedule_key_deletion(
                aws_retry=True, KeyId=key_id, PendingWindowInDays=module.params["pending_window"]
            )
        except (BotoCoreError, ClientError) as e:
            module.fail_json_aws(e, msg=f"Failed to schedule the deletion of the KMS key {key_id}")
        if response.get("DeletionDate"):
            result["deletion_date"] = response["DeletionDate"].isoformat()
    try:
        client.delete_alias(aws_retry=True, AliasName=alias)
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg=f"Scheduled the deletion of the KMS key {key_id} but failed to delete {alias}")
    return result


def update_key(module, client, alias, key, diff):
    key_id = key["KeyId"]
    policy = wanted_policy(module)
    rotation = read_rotation(module, client, key_id)
    tags = read_tags(module, client, key_id)
    changed = ensure_description(module, client, key, diff)
    changed |= ensure_enabled_and_rotation(module, client, key, rotation, diff)
    tags_changed, tags = ensure_tags(module, client, key_id, tags, diff)
    policy_changed, policy_after = ensure_policy(module, client, key_id, policy, diff)
    changed |= tags_changed or policy_changed
    params = module.params
    enabled = params["enabled"]
    result = {
        "key_id": key_id,
        "key_arn": key["Arn"],
        "alias": alias,
        "description": key.get("Description", "") if params["description"] is None else params["description"],
        "enabled": enabled,
        "enable_key_rotation": rotation if params["enable_key_rotation"] is None else params["enable_key_rotation"],
        "tags": tags,
        "key_state": "Enabled" if enabled else "Disabled",
    }
    if policy_after is not None:
        result["policy"] = policy_after
    return changed, result


def main():
    argument_spec = dict(
        alias=dict(type="str", required=True),
        description=dict(type="str"),
        enabled=dict(type="bool", default=True),
        enable_key_rotation=dict(type="bool"),
        policy=dict(type="json"),
        pending_window=dict(type="int", default=30, aliases=["deletion_delay"]),
        **tag_options(),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    alias, policy = validate(module)

    client = module.client("kms", retry_decorator=AWSRetry.jittered_backoff())
    key = describe_key(module, client, alias)
    diff = {"before": {}, "after": {}}

    if module.params["state"] == "absent":
        if key is None:
            changed, result = False, {"key_id": "", "key_arn": "", "key_state": ""}
        else:
            changed, result = True, delete_key(module, client, alias, key, diff)
        result["alias"] = alias
    elif key is None:
        changed, result = True, create_key(module, client, alias, policy, diff)
    else:
        check_manageable(module, alias, key)
        changed, result = update_key(module, client, alias, key, diff)

    if module._diff:
        result["diff"] = diff
    module.exit_json(changed=changed, **result)


if __name__ == "__main__":
    main()
