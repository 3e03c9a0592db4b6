#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: s3_bucket_settings
short_description: S3 bucket with encryption, versioning, access block, policy, lifecycle, CORS and tags
version_added: 0.1.0
description:
  - Creates an S3 bucket (or adopts an existing one) and converges the settings a data bucket
    needs. Every setting supports check mode and shows a field-level diff.
  - "Why this module: in amazon.aws 11.4 C(amazon.aws.s3_bucket) has no check mode at all
    (C(supports_check_mode) is not set, so C(--check) skips it) and no diff; it covers
    encryption, versioning, public access block, ownership, policy and tags but not lifecycle
    or CORS. C(community.aws.s3_lifecycle) has no check mode either, and manages one rule per
    task. C(community.aws.s3_cors) has check mode but no diff. This module covers exactly those
    settings with check mode and diff; for other settings use the collections' modules."
  - Options left unset are not touched. Lists (lifecycle rules, CORS rules, policy statements) replace
    what the bucket has.
author:
  - Invoice platform team (@invoice-platform)
options:
  name:
    description: Name of the bucket.
    type: str
    required: true
  state:
    description:
      - V(present) creates the bucket if needed. V(absent) deletes it; S3 refuses to delete a
        bucket that is not empty and the task fails with that message (see O(purge_objects)).
    type: str
    choices: [present, absent]
    default: present
  purge_objects:
    description:
      - With O(state=absent), delete every object version and delete marker first, so that a
        versioned bucket holding data can be deleted. The data cannot be recovered afterwards.
      - In check mode and diff mode the number of versions that would be deleted is reported.
    type: bool
    default: false
  encryption:
    description: Default encryption.
    type: dict
    suboptions:
      algorithm:
        description: V(AES256) for SSE-S3, V(aws:kms) for SSE-KMS.
        type: str
        choices: [AES256, "aws:kms"]
        default: AES256
      kms_key_id:
        description: KMS key (ID, ARN or alias) with V(aws:kms); without it the AWS managed key is used.
        type: str
      bucket_key_enabled:
        description: Use an S3 Bucket Key for SSE-KMS (fewer KMS calls).
        type: bool
        default: false
  versioning:
    description: V(true) enables versioning, V(false) suspends it (a bucket never versioned stays so).
    type: bool
  public_access_block:
    description: Public access block settings; each defaults to V(true).
    type: dict
    suboptions:
      block_public_acls:
        description: Reject requests that set public ACLs.
        type: bool
        default: true
      ignore_public_acls:
        description: Ignore public ACLs.
        type: bool
        default: true
      block_public_policy:
        description: Reject public bucket policies.
        type: bool
        default: true
      restrict_public_buckets:
        description: Restrict access to buckets with public policies.
        type: bool
        default: true
  object_ownership:
    description: Object ownership; V(BucketOwnerEnforced) disables ACLs.
    type: str
    choices: [BucketOwnerEnforced, BucketOwnerPreferred, ObjectWriter]
  require_tls:
    description:
      - Add a statement (Sid C(DenyInsecureTransport)) to the bucket policy that denies every
        request not made over TLS. It is merged with O(policy_statements).
      - With O(require_tls=false) and no O(policy_statements) the bucket policy is deleted.
    type: bool
  policy_statements:
    description: Further bucket policy statements, as IAM policy JSON objects.
    type: list
    elements: dict
  lifecycle_rules:
    description: Lifecycle rules; the list replaces the bucket's rules (an empty list removes them).
    type: list
    elements: dict
    suboptions:
      id:
        description: Unique rule ID.
        type: str
        required: true
      status:
        description: Whether the rule is applied.
        type: str
        choices: [enabled, disabled]
        default: enabled
      prefix:
        description: Key prefix the rule applies to (empty for the whole bucket).
        type: str
        default: ""
      expiration_days:
        description: Days after creation when current objects expire.
        type: int
      noncurrent_version_expiration_days:
        description: Days after becoming noncurrent when object versions are deleted.
        type: int
      abort_incomplete_multipart_upload_days:
        description: Days after which incomplete multipart uploads are aborted.
        type: int
      transitions:
        description: Storage class transitions.
        type: list
        elements: dict
        suboptions:
          days:
            description: Days after creation.
            type: int
            required: true
          storage_class:
            description: Target storage class.
            type: str
            required: true
            choices: [STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER_IR, GLACIER, DEEP_ARCHIVE]
  cors_rules:
    description: CORS rules; the list replaces the bucket's rules (an empty list removes them).
    type: list
    elements: dict
    suboptions:
      allowed_origins:
        description: Origins allowed to make cross-origin requests.
        type: list
        elements: str
        required: true
      allowed_methods:
        description: HTTP methods allowed.
        type: list
        elements: str
        required: true
      allowed_headers:
        description: Headers allowed in preflight requests.
        type: list
        elements: str
      expose_headers:
        description: Response headers browsers may read.
        type: list
        elements: str
      max_age_seconds:
        description: Seconds a browser caches the preflight response.
        type: int
notes:
  - A run with nothing to change makes only read calls - HeadBucket and one Get call per
    option that is set (GetBucketEncryption, GetBucketVersioning, GetPublicAccessBlock,
    GetBucketOwnershipControls, GetBucketPolicy, GetBucketLifecycleConfiguration,
    GetBucketCors, GetBucketTagging).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Files bucket of the invoice API
  invoice.platform.s3_bucket_settings:
    name: invoice-prod-files
    encryption:
      algorithm: "aws:kms"
      kms_key_id: alias/invoice-prod
      bucket_key_enabled: true
    versioning: true
    public_access_block: {}
    object_ownership: BucketOwnerEnforced
    require_tls: true
    lifecycle_rules:
      - id: expire-old-versions
        noncurrent_version_expiration_days: 30
        abort_incomplete_multipart_upload_days: 7
    cors_rules:
      - allowed_origins: ["https://app.example.com"]
        allowed_methods: [GET, PUT]
        allowed_headers: ["*"]
        max_age_seconds: 3000
    tags:
      invoice:env: prod

- name: Delete a versioned bucket with its data (every version and delete marker)
  invoice.platform.s3_bucket_settings:
    name: invoice-staging-files
    state: absent
    purge_objects: true
"""

RETURN = r"""
deleted_object_versions:
  description: Object versions and delete markers deleted (or, in check mode, that would be) with O(purge_objects).
  returned: with O(state=absent)
  type: int
  sample: 42
bucket:
  description: The bucket and the settings the task manages, in the normalised form the module compares.
  returned: when the bucket exists or would be created
  type: dict
  contains:
    name:
      description: Bucket name.
      type: str
    arn:
      description: Bucket ARN.
      type: str
    encryption:
      description: Default encryption (C(algorithm), C(kms_key_id), C(bucket_key_enabled)).
      type: dict
    versioning:
      description: C(Enabled), C(Suspended) or C(Disabled).
      type: str
    public_access_block:
      description: The four public access block flags.
      type: dict
    object_ownership:
      description: Object ownership setting.
      type: str
    policy:
      description: The bucket policy.
      type: dict
    lifecycle_rules:
      description: Lifecycle rules.
      type: list
      elements: dict
    cors_rules:
      description: CORS rules.
      type: list
      elements: dict
    tags:
      description: Tags.
      type: dict
  sample: {"name": "invoice-prod-files", "arn": "arn:aws:s3:::invoice-prod-files", "versioning": "Enabled"}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.invoice.platform.plugins.module_utils import s3
from ansible_collections.invoice.platform.plugins.module_utils._options import tag_options

PAB_SNAKE = dict(
    BlockPublicAcls="block_public_acls",
    IgnorePublicAcls="ignore_public_acls",
    BlockPublicPolicy="block_public_policy",
    RestrictPublicBuckets="restrict_public_buckets",
)
from ansible_collections.invoice.platform.plugins.module_utils._tags import tag_plan


def pab_view(config):
    return {PAB_SNAKE[k]: v for k, v in s3.public_access_block_view(config).items()}


class Settings:
    """Per setting: the desired view (None = option not set), the current view, the writer."""

    def __init__(self, module, client, bucket, exists):
        self.module = module
        self.params = module.params
        self.client = client
        self.bucket = bucket
        self.exists = exists

    def read(self, reader, unset):
        return reader(self.client, self.bucket) if self.exists else unset

    # encryption
    def encryption(self):
        option = self.params["encryption"]
        if option is None:
            return None
        desired = s3.encryption_view(s3.encryption_rules(option))
        current = s3.encryption_view(self.read(s3.get_encryption, None))
        return (
            current,
            desired,
            current == desired,
            lambda: s3.put_encryption(self.client, self.bucket, s3.encryption_rules(option)),
        )

    def versioning(self):
        enabled = self.params["versioning"]
        if enabled is None:
            return None
        current = self.read(s3.get_versioning, "Disabled")
        desired = "Enabled" if enabled else (current if current == "Disabled" else "Suspended")
        return (
            current,
            desired,
            s3.versioning_in_sync(current, enabled),
            lambda: s3.put_versioning(self.client, self.bucket, enabled),
        )

    def public_access_block(self):
        option = self.params["public_access_block"]
        if option is None:
            return None
        config = s3.public_access_block_config(option)
        current, desired = pab_view(self.read(s3.get_public_access_block, None)), pab_view(config)
        return (
            current,
            desired,
            current == desired,
            lambda: s3.put_public_access_block(self.client, self.bucket, config),
        )

    def object_ownership(self):
        desired = self.params["object_ownership"]
        if desired is None:
            return None
        current = self.read(s3.get_ownership, None)
        return current, desired, current == desired, lambda: s3.put_ownership(self.client, self.bucket, desired)

    def policy(self):
        if self.params["require_tls"] is None and self.params["policy_statements"] is None:
            return None
        desired = s3.desired_policy(self.bucket, self.params["require_tls"], self.params["policy_statements"])
        current = self.read(s3.get_policy, None)

        def write():
            if desired is None:
                s3.delete_policy(self.client, self.bucket)
            else:
                s3.put_policy(self.client, self.bucket, desired)

        return current, desired, not s3.policy_differs(current, desired), write

    def rule_list(self, key, build, view, get, put):
        """A list of rules (lifecycle, CORS): the whole list replaced when its view differs."""
        options = self.params[key]
        if options is None:
            return None
        rules = build(options)
        current, desired = view(self.read(get, [])), view(rules)
        return current, desired, current == desired, lambda: put(self.client, self.bucket, rules)

    def lifecycle_rules(self):
        return self.rule_list(
            "lifecycle_rules", s3.lifecycle_rules, s3.lifecycle_view, s3.get_lifecycle, s3.put_lifecycle
        )

    def cors_rules(self):
        return self.rule_list("cors_rules", s3.cors_rules, s3.cors_view, s3.get_cors, s3.put_cors)

    def tags(self):
        if self.params["tags"] is None:
            return None
        current = self.read(s3.get_tags, {})
        to_set, to_unset, desired = tag_plan(current, self.params["tags"], self.params["purge_tags"])
        return current, desired, not to_set and not to_unset, lambda: s3.put_tags(self.client, self.bucket, desired)


ORDER = (
    "object_ownership",
    "public_access_block",
    "encryption",
    "versioning",
    "policy",
    "lifecycle_rules",
    "cors_rules",
    "tags",
)


def ensure_setting(module, settings, key, diff, state):
    """One setting: False when in sync, True before acting in check mode, otherwise act."""
    outcome = getattr(settings, key)()
    if outcome is None:
        return False
    current, desired, in_sync, write = outcome
    state[key] = current if in_sync else desired
    if in_sync:
        return False
    diff["before"][key], diff["after"][key] = current, desired
    if module.check_mode:
        return True
    write()
    return True


def validate_params(module):
    params = module.params
    encryption = params["encryption"]
    if encryption and encryption["kms_key_id"] and encryption["algorithm"] != "aws:kms":
        module.fail_json(msg="encryption.kms_key_id: a KMS key needs encryption.algorithm 'aws:kms'")
    ids = [r["id"] for r in params["lifecycle_rules"] or []]
    if len(set(ids)) != len(ids):
        module.fail_json(msg=f"lifecycle_rules: rule ids must be unique, got {ids}")
    for rule in params["lifecycle_rules"] or []:
        actions = ("expiration_days", "noncurrent_version_expiration_days", "abort_incomplete_multipart_upload_days")
        if not rule["transitions"] and all(rule[a] is None for a in actions):
            module.fail_json(msg=f"lifecycle_rules: rule {rule['id']!r} has no action (expiration, transition, abort)")
    for statement in params["policy_statements"] or []:
        if "Effect" not in statement:
            module.fail_json(msg=f"policy_statements: statement {statement!r} has no Effect")


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        purge_objects=dict(type="bool", default=False),
        encryption=dict(
            type="dict",
            options=dict(
                algorithm=dict(type="str", choices=["AES256", "aws:kms"], default="AES256"),
                kms_key_id=dict(type="str"),
                bucket_key_enabled=dict(type="bool", default=False),
            ),
        ),
        versioning=dict(type="bool"),
        public_access_block=dict(
            type="dict",
            options=dict(
                block_public_acls=dict(type="bool", default=True),
                ignore_public_acls=dict(type="bool", default=True),
                block_public_policy=dict(type="bool", default=True),
                restrict_public_buckets=dict(type="bool", default=True),
            ),
        ),
        object_ownership=dict(type="str", choices=["BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"]),
        require_tls=dict(type="bool"),
        policy_statements=dict(type="list", elements="dict"),
        lifecycle_rules=dict(
            type="list",
            elements="dict",
            options=dict(
                id=dict(type="str", required=True),
                status=dict(type="str", choices=["enabled", "disabled"], default="enabled"),
                prefix=dict(type="str", default=""),
                expiration_days=dict(type="int"),
                noncurrent_version_expiration_days=dict(type="int"),
                abort_incomplete_multipart_upload_days=dict(type="int"),
                transitions=dict(
                    type="list",
                    elements="dict",
                    options=dict(
                        days=dict(type="int", required=True),
                        storage_class=dict(
                            type="str",
                            required=True,
                            choices=[
                                "STANDARD_IA",
                                "ONEZONE_IA",
                                "INTELLIGENT_TIERING",
                                "GLACIER_IR",
                                "GLACIER",
                                "DEEP_ARCHIVE",
                            ],
                        ),
                    ),
                ),
            ),
        ),
        cors_rules=dict(
            type="list",
            elements="dict",
            options=dict(
                allowed_origins=dict(type="list", elements="str", required=True),
                allowed_methods=dict(type="list", elements="str", required=True),
                allowed_headers=dict(type="list", elements="str"),
                expose_headers=dict(type="list", elements="str"),
                max_age_seconds=dict(type="int"),
            ),
        ),
        **tag_options(),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    validate_params(module)
    bucket = module.params["name"]
    client = module.client("s3", retry_decorator=AWSRetry.jittered_backoff())
    diff = dict(before={}, after={})
    try:
        exists = s3.bucket_exists(client, bucket)
        if module.params["state"] == "absent":
            versions = s3.list_versions(client, bucket) if exists and module.params["purge_objects"] else []
            if exists and not module.check_mode:
                s3.delete_versions(client, bucket, versions)
                s3.delete_bucket(client, bucket)
            if exists:
                before = dict(
                    name=bucket, **(dict(object_versions=len(versions)) if module.params["purge_objects"] else {})
                )
                diff = dict(before=before, after={})
            module.exit_json(changed=exists, diff=diff, deleted_object_versions=len(versions))

        changed = False
        if not exists:
            diff["before"]["name"], diff["after"]["name"] = None, bucket
            changed = True
            if not module.check_mode:
                s3.create_bucket(client, bucket, module.region, module.params["object_ownership"])
                exists = True
        settings = Settings(module, client, bucket, exists)
        state = {}
        for key in ORDER:
            changed |= ensure_setting(module, settings, key, diff, state)
    except s3.AnsibleS3Error as e:
        module.fail_json_aws_error(e)
    module.exit_json(changed=changed, diff=diff, bucket=dict(name=bucket, arn=f"arn:aws:s3:::{bucket}", **state))


if __name__ == "__main__":
    main()
