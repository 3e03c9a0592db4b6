"""invoice.platform.cloudwatch_metric_alarms against the local endpoint."""

from __future__ import annotations

from functools import partial

import boto3
import pytest

from tests.helpers import put_alarm
from tests.modules.helpers import module_task, run_tasks
from tools.localaws import client as calllog

pytestmark = pytest.mark.slow

MODULE = "invoice.platform.cloudwatch_metric_alarms"
PREFIX = "invoice-test-"
TOPIC = "arn:aws:sns:us-east-1:123456789012:invoice-test-alarms"


def alarm(name: str, **overrides: object) -> dict:
    params: dict = {
        "name": f"{PREFIX}{name}",
        "description": f"{name} too high",
        "namespace": "AWS/RDS",
        "metric_name": "CPUUtilization",
        "statistic": "Average",
        "comparison": "GreaterThanThreshold",
        "threshold": 80,
        "period": 300,
        "evaluation_periods": 3,
        "datapoints_to_alarm": 3,
        "dimensions": {"DBInstanceIdentifier": "invoice-test-db", "Role": "primary"},
        "treat_missing_data": "missing",
        "alarm_actions": [TOPIC],
        "ok_actions": [TOPIC],
    }
    params.update(overrides)
    return params


ALARMS = [
    alarm("db-cpu"),
    alarm("db-connections", metric_name="DatabaseConnections", statistic="Maximum", threshold=80.0),
    alarm(
        "api-latency-p99",
        namespace="AWS/AppRunner",
        metric_name="RequestLatency",
        statistic=None,
        extended_statistic="p99",
        threshold=500,
        dimensions={"ServiceName": "invoice-test-api"},
        treat_missing_data="notBreaching",
        description=None,
        datapoints_to_alarm=None,
        ok_actions=[],
    ),
]


task = partial(module_task, MODULE)


def existing_alarms() -> dict[str, dict]:
    cloudwatch = boto3.client("cloudwatch")
    return {a["AlarmName"]: a for a in cloudwatch.describe_alarms()["MetricAlarms"]}


def test_four_steps_then_a_no_op_is_one_read(localaws: str) -> None:
    params = {"alarms": ALARMS, "purge_prefix": PREFIX}
    calllog.reset_calls(localaws)
    run = run_tasks([task("check", params, check=True, diff=True)])
    assert run.result("check")["changed"] is True
    assert sorted(run.result("check")["created"]) == sorted(a["name"] for a in ALARMS)
    assert [c for c in calllog.calls(localaws) if c["mutating"]] == []
    assert existing_alarms() == {}
    plan = run.result("check")["diff"]["after"][f"{PREFIX}api-latency-p99"]
    assert plan["extended_statistic"] == "p99"
    assert plan["threshold"] == 500.0

    run = run_tasks([task("apply", params), task("check again", params, check=True)])
    assert run.result("apply")["changed"] is True
    assert run.result("check again")["changed"] is False
    assert run.result("check again")["created"] == []
    described = existing_alarms()
    assert sorted(described) == sorted(a["name"] for a in ALARMS)
    latency = described[f"{PREFIX}api-latency-p99"]
    assert latency["ExtendedStatistic"] == "p99"
    assert latency["TreatMissingData"] == "notBreaching"
    assert latency["OKActions"] == []
    states = {a["name"]: a for a in run.result("apply")["alarms"]}
    assert states[f"{PREFIX}db-cpu"]["arn"] == described[f"{PREFIX}db-cpu"]["AlarmArn"]

    # The same set with the dimensions in another order and the threshold as a string: no change.
    shuffled = [
        {**a, "dimensions": dict(reversed(list(a["dimensions"].items()))), "threshold": str(a["threshold"])}
        for a in ALARMS
    ]
    calllog.reset_calls(localaws)
    run = run_tasks([task("apply again", {"alarms": shuffled, "purge_prefix": PREFIX})])
    result = run.result("apply again")
    assert result["changed"] is False
    assert (result["created"], result["updated"], result["deleted"]) == ([], [], [])
    calls = calllog.calls(localaws)
    assert [c for c in calls if c["mutating"]] == []
    assert [c["operation"] for c in calls] == ["DescribeAlarms"]

    # Actions disabled by hand are enabled again, and only on that alarm.
    boto3.client("cloudwatch").disable_alarm_actions(AlarmNames=[f"{PREFIX}db-cpu"])
    run = run_tasks([task("re-enable", params, diff=True)])
    result = run.result("re-enable")
    assert (result["created"], result["updated"], result["deleted"]) == ([], [f"{PREFIX}db-cpu"], [])
    assert result["diff"]["after"] == {f"{PREFIX}db-cpu": {"actions_enabled": True}}
    assert existing_alarms()[f"{PREFIX}db-cpu"]["ActionsEnabled"] is True


def test_threshold_change_updates_only_that_alarm_and_purge_deletes_dropped(localaws: str) -> None:
    params = {"alarms": ALARMS, "purge_prefix": PREFIX}
    changed = [ALARMS[0], {**ALARMS[1], "threshold": 120}, ALARMS[2]]
    dropped = [ALARMS[0], ALARMS[2]]
    put_alarm("someone-elses-alarm")
    run = run_tasks(
        [
            task("apply", params),
            task("threshold check", {"alarms": changed, "purge_prefix": PREFIX}, check=True, diff=True),
            task("threshold", {"alarms": changed, "purge_prefix": PREFIX}, diff=True),
            task("threshold again", {"alarms": changed, "purge_prefix": PREFIX}),
            task("drop check", {"alarms": dropped, "purge_prefix": PREFIX}, check=True),
            task("drop", {"alarms": dropped, "purge_prefix": PREFIX}, diff=True),
            task("drop again", {"alarms": dropped, "purge_prefix": PREFIX}),
            task("delete", {"alarms": [{"name": ALARMS[0]["name"]}], "state": "absent"}),
            task("delete again", {"alarms": [{"name": ALARMS[0]["name"]}], "state": "absent"}),
            task("teardown check", {"purge_prefix": PREFIX, "state": "absent"}, check=True, diff=True),
        ]
    )
    name = ALARMS[1]["name"]
    for step in ("threshold check", "threshold"):
        result = run.result(step)
        assert result["changed"] is True
        assert (result["created"], result["updated"], result["deleted"]) == ([], [name], [])
        assert result["diff"] == {"before": {name: {"threshold": 80.0}}, "after": {name: {"threshold": 120.0}}}
    assert run.result("threshold again")["changed"] is False

    assert run.result("drop check")["deleted"] == [name]
    drop = run.result("drop")
    assert (drop["changed"], drop["deleted"]) == (True, [name])
    assert drop["diff"]["after"] == {}
    assert drop["diff"]["before"][name]["threshold"] == 120.0
    assert run.result("drop again")["changed"] is False
    assert run.result("delete")["deleted"] == [ALARMS[0]["name"]]
    assert run.result("delete again")["changed"] is False

    assert sorted(existing_alarms()) == sorted([ALARMS[2]["name"], "someone-elses-alarm"])

    # A teardown: every alarm under the prefix, whatever the list says; the others stay.
    plan = run.result("teardown check")
    assert (plan["changed"], plan["deleted"], list(plan["diff"]["before"])) == (
        True,
        [ALARMS[2]["name"]],
        [ALARMS[2]["name"]],
    )
    assert sorted(existing_alarms()) == sorted([ALARMS[2]["name"], "someone-elses-alarm"])
    gone = run_tasks(
        [
            task("teardown", {"purge_prefix": PREFIX, "state": "absent"}),
            task("teardown again", {"purge_prefix": PREFIX, "state": "absent"}),
        ]
    )
    assert gone.result("teardown")["deleted"] == [ALARMS[2]["name"]]
    assert gone.result("teardown again")["changed"] is False
    assert sorted(existing_alarms()) == ["someone-elses-alarm"]


@pytest.mark.parametrize(
    ("alarms", "purge_prefix", "message"),
    [
        ([alarm("a", extended_statistic="p99")], None, "alarms[0] (invoice-test-a): set exactly one of statistic"),
        ([alarm("a", statistic=None)], None, "alarms[0] (invoice-test-a): set exactly one of statistic"),
        ([alarm("a", comparison=">")], None, "alarms[0] (invoice-test-a): comparison must be one of"),
        ([alarm("a"), alarm("a")], None, "alarms[1] (invoice-test-a): duplicate alarm name"),
        ([alarm("a", period=45)], None, "alarms[0] (invoice-test-a): period must be 10, 30 or a multiple of 60"),
        ([alarm("a", namespace=None)], None, "alarms[0] (invoice-test-a): namespace is required"),
        ([alarm("a")], "", "purge_prefix must not be empty"),
    ],
)
def test_bad_options_fail_before_any_call(localaws: str, alarms: list, purge_prefix: str | None, message: str) -> None:
    params: dict = {"alarms": alarms}
    if purge_prefix is not None:
        params["purge_prefix"] = purge_prefix
    calllog.reset_calls(localaws)
    run = run_tasks([task("bad", params)], allow_failure=True)
    result = run.result("bad")
    assert result["failed"] is True
    assert message in result["msg"]
    assert calllog.calls(localaws) == []
