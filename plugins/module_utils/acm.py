# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Shared code of invoice.platform.acm_certificate_request: finding the certificate a task
means, its DNS validation records and their Route 53 counterparts.

Clients passed in are made with ``retry_decorator=AWSRetry.jittered_backoff()``; every call
here passes ``aws_retry=True``. AWS errors are raised as :class:`AnsibleACMError` whose
message names the action; modules end with ``module.fail_json_aws_error(e)``.
"""

import hashlib
import time

try:
    import botocore  # noqa: F401 (the error handlers catch botocore exceptions)
except ImportError:
    pass  # Modules are responsible for handling this.

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.waiter import custom_waiter_config
from ansible_collections.invoice.platform.plugins.module_utils._acm.waiters import AcmWaiterFactory
from ansible_collections.invoice.platform.plugins.module_utils._pagination import token_pages

# Certificates in these states can still become (or are) usable; others are never reused.
LIVE_STATUSES = ("PENDING_VALIDATION", "ISSUED")

VALIDATION_TTL = 300


class AnsibleACMError(AnsibleAWSError):
    pass


class ACMErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleACMError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("ResourceNotFoundException")


class Route53ErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleACMError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("NoSuchHostedZone")


# ---- pure helpers (unit tested) ------------------------------------------------------------


def normalise_name(name):
    """DNS names compare case-insensitively and with or without the final dot."""
    return (name or "").strip().rstrip(".").lower()


def normalise_key_algorithm(algorithm):
    """DescribeCertificate says ``RSA-2048`` where RequestCertificate takes ``RSA_2048``."""
    return (algorithm or "").replace("-", "_")


def name_set(domain_name, subject_alternative_names):
    """The names a certificate covers: ACM lists the domain name among the SANs."""
    names = {normalise_name(n) for n in subject_alternative_names or []}
    names.add(normalise_name(domain_name))
    return sorted(names)


def certificate_matches(detail, domain_name, subject_alternative_names, key_algorithm):
    """Whether a DescribeCertificate ``Certificate`` is the certificate a task asks for."""
    if detail.get("Type") != "AMAZON_ISSUED" or detail.get("Status") not in LIVE_STATUSES:
        return False
    if normalise_name(detail.get("DomainName")) != normalise_name(domain_name):
        return False
    if normalise_key_algorithm(detail.get("KeyAlgorithm")) != normalise_key_algorithm(key_algorithm):
        return False
    have = name_set(detail.get("DomainName"), detail.get("SubjectAlternativeNames"))
    return have == name_set(domain_name, subject_alternative_names)


def pick_certificate(details):
    """Of several matching certificates, the one to manage: issued before pending, then newest."""
    if not details:
        return None

    def rank(detail):
        created = detail.get("CreatedAt")
        stamp = created.timestamp() if hasattr(created, "timestamp") else float(created or 0)
        return (detail.get("Status") == "ISSUED", stamp)

    return max(details, key=rank)


def validation_records(detail):
    """The distinct CNAMEs DNS validation asks for, sorted; ``None`` while ACM is still preparing them."""
    records = {}
    for option in detail.get("DomainValidationOptions") or []:
        record = option.get("ResourceRecord")
        if not record:
            return None
        records[normalise_name(record["Name"])] = dict(
            name=normalise_name(record["Name"]) + ".",
            type=record.get("Type", "CNAME"),
            value=normalise_name(record["Value"]) + ".",
        )
    return [records[k] for k in sorted(records)]


def record_in_sync(rrsets, record):
    """Whether ListResourceRecordSets output already holds ``record`` (name, type and value)."""
    for rrset in rrsets:
        if normalise_name(rrset.get("Name")) != normalise_name(record["name"]) or rrset.get("Type") != record["type"]:
            continue
        values = [normalise_name(r.get("Value")) for r in rrset.get("ResourceRecords") or []]
        return values == [normalise_name(record["value"])]
    return False


def idempotency_token(domain_name, subject_alternative_names, key_algorithm, nonce=""):
    """A RequestCertificate token: the retries of one request (same ``nonce``) return the same
    certificate. ACM keeps a token for an hour, also after the certificate is deleted: without a
    nonce per request, a teardown and rebuild within the hour got the deleted certificate's ARN."""
    key = "|".join([*name_set(domain_name, subject_alternative_names), normalise_key_algorithm(key_algorithm), nonce])
    return hashlib.sha256(key.encode()).hexdigest()[:32]


# ---- ACM --------------------------------------------------------------------------------


@ACMErrorHandler.common_error_handler("list ACM certificates")
def list_certificates(client, key_algorithm):
    # ListCertificates only returns RSA_1024/RSA_2048 certificates unless told the key types.
    params = dict(
        CertificateStatuses=list(LIVE_STATUSES),
        Includes=dict(keyTypes=[normalise_key_algorithm(key_algorithm)]),
    )
    return [
        item
        for page in token_pages(client.list_certificates, **params)
        for item in page.get("CertificateSummaryList", [])
    ]


@ACMErrorHandler.list_error_handler("describe ACM certificate {arn}")
def describe_certificate(client, arn):
    return client.describe_certificate(aws_retry=True, CertificateArn=arn)["Certificate"]


def find_certificates(client, domain_name, subject_alternative_names, key_algorithm):
    """Every live certificate with exactly this domain name, SAN set and key algorithm."""
    found = []
    for summary in list_certificates(client, key_algorithm):
        if normalise_name(summary.get("DomainName")) != normalise_name(domain_name):
            continue
        detail = describe_certificate(client, summary["CertificateArn"])
        if detail and certificate_matches(detail, domain_name, subject_alternative_names, key_algorithm):
            found.append(detail)
    return found


@ACMErrorHandler.common_error_handler("list tags of ACM certificate {arn}")
def get_tags(client, arn):
    return boto3_tag_list_to_ansible_dict(client.list_tags_for_certificate(aws_retry=True, CertificateArn=arn)["Tags"])


@ACMErrorHandler.common_error_handler("request an ACM certificate for {domain_name}")
def request_certificate(client, domain_name, subject_alternative_names, key_algorithm, tags):
    params = dict(
        DomainName=domain_name,
        ValidationMethod="DNS",
        KeyAlgorithm=normalise_key_algorithm(key_algorithm),
        IdempotencyToken=idempotency_token(domain_name, subject_alternative_names, key_algorithm, str(time.time_ns())),
    )
    if subject_alternative_names:
        params["SubjectAlternativeNames"] = list(subject_alternative_names)
    if tags:
        params["Tags"] = [dict(Key=k, Value=v) for k, v in tags.items()]
    return client.request_certificate(aws_retry=True, **params)["CertificateArn"]


@ACMErrorHandler.common_error_handler("tag ACM certificate {arn}")
def add_tags(client, arn, tags):
    tag_list = [dict(Key=k, Value=v) for k, v in tags.items()]
    client.add_tags_to_certificate(aws_retry=True, CertificateArn=arn, Tags=tag_list)


@ACMErrorHandler.common_error_handler("untag ACM certificate {arn}")
def remove_tags(client, arn, keys):
    client.remove_tags_from_certificate(aws_retry=True, CertificateArn=arn, Tags=[dict(Key=k) for k in keys])


@ACMErrorHandler.deletion_error_handler("delete ACM certificate {arn}")
def delete_certificate(client, arn):
    client.delete_certificate(aws_retry=True, CertificateArn=arn)
    return True


@ACMErrorHandler.common_error_handler("wait for the validation records of ACM certificate {arn}")
def wait_for_validation_records(client, arn, timeout):
    waiter = AcmWaiterFactory().get_waiter(client, "validation_records_ready")
    waiter.wait(CertificateArn=arn, WaiterConfig=custom_waiter_config(timeout, default_pause=2))
    return describe_certificate(client, arn)


@ACMErrorHandler.common_error_handler("wait for ACM certificate {arn} to be issued")
def wait_for_issued(client, arn, timeout):
    waiter = AcmWaiterFactory().get_waiter(client, "certificate_issued")
    waiter.wait(CertificateArn=arn, WaiterConfig=custom_waiter_config(timeout, default_pause=5))
    return describe_certificate(client, arn)


# ---- Route 53 ---------------------------------------------------------------------------


@Route53ErrorHandler.common_error_handler("find the Route 53 hosted zone {zone_name}")
def find_zone_id(client, zone_name, private_zone=False):
    wanted = normalise_name(zone_name)
    page = client.list_hosted_zones_by_name(aws_retry=True, DNSName=wanted + ".", MaxItems="100")
    for zone in page.get("HostedZones", []):
        if normalise_name(zone["Name"]) == wanted and zone.get("Config", {}).get("PrivateZone", False) == private_zone:
            return zone["Id"].split("/")[-1]
    return None


@Route53ErrorHandler.common_error_handler("read record {record[name]} in Route 53 zone {zone_id}")
def get_record(client, zone_id, record):
    page = client.list_resource_record_sets(
        aws_retry=True,
        HostedZoneId=zone_id,
        StartRecordName=record["name"],
        StartRecordType=record["type"],
        MaxItems="1",
    )
    return page.get("ResourceRecordSets", [])


@Route53ErrorHandler.common_error_handler("upsert validation records in Route 53 zone {zone_id}")
def upsert_records(client, zone_id, records):
    changes = [
        dict(
            Action="UPSERT",
            ResourceRecordSet=dict(
                Name=r["name"], Type=r["type"], TTL=VALIDATION_TTL, ResourceRecords=[dict(Value=r["value"])]
            ),
        )
        for r in records
    ]
    client.change_resource_record_sets(
        aws_retry=True,
        HostedZoneId=zone_id,
        ChangeBatch=dict(Comment="ACM DNS validation (invoice.platform.acm_certificate_request)", Changes=changes),
    )
