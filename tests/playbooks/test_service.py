"""roles/service (App Runner) through playbooks/service.yml, on top of the network tier."""

from __future__ import annotations

import boto3
import pytest

from tests.playbooks.helpers import PlaybookRun, run_playbook
from tests.playbooks.stack_helpers import converge, mutating, noop_calls, planned_as_applied
from tools.localaws.client import calls, reset_calls

pytestmark = pytest.mark.slow
NAME = "invoice-local-api"
SECRETS = {"JWT_SECRET": "ssm:/invoice/local/jwt-secret"}


def plan_then_apply(url: str, extra_vars: dict) -> PlaybookRun:
    """`--check --diff` with ``extra_vars`` (an inventory edit), then the apply: the plan makes no
    mutating call and lists exactly the tasks the apply changes, each with the apply's diff (a
    stand-in where the apply gets the ARN of what it created). Returns the apply."""
    reset_calls(url)
    plan = converge("playbooks/service.yml", check=True, diff=True, extra_vars=extra_vars)
    assert mutating(calls(url)) == []
    applied = converge("playbooks/service.yml", diff=True, extra_vars=extra_vars)
    assert plan.changed_tasks() == applied.changed_tasks(), (extra_vars, plan.changed_tasks())
    for name in applied.changed_tasks():
        planned, done = plan.task(name).get("diff"), applied.task(name).get("diff")
        assert planned_as_applied(planned, done), (name, planned, done)
    return applied


def describe() -> dict:
    client = boto3.client("apprunner")
    (summary,) = [s for s in client.list_services()["ServiceSummaryList"] if s["ServiceName"] == NAME]
    return client.describe_service(ServiceArn=summary["ServiceArn"])["Service"]


def test_converge_noop_and_one_value_change(localaws: str) -> None:
    boto3.client("ssm").put_parameter(Name="/invoice/local/jwt-secret", Value="x" * 40, Type="SecureString")
    network = converge("playbooks/network.yml")
    net = network.task("Publish the network outputs")["ansible_facts"]["platform_outputs_network"]
    run = converge("playbooks/service.yml", extra_vars={"service_secrets": SECRETS})
    service = describe()
    assert service["Status"] == "RUNNING"
    image = service["SourceConfiguration"]["ImageRepository"]
    assert image["ImageConfiguration"]["Port"] == "8000"
    assert image["ImageConfiguration"]["RuntimeEnvironmentSecrets"] == {
        "JWT_SECRET": "arn:aws:ssm:us-east-1:123456789012:parameter/invoice/local/jwt-secret"
    }
    # Login limits per client behind App Runner's router (issue 14): the role's default front ends.
    trusted = image["ImageConfiguration"]["RuntimeEnvironmentVariables"]["TRUSTED_PROXIES"]
    assert trusted == "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,100.64.0.0/10,169.254.0.0/16"
    assert service["HealthCheckConfiguration"]["Path"] == "/api/health"
    assert service["HealthCheckConfiguration"]["Protocol"] == "HTTP"
    assert service["NetworkConfiguration"]["EgressConfiguration"]["EgressType"] == "VPC"
    assert service["InstanceConfiguration"]["Cpu"] == "256"
    # No master secret yet (no database tier): DB_PASSWORD is left out, with a warning naming it.
    warnings = run.task("Converge the service")["warnings"]
    assert any("DB_PASSWORD left out" in w and "invoice-local-database-master" in w for w in warnings)
    outputs = run.task("Publish the service outputs")["ansible_facts"]["platform_outputs_service"]
    assert outputs["service_arn"] == service["ServiceArn"]
    assert outputs["api_url"] == "https://api.invoice-processing.test"
    domains = boto3.client("apprunner").describe_custom_domains(ServiceArn=service["ServiceArn"])["CustomDomains"]
    assert [d["DomainName"] for d in domains] == ["api.invoice-processing.test"]

    again, log = noop_calls(localaws, "playbooks/service.yml", extra_vars={"service_secrets": SECRETS})
    assert again.changed == 0, again.changed_tasks()
    assert mutating(log) == []
    assert {"ec2", "rds"} <= {c["service"] for c in log}  # alone, the tier looks its network and database up
    # Inside site.yml the network and database tiers published theirs earlier in the same run.
    database = {"identifier": "invoice-local-db", "endpoint": "", "port": 5432, "name": "invoices"}
    database["master_username"] = "invoice_admin"
    inside, log = noop_calls(
        localaws,
        "playbooks/service.yml",
        extra_vars={
            "service_secrets": SECRETS,
            "platform_outputs_network": net,
            "platform_outputs_database": database,
            "__outputs_at_end": True,  # as inside site.yml, whose last play writes the outputs file
        },
    )
    assert inside.changed == 0, inside.changed_tasks()
    assert mutating(log) == [] and not [c for c in log if c["service"] in ("ec2", "rds")]

    check = converge("playbooks/service.yml", check=True, diff=True, extra_vars={"service_secrets": SECRETS})
    assert check.changed == 0, check.changed_tasks()

    # A plan that equals the apply (issue 11): a bigger max_size is a new auto scaling revision,
    # which the service moves to; the plan shows that move (to a stand-in for the new ARN).
    bigger = plan_then_apply(localaws, {"service_secrets": SECRETS, "service_max_size": 3})
    assert sorted(bigger.changed_tasks()) == [
        "Write the outputs file",  # a new auto scaling revision: its ARN is in the outputs
        "invoice.platform.service : Converge the auto scaling configuration",
        "invoice.platform.service : Converge the service",
    ]
    assert describe()["AutoScalingConfigurationSummary"]["AutoScalingConfigurationName"] == NAME
    scaling = boto3.client("apprunner").describe_auto_scaling_configuration(
        AutoScalingConfigurationArn=describe()["AutoScalingConfigurationSummary"]["AutoScalingConfigurationArn"]
    )["AutoScalingConfiguration"]
    assert scaling["MaxSize"] == 3

    # The database tier's master secret appears: the service gets DB_PASSWORD by reference (the
    # secret's ARN and JSON key, never the value), and the next run reads no secret value.
    secret = '{"username": "invoice", "password": "' + "p" * 32 + '"}'
    arn = boto3.client("secretsmanager").create_secret(Name="invoice-local-database-master", SecretString=secret)["ARN"]
    extra = {"service_secrets": SECRETS, "service_max_size": 3}
    with_secret = converge("playbooks/service.yml", extra_vars=extra)
    assert "invoice.platform.service : Converge the service" in with_secret.changed_tasks()
    secrets = describe()["SourceConfiguration"]["ImageRepository"]["ImageConfiguration"]["RuntimeEnvironmentSecrets"]
    assert secrets["DB_PASSWORD"] == f"{arn}:password::"
    again, log = noop_calls(localaws, "playbooks/service.yml", extra_vars=extra)
    assert again.changed == 0, again.changed_tasks()
    assert mutating(log) == []
    assert "GetSecretValue" not in [c["operation"] for c in log]

    # More inventory edits, one by one, each planned as it is applied.
    for edit in ({"service_cpu": "0.5", "service_memory": "1"}, {"service_env": {"FEATURE_FLAGS": "beta"}}):
        applied = plan_then_apply(localaws, {**extra, **edit})
        assert applied.changed_tasks() == ["invoice.platform.service : Converge the service"], edit


def test_check_on_empty_account_creates_nothing(localaws: str) -> None:
    converge("playbooks/service.yml", check=True)  # inventory: VPC egress, JWT secret by name; neither exists
    assert boto3.client("apprunner").list_services()["ServiceSummaryList"] == []
    assert mutating(calls(localaws)) == []


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"service_cpu": "4", "service_memory": "2"}, "service_memory 2 GB does not go with service_cpu 4 vCPU"),
        ({"service_min_size": 5, "service_max_size": 2}, "service_min_size (5) exceeds service_max_size (2)"),
        ({"service_backend": "ecs"}, "service_backend"),
        ({"service_secrets": {"KEY": "plain-value"}}, "service_secrets.KEY must be"),
        ({"service_env": {"API_KEY": "x"}}, "service_env.API_KEY looks like a secret"),
    ],
)
def test_bad_input_fails_before_any_call(localaws: str, extra: dict, expected: str) -> None:
    reset_calls(localaws)
    run = run_playbook("playbooks/service.yml", extra_vars=extra)
    assert run.rc != 0
    assert any(expected in m for m in run.failure_messages()), run.explain()
    assert [c for c in calls(localaws) if c["service"] not in ("sts", "iam")] == []  # preflight only
