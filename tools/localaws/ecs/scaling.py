"""CloudWatch metric alarms evaluated locally, and the step scaling policies they run.

An alarm on one metric (namespace, name, exact dimensions, a standard statistic) is
evaluated over its last ``EvaluationPeriods`` periods of data points: ALARM when at least
``DatapointsToAlarm`` of the periods that hold data breach the threshold, OK otherwise;
an alarm with no data point in that window keeps its state. Metric math alarms are left
alone. An alarm in ALARM runs, on every evaluation, each Application Auto Scaling step
scaling policy among its ``AlarmActions`` on an ECS service: the step whose interval holds
``value - threshold`` gives the new desired count (ExactCapacity, ChangeInCapacity or
PercentChangeInCapacity), within the scalable target's MinCapacity and MaxCapacity;
ChangeInCapacity and PercentChangeInCapacity wait out the policy's Cooldown. Above the
threshold a step's interval is [lower, upper), below it (lower, upper], as AWS documents.
"""

from __future__ import annotations

import json
import math
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from tools.localaws.ecs.constants import STATISTICS

DIMENSION = "ecs:service:DesiredCount"
_COMPARE = {
    "GreaterThanThreshold": lambda v, t: v > t,
    "GreaterThanOrEqualToThreshold": lambda v, t: v >= t,
    "LessThanThreshold": lambda v, t: v < t,
    "LessThanOrEqualToThreshold": lambda v, t: v <= t,
}
_last_action: dict[str, float] = {}


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _statistic(values: list[float], statistic: str) -> float:
    if statistic == "Sum":
        return sum(values)
    if statistic == "Minimum":
        return min(values)
    if statistic == "Maximum":
        return max(values)
    if statistic == "SampleCount":
        return float(len(values))
    return sum(values) / len(values)


def _period_values(cloudwatch: Any, alarm: Any, now: datetime) -> list[float]:
    """The alarm's statistic per period, newest first, for the periods that hold data."""
    from moto.cloudwatch.models import MetricDatum  # noqa: PLC0415

    period = timedelta(seconds=int(alarm.period or 60))
    start = now - period * int(alarm.evaluation_periods or 1)
    wanted = {(d.name, d.value) for d in alarm.dimensions}
    buckets: dict[int, list[float]] = {}
    for datum in list(cloudwatch.metric_data):
        if not isinstance(datum, MetricDatum):
            continue
        if datum.namespace != alarm.namespace or datum.name != alarm.metric_name:
            continue
        if {(d.name, d.value) for d in datum.dimensions} != wanted:
            continue
        moment = _aware(datum.timestamp)
        if start < moment <= now:
            buckets.setdefault(int((now - moment) / period), []).append(float(datum.value))
    return [_statistic(buckets[index], alarm.statistic) for index in sorted(buckets)]


def alarm_state(cloudwatch: Any, alarm: Any, now: datetime) -> tuple[str, float] | None:
    """(``ALARM`` or ``OK``, newest period's value), or None when there is nothing to evaluate."""
    if not alarm.metric_name or alarm.metric_data_queries or alarm.statistic not in STATISTICS:
        return None
    compare = _COMPARE.get(alarm.comparison_operator)
    if compare is None:
        return None
    values = _period_values(cloudwatch, alarm, now)
    if not values:
        return None
    needed = int(alarm.datapoints_to_alarm or alarm.evaluation_periods or 1)
    breaching = sum(1 for value in values if compare(value, float(alarm.threshold)))
    return ("ALARM" if breaching >= min(needed, len(values)) else "OK"), values[0]


def _step(config: dict[str, Any], difference: float, below: bool) -> int | None:
    """The step holding ``difference``: above the threshold an interval is [lower, upper),
    below it (lower, upper] (Application Auto Scaling's rule)."""
    for step in config.get("StepAdjustments") or []:
        lower = step.get("MetricIntervalLowerBound")
        upper = step.get("MetricIntervalUpperBound")
        low_ok = lower is None or (difference > float(lower) if below else difference >= float(lower))
        high_ok = upper is None or (difference <= float(upper) if below else difference < float(upper))
        if low_ok and high_ok:
            return int(step["ScalingAdjustment"])
    return None


def _new_count(config: dict[str, Any], current: int, adjustment: int) -> int:
    kind = config.get("AdjustmentType", "ChangeInCapacity")
    if kind == "ExactCapacity":
        return adjustment
    if kind == "PercentChangeInCapacity":
        change = current * adjustment / 100
        change = math.ceil(change) if change > 0 else math.floor(change)
        minimum = int(config.get("MinAdjustmentMagnitude") or 0)
        if minimum and 0 < abs(change) < minimum:
            change = minimum if change > 0 else -minimum
        return current + int(change)
    return current + adjustment


def _allowed(target: Any, config: dict[str, Any], policy: Any, current: int, wanted: int, clock: float) -> bool:  # noqa: PLR0917
    suspended = target.suspended_state or {}
    if wanted == current:
        return False
    if wanted > current and suspended.get("DynamicScalingOutSuspended"):
        return False
    if wanted < current and suspended.get("DynamicScalingInSuspended"):
        return False
    cooldown = float(config.get("Cooldown") or 0)
    return config.get("AdjustmentType") == "ExactCapacity" or clock - _last_action.get(policy.policy_arn, 0) >= cooldown


def run_policy(autoscaling: Any, ecs: Any, policy: Any, alarm: Any, *, value: float, clock: float) -> int | None:
    """Apply a step scaling policy; the new desired count, or None when nothing changed."""
    config = policy.step_scaling_policy_configuration or {}
    target = autoscaling.targets.get(DIMENSION, {}).get(policy.resource_id)
    _, cluster, name = policy.resource_id.split("/", 2)
    service = ecs.services.get(f"{cluster}:{name}")
    adjustment = _step(config, value - float(alarm.threshold), alarm.comparison_operator.startswith("Less"))
    if target is None or service is None or service.status != "ACTIVE" or adjustment is None:
        return None
    current = int(service.desired_count)
    wanted = _new_count(config, current, adjustment)
    wanted = max(int(target.min_capacity or 0), min(int(target.max_capacity or 0), wanted))
    if not _allowed(target, config, policy, current, wanted, clock):
        return None
    _last_action[policy.policy_arn] = clock
    service.desired_count = wanted
    service.events.insert(
        0,
        {
            "id": f"{policy.policy_name}-{int(clock * 1000)}",
            "createdAt": datetime.now(UTC),
            "message": f"(service {name}) desired count set to {wanted} (was {current}) by step scaling policy "
            f"{policy.policy_name}: alarm {alarm.name} at {value:g}",
        },
    )
    return wanted


def evaluate(account_id: str, region: str, now: datetime | None = None) -> None:
    """One pass over the region's metric alarms and the scaling policies they trigger."""
    from moto.applicationautoscaling.models import applicationautoscaling_backends  # noqa: PLC0415
    from moto.cloudwatch.models import cloudwatch_backends  # noqa: PLC0415
    from moto.ecs.models import ecs_backends  # noqa: PLC0415

    cloudwatch = cloudwatch_backends[account_id][region]
    if not cloudwatch.alarms:
        return
    autoscaling = applicationautoscaling_backends[account_id][region]
    ecs = ecs_backends[account_id][region]
    policies = {
        p.policy_arn: p
        for p in list(autoscaling.policies.values())
        if p.service_namespace == "ecs" and p.policy_type == "StepScaling"
    }
    moment = now or datetime.now(UTC)
    for alarm in list(cloudwatch.alarms.values()):
        outcome = alarm_state(cloudwatch, alarm, moment)
        if outcome is None:
            continue
        state, value = outcome
        if state != alarm.state_value:
            alarm.update_state(
                f"Threshold Crossed (local evaluation): {value:g} {alarm.comparison_operator} {alarm.threshold:g}",
                json.dumps({"version": "1.0", "recentDatapoints": [value], "threshold": alarm.threshold}),
                state,
            )
        if state == "ALARM" and alarm.actions_enabled:
            for action in alarm.alarm_actions or []:
                if action in policies:
                    run_policy(autoscaling, ecs, policies[action], alarm, value=value, clock=time.time())
