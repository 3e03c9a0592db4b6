# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Shared code of invoice.platform.s3_bucket_settings: desired bucket settings from task
options, the normalised views compared for idempotence and shown in diffs, and the API calls.

Clients passed in are made with ``retry_decorator=AWSRetry.jittered_backoff()``; every call
here passes ``aws_retry=True``. AWS errors are raised as :class:`AnsibleS3Error` whose
message names the action; modules end with ``module.fail_json_aws_error(e)``.
"""

import json

try:
    import botocore  # noqa: F401 (the error handlers catch botocore exceptions)
except ImportError:
    pass  # Modules are responsible for handling this.

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

TLS_STATEMENT_SID = "DenyInsecureTransport"

# What a bucket without the setting reports (the error codes S3 answers with when unset).
NOT_SET_ERRORS = (
    "NoSuchBucketPolicy",
    "NoSuchCORSConfiguration",
    "NoSuchLifecycleConfiguration",
    "NoSuchPublicAccessBlockConfiguration",
    "NoSuchTagSet",
    "OwnershipControlsNotFoundError",
    "ServerSideEncryptionConfigurationNotFoundError",
)

PUBLIC_ACCESS_BLOCK_KEYS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


class AnsibleS3Error(AnsibleAWSError):
    pass


class S3ErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleS3Error

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(list(NOT_SET_ERRORS))


# ---- desired state and views (unit tested) ------------------------------------------------


def encryption_view(rules):
    """ServerSideEncryptionConfiguration rules -> {algorithm, kms_key_id, bucket_key_enabled}."""
    if not rules:
        return None
    rule = rules[0]
    default = rule.get("ApplyServerSideEncryptionByDefault") or {}
    return dict(
        algorithm=default.get("SSEAlgorithm"),
        kms_key_id=default.get("KMSMasterKeyID") or "",
        bucket_key_enabled=bool(rule.get("BucketKeyEnabled")),
    )


def encryption_rules(option):
    default = dict(SSEAlgorithm=option["algorithm"])
    if option["algorithm"] == "aws:kms" and option.get("kms_key_id"):
        default["KMSMasterKeyID"] = option["kms_key_id"]
    return [dict(ApplyServerSideEncryptionByDefault=default, BucketKeyEnabled=bool(option["bucket_key_enabled"]))]


def versioning_view(status):
    """GetBucketVersioning Status -> Enabled / Suspended / Disabled (never enabled)."""
    return status or "Disabled"


def versioning_in_sync(current_status, enabled):
    if enabled:
        return current_status == "Enabled"
    return current_status in ("Suspended", "Disabled")


def public_access_block_view(config):
    config = config or {}
    return {k: bool(config.get(k)) for k in PUBLIC_ACCESS_BLOCK_KEYS}


def public_access_block_config(option):
    return dict(
        BlockPublicAcls=option["block_public_acls"],
        IgnorePublicAcls=option["ignore_public_acls"],
        BlockPublicPolicy=option["block_public_policy"],
        RestrictPublicBuckets=option["restrict_public_buckets"],
    )


def tls_statement(bucket):
    return dict(
        Sid=TLS_STATEMENT_SID,
        Effect="Deny",
        Principal="*",
        Action="s3:*",
        Resource=[f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        Condition=dict(Bool={"aws:SecureTransport": "false"}),
    )


def desired_policy(bucket, require_tls, statements):
    """The bucket policy: the TLS-only statement (when required) merged with the given ones."""
    merged = [tls_statement(bucket)] if require_tls else []
    merged += [s for s in statements or [] if s.get("Sid") != TLS_STATEMENT_SID or not require_tls]
    if not merged:
        return None
    return dict(Version="2012-10-17", Statement=merged)


def policy_differs(current, desired):
    if current is None or desired is None:
        return current != desired
    return compare_policies(current, desired)


def _rule_prefix(rule):
    filt = rule.get("Filter")
    if isinstance(filt, dict):
        if "Prefix" in filt:
            return filt["Prefix"] or ""
        if "And" in filt:
            return filt["And"].get("Prefix") or ""
    return rule.get("Prefix") or ""


def lifecycle_view(rules):
    """Lifecycle rules -> plain rules sorted by id (only what this module manages)."""
    views = []
    for rule in rules or []:
        view = dict(id=rule.get("ID", ""), status=rule.get("Status"), prefix=_rule_prefix(rule))
        if rule.get("Expiration", {}).get("Days") is not None:
            view["expiration_days"] = int(rule["Expiration"]["Days"])
        if rule.get("NoncurrentVersionExpiration", {}).get("NoncurrentDays") is not None:
            view["noncurrent_version_expiration_days"] = int(rule["NoncurrentVersionExpiration"]["NoncurrentDays"])
        if rule.get("AbortIncompleteMultipartUpload", {}).get("DaysAfterInitiation") is not None:
            view["abort_incomplete_multipart_upload_days"] = int(
                rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"]
            )
        transitions = [
            dict(days=int(t["Days"]), storage_class=t["StorageClass"]) for t in rule.get("Transitions") or []
        ]
        if transitions:
            view["transitions"] = sorted(transitions, key=lambda t: t["days"])
        views.append(view)
    return sorted(views, key=lambda v: v["id"])


def lifecycle_rules(options):
    rules = []
    for option in options:
        rule = dict(ID=option["id"], Status=option["status"].capitalize(), Filter=dict(Prefix=option["prefix"] or ""))
        if option.get("expiration_days") is not None:
            rule["Expiration"] = dict(Days=option["expiration_days"])
        if option.get("noncurrent_version_expiration_days") is not None:
            rule["NoncurrentVersionExpiration"] = dict(NoncurrentDays=option["noncurrent_version_expiration_days"])
        if option.get("abort_incomplete_multipart_upload_days") is not None:
            rule["AbortIncompleteMultipartUpload"] = dict(
                DaysAfterInitiation=option["abort_incomplete_multipart_upload_days"]
            )
        if option.get("transitions"):
            rule["Transitions"] = [dict(Days=t["days"], StorageClass=t["storage_class"]) for t in option["transitions"]]
        rules.append(rule)
    return rules


def cors_view(rules):
    views = []
    for rule in rules or []:
        views.append(
            dict(
                allowed_origins=sorted(rule.get("AllowedOrigins") or []),
                allowed_methods=sorted(m.upper() for m in rule.get("AllowedMethods") or []),
                allowed_headers=sorted(rule.get("AllowedHeaders") or []),
                expose_headers=sorted(rule.get("ExposeHeaders") or []),
                max_age_seconds=rule.get("MaxAgeSeconds"),
            )
        )
    return views


def cors_rules(options):
    rules = []
    for option in options:
        rule = dict(
            AllowedOrigins=option["allowed_origins"], AllowedMethods=[m.upper() for m in option["allowed_methods"]]
        )
        if option.get("allowed_headers"):
            rule["AllowedHeaders"] = option["allowed_headers"]
        if option.get("expose_headers"):
            rule["ExposeHeaders"] = option["expose_headers"]
        if option.get("max_age_seconds") is not None:
            rule["MaxAgeSeconds"] = option["max_age_seconds"]
        rules.append(rule)
    return rules


# ---- API ----------------------------------------------------------------------------------


@S3ErrorHandler.common_error_handler("check whether bucket {bucket} exists")
def bucket_exists(client, bucket):
    try:
        client.head_bucket(aws_retry=True, Bucket=bucket)
        return True
    except is_boto3_error_code(["404", "NoSuchBucket", "NotFound"]):
        return False


@S3ErrorHandler.common_error_handler("create bucket {bucket}")
def create_bucket(client, bucket, region, object_ownership):
    params = dict(Bucket=bucket)
    if region and region != "us-east-1":
        params["CreateBucketConfiguration"] = dict(LocationConstraint=region)
    if object_ownership:
        params["ObjectOwnership"] = object_ownership
    client.create_bucket(aws_retry=True, **params)


@S3ErrorHandler.common_error_handler("delete bucket {bucket}")
def delete_bucket(client, bucket):
    client.delete_bucket(aws_retry=True, Bucket=bucket)


@S3ErrorHandler.list_error_handler("list the object versions of bucket {bucket}", [])
def list_versions(client, bucket):
    """Every object version and delete marker of ``bucket``: [{"Key", "VersionId"}]."""
    found = []
    for page in client.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for entry in page.get("Versions", []) + page.get("DeleteMarkers", []):
            found.append(dict(Key=entry["Key"], VersionId=entry["VersionId"]))
    return found


@S3ErrorHandler.common_error_handler("delete the object versions of bucket {bucket}")
def delete_versions(client, bucket, versions):
    """Delete ``versions`` (list_versions' entries), 1,000 per request (the API's limit)."""
    for start in range(0, len(versions), 1000):
        response = client.delete_objects(
            aws_retry=True, Bucket=bucket, Delete=dict(Objects=versions[start : start + 1000], Quiet=True)
        )
        if response.get("Errors"):
            first = response["Errors"][0]
            raise AnsibleS3Error(
                message=f"Failed to delete {len(response['Errors'])} object version(s) of bucket {bucket}, "
                f"first {first.get('Key')} ({first.get('VersionId')}): {first.get('Code')} {first.get('Message')}"
            )


@S3ErrorHandler.list_error_handler("read the encryption of bucket {bucket}")
def get_encryption(client, bucket):
    return client.get_bucket_encryption(aws_retry=True, Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]


@S3ErrorHandler.common_error_handler("set the encryption of bucket {bucket}")
def put_encryption(client, bucket, rules):
    client.put_bucket_encryption(aws_retry=True, Bucket=bucket, ServerSideEncryptionConfiguration=dict(Rules=rules))


@S3ErrorHandler.common_error_handler("read the versioning of bucket {bucket}")
def get_versioning(client, bucket):
    return versioning_view(client.get_bucket_versioning(aws_retry=True, Bucket=bucket).get("Status"))


@S3ErrorHandler.common_error_handler("set the versioning of bucket {bucket}")
def put_versioning(client, bucket, enabled):
    status = "Enabled" if enabled else "Suspended"
    client.put_bucket_versioning(aws_retry=True, Bucket=bucket, VersioningConfiguration=dict(Status=status))


@S3ErrorHandler.list_error_handler("read the public access block of bucket {bucket}")
def get_public_access_block(client, bucket):
    return client.get_public_access_block(aws_retry=True, Bucket=bucket)["PublicAccessBlockConfiguration"]


@S3ErrorHandler.common_error_handler("set the public access block of bucket {bucket}")
def put_public_access_block(client, bucket, config):
    client.put_public_access_block(aws_retry=True, Bucket=bucket, PublicAccessBlockConfiguration=config)


@S3ErrorHandler.list_error_handler("read the ownership controls of bucket {bucket}")
def get_ownership(client, bucket):
    rules = client.get_bucket_ownership_controls(aws_retry=True, Bucket=bucket)["OwnershipControls"]["Rules"]
    return rules[0]["ObjectOwnership"] if rules else None


@S3ErrorHandler.common_error_handler("set the ownership controls of bucket {bucket}")
def put_ownership(client, bucket, ownership):
    client.put_bucket_ownership_controls(
        aws_retry=True, Bucket=bucket, OwnershipControls=dict(Rules=[dict(ObjectOwnership=ownership)])
    )


@S3ErrorHandler.list_error_handler("read the policy of bucket {bucket}")
def get_policy(client, bucket):
    return json.loads(client.get_bucket_policy(aws_retry=True, Bucket=bucket)["Policy"])


@S3ErrorHandler.common_error_handler("set the policy of bucket {bucket}")
def put_policy(client, bucket, policy):
    client.put_bucket_policy(aws_retry=True, Bucket=bucket, Policy=json.dumps(policy))


@S3ErrorHandler.common_error_handler("delete the policy of bucket {bucket}")
def delete_policy(client, bucket):
    client.delete_bucket_policy(aws_retry=True, Bucket=bucket)


@S3ErrorHandler.list_error_handler("read the lifecycle rules of bucket {bucket}", default_value=[])
def get_lifecycle(client, bucket):
    return client.get_bucket_lifecycle_configuration(aws_retry=True, Bucket=bucket)["Rules"]


@S3ErrorHandler.common_error_handler("set the lifecycle rules of bucket {bucket}")
def put_lifecycle(client, bucket, rules):
    if rules:
        client.put_bucket_lifecycle_configuration(
            aws_retry=True, Bucket=bucket, LifecycleConfiguration=dict(Rules=rules)
        )
    else:
        client.delete_bucket_lifecycle(aws_retry=True, Bucket=bucket)


@S3ErrorHandler.list_error_handler("read the CORS rules of bucket {bucket}", default_value=[])
def get_cors(client, bucket):
    return client.get_bucket_cors(aws_retry=True, Bucket=bucket)["CORSRules"]


@S3ErrorHandler.common_error_handler("set the CORS rules of bucket {bucket}")
def put_cors(client, bucket, rules):
    if rules:
        client.put_bucket_cors(aws_retry=True, Bucket=bucket, CORSConfiguration=dict(CORSRules=rules))
    else:
        client.delete_bucket_cors(aws_retry=True, Bucket=bucket)


@S3ErrorHandler.list_error_handler("read the tags of bucket {bucket}", default_value={})
def get_tags(client, bucket):
    return boto3_tag_list_to_ansible_dict(client.get_bucket_tagging(aws_retry=True, Bucket=bucket)["TagSet"])


@S3ErrorHandler.common_error_handler("set the tags of bucket {bucket}")
def put_tags(client, bucket, tags):
    if tags:
        tag_set = [dict(Key=k, Value=v) for k, v in sorted(tags.items())]
        client.put_bucket_tagging(aws_retry=True, Bucket=bucket, Tagging=dict(TagSet=tag_set))
    else:
        client.delete_bucket_tagging(aws_retry=True, Bucket=bucket)
