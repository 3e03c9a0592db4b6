#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ecs_service_scaling
short_description: Scale an ECS service's desired count with Application Auto Scaling step policies
version_added: 0.2.0
description:
  - Registers an ECS service as an Application Auto Scaling scalable target (C(ecs:service:DesiredCount))
    between O(min_size) and O(max_size) and converges its step scaling policies.
  - One C(DescribeScalableTargets) and one C(DescribeScalingPolicies) read the current state;
    C(RegisterScalableTarget) and C(PutScalingPolicy) are called only for what differs, and
    policies of the service not in O(policies) are deleted when O(purge_policies=true).
  - What this fixes over M(community.aws.application_autoscaling_policy) - that module calls
    C(RegisterScalableTarget) and C(PutScalingPolicy) in check mode too, has no diff, and
    converges one policy per task (two reads each).
  - Check mode makes no mutating call; diff mode shows the target's capacities and each changed policy.
author:
  - Invoice platform team (@invoice-platform)
options:
  cluster:
    description: Name of the ECS cluster.
    type: str
    required: true
  service:
    description: Name of the ECS service.
    type: str
    required: true
  min_size:
    description: Lowest desired count (0 allowed). Required with O(state=present).
    type: int
  max_size:
    description: Highest desired count. Required with O(state=present).
    type: int
  policies:
    description:
      - The step scaling policies, by name. Each one's ARN is returned, for the CloudWatch alarms
        that trigger it (the C(alarm_actions) of M(invoice.platform.cloudwatch_metric_alarms)).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Name of the policy.
        type: str
        required: true
      adjustment_type:
        description: How O(policies[].steps[].adjustment) is applied.
        type: str
        choices: [ExactCapacity, ChangeInCapacity, PercentChangeInCapacity]
        default: ChangeInCapacity
      cooldown:
        description: Seconds after a scaling activity before the next one (ChangeInCapacity, PercentChangeInCapacity).
        type: int
        default: 60
      metric_aggregation_type:
        description: How the alarm's data points are aggregated.
        type: str
        choices: [Average, Minimum, Maximum]
        default: Average
      steps:
        description:
          - Intervals of C(metric value - alarm threshold) and the adjustment for each. Bounds may be
            left out for minus or plus infinity; intervals must not overlap.
        type: list
        elements: dict
        required: true
        suboptions:
          lower:
            description: Lower bound of the interval (inclusive above the threshold).
            type: float
          upper:
            description: Upper bound of the interval (exclusive above the threshold).
            type: float
          adjustment:
            description: The scaling adjustment.
            type: int
            required: true
  purge_policies:
    description: Delete the service's step and target tracking policies that are not in O(policies).
    type: bool
    default: true
  state:
    description:
      - V(present) registers the target and converges the policies.
      - V(absent) deregisters the target (its policies go with it).
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Scale the worker between 0 and 4 tasks on the queue depth
  invoice.platform.ecs_service_scaling:
    cluster: invoice-prod
    service: invoice-prod-worker
    min_size: 0
    max_size: 4
    policies:
      - name: invoice-prod-worker-out
        adjustment_type: ExactCapacity
        metric_aggregation_type: Maximum
        steps:
          - {lower: 0, upper: 10, adjustment: 1}
          - {lower: 10, adjustment: 2}
      - name: invoice-prod-worker-in
        adjustment_type: ExactCapacity
        metric_aggregation_type: Maximum
        steps:
          - {upper: 0, adjustment: 0}
  register: scaling

- name: The scale-out policy's ARN, for its alarm
  ansible.builtin.debug:
    msg: "{{ scaling.policy_arns['invoice-prod-worker-out'] }}"
"""

RETURN = r"""
resource_id:
  description: The scalable target's resource id.
  returned: always
  type: str
  sample: service/invoice-prod/invoice-prod-worker
scalable_target:
  description: The target after the run (empty when absent, or when check mode would create it).
  returned: always
  type: dict
  contains:
    min_capacity:
      description: Lowest desired count.
      type: int
    max_capacity:
      description: Highest desired count.
      type: int
policy_arns:
  description: Policy name to ARN (empty for a policy check mode would create).
  returned: always
  type: dict
  sample: {"invoice-prod-worker-out": "arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:..."}
policies_deleted:
  description: Names of the policies deleted (or that check mode would delete).
  returned: always
  type: list
  elements: str
"""

import itertools

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.invoice.platform.plugins.module_utils._options import dict_list

NAMESPACE = "ecs"
ADJUSTMENT_TYPES = ["ExactCapacity", "ChangeInCapacity", "PercentChangeInCapacity"]
DIMENSION = "ecs:service:DesiredCount"


def _number(value):
    return None if value is None else float(value)


def wanted_configuration(policy):
    """The StepScalingPolicyConfiguration of a policy option (AWS's shape, AWS's defaults)."""
    steps = []
    for step in policy["steps"]:
        entry = {"ScalingAdjustment": int(step["adjustment"])}
        if step.get("lower") is not None:
            entry["MetricIntervalLowerBound"] = float(step["lower"])
        if step.get("upper") is not None:
            entry["MetricIntervalUpperBound"] = float(step["upper"])
        steps.append(entry)
    return {
        "AdjustmentType": policy["adjustment_type"],
        "Cooldown": int(policy["cooldown"]),
        "MetricAggregationType": policy["metric_aggregation_type"],
        "StepAdjustments": steps,
    }


def comparable(configuration):
    """A configuration as compared: bounds as floats, steps in order of their lower bound."""
    if not configuration:
        return None
    steps = [
        {
            "ScalingAdjustment": int(s["ScalingAdjustment"]),
            "MetricIntervalLowerBound": _number(s.get("MetricIntervalLowerBound")),
            "MetricIntervalUpperBound": _number(s.get("MetricIntervalUpperBound")),
        }
        for s in configuration.get("StepAdjustments") or []
    ]
    steps.sort(key=lambda s: float("-inf") if s["MetricIntervalLowerBound"] is None else s["MetricIntervalLowerBound"])
    return {
        "AdjustmentType": configuration.get("AdjustmentType"),
        "Cooldown": int(configuration.get("Cooldown") or 0),
        "MetricAggregationType": configuration.get("MetricAggregationType") or "Average",
        "StepAdjustments": steps,
    }


def check_steps(module):
    for policy in module.params["policies"]:
        intervals = sorted(
            (
                float("-inf") if s.get("lower") is None else float(s["lower"]),
                float("inf") if s.get("upper") is None else float(s["upper"]),
            )
            for s in policy["steps"]
        )
        if not intervals:
            module.fail_json(msg=f"policies[{policy['name']}].steps must not be empty")
        for low, high in intervals:
            if low >= high:
                module.fail_json(msg=f"policies[{policy['name']}].steps: lower {low} is not below upper {high}")
        for (_, high), (low, _) in itertools.pairwise(intervals):
            if low < high:
                module.fail_json(msg=f"policies[{policy['name']}].steps overlap: {low} is below {high}")
    names = [p["name"] for p in module.params["policies"]]
    if len(set(names)) != len(names):
        module.fail_json(msg="policies: names must be unique")


def read_target(module, client, resource_id):
    try:
        targets = client.describe_scalable_targets(
            aws_retry=True, ServiceNamespace=NAMESPACE, ResourceIds=[resource_id], ScalableDimension=DIMENSION
        )["ScalableTargets"]
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg=f"Failed to read the scalable target {resource_id}")
    return targets[0] if targets else None


def read_policies(module, client, resource_id):
    try:
        paginator = client.get_paginator("describe_scaling_policies")
        pages = paginator.paginate(
            ServiceNamespace=NAMESPACE, ResourceId=resource_id, ScalableDimension=DIMENSION
        ).build_full_result()
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg=f"Failed to read the scaling policies of {resource_id}")
    return {p["PolicyName"]: p for p in pages.get("ScalingPolicies", []) if p.get("ResourceId") == resource_id}


def ensure_target(module, client, resource_id, target, diff):
    wanted = {"min_capacity": module.params["min_size"], "max_capacity": module.params["max_size"]}
    current = {"min_capacity": target["MinCapacity"], "max_capacity": target["MaxCapacity"]} if target else None
    if current == wanted:
        return False
    diff["before"]["scalable_target"], diff["after"]["scalable_target"] = current or {}, wanted
    if module.check_mode:
        return True
    try:
        client.register_scalable_target(
            aws_retry=True,
            ServiceNamespace=NAMESPACE,
            ResourceId=resource_id,
            ScalableDimension=DIMENSION,
            MinCapacity=wanted["min_capacity"],
            MaxCapacity=wanted["max_capacity"],
        )
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg=f"Failed to register the scalable target {resource_id}")
    return True


def ensure_policy(module, client, resource_id, policy, *, current, arns, diff):
    wanted = wanted_configuration(policy)
    existing = current.get(policy["name"])
    if existing and existing.get("PolicyType") == "StepScaling":
        arns[policy["name"]] = existing["PolicyARN"]
        if comparable(existing.get("StepScalingPolicyConfiguration")) == comparable(wanted):
            return False
    diff["before"]["policies"][policy["name"]] = (
        comparable(existing.get("StepScalingPolicyConfiguration")) if existing else {}
    )
    diff["after"]["policies"][policy["name"]] = comparable(wanted)
    if module.check_mode:
        arns.setdefault(policy["name"], "")
        return True
    try:
        arns[policy["name"]] = client.put_scaling_policy(
            aws_retry=True,
            PolicyName=policy["name"],
            ServiceNamespace=NAMESPACE,
            ResourceId=resource_id,
            ScalableDimension=DIMENSION,
            PolicyType="StepScaling",
            StepScalingPolicyConfiguration=wanted,
        )["PolicyARN"]
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg=f"Failed to put the scaling policy {policy['name']}")
    return True


def purge_policies(module, client, resource_id, current, *, deleted, diff):
    if not module.params["purge_policies"]:
        return False
    wanted = {p["name"] for p in module.params["policies"]}
    for name in sorted(set(current) - wanted):
        deleted.append(name)
        diff["before"]["policies"][name] = {"PolicyType": current[name]["PolicyType"]}
        diff["after"]["policies"][name] = {}
        if module.check_mode:
            continue
        try:
            client.delete_scaling_policy(
                aws_retry=True,
                PolicyName=name,
                ServiceNamespace=NAMESPACE,
                ResourceId=resource_id,
                ScalableDimension=DIMENSION,
            )
        except (BotoCoreError, ClientError) as e:
            module.fail_json_aws(e, msg=f"Failed to delete the scaling policy {name}")
    return bool(deleted)


def ensure_absent(module, client, resource_id, target, diff):
    if target is None:
        return False
    diff["before"]["scalable_target"] = {"min_capacity": target["MinCapacity"], "max_capacity": target["MaxCapacity"]}
    diff["after"]["scalable_target"] = {}
    if module.check_mode:
        return True
    try:
        client.deregister_scalable_target(
            aws_retry=True, ServiceNamespace=NAMESPACE, ResourceId=resource_id, ScalableDimension=DIMENSION
        )
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg=f"Failed to deregister the scalable target {resource_id}")
    return True


def main():
    step = dict(lower=dict(type="float"), upper=dict(type="float"), adjustment=dict(type="int", required=True))
    policy = dict(
        name=dict(type="str", required=True),
        adjustment_type=dict(type="str", default="ChangeInCapacity", choices=ADJUSTMENT_TYPES),
        cooldown=dict(type="int", default=60),
        metric_aggregation_type=dict(type="str", default="Average", choices=["Average", "Minimum", "Maximum"]),
        steps=dict(type="list", elements="dict", required=True, options=step),
    )
    argument_spec = dict(
        cluster=dict(type="str", required=True),
        service=dict(type="str", required=True),
        min_size=dict(type="int"),
        max_size=dict(type="int"),
        policies=dict_list(**policy),
        purge_policies=dict(type="bool", default=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        required_if=[("state", "present", ["min_size", "max_size"])],
        supports_check_mode=True,
    )
    if module.params["state"] == "present":
        if not 0 <= module.params["min_size"] <= module.params["max_size"]:
            module.fail_json(msg="min_size must be >= 0 and at most max_size")
        check_steps(module)
    client = module.client("application-autoscaling", retry_decorator=AWSRetry.jittered_backoff())
    resource_id = f"service/{module.params['cluster']}/{module.params['service']}"
    diff = {"before": {"policies": {}}, "after": {"policies": {}}}
    target = read_target(module, client, resource_id)
    changed, arns, deleted = False, {}, []
    if module.params["state"] == "absent":
        changed = ensure_absent(module, client, resource_id, target, diff)
        module.exit_json(
            changed=changed, resource_id=resource_id, scalable_target={}, policy_arns={}, policies_deleted=[], diff=diff
        )
    current = read_policies(module, client, resource_id) if target else {}
    changed |= ensure_target(module, client, resource_id, target, diff)
    for wanted in module.params["policies"]:
        changed |= ensure_policy(module, client, resource_id, wanted, current=current, arns=arns, diff=diff)
    changed |= purge_policies(module, client, resource_id, current, deleted=deleted, diff=diff)
    after = target if (not changed or module.check_mode) else read_target(module, client, resource_id)
    module.exit_json(
        changed=changed,
        resource_id=resource_id,
        scalable_target={"min_capacity": after["MinCapacity"], "max_capacity": after["MaxCapacity"]} if after else {},
        policy_arns=arns,
        policies_deleted=deleted,
        diff=diff,
    )


if __name__ == "__main__":
    main()
