"""The monitoring tier: alarms for what exists, the rest skipped with a message and added later."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from typing import Any

import boto3
import pytest

from tests.helpers import put_alarm
from tests.playbooks.helpers import PREFLIGHT_OPS, ROOT, assert_fails_in_preflight, run_clean
from tools.localaws.client import calls

pytestmark = pytest.mark.slow

PLAYBOOK = "playbooks/monitoring.yml"
RDS_ALARMS = {f"invoice-local-db-{n}" for n in ("cpu", "free-storage", "connections", "freeable-memory")}
LATER_ALARMS = {f"invoice-local-api-{n}" for n in ("5xx", "latency-p99", "instances-at-max")} | {
    "invoice-local-web-5xx-rate"
}


def reads(url: str) -> Counter[str]:
    """The tier's read calls since the last reset (the preflight role's identity check left out)."""
    return Counter(
        f"{c['service']}.{c['operation']}"
        for c in calls(url)
        if not c["mutating"] and c["operation"] not in PREFLIGHT_OPS
    )


# What a no-op run reads for the topic, its subscription, the alarms and one log group.
NO_OP_READS = {
    "sns.GetTopicAttributes": 1,
    "sns.ListSubscriptionsByTopic": 1,
    "sns.ListTagsForResource": 1,
    "cloudwatch.DescribeAlarms": 1,
    "logs.DescribeLogGroups": 2,
    "logs.ListTagsLogGroup": 1,
}
# Run alone, the tier also looks up the service and the distribution.
LOOKUP_READS = {
    "apprunner.ListServices": 1,
    "apprunner.DescribeService": 1,
    "apprunner.ListTagsForResource": 1,
    "cloudfront.ListDistributions": 1,
}


def alarms() -> dict[str, dict[str, Any]]:
    found = boto3.client("cloudwatch").describe_alarms(AlarmNamePrefix="invoice-local-")["MetricAlarms"]
    return {a["AlarmName"]: a for a in found}


def prepare_targets() -> None:
    """Create the App Runner service and CloudFront distribution the later alarms watch."""
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "molecule/monitoring/prepare_targets.py"),
            "invoice-local-api",
            "invoice-processing.test",
        ],
        check=True,
        env=os.environ,
        capture_output=True,
    )


def test_alone_then_with_service_and_distribution(localaws: str) -> None:
    _, writes = run_clean(localaws, PLAYBOOK, check=True, diff=True)
    assert writes == []
    assert alarms() == {}

    alone, writes = run_clean(localaws, PLAYBOOK)
    assert set(alarms()) == RDS_ALARMS
    assert writes.count("cloudwatch.PutMetricAlarm") == 4
    skipped = str(alone.task("Report the alarms left out because their target does not exist yet")["msg"])
    assert "App Runner service invoice-local-api does not exist yet" in skipped
    assert "no CloudFront distribution has the alias invoice-processing.test" in skipped
    outputs = alone.task("Publish the monitoring outputs")["ansible_facts"]["platform_outputs_monitoring"]
    topic = outputs["alarm_topic_arn"]
    subscriptions = boto3.client("sns").list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subscriptions] == [("email", "ops@invoice-processing.test")]
    assert all(a["AlarmActions"] == [topic] for a in alarms().values())

    # The service and the distribution appear (and RDS has created its log group): the next run
    # adds exactly their alarms and sets the log group's retention.
    logs = boto3.client("logs")
    logs.create_log_group(logGroupName="/aws/rds/instance/invoice-local-db/postgresql")
    prepare_targets()
    _, writes = run_clean(localaws, PLAYBOOK)
    assert sorted(writes) == ["cloudwatch.PutMetricAlarm"] * 4 + ["logs.PutRetentionPolicy"]
    (group,) = logs.describe_log_groups(logGroupNamePrefix="/aws/rds/instance/invoice-local-db/")["logGroups"]
    assert group["retentionInDays"] == 7
    found = alarms()
    assert set(found) == RDS_ALARMS | LATER_ALARMS
    latency = found["invoice-local-api-latency-p99"]
    assert (latency["ExtendedStatistic"], latency["Threshold"]) == ("p99", 500.0)
    assert {d["Name"] for d in latency["Dimensions"]} == {"ServiceName", "ServiceID"}
    assert found["invoice-local-api-instances-at-max"]["Threshold"] == 2.0  # the local service_max_size
    assert {d["Name"]: d["Value"] for d in found["invoice-local-web-5xx-rate"]["Dimensions"]}["Region"] == "Global"

    again, writes = run_clean(localaws, PLAYBOOK)
    assert (again.changed, writes) == (0, [])
    assert reads(localaws) == NO_OP_READS | LOOKUP_READS
    check, writes = run_clean(localaws, PLAYBOOK, check=True, diff=True)
    assert (check.changed, writes) == (0, [])

    # One value: the CPU threshold rewrites the CPU alarm and nothing else.
    _, writes = run_clean(localaws, PLAYBOOK, extra_vars={"monitoring_rds_cpu_percent": 90})
    assert writes == ["cloudwatch.PutMetricAlarm"]
    assert alarms()["invoice-local-db-cpu"]["Threshold"] == 90.0


def test_inside_site_uses_the_published_outputs_and_prunes_dropped_alarms(localaws: str) -> None:
    boto3.client("logs").create_log_group(logGroupName="/aws/rds/instance/invoice-local-db/postgresql")
    prepare_targets()
    (service,) = boto3.client("apprunner").list_services()["ServiceSummaryList"]
    (distribution,) = boto3.client("cloudfront").list_distributions()["DistributionList"]["Items"]
    published = {
        # What the service and cdn tiers publish earlier in a site.yml run.
        "platform_outputs_service": {
            "backend": "apprunner",
            "service_name": "invoice-local-api",
            "service_arn": service["ServiceArn"],
        },
        "platform_outputs_cdn": {"distribution_id": distribution["Id"]},
        "__outputs_at_end": True,  # site.yml's last play writes the outputs file
    }
    _, writes = run_clean(localaws, PLAYBOOK, extra_vars=published)
    assert reads(localaws).keys().isdisjoint(LOOKUP_READS)
    found = alarms()
    assert set(found) == RDS_ALARMS | LATER_ALARMS
    latency = {d["Name"]: d["Value"] for d in found["invoice-local-api-latency-p99"]["Dimensions"]}
    assert latency["ServiceID"] == service["ServiceId"]
    web = {d["Name"]: d["Value"] for d in found["invoice-local-web-5xx-rate"]["Dimensions"]}
    assert web["DistributionId"] == distribution["Id"]

    # An alarm under the tier's prefix that the configuration no longer defines is deleted.
    put_alarm(
        "invoice-local-db-replica-lag",
        MetricName="ReplicaLag",
        Statistic="Maximum",
        Threshold=30.0,
        Period=300,
        EvaluationPeriods=3,
    )
    check, writes = run_clean(localaws, PLAYBOOK, extra_vars=published, check=True, diff=True)
    assert (check.changed, writes) == (1, [])
    assert check.task("Ensure the alarms exist and notify the topic")["deleted"] == ["invoice-local-db-replica-lag"]
    _, writes = run_clean(localaws, PLAYBOOK, extra_vars=published)
    assert writes == ["cloudwatch.DeleteAlarms"]
    assert set(alarms()) == RDS_ALARMS | LATER_ALARMS

    again, writes = run_clean(localaws, PLAYBOOK, extra_vars=published)
    assert (again.changed, writes) == (0, [])
    assert reads(localaws) == NO_OP_READS


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"monitoring_alarm_emails": ["not-an-address"]}, 'monitoring_alarm_emails entry "not-an-address"'),
        ({"monitoring_log_retention_days": 10}, "monitoring_log_retention_days must be one of"),
        ({"monitoring_rds_cpu_percent": "lots"}, "monitoring_rds_cpu_percent must be a positive number"),
        ({"monitoring_period_seconds": 120}, "monitoring_period_seconds"),
        ({"monitoring_service_backend": "lambda"}, "monitoring_service_backend must be apprunner or ecs_express"),
        ({"monitoring_ecs_p99_latency_ms": "fast"}, "monitoring_ecs_p99_latency_ms must be a positive number"),
    ],
)
def test_bad_input_fails_before_any_monitoring_call(localaws: str, extra: dict[str, Any], expected: str) -> None:
    assert_fails_in_preflight(localaws, PLAYBOOK, extra, expected)


# No custom domain (it needs the certificates tier): the alarms do not depend on it.
ECS = {
    "service_backend": "ecs_express",
    "service_secrets": {"JWT_SECRET": "ssm:/invoice/local/jwt-secret"},
    "service_domain": "",
}
ECS_ALARMS = {f"invoice-local-api-{n}" for n in ("alb-5xx", "alb-latency-p99", "tasks-at-max")}
# What the tier reads to find the Express service's target group and load balancer, and, run
# alone, the service itself first.
ECS_LOOKUP_READS = {
    "ecs.DescribeServices": 1,
    "elbv2.DescribeTargetGroups": 1,
    "elbv2.DescribeTargetGroupAttributes": 1,
    "elbv2.DescribeTags": 1,
}
ECS_ALONE_READS = {"ecs.DescribeServices": 1, "ecs.DescribeExpressGatewayService": 1}
# The rest of a no-op run on this backend: NO_OP_READS with the ECS log group, which the tier
# finds and whose retention it has set, in place of the RDS one (absent here).
ECS_NO_OP_READS = NO_OP_READS | {"logs.DescribeLogGroups": 3, "cloudfront.ListDistributions": 1}


def test_ecs_express_alarms_on_the_load_balancer_replace_the_app_runner_ones(localaws: str) -> None:
    # Check mode on a fresh account (no ECS cluster yet) writes nothing.
    check, writes = run_clean(localaws, PLAYBOOK, extra_vars=ECS, check=True, diff=True)
    assert writes == []
    assert alarms() == {}
    assert "ECS Express service invoice-local-api (cluster default)" in str(
        check.task("Report the alarms left out because their target does not exist yet")["msg"]
    )

    # The stack ran on App Runner before: its API alarms are there.
    for name in ("5xx", "latency-p99", "instances-at-max"):
        put_alarm(f"invoice-local-api-{name}", Namespace="AWS/AppRunner", MetricName="ActiveInstances")
    boto3.client("ssm").put_parameter(Name="/invoice/local/jwt-secret", Value="x" * 40, Type="SecureString")
    for tier in ("playbooks/network.yml", "playbooks/service.yml"):
        run_clean(localaws, tier, extra_vars=ECS)

    _, writes = run_clean(localaws, PLAYBOOK, extra_vars=ECS)
    assert sorted(writes) == sorted(
        ["cloudwatch.DeleteAlarms", "logs.PutRetentionPolicy", "sns.CreateTopic", "sns.Subscribe"]
        + ["cloudwatch.PutMetricAlarm"] * 7
    ), writes
    found = alarms()
    assert set(found) == RDS_ALARMS | ECS_ALARMS  # the App Runner ones deleted
    elbv2 = boto3.client("elbv2")
    (group,) = elbv2.describe_target_groups()["TargetGroups"]
    (balancer,) = elbv2.describe_load_balancers(LoadBalancerArns=group["LoadBalancerArns"])["LoadBalancers"]
    dimensions = {
        "LoadBalancer": balancer["LoadBalancerArn"].split(":loadbalancer/")[1],
        "TargetGroup": group["TargetGroupArn"].split(":")[-1],
    }
    assert dimensions["LoadBalancer"].startswith("app/") and dimensions["TargetGroup"].startswith("targetgroup/")
    metrics = {
        name: (
            a["Namespace"],
            a["MetricName"],
            a.get("Statistic") or a["ExtendedStatistic"],
            a["ComparisonOperator"],
            a["Threshold"],
            {d["Name"]: d["Value"] for d in a["Dimensions"]},
        )
        for name, a in found.items()
        if name in ECS_ALARMS
    }
    assert metrics == {
        "invoice-local-api-alb-5xx": (
            "AWS/ApplicationELB",
            "HTTPCode_Target_5XX_Count",
            "Sum",
            "GreaterThanThreshold",
            10.0,
            dimensions,
        ),
        "invoice-local-api-alb-latency-p99": (
            "AWS/ApplicationELB",
            "TargetResponseTime",
            "p99",
            "GreaterThanThreshold",
            0.5,  # 500 ms in the metric's seconds
            dimensions,
        ),
        "invoice-local-api-tasks-at-max": (
            "AWS/ApplicationELB",
            "HealthyHostCount",
            "Maximum",
            "GreaterThanOrEqualToThreshold",
            2.0,  # the local service_max_size
            dimensions,
        ),
    }

    again, writes = run_clean(localaws, PLAYBOOK, extra_vars=ECS)
    assert (again.changed, writes) == (0, [])
    assert reads(localaws) == Counter(ECS_NO_OP_READS) + Counter(ECS_LOOKUP_READS) + Counter(ECS_ALONE_READS)

    # Inside site.yml the service tier has published the Express service: only its target group
    # and load balancer are read.
    (service,) = boto3.client("ecs").describe_services(cluster="default", services=["invoice-local-api"])["services"]
    published = {
        **ECS,
        "platform_outputs_service": {
            "backend": "ecs_express",
            "service_name": "invoice-local-api",
            "service_arn": service["serviceArn"],
        },
        "__outputs_at_end": True,  # site.yml's last play writes the outputs file
    }
    inside, writes = run_clean(localaws, PLAYBOOK, extra_vars=published)
    assert (inside.changed, writes) == (0, [])
    assert reads(localaws) == Counter(ECS_NO_OP_READS) + Counter(ECS_LOOKUP_READS)
    check, writes = run_clean(localaws, PLAYBOOK, extra_vars=published, check=True, diff=True)
    assert (check.changed, writes) == (0, [])
