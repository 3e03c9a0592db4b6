#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ecs_express_domain
version_added: 0.3.0
short_description: Serve a custom domain on the load balancer of an Amazon ECS Express Mode service
description:
  - ECS Express Mode has no custom-domain setting (C(CreateExpressGatewayService) and
    C(UpdateExpressGatewayService) take none). ECS creates an Application Load Balancer for the service
    with an HTTPS:443 listener whose default certificate is for the service's AWS-provided name, and a
    host-header rule for that name. This module adds what a custom domain needs on that listener
    (Elastic Load Balancing v2 calls) - the domain's ACM certificate as an SNI certificate
    (C(AddListenerCertificates)), and a rule forwarding requests whose host is O(domain_name) where
    ECS's own rule forwards (C(CreateRule), C(ModifyRule)).
  - ECS ships an update as a canary between the service's primary and alternate target groups and
    moves its production listener rule (the ECS service's C(advancedConfiguration.productionListenerRule))
    between them. The domain's rule copies that rule's forward (target groups and weights) on every run,
    so run this module again after a deployment (the deploy role does) to follow the target group now
    serving; without a production listener rule (as on the local endpoint), it forwards to the service's
    target group.
  - The load balancer, listener and target group are found from the service - its ECS service names its
    target group, which names the load balancer; the HTTPS listener on port 443 is used. The listener's
    default certificate and ECS's own rule are never changed.
  - The DNS record is not managed here; point the domain at RV(load_balancer.dns_name) with an alias
    record in RV(load_balancer.canonical_hosted_zone_id) (for example with M(amazon.aws.route53)).
  - With O(state=absent) the rule and (when O(certificate_arn) is given) the certificate are taken off the
    listener; nothing happens when the service is gone (deleting it removes its load balancer).
author:
  - Invoice platform team (@invoice-platform)
options:
  service:
    description:
      - Name (or ARN) of the Express service.
    type: str
    required: true
    aliases: ['service_name']
  cluster:
    description:
      - Name or ARN of the service's cluster.
    type: str
    default: default
  domain_name:
    description:
      - The custom domain, a host name such as C(api.example.com).
    type: str
    required: true
  certificate_arn:
    description:
      - ARN of an issued ACM certificate for O(domain_name), in the service's region.
      - When left out, the listener's certificates are not changed (for a run that only brings the rule
        in line with ECS's, after a deployment).
    type: str
  priority:
    description:
      - Priority of the host-header rule when it is created (an existing rule keeps its priority).
      - When unset, the first priority from 1000 up that the listener does not use.
    type: int
  state:
    description:
      - V(present) attaches the certificate and makes sure the rule forwards to the service's target group;
        V(absent) removes them.
    type: str
    choices: ['present', 'absent']
    default: present
notes:
  - Supports check mode and diff mode (the certificate and the rule's host and target group).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Serve api.example.com on the API's load balancer
  invoice.platform.ecs_express_domain:
    service: invoice-prod-api
    domain_name: api.example.com
    certificate_arn: arn:aws:acm:eu-west-1:123456789012:certificate/0e1f...
  register: domain

- name: Point api.example.com at the load balancer
  amazon.aws.route53:
    zone: example.com
    record: api.example.com
    type: A
    value: "{{ domain.load_balancer.dns_name }}"
    alias: true
    alias_hosted_zone_id: "{{ domain.load_balancer.canonical_hosted_zone_id }}"
    overwrite: true
"""

RETURN = r"""
load_balancer:
  description: The service's load balancer (empty when the service does not exist).
  returned: always
  type: dict
  contains:
    arn:
      description: ARN.
      type: str
    dns_name:
      description: Its DNS name, the target of the domain's alias record.
      type: str
    canonical_hosted_zone_id:
      description: Its hosted zone, the alias record's C(alias_hosted_zone_id).
      type: str
listener_arn:
  description: The HTTPS:443 listener.
  returned: when the service exists
  type: str
target_group_arn:
  description: The target group the rule forwards the most traffic to (the one now serving).
  returned: when the service exists
  type: str
rule_arn:
  description: The host-header rule (empty in check mode before it exists, and after O(state=absent)).
  returned: when the service exists
  type: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.invoice.platform.plugins.module_utils.ecs_express import (
    AnsibleECSExpressError,
    ECSExpressErrorHandler,
    describe_ecs_service,
    run_module,
)

FIRST_PRIORITY = 1000


@ECSExpressErrorHandler.common_error_handler("read the load balancer of target group {target_group_arn}")
def find_front(elbv2, target_group_arn):
    """(load balancer, HTTPS:443 listener) of the target group."""
    (group,) = elbv2.describe_target_groups(aws_retry=True, TargetGroupArns=[target_group_arn])["TargetGroups"]
    if not group.get("LoadBalancerArns"):
        raise AnsibleECSExpressError(message=f"target group {target_group_arn} serves no load balancer")
    arn = group["LoadBalancerArns"][0]
    (balancer,) = elbv2.describe_load_balancers(aws_retry=True, LoadBalancerArns=[arn])["LoadBalancers"]
    listeners = elbv2.describe_listeners(aws_retry=True, LoadBalancerArn=arn)["Listeners"]
    https = [x for x in listeners if x.get("Protocol") == "HTTPS" and x.get("Port") == 443]
    if not https:
        raise AnsibleECSExpressError(message=f"load balancer {arn} has no HTTPS listener on port 443")
    return balancer, https[0]


def rule_hosts(rule):
    values = []
    for condition in rule.get("Conditions") or []:
        if condition.get("Field") == "host-header":
            values.extend((condition.get("HostHeaderConfig") or {}).get("Values") or condition.get("Values") or [])
    return sorted(set(values))


def forward_groups(rule):
    """The rule's forward as sorted [target group ARN, weight] pairs ([] when it does not forward)."""
    for action in rule.get("Actions") or []:
        if action.get("Type") == "forward":
            groups = (action.get("ForwardConfig") or {}).get("TargetGroups") or []
            if groups:
                return sorted([g["TargetGroupArn"], int(g.get("Weight", 1))] for g in groups)
            if action.get("TargetGroupArn"):
                return [[action["TargetGroupArn"], 1]]
    return []


def forward_actions(groups):
    """The Actions of a rule forwarding to ``groups`` (pairs of forward_groups)."""
    if len(groups) == 1:
        return [{"Type": "forward", "TargetGroupArn": groups[0][0]}]
    return [
        {"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": a, "Weight": w} for a, w in groups]}}
    ]


@ECSExpressErrorHandler.common_error_handler("read the production listener rule of the service")
def serving_groups(elbv2, service, target_groups):
    """Where ECS's production listener rule forwards (the service's target group when it names none)."""
    for balancer in service.get("loadBalancers") or []:
        rule_arn = (balancer.get("advancedConfiguration") or {}).get("productionListenerRule")
        if rule_arn:
            (rule,) = elbv2.describe_rules(aws_retry=True, RuleArns=[rule_arn])["Rules"]
            groups = forward_groups(rule)
            if groups:
                return groups
    return [[target_groups[0], 1]]


@ECSExpressErrorHandler.common_error_handler("read listener {listener_arn}")
def read_listener(elbv2, listener_arn):
    """(SNI certificate ARNs, rules) of the listener."""
    certificates = []
    for page in elbv2.get_paginator("describe_listener_certificates").paginate(ListenerArn=listener_arn):
        certificates.extend(c["CertificateArn"] for c in page.get("Certificates", []) if not c.get("IsDefault"))
    rules = elbv2.describe_rules(aws_retry=True, ListenerArn=listener_arn)["Rules"]
    return certificates, rules


def shown(groups):
    """A forward as the diff shows it: the target group, or each group with its weight."""
    if len(groups) == 1:
        return groups[0][0]
    return {arn: weight for arn, weight in groups}


def free_priority(rules, wanted):
    used = {int(r["Priority"]) for r in rules if str(r.get("Priority", "")).isdigit()}
    if wanted is not None:
        if wanted in used:
            raise AnsibleECSExpressError(message=f"priority {wanted} is taken on the listener; choose another")
        return wanted
    priority = FIRST_PRIORITY
    while priority in used:
        priority += 1
    return priority


@ECSExpressErrorHandler.common_error_handler("attach certificate {certificate_arn} to listener {listener_arn}")
def ensure_certificate(module, elbv2, *, listener_arn, certificates, certificate_arn, present):
    if (certificate_arn in certificates) == present:
        return False
    if module.check_mode:
        return True
    request = dict(aws_retry=True, ListenerArn=listener_arn, Certificates=[{"CertificateArn": certificate_arn}])
    if present:
        elbv2.add_listener_certificates(**request)
    else:
        elbv2.remove_listener_certificates(**request)
    return True


@ECSExpressErrorHandler.common_error_handler("converge the host-header rule {domain_name} on listener {listener_arn}")
def ensure_rule(module, elbv2, *, listener_arn, rule, domain_name, groups, priority):
    """(changed, rule ARN) of the rule forwarding ``domain_name`` to ``groups`` (None: absent)."""
    if groups is None:
        if rule is None:
            return False, ""
        if not module.check_mode:
            elbv2.delete_rule(aws_retry=True, RuleArn=rule["RuleArn"])
        return True, ""
    actions = forward_actions(groups)
    if rule is not None:
        if forward_groups(rule) == groups and len(rule.get("Actions") or []) == 1:
            return False, rule["RuleArn"]
        if not module.check_mode:
            elbv2.modify_rule(aws_retry=True, RuleArn=rule["RuleArn"], Actions=actions)
        return True, rule["RuleArn"]
    if module.check_mode:
        return True, ""
    created = elbv2.create_rule(
        aws_retry=True,
        ListenerArn=listener_arn,
        Priority=priority,
        Conditions=[{"Field": "host-header", "HostHeaderConfig": {"Values": [domain_name]}}],
        Actions=actions,
    )
    return True, created["Rules"][0]["RuleArn"]


def converge(module, ecs, elbv2):
    params = module.params
    present = params["state"] == "present"
    service = describe_ecs_service(ecs, params["cluster"], params["service"])
    if service is None:
        if present:
            raise AnsibleECSExpressError(
                message=f"ECS Express service {params['service']} in cluster {params['cluster']} does not exist"
            )
        return dict(changed=False, load_balancer={})
    groups = [b["targetGroupArn"] for b in service.get("loadBalancers") or [] if b.get("targetGroupArn")]
    if not groups:
        raise AnsibleECSExpressError(message=f"ECS service {params['service']} is behind no target group")
    serving = serving_groups(elbv2, service, groups)
    target_group_arn = max(serving, key=lambda pair: pair[1])[0]
    balancer, listener = find_front(elbv2, target_group_arn=groups[0])
    listener_arn = listener["ListenerArn"]
    certificates, rules = read_listener(elbv2, listener_arn=listener_arn)
    domain = params["domain_name"].lower().rstrip(".")
    rule = next((r for r in rules if not r.get("IsDefault") and rule_hosts(r) == [domain]), None)
    before = dict(
        certificate_attached=params["certificate_arn"] in certificates if params["certificate_arn"] else None,
        forward_to=shown(forward_groups(rule)) if rule else None,
    )
    changed = False
    if params["certificate_arn"]:
        changed |= ensure_certificate(
            module,
            elbv2,
            listener_arn=listener_arn,
            certificates=certificates,
            certificate_arn=params["certificate_arn"],
            present=present,
        )
    priority = free_priority(rules, params["priority"]) if present and rule is None else None
    rule_changed, rule_arn = ensure_rule(
        module,
        elbv2,
        listener_arn=listener_arn,
        rule=rule,
        domain_name=domain,
        groups=serving if present else None,
        priority=priority,
    )
    changed |= rule_changed
    after = dict(
        certificate_attached=present if params["certificate_arn"] else None,
        forward_to=shown(serving) if present else None,
    )
    header = f"{domain} on {listener_arn}"
    return dict(
        changed=changed,
        load_balancer=dict(
            arn=balancer["LoadBalancerArn"],
            dns_name=balancer["DNSName"],
            canonical_hosted_zone_id=balancer["CanonicalHostedZoneId"],
        ),
        listener_arn=listener_arn,
        target_group_arn=target_group_arn,
        rule_arn=rule_arn,
        diff=dict(before=before, after=after, before_header=header, after_header=header),
    )


def main():
    argument_spec = dict(
        service=dict(type="str", required=True, aliases=["service_name"]),
        cluster=dict(type="str", default="default"),
        domain_name=dict(type="str", required=True),
        certificate_arn=dict(type="str"),
        priority=dict(type="int"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    if module.params["priority"] is not None and not 1 <= module.params["priority"] <= 50000:
        module.fail_json(msg=f"priority must be 1-50000, got {module.params['priority']}")
    ecs = module.client("ecs", retry_decorator=AWSRetry.jittered_backoff())
    elbv2 = module.client("elbv2", retry_decorator=AWSRetry.jittered_backoff())
    run_module(module, lambda: converge(module, ecs, elbv2))


if __name__ == "__main__":
    main()
