#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: s3_files_manifest
short_description: The manifest of a versioned S3 bucket (key, version id, size, SHA-256), now or at a past time
version_added: 0.2.0
description:
  - Lists every object version and delete marker of the bucket (C(ListObjectVersions)) and
    returns, for each key that exists (now, or at O(at_time)), the version that is (was) current,
    its size, ETag and, with O(checksums), the SHA-256 of its bytes (each object is read once).
  - With O(compare), reports every key that is missing or whose size or SHA-256 differs from that
    manifest (a backup's), and fails when there is one unless O(fail_on_difference=false). Keys
    that are in the bucket but not in the manifest are reported under RV(extra_keys), not as differences.
  - Reads only; never changes anything (C(changed) is always false).
author:
  - Invoice platform team (@invoice-platform)
options:
  bucket:
    description: The bucket (versioning enabled).
    type: str
    required: true
  prefix:
    description: Only keys under this prefix.
    type: str
    default: ""
  at_time:
    description: An ISO 8601 UTC time (C(2026-01-01T03:00:00Z)); the manifest of the bucket as it was then.
    type: str
  checksums:
    description: Read every object and record its SHA-256.
    type: bool
    default: true
  compare:
    description: A manifest to compare with (key to C(version_id), C(size), C(sha256)), as this module returns it.
    type: dict
  fail_on_difference:
    description: With O(compare), fail when a key differs.
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Record the files bucket in the backup manifest
  invoice.platform.s3_files_manifest:
    bucket: shop-prod-files
  register: files

- name: Verify the bucket against a backup
  invoice.platform.s3_files_manifest:
    bucket: shop-prod-files
    compare: "{{ manifest.files.objects }}"
"""

RETURN = r"""
objects:
  description: Key to C(version_id), C(size), C(etag), C(last_modified) and (with O(checksums)) C(sha256).
  returned: always
  type: dict
  sample: {"invoices/1/a.pdf": {"version_id": "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY", "size": 1024, "sha256": "ab12..."}}
count:
  description: Number of keys.
  returned: always
  type: int
total_bytes:
  description: Sum of their sizes.
  returned: always
  type: int
differences:
  description: With O(compare), one sentence per key that is missing or differs.
  returned: always
  type: list
  elements: str
extra_keys:
  description: With O(compare), keys present now that the manifest does not hold (left alone by a restore).
  returned: always
  type: list
  elements: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.invoice.platform.plugins.module_utils._run import run_module
from ansible_collections.invoice.platform.plugins.module_utils.dr import (
    compare_files,
    list_versions,
    object_sha256,
    parse_utc,
    state_at,
)


def read_objects(module, client, at):
    """{key: version_id, size, etag, last_modified[, sha256]} of the bucket at ``at`` (now: None)."""
    bucket = module.params["bucket"]
    versions, markers = list_versions(client, bucket, module.params["prefix"])
    objects = {}
    for key, version in sorted(state_at(versions, markers, at).items()):
        entry = {
            "version_id": version["VersionId"],
            "size": int(version["Size"]),
            "etag": version["ETag"].strip('"'),
            "last_modified": version["LastModified"].isoformat(),
        }
        if module.params["checksums"]:
            entry["sha256"] = object_sha256(client, bucket, key, version["VersionId"])
        objects[key] = entry
    return objects


def manifest(module, client, at):
    objects = read_objects(module, client, at)
    differences, extra = compare_files(module.params["compare"], objects) if module.params["compare"] else ([], [])
    result = dict(
        changed=False,
        objects=objects,
        count=len(objects),
        total_bytes=sum(o["size"] for o in objects.values()),
        differences=differences,
        extra_keys=extra,
    )
    if differences and module.params["fail_on_difference"]:
        module.fail_json(
            msg=f"Bucket {module.params['bucket']} differs from the backup: " + "; ".join(differences), **result
        )
    return result


def main():
    argument_spec = dict(
        bucket=dict(type="str", required=True),
        prefix=dict(type="str", default=""),
        at_time=dict(type="str"),
        checksums=dict(type="bool", default=True),
        compare=dict(type="dict"),
        fail_on_difference=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    bucket = module.params["bucket"]
    at = None
    if module.params["at_time"]:
        try:
            at = parse_utc(module.params["at_time"])
        except ValueError as e:
            module.fail_json(msg=f"at_time: {e}")
    run_module(module, "s3", lambda client: manifest(module, client, at), f"Failed to list the versions of {bucket}")


if __name__ == "__main__":
    main()
