"""apprunner_service and apprunner_service_info against the local endpoint."""

from __future__ import annotations

import boto3
import pytest

from tests.modules.helpers import run_tasks
from tools.localaws import client as control

pytestmark = pytest.mark.slow

IMAGE = "public.ecr.aws/invoice/api"


def service_task(title, *, check=False, diff=False, register=None, **options):
    task = {"name": title, "invoice.platform.apprunner_service": {"wait_timeout": 60, **options}}
    if check:
        task["check_mode"] = True
    if diff:
        task["diff"] = True
    if register:
        task["register"] = register
    return task


def info_task(title, service):
    return {"name": title, "invoice.platform.apprunner_service_info": {"name": service}}


def test_service_four_steps_update_diff_delete(localaws):
    options = dict(
        name="invoice-api",
        image=dict(identifier=f"{IMAGE}:1", port="8000", environment={"LOG_LEVEL": "info"}),
        cpu="1 vCPU",
        memory="2 GB",
        health_check=dict(protocol="HTTP", path="/health"),
        tags={"project": "invoice"},
    )
    run = run_tasks(
        [
            service_task("create (check)", check=True, **options),
            info_task("after check", "invoice-api"),
            service_task("create", **options),
            service_task("create again (check)", check=True, **options),
            service_task("create again", **options),
            service_task("update cpu (check)", check=True, diff=True, **{**options, "cpu": "2048"}),
            service_task("update cpu", diff=True, **{**options, "cpu": 2, "memory": "4 GB"}),
            info_task("after update", "invoice-api"),
            service_task("delete (check)", check=True, name="invoice-api", state="absent"),
            service_task("delete", name="invoice-api", state="absent"),
            service_task("delete again", name="invoice-api", state="absent"),
            info_task("after delete", "invoice-api"),
        ]
    )
    assert run.result("create (check)")["changed"] is True
    assert run.result("after check")["services"] == []
    created = run.result("create")
    assert created["changed"] is True
    assert created["deployment_reasons"] == ["creation"]
    service = created["service"]
    assert service["status"] == "RUNNING"
    assert service["instance_configuration"]["cpu"] == "1024"
    assert service["instance_configuration"]["memory"] == "2048"
    image = service["source_configuration"]["image_repository"]
    assert image["image_configuration"]["runtime_environment_variables"] == {"LOG_LEVEL": "info"}
    assert image["image_repository_type"] == "ECR_PUBLIC"
    assert service["health_check_configuration"]["path"] == "/health"
    assert service["tags"] == {"project": "invoice"}
    assert run.result("create again (check)")["changed"] is False
    assert run.result("create again")["changed"] is False

    check = run.result("update cpu (check)")
    assert check["changed"] is True
    assert check["diff"]["before"]["instance_configuration"] == {"cpu": "1024", "memory": "2048"}
    assert check["diff"]["after"]["instance_configuration"] == {"cpu": "2048", "memory": "2048"}
    # Only the changed field differs between before and after.
    before, after = check["diff"]["before"], check["diff"]["after"]
    assert {k for k in after if after[k] != before[k]} == {"instance_configuration"}
    updated = run.result("update cpu")
    assert updated["changed"] is True
    assert updated["deployment_reasons"] == ["update of InstanceConfiguration.Cpu, InstanceConfiguration.Memory"]
    assert updated["service"]["instance_configuration"]["cpu"] == "2048"
    assert run.result("after update")["services"][0]["instance_configuration"]["memory"] == "4096"
    # Settings the task did not change stay as they were.
    assert run.result("after update")["services"][0]["health_check_configuration"]["path"] == "/health"

    assert run.result("delete (check)")["changed"] is True
    assert run.result("delete")["changed"] is True
    assert run.result("delete again")["changed"] is False
    assert run.result("after delete")["services"] == []


def test_operations_secrets_redeploy_pause_resume(localaws):
    ssm = boto3.client("ssm")
    ssm.put_parameter(Name="/invoice/api-key", Value="first", Type="SecureString")
    secret_arn = boto3.client("secretsmanager").create_secret(Name="invoice/db", SecretString="pw")["ARN"]
    parameter_arn = "arn:aws:ssm:us-east-1:123456789012:parameter/invoice/api-key"
    options = dict(
        name="invoice-api",
        image=dict(
            identifier=f"{IMAGE}:1",
            port="8000",
            secrets={"API_KEY": parameter_arn, "DATABASE_PASSWORD": secret_arn},
        ),
    )
    env_changed = {**options, "image": {**options["image"], "environment": {"MODE": "test"}}}
    run = run_tasks(
        [
            service_task("create without waiting", wait=False, **options),
            # The create operation is still running: the update must wait it out.
            service_task("update during the create operation", **env_changed),
            service_task("unchanged", **env_changed),
            {
                "name": "rotate the parameter",
                "community.aws.ssm_parameter": {
                    "name": "/invoice/api-key",
                    "value": "second",
                    "string_type": "SecureString",
                },
                "no_log": False,
            },
            service_task("secret rotated (check)", check=True, **env_changed),
            service_task("secret rotated", **env_changed),
            service_task("secret deployed", **env_changed),
            service_task("forced", force_deployment=True, name="invoice-api"),
            {
                "name": "operations",
                "invoice.platform.apprunner_service_info": {"name": "invoice-api", "operations": True},
            },
            service_task("pause", state="paused", name="invoice-api"),
            service_task("pause again", state="paused", name="invoice-api"),
            service_task("present leaves it paused", name="invoice-api", tags={"a": "b"}),
            service_task("resume (check)", check=True, diff=True, state="running", name="invoice-api"),
            service_task("resume", state="running", name="invoice-api"),
        ]
    )
    created = run.result("create without waiting")
    assert created["changed"] is True
    assert created["service"]["status"] == "OPERATION_IN_PROGRESS"
    update = run.result("update during the create operation")
    assert update["changed"] is True
    assert update["service"]["status"] == "RUNNING"
    assert update["service"]["source_configuration"]["image_repository"]["image_configuration"][
        "runtime_environment_variables"
    ] == {"MODE": "test"}
    assert run.result("unchanged")["changed"] is False
    fingerprint = run.result("unchanged")["service"]["tags"]["invoice:secrets-version"]

    assert run.result("secret rotated (check)")["changed"] is True
    rotated = run.result("secret rotated")
    assert rotated["changed"] is True
    assert rotated["deployment_reasons"] == ["new version of a referenced secret"]
    assert rotated["service"]["tags"]["invoice:secrets-version"] != fingerprint
    assert run.result("secret deployed")["changed"] is False

    forced = run.result("forced")
    assert forced["changed"] is True
    assert forced["deployment_reasons"] == ["force_deployment"]
    operations = run.result("operations")["services"][0]["operations"]
    assert [o["type"] for o in operations[:3]] == ["START_DEPLOYMENT", "START_DEPLOYMENT", "UPDATE_SERVICE"]
    assert forced["operation_id"] == operations[0]["id"]
    assert all(o["status"] == "SUCCEEDED" for o in operations)

    assert run.result("pause")["service"]["status"] == "PAUSED"
    assert run.result("pause again")["changed"] is False
    kept = run.result("present leaves it paused")
    assert kept["changed"] is True  # the tag
    assert kept["service"]["status"] == "PAUSED"
    # The fingerprint tag survives purge_tags: the module manages it.
    assert set(kept["service"]["tags"]) == {"a", "invoice:secrets-version"}
    resume_check = run.result("resume (check)")
    assert resume_check["diff"] == {"before": {"status": "PAUSED"}, "after": {"status": "RUNNING"}}
    assert run.result("resume")["service"]["status"] == "RUNNING"


def _noop_calls(url, tasks):
    run_tasks(tasks)  # converge
    control.reset_calls(url)
    again = run_tasks(tasks)
    assert all(r["changed"] is False for r in again.results)
    return [(c["service"], c["operation"], c["mutating"]) for c in control.calls(url)]


def test_noop_run_makes_only_the_reads_it_needs(localaws):
    ssm = boto3.client("ssm")
    ssm.put_parameter(Name="/invoice/api-key", Value="first", Type="SecureString")
    options = dict(
        name="invoice-api",
        image=dict(identifier=f"{IMAGE}:1", secrets={"API_KEY": "/invoice/api-key"}),
        cpu="1 vCPU",
        tags={"project": "invoice"},
    )
    calls = _noop_calls(localaws, [service_task("converge", **options)])
    # Find the service by name, read it, read its tags; read the parameter's version (not its value).
    assert calls == [
        ("apprunner", "ListServices", False),
        ("apprunner", "DescribeService", False),
        ("ssm", "DescribeParameters", False),
        ("apprunner", "ListTagsForResource", False),
    ]


def test_secret_by_name_resolves_to_the_json_key_arn(localaws):
    secrets = boto3.client("secretsmanager")
    arn = secrets.create_secret(Name="invoice-local-database-master", SecretString='{"password": "pw"}')["ARN"]
    options = dict(
        name="invoice-api",
        image=dict(
            identifier=f"{IMAGE}:1", secrets={"DB_PASSWORD": "secretsmanager:invoice-local-database-master:password"}
        ),
    )
    missing = dict(
        name="invoice-api", image=dict(identifier=f"{IMAGE}:1", secrets={"DB_PASSWORD": "secretsmanager:nope:password"})
    )
    run = run_tasks(
        [
            service_task("plan with a missing secret", check=True, **{**missing, "name": "invoice-new"}),
            service_task("create", **options),
        ]
    )
    assert run.result("plan with a missing secret")["changed"] is True
    created = run.result("create")
    assert created["changed"] is True
    resolved = created["service"]["source_configuration"]["image_repository"]["image_configuration"][
        "runtime_environment_secrets"
    ]
    assert resolved == {"DB_PASSWORD": f"{arn}:password::"}
    assert resolved["DB_PASSWORD"].endswith(":password::")

    control.reset_calls(localaws)
    again = run_tasks([service_task("again", **options)])
    assert again.result("again")["changed"] is False
    calls = control.calls(localaws)
    assert not [c for c in calls if c["mutating"]]
    sm_calls = [c["operation"] for c in calls if c["service"] == "secretsmanager"]
    assert sm_calls == ["DescribeSecret"]  # resolved and fingerprinted with one read, never the value

    secrets.put_secret_value(SecretId="invoice-local-database-master", SecretString='{"password": "new"}')
    rotated = run_tasks([service_task("rotated", **options)]).result("rotated")
    assert rotated["changed"] is True
    assert rotated["deployment_reasons"] == ["new version of a referenced secret"]

    failed = run_tasks([service_task("missing", **missing)], allow_failure=True).result("missing")
    assert failed["failed"] is True
    assert failed["msg"] == "image.secrets.DB_PASSWORD: Secrets Manager secret 'nope' does not exist"
    omitted = run_tasks([service_task("omit", missing_secrets="omit", check=True, **missing)]).result("omit")
    assert any("DB_PASSWORD left out" in w and "'nope'" in w for w in omitted["warnings"])
    assert not omitted.get("deprecations")


def test_noop_check_mode_without_tags_reads_two_calls(localaws):
    options = dict(name="invoice-api", image=dict(identifier=f"{IMAGE}:1"), cpu="1 vCPU")
    run_tasks([service_task("converge", **options)])
    control.reset_calls(localaws)
    run = run_tasks([service_task("check", check=True, **options)])
    assert run.result("check")["changed"] is False
    calls = [(c["service"], c["operation"], c["mutating"]) for c in control.calls(localaws)]
    assert calls == [("apprunner", "ListServices", False), ("apprunner", "DescribeService", False)]


def test_converges_under_throttling(localaws):
    options = dict(name="invoice-api", image=dict(identifier=f"{IMAGE}:1"), tags={"a": "1"})
    control.set_faults(localaws, throttle_rate=0.3, seed=7, services=["apprunner"])
    try:
        run = run_tasks([service_task("create", **options), service_task("again", **options)])
        throttled = [c for c in control.calls(localaws) if c["status"] == 400]
    finally:
        control.clear_faults(localaws)
    assert run.result("create")["changed"] is True
    assert run.result("again")["changed"] is False
    assert throttled, "the fault injection throttled no call: the test proves nothing"


def test_check_mode_plan_with_dependencies_not_yet_created(localaws):
    """A whole-stack --check: the scaling configuration and connector would be created by earlier tasks."""
    options = dict(
        name="invoice-api",
        image=dict(identifier=f"{IMAGE}:1"),
        auto_scaling_configuration="invoice-api",
        vpc_connector="invoice-db",
    )
    run = run_tasks(
        [
            service_task("plan", check=True, diff=True, **options),
            service_task("apply without them", **options),
        ],
        allow_failure=True,
    )
    plan = run.result("plan")
    assert plan["changed"] is True
    assert (
        plan["diff"]["after"]["auto_scaling_configuration_arn"]
        == "(auto scaling configuration invoice-api, to be created)"
    )
    failed = run.result("apply without them")
    assert (
        failed["msg"]
        == "auto_scaling_configuration: no active App Runner auto scaling configuration named 'invoice-api'"
    )
    assert not [c for c in control.calls(localaws) if c["mutating"]]


def test_keep_deployed_image_leaves_the_running_image_alone(localaws):
    """The service tier owns the configuration, a deploy moves the image: no look-up needed between them."""
    base = dict(name="invoice-api", cpu="1 vCPU", keep_deployed_image=True)
    run = run_tasks(
        [
            service_task("create from the default image", image=dict(identifier=f"{IMAGE}:1"), **base),
            service_task("deploy a build", image=dict(identifier=f"{IMAGE}:2"), name="invoice-api"),
            service_task("converge the configuration", image=dict(identifier=f"{IMAGE}:1"), **base),
            service_task(
                "change the memory", diff=True, image=dict(identifier=f"{IMAGE}:1"), **{**base, "memory": "4 GB"}
            ),
        ]
    )
    assert (
        run.result("create from the default image")["service"]["source_configuration"]["image_repository"][
            "image_identifier"
        ]
        == f"{IMAGE}:1"
    )
    assert run.result("deploy a build")["deployment_reasons"]
    kept = run.result("converge the configuration")
    assert kept["changed"] is False
    assert kept["service"]["source_configuration"]["image_repository"]["image_identifier"] == f"{IMAGE}:2"
    changed = run.result("change the memory")
    assert changed["changed"] is True
    assert changed["service"]["source_configuration"]["image_repository"]["image_identifier"] == f"{IMAGE}:2"
    image_before = changed["diff"]["before"]["source_configuration"]["image_repository"]["image_identifier"]
    assert image_before == changed["diff"]["after"]["source_configuration"]["image_repository"]["image_identifier"]


def test_check_mode_plan_of_a_new_service_with_secrets_not_yet_created(localaws):
    """The secrets tier is only planned in the same --check run: its parameters do not exist yet."""
    options = dict(name="invoice-api", image=dict(identifier=f"{IMAGE}:1", secrets={"API_KEY": "/invoice/api-key"}))
    run = run_tasks([service_task("plan", check=True, **options)])
    assert run.result("plan")["changed"] is True
    assert not [c for c in control.calls(localaws) if c["mutating"]]


BAD_OPTIONS = [
    ({"egress_type": "VPC"}, "egress_type is VPC but all of the following are missing: vpc_connector"),
    ({"egress_type": "DEFAULT", "vpc_connector": "db"}, "vpc_connector is set but egress_type=DEFAULT"),
    (
        {"observability": {"enabled": True}},
        "enabled is True but all of the following are missing: configuration_arn found in observability",
    ),
    (
        {
            "image": None,
            "code": {
                "repository_url": "https://github.com/o/r",
                "branch": "main",
                "configuration_source": "REPOSITORY",
                "build_command": "make",
            },
        },
        "code.build_command is set but code.configuration_source=REPOSITORY",
    ),
    (
        {"image": None, "code": {"repository_url": "https://github.com/o/r", "branch": "main", "runtime": "PYTHON_2"}},
        "value of runtime must be one of: PYTHON_3, PYTHON_311",
    ),
    ({"cpu": "3 vCPU"}, "cpu"),
]


def test_bad_options_fail_before_any_call(localaws):
    control.reset_calls(localaws)
    base = dict(name="invoice-api", image=dict(identifier=f"{IMAGE}:1"))
    tasks = [
        dict(service_task(f"bad {i}", **{k: v for k, v in {**base, **o}.items() if v is not None}), ignore_errors=True)
        for i, (o, _) in enumerate(BAD_OPTIONS)
    ]
    run = run_tasks(tasks)
    for i, (_, message) in enumerate(BAD_OPTIONS):
        result = run.result(f"bad {i}")
        assert result["failed"] is True, result
        assert message in result["msg"], result["msg"]
    assert control.calls(localaws) == []
