"""apprunner_service and apprunner_service_info against the local endpoint."""

from __future__ import annotations

import pytest

from tests.modules.helpers import run_tasks

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
