#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: s3_restore_versions
short_description: Bring a versioned S3 bucket back to a manifest or a point in time by copying old versions forward
version_added: 0.2.0
description:
  - For every key of the target state - the O(objects) of a backup manifest, or the versions that
    were current at O(restore_time) - makes that version's bytes current again by copying it onto
    the same key (C(CopyObject) with C(VersionId)). Deleted objects come back, overwritten ones
    return to their earlier bytes.
  - No version and no object is ever deleted - keys written after the target state are left as they
    are (returned in RV(left_alone)), and every version that was current before the restore stays
    in the bucket's history.
  - Idempotent - a key whose current version is the target version, or has the same size and
    bytes (the same ETag, else the same SHA-256; a version copied forward earlier), is not copied again.
  - Check mode lists what would be copied and copies nothing; diff mode shows, per key, the
    version id that is current before and the one restored after.
author:
  - Invoice platform team (@invoice-platform)
options:
  bucket:
    description: The bucket (versioning enabled).
    type: str
    required: true
  objects:
    description:
      - The target state - key to C(version_id), C(size) and optionally C(sha256) (the C(objects) of
        M(invoice.platform.s3_files_manifest), as stored in a backup manifest).
    type: dict
  restore_time:
    description: An ISO 8601 UTC time (C(2026-01-01T03:00:00Z)); the target state is the bucket as it was then.
    type: str
  prefix:
    description: With O(restore_time), only keys under this prefix.
    type: str
    default: ""
  kms_key_id:
    description: KMS key to encrypt the copies with (SSE-KMS); when unset the bucket's default encryption applies.
    type: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Bring the files back to the backup
  invoice.platform.s3_restore_versions:
    bucket: shop-prod-files
    objects: "{{ manifest.files.objects }}"

- name: Bring the files back to how they were before the incident
  invoice.platform.s3_restore_versions:
    bucket: shop-prod-files
    restore_time: "2026-01-01T09:55:00Z"
"""

RETURN = r"""
copied:
  description: The keys copied forward (or that would be in check mode), with the version restored and why.
  returned: always
  type: list
  elements: dict
  sample: [{"key": "invoices/1/a.pdf", "version_id": "3HL4kq...", "reason": "deleted", "new_version_id": "9Xb..."}]
unchanged:
  description: Keys that already hold their target bytes.
  returned: always
  type: list
  elements: str
left_alone:
  description: Keys current now that the target state does not hold (never deleted).
  returned: always
  type: list
  elements: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.invoice.platform.plugins.module_utils._run import run_module
from ansible_collections.invoice.platform.plugins.module_utils.dr import (
    list_versions,
    object_sha256,
    parse_utc,
    plan_file_restore,
    state_at,
)


def target_state(module, versions, markers):
    if module.params["objects"] is not None:
        known = {(v["Key"], v["VersionId"]) for v in versions}
        missing = [k for k, o in module.params["objects"].items() if (k, o.get("version_id")) not in known]
        if missing:
            module.fail_json(
                msg=f"objects: these versions are not in {module.params['bucket']} any more (expired or deleted): "
                + ", ".join(f"{k} {module.params['objects'][k].get('version_id')}" for k in sorted(missing)[:10])
            )
        return module.params["objects"]
    try:
        at = parse_utc(module.params["restore_time"])
    except ValueError as e:
        module.fail_json(msg=f"restore_time: {e}")
    return {
        key: {"version_id": v["VersionId"], "size": int(v["Size"]), "etag": v["ETag"].strip('"')}
        for key, v in state_at(versions, markers, at).items()
    }


def restore(module, client):
    bucket = module.params["bucket"]
    versions, markers = list_versions(client, bucket, module.params["prefix"])
    target = target_state(module, versions, markers)
    current = state_at(versions, markers)

    def same_content(key, now, want):
        if want.get("etag") and now["ETag"].strip('"') == want["etag"]:
            return True
        want_sha = want.get("sha256") or object_sha256(client, bucket, key, want["version_id"])
        return object_sha256(client, bucket, key, now["VersionId"]) == want_sha

    copies, unchanged = plan_file_restore(current, target, same_content)
    if not module.check_mode:
        for copy in copies:
            extra = {}
            if module.params["kms_key_id"]:
                extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": module.params["kms_key_id"]}
            answer = client.copy_object(
                Bucket=bucket,
                Key=copy["key"],
                CopySource={"Bucket": bucket, "Key": copy["key"], "VersionId": copy["version_id"]},
                aws_retry=True,
                **extra,
            )
            copy["new_version_id"] = answer.get("VersionId", "")
    return dict(
        changed=bool(copies),
        copied=copies,
        unchanged=unchanged,
        left_alone=sorted(set(current) - set(target)),
        diff={
            "before": {
                c["key"]: current[c["key"]]["VersionId"] if c["key"] in current else "(deleted)" for c in copies
            },
            "after": {c["key"]: f"copy of {c['version_id']}" for c in copies},
        },
    )


def main():
    argument_spec = dict(
        bucket=dict(type="str", required=True),
        objects=dict(type="dict"),
        restore_time=dict(type="str"),
        prefix=dict(type="str", default=""),
        kms_key_id=dict(type="str", no_log=False),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[("objects", "restore_time")],
        required_one_of=[("objects", "restore_time")],
    )
    run_module(
        module,
        "s3",
        lambda client: restore(module, client),
        f"Failed to restore the versions of {module.params['bucket']}",
    )


if __name__ == "__main__":
    main()
