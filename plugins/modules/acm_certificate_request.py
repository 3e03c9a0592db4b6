#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: acm_certificate_request
short_description: Request a DNS-validated ACM certificate and validate it through Route 53
version_added: 0.1.0
description:
  - Requests a public certificate from AWS Certificate Manager (ACM) with DNS validation,
    creates (upserts) its validation CNAME records in a Route 53 hosted zone and waits until
    ACM has issued it.
  - Written because C(amazon.aws.acm_certificate) can only import certificates; it cannot
    request an Amazon-issued, DNS-validated one.
  - "Identity rule: a certificate is the one this task manages when its domain name, its set of
    names (the domain name plus O(subject_alternative_names), compared case-insensitively and
    regardless of order) and its key algorithm are those of the task, and it is
    C(PENDING_VALIDATION) or C(ISSUED). If several match, an issued one wins over a pending
    one, then the newest. A certificate that matches is never requested again; its tags are
    updated in place."
  - Changing the names or the key algorithm therefore requests a new certificate and leaves the
    old one alone (it may still be in use, for example by CloudFront); remove it with O(state=absent)
    and the old parameters.
  - CloudFront only uses certificates from C(us-east-1), so set O(region=us-east-1) for those.
author:
  - Invoice platform team (@invoice-platform)
options:
  domain_name:
    description:
      - The fully qualified domain name of the certificate, for example C(app.example.com) or C(*.example.com).
    type: str
    required: true
    aliases: [domain]
  subject_alternative_names:
    description:
      - Additional names the certificate covers. The domain name need not be repeated here.
    type: list
    elements: str
    default: []
    aliases: [sans]
  key_algorithm:
    description:
      - Algorithm of the certificate's key pair. Part of the certificate's identity.
    type: str
    choices: [RSA_2048, EC_prime256v1, EC_secp384r1]
    default: RSA_2048
  route53_zone_id:
    description:
      - ID of the Route 53 hosted zone in which to upsert the validation records.
      - Without O(route53_zone_id) or O(route53_zone_name) no record is written; the records are
        returned in RV(validation_records) for you to create elsewhere.
    type: str
  route53_zone_name:
    description:
      - Name of the public Route 53 hosted zone in which to upsert the validation records.
    type: str
  state:
    description:
      - V(present) requests the certificate if no matching one exists.
      - V(absent) deletes every matching certificate. Validation records are left in place
        (another certificate for the same names uses the same records).
    type: str
    choices: [present, absent]
    default: present
  wait:
    description:
      - Wait until the certificate is C(ISSUED). Needs the validation records to be resolvable.
    type: bool
    default: true
  wait_timeout:
    description:
      - How long to wait, in seconds, for the validation records to appear and for the certificate to be issued.
    type: int
    default: 600
notes:
  - Check mode makes no change. For a certificate that does not exist yet it cannot know the
    validation records (ACM chooses them), so it reports only that a certificate would be requested.
  - A run with nothing to change makes only read calls - ListCertificates, DescribeCertificate per
    certificate with the same domain name, ListTagsForCertificate and, with a zone, one
    ListResourceRecordSets per validation record (plus ListHostedZonesByName with O(route53_zone_name)).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Request the web certificate for CloudFront and validate it in Route 53
  invoice.platform.acm_certificate_request:
    region: us-east-1
    domain_name: app.example.com
    subject_alternative_names:
      - www.example.com
    route53_zone_name: example.com
    tags:
      invoice:env: prod
  register: web_certificate

- name: Request an ECDSA certificate without waiting for it
  invoice.platform.acm_certificate_request:
    domain_name: api.example.com
    key_algorithm: EC_prime256v1
    route53_zone_id: Z0123456789ABCDEFGHIJ
    wait: false

- name: Delete the certificate
  invoice.platform.acm_certificate_request:
    region: us-east-1
    domain_name: app.example.com
    subject_alternative_names:
      - www.example.com
    state: absent
"""

RETURN = r"""
certificate_arn:
  description: ARN of the certificate.
  returned: when the certificate exists (not in check mode before it is requested)
  type: str
  sample: arn:aws:acm:us-east-1:123456789012:certificate/0e6d5f4c-1a2b-4c3d-9e8f-0123456789ab
certificate:
  description: The certificate as DescribeCertificate returns it, keys in snake case.
  returned: when the certificate exists
  type: dict
  contains:
    certificate_arn:
      description: ARN of the certificate.
      type: str
    domain_name:
      description: The certificate's domain name.
      type: str
    subject_alternative_names:
      description: Every name the certificate covers, the domain name included.
      type: list
      elements: str
    status:
      description: C(PENDING_VALIDATION) or C(ISSUED).
      type: str
    key_algorithm:
      description: Key algorithm.
      type: str
    domain_validation_options:
      description: Per name, the validation status and the CNAME record ACM asks for.
      type: list
      elements: dict
validation_records:
  description: The distinct CNAME records DNS validation needs (names and values end with a dot).
  returned: when the certificate exists
  type: list
  elements: dict
  contains:
    name:
      description: Record name.
      type: str
    type:
      description: Record type, C(CNAME).
      type: str
    value:
      description: Record value.
      type: str
  sample: [{"name": "_x1.app.example.com.", "type": "CNAME", "value": "_x2.acm-validations.aws."}]
tags:
  description: Tags of the certificate.
  returned: when the certificate exists
  type: dict
  sample: {"invoice:env": "prod"}
"""

import re

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.transformation import camel_dict_to_snake_dict
from ansible_collections.invoice.platform.plugins.module_utils._options import tag_options, wait_options
from ansible_collections.invoice.platform.plugins.module_utils._tags import tag_plan
from ansible_collections.invoice.platform.plugins.module_utils.acm import (
    AnsibleACMError,
    add_tags,
    delete_certificate,
    describe_certificate,
    find_certificates,
    find_zone_id,
    get_record,
    get_tags,
    name_set,
    normalise_name,
    pick_certificate,
    record_in_sync,
    remove_tags,
    request_certificate,
    upsert_records,
    validation_records,
    wait_for_issued,
    wait_for_validation_records,
)

DOMAIN_RE = re.compile(r"^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")


def validate_params(module):
    """Fail before any AWS call on names ACM would refuse."""
    params = module.params
    checks = [
        ("domain_name", [params["domain_name"]]),
        ("subject_alternative_names", params["subject_alternative_names"]),
    ]
    for option, names in checks:
        for name in names:
            if not DOMAIN_RE.match(normalise_name(name)):
                module.fail_json(
                    msg=f"{option}: {name!r} is not a fully qualified domain name (a wildcard only as '*.')"
                )
    if params["wait_timeout"] <= 0:
        module.fail_json(msg=f"wait_timeout must be a positive number of seconds, got {params['wait_timeout']}")


def desired_view(params, tags):
    return dict(
        domain_name=normalise_name(params["domain_name"]),
        subject_alternative_names=name_set(params["domain_name"], params["subject_alternative_names"]),
        key_algorithm=params["key_algorithm"],
        tags=tags,
    )


def ensure_tags(module, client, arn, current, diff):
    desired = module.params["tags"]
    if desired is None:
        return False
    to_set, to_unset, after = tag_plan(current, desired, module.params["purge_tags"])
    if not to_set and not to_unset:
        return False
    diff["before"]["tags"], diff["after"]["tags"] = current, after
    if module.check_mode:
        return True
    if to_unset:
        remove_tags(client, arn, to_unset)
    if to_set:
        add_tags(client, arn, to_set)
    return True


def ensure_validation_records(module, route53, zone_id, records, diff):
    if zone_id is None or not records:
        return False
    missing = [r for r in records if not record_in_sync(get_record(route53, zone_id, r), r)]
    if not missing:
        return False
    diff["before"]["validation_records"] = [r for r in records if r not in missing]
    diff["after"]["validation_records"] = records
    if module.check_mode:
        return True
    upsert_records(route53, zone_id, missing)
    return True


def resolve_zone(module, route53):
    if module.params["route53_zone_id"]:
        return module.params["route53_zone_id"].split("/")[-1]
    if module.params["route53_zone_name"]:
        zone_id = find_zone_id(route53, module.params["route53_zone_name"])
        if zone_id is None:
            name = module.params["route53_zone_name"]
            module.fail_json(msg=f"route53_zone_name: no public hosted zone named {name!r}")
        return zone_id
    return None


def result_of(detail, tags):
    return dict(
        certificate_arn=detail["CertificateArn"],
        certificate=camel_dict_to_snake_dict(detail),
        validation_records=validation_records(detail) or [],
        tags=tags,
    )


def identity(params):
    return params["domain_name"], params["subject_alternative_names"], params["key_algorithm"]


def ensure_present(module, client, route53):
    params = module.params
    diff = dict(before={}, after={})
    zone_id = resolve_zone(module, route53)
    detail = pick_certificate(find_certificates(client, *identity(params)))
    changed = False

    if detail is None:
        diff["after"] = desired_view(params, params["tags"] or {})
        if module.check_mode:
            module.exit_json(changed=True, diff=diff)
        arn = request_certificate(client, *identity(params), params["tags"])
        changed = True
        tags = params["tags"] or {}
        detail = describe_certificate(client, arn)
    else:
        arn = detail["CertificateArn"]
        tags = get_tags(client, arn)
        diff["before"] = desired_view(params, tags)
        diff["after"] = desired_view(params, tags)
        if ensure_tags(module, client, arn, tags, diff):
            changed = True
            tags = diff["after"]["tags"]

    records = validation_records(detail)
    if records is None and (zone_id or params["wait"]):
        detail = wait_for_validation_records(client, arn, params["wait_timeout"])
        records = validation_records(detail)
    changed |= ensure_validation_records(module, route53, zone_id, records, diff)

    if params["wait"] and detail["Status"] != "ISSUED" and not module.check_mode:
        detail = wait_for_issued(client, arn, params["wait_timeout"])

    module.exit_json(changed=changed, diff=diff, **result_of(detail, tags))


def ensure_absent(module, client):
    params = module.params
    found = find_certificates(client, *identity(params))
    if not found:
        module.exit_json(changed=False, diff=dict(before={}, after={}))
    diff = dict(before=dict(certificate_arns=sorted(d["CertificateArn"] for d in found)), after={})
    if not module.check_mode:
        for detail in found:
            delete_certificate(client, detail["CertificateArn"])
    module.exit_json(changed=True, diff=diff)


def main():
    argument_spec = dict(
        domain_name=dict(type="str", required=True, aliases=["domain"]),
        subject_alternative_names=dict(type="list", elements="str", default=[], aliases=["sans"]),
        key_algorithm=dict(type="str", choices=["RSA_2048", "EC_prime256v1", "EC_secp384r1"], default="RSA_2048"),
        route53_zone_id=dict(type="str"),
        route53_zone_name=dict(type="str"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        **tag_options(),
        **wait_options(600),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        mutually_exclusive=[["route53_zone_id", "route53_zone_name"]],
        supports_check_mode=True,
    )
    module.params["subject_alternative_names"] = module.params["subject_alternative_names"]
    validate_params(module)

    client = module.client("acm", retry_decorator=AWSRetry.jittered_backoff())
    try:
        if module.params["state"] == "absent":
            ensure_absent(module, client)
        route53 = module.client("route53", retry_decorator=AWSRetry.jittered_backoff())
        ensure_present(module, client, route53)
    except AnsibleACMError as e:
        module.fail_json_aws_error(e)


if __name__ == "__main__":
    main()
