#!/usr/bin/python
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: cloudwatch_metric_alarms
short_description: Converge a set of CloudWatch metric alarms with one read
version_added: 0.2.0
description:
  - Creates, updates and deletes a set of CloudWatch metric alarms (single-metric alarms on a
    statistic or an extended statistic such as C(p99)).
  - The whole set is read with one C(DescribeAlarms) call (by alarm names, 100 per call, or by
    O(purge_prefix)); C(PutMetricAlarm) is called only for alarms that differ from the wanted
    settings and C(DeleteAlarms) only for alarms that have to go.
  - What this fixes over M(amazon.aws.cloudwatch_metric_alarm) in a loop, which reads every
    alarm twice (two C(DescribeAlarms) per alarm and run) - one read for the whole set instead
    of two per alarm; and with O(purge_prefix), alarms dropped from the configuration are
    deleted instead of being left behind.
  - The comparison is normalised - thresholds as floats, dimensions in any order, action lists
    as sets, and unset optional fields compared with the AWS defaults (no description is an
    empty description, O(alarms[].treat_missing_data) defaults to C(missing),
    O(alarms[].datapoints_to_alarm) to O(alarms[].evaluation_periods), no actions to no actions).
  - All fields of an alarm are managed - a field left unset is set to its AWS default, and
    actions are always enabled (an alarm whose actions were disabled by hand is re-enabled).
  - Check mode makes no mutating call; diff mode shows the changed fields of each alarm.
author:
  - Invoice platform team (@invoice-platform)
options:
  alarms:
    description:
      - The alarms. Names must be unique.
      - With O(state=absent) only O(alarms[].name) is used.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Name of the alarm.
        type: str
        required: true
      description:
        description: Description of the alarm (empty when unset).
        type: str
      namespace:
        description: Namespace of the metric, for example C(AWS/RDS). Required with O(state=present).
        type: str
      metric_name:
        description: Name of the metric. Required with O(state=present).
        type: str
      statistic:
        description:
          - Statistic of the metric - one of C(SampleCount), C(Average), C(Sum), C(Minimum), C(Maximum).
          - Exactly one of O(alarms[].statistic) and O(alarms[].extended_statistic) is required
            with O(state=present).
        type: str
      extended_statistic:
        description: Percentile statistic of the metric, for example C(p99) or C(p99.9).
        type: str
      comparison:
        description:
          - How the statistic is compared with O(alarms[].threshold) - one of
            C(GreaterThanOrEqualToThreshold), C(GreaterThanThreshold), C(LessThanThreshold),
            C(LessThanOrEqualToThreshold). Required with O(state=present).
        type: str
      threshold:
        description: Value the statistic is compared with. Required with O(state=present).
        type: float
      period:
        description:
          - Length of one datapoint in seconds (10, 30 or a multiple of 60). Required with O(state=present).
        type: int
      evaluation_periods:
        description: Number of most recent periods evaluated. Required with O(state=present).
        type: int
      datapoints_to_alarm:
        description:
          - Number of breaching datapoints among O(alarms[].evaluation_periods) that trigger the
            alarm. Defaults to O(alarms[].evaluation_periods).
        type: int
      dimensions:
        description: Dimensions of the metric, name to value (order does not matter).
        type: dict
        default: {}
      treat_missing_data:
        description:
          - How missing datapoints count - one of C(breaching), C(notBreaching), C(ignore),
            C(missing). Defaults to C(missing).
        type: str
      unit:
        description: Unit of the metric, for example C(Seconds) or C(Percent). Not set when unset.
        type: str
      alarm_actions:
        description: ARNs notified when the alarm enters the C(ALARM) state.
        type: list
        elements: str
        default: []
      ok_actions:
        description: ARNs notified when the alarm enters the C(OK) state.
        type: list
        elements: str
        default: []
      insufficient_data_actions:
        description: ARNs notified when the alarm enters the C(INSUFFICIENT_DATA) state.
        type: list
        elements: str
        default: []
  purge_prefix:
    description:
      - Alarms whose name starts with this prefix and that are not in O(alarms) are deleted.
      - The set is then read with C(AlarmNamePrefix) instead of by names (alarms in O(alarms)
        outside the prefix are read by name in addition).
      - With O(state=absent), every alarm whose name starts with this prefix is deleted too (a teardown).
    type: str
  state:
    description:
      - V(present) creates or updates the alarms in O(alarms) (and prunes with O(purge_prefix)).
      - V(absent) deletes the alarms named in O(alarms) and those under O(purge_prefix).
    type: str
    choices: [present, absent]
    default: present
notes:
  - Metric-math alarms (C(Metrics)) and composite alarms are not managed; an existing
    metric-math alarm with a name in O(alarms) is replaced by a single-metric alarm.
  - Alarm tags are not managed.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Ensure the database alarms exist, and delete other alarms named shop-prod-*
  invoice.platform.cloudwatch_metric_alarms:
    purge_prefix: shop-prod-
    alarms:
      - name: shop-prod-db-cpu
        description: Database CPU above 80 %
        namespace: AWS/RDS
        metric_name: CPUUtilization
        statistic: Average
        comparison: GreaterThanThreshold
        threshold: 80
        period: 300
        evaluation_periods: 3
        dimensions:
          DBInstanceIdentifier: shop-prod-db
        alarm_actions: ["arn:aws:sns:us-east-1:123456789012:shop-prod-alarms"]
        ok_actions: ["arn:aws:sns:us-east-1:123456789012:shop-prod-alarms"]
      - name: shop-prod-api-latency-p99
        namespace: AWS/AppRunner
        metric_name: RequestLatency
        extended_statistic: p99
        comparison: GreaterThanThreshold
        threshold: 500
        period: 300
        evaluation_periods: 3
        treat_missing_data: notBreaching
        dimensions:
          ServiceName: shop-prod-api

- name: Delete two alarms
  invoice.platform.cloudwatch_metric_alarms:
    state: absent
    alarms:
      - name: shop-prod-db-cpu
      - name: shop-prod-api-latency-p99
"""

RETURN = r"""
alarms:
  description: The alarms in O(alarms) after the run (with O(state=absent) those that were deleted, state C(deleted)).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the alarm.
      type: str
      sample: shop-prod-db-cpu
    arn:
      description: ARN of the alarm (empty for an alarm check mode would create).
      type: str
      sample: arn:aws:cloudwatch:us-east-1:123456789012:alarm:shop-prod-db-cpu
    state:
      description:
        - State of the alarm (C(OK), C(ALARM), C(INSUFFICIENT_DATA)); C(INSUFFICIENT_DATA) for an
          alarm just created; C(absent) for an alarm check mode would create; C(deleted) for a
          deleted one.
      type: str
      sample: INSUFFICIENT_DATA
created:
  description: Names of the alarms created (or that check mode would create).
  returned: always
  type: list
  elements: str
  sample: [shop-prod-db-cpu]
updated:
  description: Names of the alarms updated (or that check mode would update).
  returned: always
  type: list
  elements: str
  sample: []
deleted:
  description: Names of the alarms deleted (or that check mode would delete).
  returned: always
  type: list
  elements: str
  sample: [shop-prod-db-old]
"""

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
COMPARISONS = (
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
)
TREAT_MISSING = ("breaching", "notBreaching", "ignore", "missing")
UNITS = (
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
)
REQUIRED_PRESENT = ("namespace", "metric_name", "comparison", "threshold", "period", "evaluation_periods")
# AlarmNames accepts at most 100 names per DescribeAlarms / DeleteAlarms call.
BATCH = 100

# Fields compared and shown in the diff: option name -> PutMetricAlarm / DescribeAlarms key.
FIELDS = (
    ("description", "AlarmDescription"),
    ("namespace", "Namespace"),
    ("metric_name", "MetricName"),
    ("statistic", "Statistic"),
    ("extended_statistic", "ExtendedStatistic"),
    ("comparison", "ComparisonOperator"),
    ("threshold", "Threshold"),
    ("period", "Period"),
    ("evaluation_periods", "EvaluationPeriods"),
    ("datapoints_to_alarm", "DatapointsToAlarm"),
    ("dimensions", "Dimensions"),
    ("treat_missing_data", "TreatMissingData"),
    ("unit", "Unit"),
    ("alarm_actions", "AlarmActions"),
    ("ok_actions", "OKActions"),
    ("insufficient_data_actions", "InsufficientDataActions"),
    # Not an option: actions are always enabled (someone who disabled them by hand is overruled).
    ("actions_enabled", "ActionsEnabled"),
)
ACTION_FIELDS = ("alarm_actions", "ok_actions", "insufficient_data_actions")


def validate(alarms, state):
    """Every problem with the options, each naming the alarm and the field (no AWS call)."""
    problems = []
    seen = set()
    for index, alarm in enumerate(alarms):
        name = alarm.get("name") or ""
        label = f"alarms[{index}] ({name})" if name else f"alarms[{index}]"
        if not name.strip():
            problems.append(f"{label}: name must not be empty")
        elif name in seen:
            problems.append(f"{label}: duplicate alarm name {name!r}")
        seen.add(name)
        if state == "absent":
            continue
        for field in REQUIRED_PRESENT:
            if alarm.get(field) is None:
                problems.append(f"{label}: {field} is required")
        if (alarm.get("statistic") is None) == (alarm.get("extended_statistic") is None):
            problems.append(f"{label}: set exactly one of statistic and extended_statistic")
        problems.extend(f"{label}: {problem}" for problem in value_problems(alarm))
    return problems


def value_problems(alarm):
    """Problems with the values of one alarm's fields (each message names the field)."""
    problems = []
    checks = (
        ("statistic", STATISTICS),
        ("comparison", COMPARISONS),
        ("treat_missing_data", TREAT_MISSING),
        ("unit", UNITS),
    )
    for field, allowed in checks:
        value = alarm.get(field)
        if value is not None and value not in allowed:
            problems.append(f"{field} must be one of {', '.join(allowed)}, got {value!r}")
    for field in ("period", "evaluation_periods", "datapoints_to_alarm"):
        value = alarm.get(field)
        if value is not None and value < 1:
            problems.append(f"{field} must be a positive number, got {value}")
    period = alarm.get("period")
    if period is not None and period >= 1 and period not in (10, 30) and period % 60:
        problems.append(f"period must be 10, 30 or a multiple of 60, got {period}")
    datapoints, evaluations = alarm.get("datapoints_to_alarm"), alarm.get("evaluation_periods")
    if datapoints is not None and evaluations is not None and datapoints > evaluations:
        problems.append(f"datapoints_to_alarm ({datapoints}) must not exceed evaluation_periods ({evaluations})")
    return problems


def wanted_settings(alarm):
    """The alarm's option values, normalised the way compare() sees them."""
    evaluations = alarm["evaluation_periods"]
    return {
        "description": alarm.get("description") or "",
        "namespace": alarm["namespace"],
        "metric_name": alarm["metric_name"],
        "statistic": alarm.get("statistic"),
        "extended_statistic": alarm.get("extended_statistic"),
        "comparison": alarm["comparison"],
        "threshold": float(alarm["threshold"]),
        "period": int(alarm["period"]),
        "evaluation_periods": int(evaluations),
        "datapoints_to_alarm": int(alarm.get("datapoints_to_alarm") or evaluations),
        "dimensions": {str(k): str(v) for k, v in sorted((alarm.get("dimensions") or {}).items())},
        "treat_missing_data": alarm.get("treat_missing_data") or "missing",
        "unit": alarm.get("unit"),
        "alarm_actions": sorted(set(alarm.get("alarm_actions") or [])),
        "ok_actions": sorted(set(alarm.get("ok_actions") or [])),
        "insufficient_data_actions": sorted(set(alarm.get("insufficient_data_actions") or [])),
        "actions_enabled": True,
    }


def current_settings(described):
    """A DescribeAlarms entry in the shape of wanted_settings() (AWS defaults filled in)."""
    evaluations = described.get("EvaluationPeriods")
    dims = described.get("Dimensions") or []
    return {
        "description": described.get("AlarmDescription") or "",
        "namespace": described.get("Namespace"),
        "metric_name": described.get("MetricName"),
        "statistic": described.get("Statistic"),
        "extended_statistic": described.get("ExtendedStatistic"),
        "comparison": described.get("ComparisonOperator"),
        "threshold": float(described["Threshold"]) if described.get("Threshold") is not None else None,
        "period": described.get("Period"),
        "evaluation_periods": evaluations,
        "datapoints_to_alarm": described.get("DatapointsToAlarm") or evaluations,
        "dimensions": {d["Name"]: d["Value"] for d in sorted(dims, key=lambda d: d["Name"])},
        "treat_missing_data": described.get("TreatMissingData") or "missing",
        "unit": described.get("Unit"),
        "alarm_actions": sorted(set(described.get("AlarmActions") or [])),
        "ok_actions": sorted(set(described.get("OKActions") or [])),
        "insufficient_data_actions": sorted(set(described.get("InsufficientDataActions") or [])),
        "actions_enabled": described.get("ActionsEnabled", True),
    }


def changed_fields(wanted, current):
    """Names of the fields whose normalised values differ."""
    return [field for field, _key in FIELDS if wanted[field] != current[field]]


def put_params(name, wanted):
    """PutMetricAlarm parameters for the wanted settings."""
    params = {"AlarmName": name}
    for field, key in FIELDS:
        value = wanted[field]
        if field == "dimensions":
            value = [{"Name": k, "Value": v} for k, v in value.items()]
        if value is None:
            continue
        params[key] = value
    return params


@AWSRetry.jittered_backoff()
def describe_alarms(client, **params):
    paginator = client.get_paginator("describe_alarms")
    return paginator.paginate(AlarmTypes=["MetricAlarm"], **params).build_full_result()["MetricAlarms"]


def read_alarms(module, client, names, prefix):
    """The existing metric alarms named in ``names`` or under ``prefix``, by name."""
    found = []
    try:
        if prefix:
            found.extend(describe_alarms(client, AlarmNamePrefix=prefix))
            names = [n for n in names if not n.startswith(prefix)]
        for start in range(0, len(names), BATCH):
            found.extend(describe_alarms(client, AlarmNames=names[start : start + BATCH]))
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg="Failed to describe the CloudWatch alarms")
    return {alarm["AlarmName"]: alarm for alarm in found}


def delete_alarms(module, client, names):
    for start in range(0, len(names), BATCH):
        batch = names[start : start + BATCH]
        try:
            client.delete_alarms(aws_retry=True, AlarmNames=batch)
        except (BotoCoreError, ClientError) as e:
            module.fail_json_aws(e, msg=f"Failed to delete the CloudWatch alarms {', '.join(batch)}")


def ensure_alarm(module, client, name, wanted, existing, *, diff):
    """Create or update one alarm; returns 'created', 'updated' or None (no difference)."""
    if existing is None:
        action, fields = "created", [field for field, _key in FIELDS if wanted[field] not in (None, "", [], {})]
        before = None
    else:
        current = current_settings(existing)
        fields = changed_fields(wanted, current)
        if not fields:
            return None
        action = "updated"
        before = {field: current[field] for field in fields}
    diff["after"][name] = {field: wanted[field] for field in fields}
    if before is not None:
        diff["before"][name] = before
    if module.check_mode:
        return action
    try:
        client.put_metric_alarm(aws_retry=True, **put_params(name, wanted))
    except (BotoCoreError, ClientError) as e:
        module.fail_json_aws(e, msg=f"Failed to put the CloudWatch alarm {name}")
    return action


def summary(name, alarm):
    if alarm is None:
        return {"name": name, "arn": "", "state": "absent"}
    return {"name": name, "arn": alarm.get("AlarmArn", ""), "state": alarm.get("StateValue", "")}


def converge_present(module, client, alarms, prefix):
    names = [alarm["name"] for alarm in alarms]
    existing = read_alarms(module, client, names, prefix)
    diff = {"before": {}, "after": {}}
    result = {"created": [], "updated": [], "deleted": []}
    for alarm in alarms:
        name = alarm["name"]
        action = ensure_alarm(module, client, name, wanted_settings(alarm), existing.get(name), diff=diff)
        if action:
            result[action].append(name)
    if prefix:
        listed = set(names)
        stale = sorted(n for n in existing if n.startswith(prefix) and n not in listed)
        for name in stale:
            diff["before"][name] = current_settings(existing[name])
        if stale and not module.check_mode:
            delete_alarms(module, client, stale)
        result["deleted"] = stale
    if not module.check_mode and (result["created"] or result["updated"]):
        # Read back only what was written, for the ARNs and states (one more call, only on change).
        existing.update(read_alarms(module, client, result["created"] + result["updated"], None))
    out = []
    for name in names:
        alarm = existing.get(name)
        if alarm is None and name in result["created"] and not module.check_mode:
            alarm = {"StateValue": "INSUFFICIENT_DATA"}
        out.append(summary(name, alarm))
    return result, out, diff


def converge_absent(module, client, alarms, prefix):
    names = [alarm["name"] for alarm in alarms]
    existing = read_alarms(module, client, names, prefix)
    doomed = sorted(existing) if prefix else [name for name in names if name in existing]
    diff = {"before": {name: current_settings(existing[name]) for name in doomed}, "after": {}}
    if doomed and not module.check_mode:
        delete_alarms(module, client, doomed)
    out = [{"name": name, "arn": existing[name].get("AlarmArn", ""), "state": "deleted"} for name in doomed]
    return {"created": [], "updated": [], "deleted": doomed}, out, diff


def main():
    alarm_spec = dict(
        name=dict(type="str", required=True),
        description=dict(type="str"),
        namespace=dict(type="str"),
        metric_name=dict(type="str"),
        statistic=dict(type="str"),
        extended_statistic=dict(type="str"),
        comparison=dict(type="str"),
        threshold=dict(type="float"),
        period=dict(type="int"),
        evaluation_periods=dict(type="int"),
        datapoints_to_alarm=dict(type="int"),
        dimensions=dict(type="dict", default={}),
        treat_missing_data=dict(type="str"),
        unit=dict(type="str"),
        alarm_actions=dict(type="list", elements="str", default=[]),
        ok_actions=dict(type="list", elements="str", default=[]),
        insufficient_data_actions=dict(type="list", elements="str", default=[]),
    )
    argument_spec = dict(
        alarms=dict(type="list", elements="dict", options=alarm_spec, default=[]),
        purge_prefix=dict(type="str"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)

    alarms = module.params["alarms"]
    state = module.params["state"]
    prefix = module.params["purge_prefix"]
    problems = validate(alarms, state)
    if prefix is not None and not prefix.strip():
        problems.append("purge_prefix must not be empty (it would delete every alarm in the region)")
    if problems:
        module.fail_json(msg="Invalid alarm options: " + "; ".join(problems), problems=problems)

    client = module.client("cloudwatch", retry_decorator=AWSRetry.jittered_backoff())
    if state == "present":
        result, out, diff = converge_present(module, client, alarms, prefix)
    else:
        result, out, diff = converge_absent(module, client, alarms, prefix)
    changed = bool(result["created"] or result["updated"] or result["deleted"])
    exit_args = dict(changed=changed, alarms=out, **result)
    if module._diff:
        exit_args["diff"] = diff
    module.exit_json(**exit_args)


if __name__ == "__main__":
    main()
