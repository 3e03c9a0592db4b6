"""invoice.platform.sns_alarm_topic (the alarm topic) against the local endpoint."""

from __future__ import annotations

from functools import partial

import boto3
import pytest

from tests.modules.helpers import module_task, run_tasks
from tools.localaws import client as calllog

pytestmark = pytest.mark.slow

MODULE = "invoice.platform.sns_alarm_topic"
ACCOUNT = "123456789012"
NAME = "invoice-test-alarms"
ARN = f"arn:aws:sns:us-east-1:{ACCOUNT}:{NAME}"


def topic(**overrides: object) -> dict:
    params: dict = {
        "name": NAME,
        "account_id": ACCOUNT,
        "display_name": "invoice-test alarms",
        "subscriptions": [{"protocol": "email", "endpoint": "ops@invoice.test"}],
        "tags": {"Name": NAME, "invoice:env": "test"},
    }
    params.update(overrides)
    return params


task = partial(module_task, MODULE)


def subscriptions() -> list[tuple[str, str]]:
    found = boto3.client("sns").list_subscriptions_by_topic(TopicArn=ARN)["Subscriptions"]
    return sorted((s["Protocol"], s["Endpoint"]) for s in found)


def test_four_steps_then_a_no_op_is_three_reads(localaws: str) -> None:
    calllog.reset_calls(localaws)
    run = run_tasks([task("check", topic(), check=True, diff=True)])
    plan = run.result("check")
    assert (plan["changed"], plan["sns_arn"]) == (True, ARN)
    assert plan["diff"]["after"]["subscriptions"] == ["email:ops@invoice.test"]
    assert [c for c in calllog.calls(localaws) if c["mutating"]] == []
    assert boto3.client("sns").list_topics()["Topics"] == []

    run = run_tasks([task("apply", topic()), task("check again", topic(), check=True)])
    assert (run.result("apply")["changed"], run.result("apply")["sns_arn"]) == (True, ARN)
    assert run.result("check again")["changed"] is False
    assert subscriptions() == [("email", "ops@invoice.test")]
    sns = boto3.client("sns")
    assert sns.get_topic_attributes(TopicArn=ARN)["Attributes"]["DisplayName"] == "invoice-test alarms"
    tags = {t["Key"]: t["Value"] for t in sns.list_tags_for_resource(ResourceArn=ARN)["Tags"]}
    assert tags == {"Name": NAME, "invoice:env": "test"}

    calllog.reset_calls(localaws)
    run = run_tasks([task("apply again", topic())])
    assert run.result("apply again")["changed"] is False
    calls = calllog.calls(localaws)
    assert [c for c in calls if c["mutating"]] == []
    assert sorted(c["operation"] for c in calls) == [
        "GetTopicAttributes",
        "ListSubscriptionsByTopic",
        "ListTagsForResource",
    ]


def test_subscriptions_tags_lookup_by_name_and_delete(localaws: str) -> None:
    other = [{"protocol": "email", "endpoint": "oncall@invoice.test"}]
    run = run_tasks(
        [
            task("apply", topic()),
            task("swap check", topic(subscriptions=other), check=True, diff=True),
            task("swap", topic(subscriptions=other, tags={"Name": NAME}), diff=True),
            task("swap again, found by name", topic(subscriptions=other, tags={"Name": NAME}, account_id=None)),
            task("delete check", {"name": NAME, "account_id": ACCOUNT, "state": "absent"}, check=True),
            task("delete", {"name": NAME, "state": "absent"}),
            task("delete again", {"name": NAME, "account_id": ACCOUNT, "state": "absent"}),
        ]
    )
    for step in ("swap check", "swap"):
        result = run.result(step)
        assert result["changed"] is True
        assert result["subscriptions_added"] == ["email:oncall@invoice.test"]
        assert result["subscriptions_deleted"] == ["email:ops@invoice.test"]
        assert result["diff"]["before"]["subscriptions"] == ["email:ops@invoice.test"]
        assert result["diff"]["after"]["subscriptions"] == ["email:oncall@invoice.test"]
    assert run.result("swap")["diff"]["after"]["tags"] == {"Name": NAME}
    again = run.result("swap again, found by name")
    assert (again["changed"], again["sns_arn"]) == (False, ARN)
    assert run.result("delete check")["changed"] is True
    assert (run.result("delete")["changed"], run.result("delete again")["changed"]) == (True, False)
    assert boto3.client("sns").list_topics()["Topics"] == []


def test_bad_name_fails_before_any_call(localaws: str) -> None:
    calllog.reset_calls(localaws)
    run = run_tasks([task("bad", topic(name="alarms.fifo"))], allow_failure=True)
    assert "standard SNS topic name" in run.result("bad")["msg"]
    assert "'alarms.fifo'" in run.result("bad")["msg"]
    assert calllog.calls(localaws) == []
