#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: s3_site_sync
version_added: 0.2.0
short_description: Upload a static site to an S3 bucket, changed files only, with check and diff mode
description:
  - Written for the cdn role (until 0.2.0 its private C(cdn_site_sync)) because C(community.aws.s3_sync)
    has no check mode (it uploads even under C(--check)), issues one C(HeadObject) per file on every run, and never
    notices a changed Content-Type or Cache-Control.
  - Change detection costs two read calls whatever the number of files - C(ListObjectsV2) and
    C(GetObject) of a manifest object (O(manifest_key)) that records, for every uploaded key, the MD5 of
    its content, its Content-Type, Cache-Control and the ETag S3 gave it. A file is uploaded when its
    key is missing, when its MD5, type or cache rule differs from the manifest, or when the object's
    ETag differs from the recorded one (someone replaced it). That works with SSE-KMS too, where the
    ETag is not the content's MD5.
  - Removed files are deleted only with O(delete=true), and only keys the manifest lists (objects
    this module never uploaded are left alone).
author:
  - Invoice platform team (@invoice-platform)
options:
  bucket:
    description: Bucket name.
    type: str
    required: true
  src:
    description: Directory whose files are uploaded (keys are paths relative to it).
    type: path
    required: true
  files:
    description:
      - Extra objects given as content, key -> text (for example a generated C(config.js)); they win
        over a file of the same key in O(src).
    type: dict
    default: {}
  cache_rules:
    description:
      - First match wins; each has C(pattern) (a regular expression searched in the key) and C(cache_control).
    type: list
    elements: dict
    default: []
  default_cache_control:
    description: Cache-Control of keys no rule matches.
    type: str
    default: public, max-age=300
  delete:
    description: Delete keys the manifest lists that no longer exist locally.
    type: bool
    default: false
  manifest_key:
    description: Key of the manifest object.
    type: str
    default: .site-manifest.json
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Upload the changed files of the web UI
  invoice.platform.s3_site_sync:
    bucket: invoice-prod-frontend
    src: frontend/dist
    files:
      config.js: 'window.INVOICE_CONFIG = { apiBase: "" };'
    cache_rules:
      - pattern: '^assets/'
        cache_control: public, max-age=31536000, immutable
    default_cache_control: no-cache
    delete: true
  register: upload
"""

RETURN = r"""
uploaded:
  description: Keys uploaded (or that would be, in check mode).
  returned: always
  type: list
  elements: str
deleted:
  description: Keys deleted (or that would be).
  returned: always
  type: list
  elements: str
unchanged:
  description: Number of keys already up to date.
  returned: always
  type: int
fingerprint:
  description: SHA-256 of the desired manifest (changes exactly when the site's content or headers change).
  returned: always
  type: str
"""

import hashlib
import json
import mimetypes
import os
import re

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".woff2": "font/woff2",
}


def content_type(key):
    ext = os.path.splitext(key)[1].lower()
    return TYPES.get(ext) or mimetypes.guess_type(key)[0] or "application/octet-stream"


def cache_control(key, rules, default):
    for rule in rules:
        if re.search(rule["pattern"], key):
            return rule["cache_control"]
    return default


def desired_objects(params):
    """key -> {"body": bytes, "md5", "content_type", "cache_control"}."""
    out = {}
    root = params["src"]
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = os.path.join(dirpath, name)
            key = os.path.relpath(path, root).replace(os.sep, "/")
            with open(path, "rb") as fh:
                out[key] = {"body": fh.read()}
    for key, text in (params["files"] or {}).items():
        out[key.lstrip("/")] = {"body": text.encode()}
    for key, obj in out.items():
        obj["md5"] = hashlib.md5(obj["body"], usedforsecurity=False).hexdigest()  # S3 ETag of the content, not security
        obj["content_type"] = content_type(key)
        obj["cache_control"] = cache_control(key, params["cache_rules"], params["default_cache_control"])
    return out


def list_etags(module, s3, bucket):
    etags = {}
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                etags[item["Key"]] = item["ETag"].strip('"')
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"ListObjectsV2 of bucket {bucket} failed")
    return etags


def read_manifest(module, s3, bucket, key, etags):
    if key not in etags:
        return {}
    try:
        body = s3.get_object(aws_retry=True, Bucket=bucket, Key=key)["Body"].read()
        return json.loads(body).get("objects", {})
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"GetObject {key} of bucket {bucket} failed")
    except ValueError:
        module.warn(f"{key} in {bucket} is not valid JSON: every file is uploaded again")
        return {}


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            bucket=dict(type="str", required=True),
            src=dict(type="path", required=True),
            files=dict(type="dict", default={}),
            cache_rules=dict(type="list", elements="dict", default=[]),
            default_cache_control=dict(type="str", default="public, max-age=300"),
            delete=dict(type="bool", default=False),
            manifest_key=dict(type="str", default=".site-manifest.json", no_log=False),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if not os.path.isdir(params["src"]):
        module.fail_json(msg=f"src: {params['src']} is not a directory")
    for i, rule in enumerate(params["cache_rules"]):
        if set(rule) != {"pattern", "cache_control"}:
            module.fail_json(
                msg=f"cache_rules[{i}] needs exactly the keys pattern and cache_control, got {sorted(rule)}"
            )
        try:
            re.compile(rule["pattern"])
        except re.error as exc:
            module.fail_json(msg=f"cache_rules[{i}].pattern {rule['pattern']!r} is not a regular expression: {exc}")

    s3 = module.client("s3", retry_decorator=AWSRetry.jittered_backoff())
    bucket = params["bucket"]
    want = desired_objects(params)
    etags = list_etags(module, s3, bucket)
    manifest = read_manifest(module, s3, bucket, params["manifest_key"], etags)

    def entry(obj):
        return {k: obj[k] for k in ("md5", "content_type", "cache_control")}

    upload = []
    for key, obj in sorted(want.items()):
        known = manifest.get(key)
        if (
            key not in etags
            or known is None
            or {k: known.get(k) for k in ("md5", "content_type", "cache_control")} != entry(obj)
            or known.get("etag") != etags[key]
        ):
            upload.append(key)
    delete = sorted(k for k in manifest if k not in want and k in etags) if params["delete"] else []
    fingerprint = hashlib.sha256(
        json.dumps({k: entry(v) for k, v in want.items()}, sort_keys=True).encode()
    ).hexdigest()
    changed = bool(upload or delete)
    result = dict(
        changed=changed,
        uploaded=upload,
        deleted=delete,
        unchanged=len(want) - len(upload),
        fingerprint=fingerprint,
        diff=dict(
            before={k: entry(manifest[k]) if k in manifest else None for k in upload + delete},
            after={**{k: entry(want[k]) for k in upload}, **dict.fromkeys(delete)},
        ),
    )
    if not changed or module.check_mode:
        module.exit_json(**result)

    new_manifest = {k: v for k, v in manifest.items() if k not in delete}
    try:
        for key in upload:
            obj = want[key]
            resp = s3.put_object(
                aws_retry=True,
                Bucket=bucket,
                Key=key,
                Body=obj["body"],
                ContentType=obj["content_type"],
                CacheControl=obj["cache_control"],
            )
            new_manifest[key] = {**entry(obj), "etag": resp["ETag"].strip('"')}
        for start in range(0, len(delete), 1000):
            s3.delete_objects(
                aws_retry=True, Bucket=bucket, Delete={"Objects": [{"Key": k} for k in delete[start : start + 1000]]}
            )
        for key in want:
            if key not in upload:
                new_manifest[key] = {**entry(want[key]), "etag": etags[key]}
        s3.put_object(
            aws_retry=True,
            Bucket=bucket,
            Key=params["manifest_key"],
            Body=json.dumps({"objects": new_manifest}, sort_keys=True, indent=1).encode(),
            ContentType="application/json",
            CacheControl="no-store",
        )
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Upload to bucket {bucket} failed")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
