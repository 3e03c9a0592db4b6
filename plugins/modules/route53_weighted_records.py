#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: route53_weighted_records
short_description: Make the address records at one Route 53 name exactly a given set, in one atomic change
version_added: 0.2.0
description:
  - Makes the A, AAAA and CNAME record sets at O(name) exactly O(records) - one simple record, or a
    set of weighted records (C(SetIdentifier) + C(Weight)) - with B(one) C(ChangeResourceRecordSets)
    call, which Route 53 applies atomically. Record sets at the name that are not in O(records) are
    deleted in the same change; other types (TXT, MX, ...) are never touched.
  - Why not M(amazon.aws.route53) - it writes one record set per call. Moving a name from a simple
    CNAME to a weighted pair (or from a weighted pair back to one alias record) then takes several
    calls, and Route 53 refuses a weighted CNAME beside a simple CNAME of the same name, so the
    simple one has to go first - between the calls the name does not resolve (resolvers cache that
    answer for the zone's negative TTL). Shifting traffic with no downtime
    (C(playbooks/migrate_compute.yml)) needs each step as one change.
  - Idempotent - when the record sets already are O(records) (names, values and alias names compared
    without case or trailing dot) nothing is written. Check mode makes no mutating call; diff mode
    shows the record sets before and after.
author:
  - Invoice platform team (@invoice-platform)
options:
  zone:
    description: Name of the public hosted zone that holds O(name). Mutually exclusive with O(hosted_zone_id).
    type: str
  hosted_zone_id:
    description: ID of the hosted zone that holds O(name). Mutually exclusive with O(zone).
    type: str
  name:
    description: The record name (for example V(api.example.com)); a trailing dot is optional.
    type: str
    required: true
  records:
    description:
      - The record sets the name must hold, all of one O(records[].type). Either exactly one record
        without O(records[].identifier) (a simple record) or one or more weighted records, each with
        its own O(records[].identifier) and a O(records[].weight).
    type: list
    elements: dict
    required: true
    suboptions:
      identifier:
        description: C(SetIdentifier) of a weighted record (1-128 characters). Omit for a simple record.
        type: str
      weight:
        description:
          - Weight of a weighted record, 0-255. Route 53 answers with each record in proportion to its
            weight over the sum; a record of weight 0 is never answered unless all have weight 0.
        type: int
      type:
        description: Record type.
        type: str
        choices: [A, AAAA, CNAME]
        default: CNAME
      value:
        description: The target name (CNAME) or address (A, AAAA). Mutually exclusive with O(records[].alias).
        type: str
      ttl:
        description: TTL in seconds of a record with O(records[].value) (an alias has none).
        type: int
        default: 60
      alias:
        description: An alias target (A or AAAA) instead of O(records[].value).
        type: dict
        suboptions:
          dns_name:
            description: DNS name of the target (a load balancer, a CloudFront distribution, ...).
            type: str
            required: true
          hosted_zone_id:
            description: Hosted zone ID of the target (a load balancer's C(CanonicalHostedZoneId)).
            type: str
            required: true
          evaluate_target_health:
            description: Whether Route 53 checks the target's health before answering with it.
            type: bool
            default: false
  wait:
    description: Wait until Route 53 reports the change C(INSYNC).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait with O(wait).
    type: int
    default: 300
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Send a tenth of api.example.com to the new backend
  invoice.platform.route53_weighted_records:
    zone: example.com
    name: api.example.com
    records:
      - identifier: apprunner
        weight: 90
        value: abcdefgh.us-east-1.awsapprunner.com
      - identifier: ecs-express
        weight: 10
        value: ecsx-api-0123.us-east-1.elb.amazonaws.com

- name: Point api.example.com at the load balancer alone (the weighted pair goes in the same change)
  invoice.platform.route53_weighted_records:
    zone: example.com
    name: api.example.com
    records:
      - type: A
        alias:
          dns_name: ecsx-api-0123.us-east-1.elb.amazonaws.com
          hosted_zone_id: Z35SXDOTRQ7X7K
          evaluate_target_health: true
"""

RETURN = r"""
records:
  description: The record sets at the name after the run (what a check-mode run would leave), as Route 53 spells them.
  returned: always
  type: list
  elements: dict
  sample:
    - {"Name": "api.example.com.", "Type": "CNAME", "SetIdentifier": "apprunner", "Weight": 90, "TTL": 60,
       "ResourceRecords": [{"Value": "abcdefgh.us-east-1.awsapprunner.com"}]}
weights:
  description: The weight of each weighted record after the run, by identifier (empty for a simple record).
  returned: always
  type: dict
  sample: {"apprunner": 90, "ecs-express": 10}
changes:
  description: The change batch (empty when nothing changed), one C(ACTION type identifier) line per change.
  returned: always
  type: list
  elements: str
  sample: ["DELETE CNAME -", "UPSERT CNAME apprunner", "UPSERT CNAME ecs-express"]
hosted_zone_id:
  description: The hosted zone the records are in.
  returned: always
  type: str
change_id:
  description: ID of the Route 53 change (none when nothing changed or in check mode).
  returned: when changed and not in check mode
  type: str
"""

try:
    from botocore.exceptions import BotoCoreError, ClientError, WaiterError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.invoice.platform.plugins.module_utils._options import wait_options

ADDRESS_TYPES = ("A", "AAAA", "CNAME")


def fqdn(name):
    return name.rstrip(".").lower() + "."


def _bare(name):
    return str(name).rstrip(".").lower()


def record_problems(index, record, seen):
    """What is wrong with one entry of ``records`` (messages naming it)."""
    where = f"records[{index}]"
    out = []
    if (record.get("value") is None) == (record.get("alias") is None):
        out.append(f"{where} needs exactly one of value and alias")
    if record.get("alias") is not None and record.get("type", "CNAME") == "CNAME":
        out.append(f"{where}: an alias is an A or AAAA record, not CNAME")
    if record.get("ttl") is not None and record["ttl"] < 0:
        out.append(f"{where}: ttl must not be negative")
    identifier = record.get("identifier")
    if not identifier:
        return out + ([f"{where}: a weight needs an identifier"] if record.get("weight") is not None else [])
    if record.get("weight") is None:
        out.append(f"{where} ({identifier}) needs a weight")
    elif not 0 <= record["weight"] <= 255:
        out.append(f"{where} ({identifier}): weight must be 0-255, got {record['weight']}")
    if len(identifier) > 128:
        out.append(f"{where}: identifier must be 1-128 characters")
    if identifier in seen:
        out.append(f"{where}: identifier {identifier} is given twice")
    seen.add(identifier)
    return out


def problems(records):
    """What is wrong with ``records`` (a list of messages naming the entry), before any call."""
    if not records:
        return ["records must hold at least one record"]
    out = []
    if len(records) > 1 and any(not r.get("identifier") for r in records):
        out.append(
            "records: a simple record (no identifier) must be the only one; give each record an identifier and a weight"
        )
    seen = set()
    for index, record in enumerate(records):
        out.extend(record_problems(index, record, seen))
    if len({r.get("type", "CNAME") for r in records}) > 1:
        out.append("records must all be of one type (a name holds either CNAMEs or address records)")
    return out


def wanted_sets(name, records):
    """``records`` as Route 53 record sets."""
    out = []
    for record in records:
        rrset = {"Name": fqdn(name), "Type": record.get("type") or "CNAME"}
        if record.get("identifier"):
            rrset["SetIdentifier"] = record["identifier"]
            rrset["Weight"] = int(record["weight"])
        alias = record.get("alias")
        if alias:
            rrset["AliasTarget"] = {
                "DNSName": fqdn(alias["dns_name"]),
                "HostedZoneId": alias["hosted_zone_id"],
                "EvaluateTargetHealth": bool(alias.get("evaluate_target_health")),
            }
        else:
            rrset["TTL"] = int(record["ttl"] if record.get("ttl") is not None else 60)
            rrset["ResourceRecords"] = [{"Value": record["value"]}]
        out.append(rrset)
    return out


def key(rrset):
    return rrset["Type"], rrset.get("SetIdentifier")


def comparable(rrset):
    """What decides whether two record sets are the same (case and trailing dots aside)."""
    alias = rrset.get("AliasTarget")
    return (
        rrset["Type"],
        rrset.get("SetIdentifier"),
        int(rrset["Weight"]) if rrset.get("Weight") is not None else None,
        None if alias else int(rrset.get("TTL") or 0),
        tuple(sorted(_bare(r["Value"]) for r in rrset.get("ResourceRecords") or [])),
        (_bare(alias["DNSName"]), alias.get("HostedZoneId"), bool(alias.get("EvaluateTargetHealth")))
        if alias
        else None,
    )


def change_batch(current, wanted):
    """The changes that make ``current`` into ``wanted``: deletions first, then upserts ([] for none)."""
    wanted_keys = {key(w) for w in wanted}
    by_key = {key(c): c for c in current}
    deletes = [{"Action": "DELETE", "ResourceRecordSet": c} for c in current if key(c) not in wanted_keys]
    upserts = [
        {"Action": "UPSERT", "ResourceRecordSet": w}
        for w in wanted
        if key(w) not in by_key or comparable(by_key[key(w)]) != comparable(w)
    ]
    return deletes + upserts


def describe(rrset):
    """One line for the diff: type, identifier and weight, target, TTL."""
    alias = rrset.get("AliasTarget")
    target = (
        f"alias {_bare(alias['DNSName'])}" if alias else ",".join(_bare(r["Value"]) for r in rrset["ResourceRecords"])
    )
    weight = f" {rrset['SetIdentifier']} weight={rrset['Weight']}" if rrset.get("SetIdentifier") else ""
    ttl = "" if alias else f" ttl={rrset.get('TTL')}"
    return f"{_bare(rrset['Name'])} {rrset['Type']}{weight} -> {target}{ttl}"


def summary(change):
    rrset = change["ResourceRecordSet"]
    return f"{change['Action']} {rrset['Type']} {rrset.get('SetIdentifier') or '-'}"


def find_zone(module, client):
    if module.params["hosted_zone_id"]:
        return module.params["hosted_zone_id"].rsplit("/", 1)[-1]
    name = fqdn(module.params["zone"])
    try:
        zones = client.list_hosted_zones_by_name(aws_retry=True, DNSName=name)["HostedZones"]
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg=f"Could not look up the hosted zone {name}")
    found = [z for z in zones if z["Name"].lower() == name and not z.get("Config", {}).get("PrivateZone")]
    if not found:
        module.fail_json(msg=f"zone: no public Route 53 hosted zone named {module.params['zone']}")
    return found[0]["Id"].rsplit("/", 1)[-1]


def current_sets(module, client, zone_id, name):
    """The A, AAAA and CNAME record sets at ``name`` (paged through, from the name on)."""
    out, start = [], {"StartRecordName": fqdn(name)}
    try:
        while True:
            page = client.list_resource_record_sets(aws_retry=True, HostedZoneId=zone_id, **start)
            for rrset in page["ResourceRecordSets"]:
                if fqdn(rrset["Name"]) != fqdn(name):
                    return out
                if rrset["Type"] in ADDRESS_TYPES:
                    out.append(rrset)
            if not page.get("IsTruncated"):
                return out
            start = {"StartRecordName": page["NextRecordName"], "StartRecordType": page["NextRecordType"]}
            if page.get("NextRecordIdentifier"):
                start["StartRecordIdentifier"] = page["NextRecordIdentifier"]
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg=f"Could not read the record sets of {name}")


def ensure_records(module, client, zone_id, wanted, result):
    """Write the change batch that makes the name hold ``wanted``; False when it already does."""
    name = module.params["name"]
    current = current_sets(module, client, zone_id, name)
    changes = change_batch(current, wanted)
    result["changes"] = [summary(c) for c in changes]
    result["diff"] = {
        "before": {"records": sorted(describe(c) for c in current)},
        "after": {"records": sorted(describe(w) for w in wanted)},
    }
    result["records"] = wanted if changes else current
    if not changes:
        return False
    if module.check_mode:
        return True
    try:
        info = client.change_resource_record_sets(
            aws_retry=True,
            HostedZoneId=zone_id,
            ChangeBatch={"Comment": f"invoice.platform.route53_weighted_records {_bare(name)}", "Changes": changes},
        )["ChangeInfo"]
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg=f"Could not change the record sets of {name}")
    result["change_id"] = info["Id"].rsplit("/", 1)[-1]
    if module.params["wait"] and info.get("Status") != "INSYNC":
        try:
            client.get_waiter("resource_record_sets_changed").wait(
                Id=info["Id"], WaiterConfig={"Delay": 5, "MaxAttempts": max(1, module.params["wait_timeout"] // 5)}
            )
        except WaiterError as e:
            module.fail_json_aws(
                e, msg=f"The change of {name} did not reach INSYNC in {module.params['wait_timeout']} s"
            )
    return True


def main():
    alias_spec = dict(
        dns_name=dict(type="str", required=True),
        hosted_zone_id=dict(type="str", required=True),
        evaluate_target_health=dict(type="bool", default=False),
    )
    record_spec = dict(
        identifier=dict(type="str"),
        weight=dict(type="int"),
        type=dict(type="str", choices=list(ADDRESS_TYPES), default="CNAME"),
        value=dict(type="str"),
        ttl=dict(type="int", default=60),
        alias=dict(type="dict", options=alias_spec),
    )
    argument_spec = dict(
        zone=dict(type="str"),
        hosted_zone_id=dict(type="str"),
        name=dict(type="str", required=True),
        records=dict(type="list", elements="dict", required=True, options=record_spec),
        **wait_options(300),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        mutually_exclusive=[("zone", "hosted_zone_id")],
        required_one_of=[("zone", "hosted_zone_id")],
        supports_check_mode=True,
    )
    found = problems(module.params["records"])
    if found:
        module.fail_json(msg="; ".join(found))
    client = module.client("route53", retry_decorator=AWSRetry.jittered_backoff())
    name = module.params["name"]
    zone_id = find_zone(module, client)
    wanted = wanted_sets(name, module.params["records"])
    result = dict(changed=False, hosted_zone_id=zone_id)
    result["changed"] = ensure_records(module, client, zone_id, wanted, result)
    result["weights"] = {r["SetIdentifier"]: int(r["Weight"]) for r in result["records"] if r.get("SetIdentifier")}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
