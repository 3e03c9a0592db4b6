"""Set-up helpers the test packages share (the playbook runner is tests/playbooks/helpers.py)."""

from __future__ import annotations

from typing import Any

import boto3

# A metric alarm as someone else might have put it: the fields a test does not care about.
ALARM_DEFAULTS: dict[str, Any] = {
    "Namespace": "AWS/RDS",
    "MetricName": "CPUUtilization",
    "Statistic": "Average",
    "ComparisonOperator": "GreaterThanThreshold",
    "Threshold": 1.0,
    "Period": 60,
    "EvaluationPeriods": 1,
}


def put_alarm(name: str, **fields: Any) -> None:
    """Put the metric alarm ``name`` directly (not through a module): ALARM_DEFAULTS with ``fields`` over them."""
    boto3.client("cloudwatch").put_metric_alarm(**{**ALARM_DEFAULTS, "AlarmName": name, **fields})
