#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: apprunner_custom_domain
version_added: 0.1.0
short_description: Associate a custom domain with an AWS App Runner service
description:
  - Associate (or disassociate) a domain name with an App Runner service and return what DNS needs,
    that is the certificate validation CNAME records and the target the domain must point to.
  - With O(route53_zone_id) or O(route53_zone) the module also upserts those records into the Route 53
    hosted zone (reading the zone first; only missing or different records are written) and, with
    O(wait=true), waits until App Runner reports the domain C(active).
  - Before writing, the module checks the zone for a record already at the domain name. A CNAME (or any
    other record) there that does not point at the service's target fails the task with an explanation;
    the module never overwrites a record it did not make.
  - The domain's own record is a CNAME to the service's target. At the zone apex a CNAME is not allowed;
    there the module writes only the validation records and warns that an alias record is needed.
author:
  - Invoice platform team (@invoice-platform)
options:
  service:
    description:
      - Name or ARN of the App Runner service.
    type: str
    required: true
  domain_name:
    description:
      - The domain name, for example C(api.example.com).
    type: str
    required: true
  enable_www_subdomain:
    description:
      - Also associate C(www.) of the domain. (The AWS API's own default is true; this module's is false.)
      - Cannot change on an existing association; disassociate first.
    type: bool
    default: false
  state:
    description:
      - Whether the domain should be associated with the service.
    type: str
    choices: ['present', 'absent']
    default: present
  route53_zone_id:
    description:
      - ID of the Route 53 hosted zone to write the records to. Mutually exclusive with O(route53_zone).
    type: str
  route53_zone:
    description:
      - Name of the public Route 53 hosted zone to write the records to.
    type: str
  route53_ttl:
    description:
      - TTL of the records the module writes.
    type: int
    default: 300
  wait:
    description:
      - Wait until the association is C(active) (with state=present; needs the validation records to be in DNS,
        so it is only useful with a Route 53 zone or records made beforehand), or gone (with state=absent).
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait. Certificate validation in AWS can take from minutes to hours.
    type: int
    default: 1800
notes:
  - Disassociating does not remove DNS records.
  - Supports check mode and diff mode.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Serve the API on api.example.com, with the records in Route 53
  invoice.platform.apprunner_custom_domain:
    service: invoice-api
    domain_name: api.example.com
    route53_zone: example.com
  register: domain

- name: Associate only and print the records for another DNS provider
  invoice.platform.apprunner_custom_domain:
    service: invoice-api
    domain_name: api.example.org
    wait: false
  register: domain
- name: Show the records
  ansible.builtin.debug:
    var: domain.dns_records
"""

RETURN = r"""
custom_domain:
  description: The association (snake_case CustomDomain).
  returned: when state=present and the association exists
  type: dict
  contains:
    domain_name:
      description: Domain name.
      type: str
    status:
      description: Status, for example C(pending_certificate_dns_validation) or C(active).
      type: str
    enable_www_subdomain:
      description: Whether www is associated too.
      type: bool
    certificate_validation_records:
      description: Validation records (name, type, value, status).
      type: list
      elements: dict
dns_target:
  description: The host name the domain must point to (the service's default domain).
  returned: when state=present
  type: str
  sample: abcdefgh.us-east-1.awsapprunner.com
dns_records:
  description: Every record DNS needs (validation CNAMEs and the domain's CNAME), as name, type and value.
  returned: when state=present and the association exists
  type: list
  elements: dict
route53_changes:
  description: The records the module wrote (would write, in check mode) to Route 53.
  returned: when a Route 53 zone is given
  type: list
  elements: dict
"""

try:
    import botocore
except ImportError:
    pass  # caught by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.invoice.platform.plugins.module_utils._options import wait_options
from ansible_collections.invoice.platform.plugins.module_utils.apprunner import (
    associate_custom_domain,
    describe_custom_domains,
    disassociate_custom_domain,
    find_service_arn,
    run_module,
    to_ansible,
    wait_for_custom_domain,
)


def fqdn(name):
    return name.rstrip(".").lower() + "."


def dns_records(domain, target):
    """The records the association needs, as (name, type, value) dicts."""
    records = [
        dict(name=r["Name"], type=r.get("Type", "CNAME"), value=r["Value"])
        for r in domain.get("CertificateValidationRecords") or []
        if r.get("Name") and r.get("Value")
    ]
    records.append(dict(name=domain["DomainName"], type="CNAME", value=target))
    if domain.get("EnableWWWSubdomain"):
        records.append(dict(name="www." + domain["DomainName"], type="CNAME", value=target))
    return records


class Route53Zone:
    """Reads a hosted zone once and upserts the records that differ."""

    def __init__(self, module):
        self.module = module
        self.client = module.client("route53", retry_decorator=AWSRetry.jittered_backoff())
        self.zone_id, self.zone_name = self._resolve(module.params["route53_zone_id"], module.params["route53_zone"])
        self.records = self._read()

    def _resolve(self, zone_id, zone_name):
        try:
            if zone_id:
                zone = self.client.get_hosted_zone(aws_retry=True, Id=zone_id)["HostedZone"]
                return zone["Id"], zone["Name"]
            zones = self.client.list_hosted_zones_by_name(aws_retry=True, DNSName=fqdn(zone_name), MaxItems="10")
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            self.module.fail_json_aws(e, msg=f"Failed to find Route 53 hosted zone {zone_id or zone_name}")
        public = [
            z
            for z in zones.get("HostedZones", [])
            if z["Name"] == fqdn(zone_name) and not z.get("Config", {}).get("PrivateZone")
        ]
        if not public:
            self.module.fail_json(msg=f"route53_zone: no public Route 53 hosted zone named {zone_name}")
        return public[0]["Id"], public[0]["Name"]

    def _read(self):
        records = {}
        params = dict(HostedZoneId=self.zone_id)
        try:
            while True:
                page = self.client.list_resource_record_sets(aws_retry=True, **params)
                for rrset in page.get("ResourceRecordSets", []):
                    records.setdefault(fqdn(rrset["Name"]), []).append(rrset)
                if not page.get("IsTruncated"):
                    return records
                params.update(
                    StartRecordName=page["NextRecordName"],
                    StartRecordType=page["NextRecordType"],
                )
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            self.module.fail_json_aws(e, msg=f"Failed to read the records of Route 53 zone {self.zone_id}")

    def in_zone(self, name):
        return fqdn(name) == self.zone_name or fqdn(name).endswith("." + self.zone_name)

    def conflict(self, name, value):
        """A message when ``name`` holds a record other than CNAME -> ``value``, else None."""
        for rrset in self.records.get(fqdn(name), []):
            values = [r["Value"].rstrip(".").lower() for r in rrset.get("ResourceRecords", [])]
            if rrset["Type"] == "CNAME" and values == [value.rstrip(".").lower()]:
                continue
            if rrset["Type"] in ("CNAME", "A", "AAAA") or rrset.get("AliasTarget"):
                current = values or [rrset.get("AliasTarget", {}).get("DNSName", "?")]
                return (
                    f"{name} already has a {rrset['Type']} record in Route 53 zone {self.zone_name} pointing to "
                    f"{', '.join(current)}, not to the App Runner target {value}. A name can hold only one CNAME and "
                    "no other record beside it; this module does not overwrite a record it did not make. Remove or "
                    "change that record (or choose another domain name), then run again"
                )
        return None

    def changes(self, records):
        """UPSERT changes for the records that are missing or differ."""
        changes = []
        for record in records:
            existing = [r for r in self.records.get(fqdn(record["name"]), []) if r["Type"] == record["type"]]
            values = [v["Value"].rstrip(".").lower() for r in existing for v in r.get("ResourceRecords", [])]
            if values == [record["value"].rstrip(".").lower()] and all(
                r.get("TTL") == self.module.params["route53_ttl"] for r in existing
            ):
                continue
            changes.append(
                dict(
                    Action="UPSERT",
                    ResourceRecordSet=dict(
                        Name=record["name"],
                        Type=record["type"],
                        TTL=self.module.params["route53_ttl"],
                        ResourceRecords=[dict(Value=record["value"])],
                    ),
                )
            )
        return changes

    def apply(self, changes):
        try:
            self.client.change_resource_record_sets(
                aws_retry=True,
                HostedZoneId=self.zone_id,
                ChangeBatch=dict(Comment="App Runner custom domain (invoice.platform)", Changes=changes),
            )
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            self.module.fail_json_aws(e, msg=f"Failed to write records to Route 53 zone {self.zone_id}")


def find_domain(domains, name):
    for domain in domains:
        if domain["DomainName"].lower() == name.lower():
            return domain
    return None


def ensure_records(module, zone, domain, target, result):
    records = dns_records(domain, target)
    wanted = []
    for record in records:
        if not zone.in_zone(record["name"]):
            module.fail_json(msg=f"{record['name']} is not in Route 53 zone {zone.zone_name}")
        if record["type"] == "CNAME" and record["value"] == target:
            if fqdn(record["name"]) == zone.zone_name:
                module.warn(
                    f"{record['name']} is the zone apex, where a CNAME is not allowed: create an alias record "
                    f"to {target} yourself"
                )
                continue
            message = zone.conflict(record["name"], target)
            if message:
                module.fail_json(msg=message, dns_records=records, dns_target=target)
        wanted.append(record)
    changes = zone.changes(wanted)
    result["route53_changes"] = [
        dict(name=c["ResourceRecordSet"]["Name"], type=c["ResourceRecordSet"]["Type"], value=target_value(c))
        for c in changes
    ]
    if changes:
        result["changed"] = True
        result["diff"]["after"]["route53_records"] = [f"{r['name']} {r['type']} {r['value']}" for r in wanted]
        if not module.check_mode:
            zone.apply(changes)


def target_value(change):
    return change["ResourceRecordSet"]["ResourceRecords"][0]["Value"]


def ensure_present(module, client, arn, target, domains):
    params = module.params
    name = params["domain_name"]
    domain = find_domain(domains, name)
    result = dict(changed=False, dns_target=target, diff=dict(before={}, after={}))
    if domain is not None and bool(domain.get("EnableWWWSubdomain")) != params["enable_www_subdomain"]:
        module.fail_json(
            msg=f"{name} is associated with enable_www_subdomain={domain.get('EnableWWWSubdomain')}; App Runner "
            "cannot change it: disassociate (state=absent) and associate again"
        )
    zone = Route53Zone(module) if params["route53_zone_id"] or params["route53_zone"] else None
    if zone is not None:
        message = zone.conflict(name, target)
        if message:
            module.fail_json(msg=message, dns_target=target)
    if domain is None:
        result["changed"] = True
        result["diff"]["after"] = dict(domain_name=name, enable_www_subdomain=params["enable_www_subdomain"])
        if module.check_mode:
            return result
        response = associate_custom_domain(client, arn, name, params["enable_www_subdomain"])
        target = result["dns_target"] = response["DNSTarget"]
        domain = response["CustomDomain"]
        if zone is not None and not domain.get("CertificateValidationRecords"):
            # AWS fills in the validation records shortly after the association.
            wait_for_custom_domain(client, arn, name, "custom_domain_records_ready", params["wait_timeout"])
            domain = find_domain(describe_custom_domains(client, arn)[1], name)
    else:
        result["diff"]["before"] = result["diff"]["after"] = dict(
            domain_name=domain["DomainName"], enable_www_subdomain=bool(domain.get("EnableWWWSubdomain"))
        )
    if zone is not None:
        ensure_records(module, zone, domain, target, result)
    if params["wait"] and not module.check_mode and domain.get("Status", "").lower() != "active":
        wait_for_custom_domain(client, arn, name, "custom_domain_active", params["wait_timeout"])
        domain = find_domain(describe_custom_domains(client, arn)[1], name)
    result["custom_domain"] = to_ansible(domain)
    result["dns_records"] = dns_records(domain, target)
    return result


def ensure_absent(module, client, arn, domains):
    name = module.params["domain_name"]
    domain = find_domain(domains, name)
    if domain is None or (domain.get("Status", "").lower() == "deleting" and not module.params["wait"]):
        return dict(changed=False)
    result = dict(changed=True, diff=dict(before=dict(domain_name=domain["DomainName"]), after={}))
    if module.check_mode:
        return result
    if domain.get("Status", "").lower() != "deleting":
        disassociate_custom_domain(client, arn, name)
    else:
        result["changed"] = False
    if module.params["wait"]:
        wait_for_custom_domain(client, arn, name, "custom_domain_disassociated", module.params["wait_timeout"])
    return result


def converge(module, client):
    arn = find_service_arn(client, module.params["service"])
    target, domains = describe_custom_domains(client, arn)
    if module.params["state"] == "absent":
        return ensure_absent(module, client, arn, domains)
    return ensure_present(module, client, arn, target, domains)


def main():
    argument_spec = dict(
        service=dict(type="str", required=True),
        domain_name=dict(type="str", required=True),
        enable_www_subdomain=dict(type="bool", default=False),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        route53_zone_id=dict(type="str"),
        route53_zone=dict(type="str"),
        route53_ttl=dict(type="int", default=300),
        **wait_options(1800),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        mutually_exclusive=[("route53_zone_id", "route53_zone")],
        supports_check_mode=True,
    )
    if module.params["route53_ttl"] < 0:
        module.fail_json(msg=f"route53_ttl must not be negative, got {module.params['route53_ttl']}")
    client = module.client("apprunner", retry_decorator=AWSRetry.jittered_backoff())
    run_module(module, lambda: converge(module, client))


if __name__ == "__main__":
    main()
