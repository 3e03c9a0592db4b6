"""App Runner services on the local endpoint: lifecycle, operations, defaults, errors."""

from __future__ import annotations

import base64
import os
import re
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.localaws.conftest import PRIVATE_IMAGE, PUBLIC_IMAGE, create_service, wait_for, wait_until_settled


def error_code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_lifecycle_create_update_pause_resume_delete(apprunner: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # The in-progress windows the test looks into last 3 s (the endpoint reads the delay per
    # operation): on a loaded machine four calls took longer than the tests' usual 0.5 s.
    usual = os.environ.get("LOCALAWS_APPRUNNER_DELAY", "0.5")
    monkeypatch.setenv("LOCALAWS_APPRUNNER_DELAY", "3")
    service = create_service(apprunner)
    monkeypatch.setenv("LOCALAWS_APPRUNNER_DELAY", usual)
    arn = service["ServiceArn"]
    assert service["Status"] == "OPERATION_IN_PROGRESS"

    # Mid-operation: every state-changing call is refused.
    for call in (
        lambda: apprunner.update_service(ServiceArn=arn, InstanceConfiguration={"Cpu": "2 vCPU", "Memory": "4 GB"}),
        lambda: apprunner.pause_service(ServiceArn=arn),
        lambda: apprunner.start_deployment(ServiceArn=arn),
        lambda: apprunner.delete_service(ServiceArn=arn),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_code(exc) == "InvalidStateException"

    assert wait_until_settled(apprunner, arn)["Status"] == "RUNNING"

    updated = apprunner.update_service(ServiceArn=arn, InstanceConfiguration={"Cpu": "2 vCPU", "Memory": "4 GB"})
    assert updated["Service"]["Status"] == "OPERATION_IN_PROGRESS"
    settled = wait_until_settled(apprunner, arn)
    assert settled["Status"] == "RUNNING"
    assert settled["InstanceConfiguration"] == {"Cpu": "2048", "Memory": "4096"}
    # Only the given section changed.
    assert settled["SourceConfiguration"]["ImageRepository"]["ImageIdentifier"].endswith("invoice-api:v1")

    with pytest.raises(ClientError) as exc:
        apprunner.resume_service(ServiceArn=arn)
    assert error_code(exc) == "InvalidStateException"

    apprunner.pause_service(ServiceArn=arn)
    assert wait_until_settled(apprunner, arn)["Status"] == "PAUSED"
    with pytest.raises(ClientError) as exc:
        apprunner.pause_service(ServiceArn=arn)
    assert error_code(exc) == "InvalidStateException"

    apprunner.resume_service(ServiceArn=arn)
    assert wait_until_settled(apprunner, arn)["Status"] == "RUNNING"

    deployment = apprunner.start_deployment(ServiceArn=arn)["OperationId"]
    wait_until_settled(apprunner, arn)

    operations = apprunner.list_operations(ServiceArn=arn)["OperationSummaryList"]
    assert [o["Type"] for o in operations] == [
        "START_DEPLOYMENT",
        "RESUME_SERVICE",
        "PAUSE_SERVICE",
        "UPDATE_SERVICE",
        "CREATE_SERVICE",
    ]
    assert operations[0]["Id"] == deployment
    assert {o["Status"] for o in operations} == {"SUCCEEDED"}
    assert all(o["TargetArn"] == arn and o["EndedAt"] >= o["StartedAt"] for o in operations)

    monkeypatch.setenv("LOCALAWS_APPRUNNER_DELAY", "3")
    deleted = apprunner.delete_service(ServiceArn=arn)
    assert deleted["Service"]["Status"] == "OPERATION_IN_PROGRESS"
    assert apprunner.list_operations(ServiceArn=arn)["OperationSummaryList"][0]["Status"] == "IN_PROGRESS"
    assert [s["ServiceArn"] for s in apprunner.list_services()["ServiceSummaryList"]] == [arn]

    deadline = time.monotonic() + 15
    while apprunner.list_services()["ServiceSummaryList"]:
        assert time.monotonic() < deadline, "deleted service never left ListServices"
        time.sleep(0.05)
    with pytest.raises(ClientError) as exc:
        apprunner.describe_service(ServiceArn=arn)
    assert error_code(exc) == "ResourceNotFoundException"


def test_describe_fills_aws_defaults(apprunner: Any) -> None:
    service = apprunner.create_service(ServiceName="defaults-svc", SourceConfiguration=PUBLIC_IMAGE)["Service"]
    assert re.fullmatch(r"[0-9a-f]{32}", service["ServiceId"])
    assert service["ServiceArn"] == (
        f"arn:aws:apprunner:us-east-1:123456789012:service/defaults-svc/{service['ServiceId']}"
    )
    assert re.fullmatch(r"[a-z0-9]{10}\.us-east-1\.awsapprunner\.com", service["ServiceUrl"])
    assert service["InstanceConfiguration"] == {"Cpu": "1024", "Memory": "2048"}
    assert service["HealthCheckConfiguration"] == {
        "Protocol": "TCP",
        "Path": "/",
        "Interval": 5,
        "Timeout": 2,
        "HealthyThreshold": 1,
        "UnhealthyThreshold": 5,
    }
    assert service["NetworkConfiguration"]["EgressConfiguration"] == {"EgressType": "DEFAULT"}
    assert service["NetworkConfiguration"]["IngressConfiguration"] == {"IsPubliclyAccessible": True}
    summary = service["AutoScalingConfigurationSummary"]
    assert summary["AutoScalingConfigurationName"] == "DefaultConfiguration"
    assert summary["IsDefault"] is True
    assert summary["HasAssociatedService"] is True
    assert service["SourceConfiguration"]["ImageRepository"]["ImageConfiguration"]["Port"] == "8080"
    assert service["SourceConfiguration"]["AutoDeploymentsEnabled"] is False


@pytest.mark.parametrize(
    ("cpu", "memory", "expected"),
    [
        ("0.25 vCPU", "0.5 GB", ("256", "512")),
        ("4096", "12 GB", ("4096", "12288")),
        ("1 vCPU", "3072", ("1024", "3072")),
    ],
)
def test_cpu_and_memory_aliases_are_normalised(
    apprunner: Any, cpu: str, memory: str, expected: tuple[str, str]
) -> None:
    service = create_service(apprunner, InstanceConfiguration={"Cpu": cpu, "Memory": memory})
    assert (service["InstanceConfiguration"]["Cpu"], service["InstanceConfiguration"]["Memory"]) == expected


def test_unsupported_cpu_memory_pair_is_refused(apprunner: Any) -> None:
    with pytest.raises(ClientError) as exc:
        create_service(apprunner, InstanceConfiguration={"Cpu": "0.25 vCPU", "Memory": "4 GB"})
    assert error_code(exc) == "InvalidRequestException"
    assert "Cpu 256 with Memory 4096" in exc.value.response["Error"]["Message"]


def test_private_ecr_needs_an_access_role(apprunner: Any) -> None:
    source = {"ImageRepository": PRIVATE_IMAGE["ImageRepository"]}
    with pytest.raises(ClientError) as exc:
        apprunner.create_service(ServiceName="no-role-svc", SourceConfiguration=source)
    assert error_code(exc) == "InvalidRequestException"
    assert "AccessRoleArn" in exc.value.response["Error"]["Message"]


def test_duplicate_name_and_unknown_arns(apprunner: Any) -> None:
    create_service(apprunner)
    with pytest.raises(ClientError) as exc:
        create_service(apprunner)
    assert error_code(exc) == "InvalidRequestException"
    missing = "arn:aws:apprunner:us-east-1:123456789012:service/ghost/0123456789abcdef0123456789abcdef"
    for call in (apprunner.describe_service, apprunner.pause_service, apprunner.list_operations):
        with pytest.raises(ClientError) as exc:
            call(ServiceArn=missing)
        assert error_code(exc) == "ResourceNotFoundException"
        assert missing in exc.value.response["Error"]["Message"]


def test_update_merges_only_given_sections(apprunner: Any) -> None:
    arn = create_service(apprunner, HealthCheckConfiguration={"Protocol": "HTTP", "Path": "/health"})["ServiceArn"]
    wait_until_settled(apprunner, arn)
    source = {
        "ImageRepository": {
            **PRIVATE_IMAGE["ImageRepository"],
            "ImageIdentifier": PRIVATE_IMAGE["ImageRepository"]["ImageIdentifier"].replace(":v1", ":v2"),
        },
        "AuthenticationConfiguration": PRIVATE_IMAGE["AuthenticationConfiguration"],
    }
    apprunner.update_service(ServiceArn=arn, SourceConfiguration=source)
    service = wait_until_settled(apprunner, arn)
    assert service["SourceConfiguration"]["ImageRepository"]["ImageIdentifier"].endswith(":v2")
    assert service["HealthCheckConfiguration"]["Path"] == "/health"
    assert service["HealthCheckConfiguration"]["Protocol"] == "HTTP"
    assert service["InstanceConfiguration"] == {"Cpu": "1024", "Memory": "2048"}


def test_list_services_and_operations_paginate(apprunner: Any) -> None:
    arns = [create_service(apprunner, name=f"page-svc-{i}")["ServiceArn"] for i in range(5)]
    seen, token, pages = [], None, 0
    while True:
        kwargs = {"MaxResults": 2, **({"NextToken": token} if token else {})}
        page = apprunner.list_services(**kwargs)
        pages += 1
        assert len(page["ServiceSummaryList"]) <= 2
        seen += [s["ServiceArn"] for s in page["ServiceSummaryList"]]
        token = page.get("NextToken")
        if not token:
            break
    assert pages == 3
    assert sorted(seen) == sorted(arns)

    with pytest.raises(ClientError) as exc:
        apprunner.list_services(NextToken="not-a-token")
    assert error_code(exc) == "InvalidRequestException"

    first = wait_for(
        lambda: apprunner.describe_service(ServiceArn=arns[0])["Service"], "Status", "OPERATION_IN_PROGRESS"
    )
    assert first["Status"] == "RUNNING"
    apprunner.start_deployment(ServiceArn=arns[0])
    page = apprunner.list_operations(ServiceArn=arns[0], MaxResults=1)
    assert [o["Type"] for o in page["OperationSummaryList"]] == ["START_DEPLOYMENT"]
    rest = apprunner.list_operations(ServiceArn=arns[0], MaxResults=1, NextToken=page["NextToken"])
    assert [o["Type"] for o in rest["OperationSummaryList"]] == ["CREATE_SERVICE"]
    assert "NextToken" not in rest


def test_next_token_of_another_call_or_forged_is_refused(apprunner: Any) -> None:
    arns = [create_service(apprunner, name=f"token-svc-{i}")["ServiceArn"] for i in range(3)]
    for name in ("conn-a", "conn-b", "conn-c"):
        apprunner.create_connection(ConnectionName=name, ProviderType="GITHUB")
    services_token = apprunner.list_services(MaxResults=1)["NextToken"]
    connections_token = apprunner.list_connections(MaxResults=1)["NextToken"]
    forged = [base64.b64encode(raw).decode() for raw in (b"1", b'"offset"', b"[1]", b"{}")]
    for call in (
        lambda: apprunner.list_operations(ServiceArn=arns[0], NextToken=services_token),
        lambda: apprunner.list_connections(ConnectionName="conn-a", NextToken=connections_token),
        *(lambda token=token: apprunner.list_services(NextToken=token) for token in forged),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_code(exc) == "InvalidRequestException"
        assert "Invalid NextToken" in exc.value.response["Error"]["Message"]
    rest = apprunner.list_connections(NextToken=connections_token)["ConnectionSummaryList"]
    assert [c["ConnectionName"] for c in rest] == ["conn-b", "conn-c"]


def test_reset_clears_apprunner_state(apprunner: Any, localaws: str) -> None:
    from tests.conftest import reset_localaws

    create_service(apprunner)
    apprunner.create_auto_scaling_configuration(AutoScalingConfigurationName="reset-asc")
    assert apprunner.list_services()["ServiceSummaryList"]
    reset_localaws(localaws)
    assert apprunner.list_services()["ServiceSummaryList"] == []
    names = [
        c["AutoScalingConfigurationName"]
        for c in apprunner.list_auto_scaling_configurations()["AutoScalingConfigurationSummaryList"]
    ]
    assert names == ["DefaultConfiguration"]


def test_operations_not_implemented_fail_loudly(apprunner: Any) -> None:
    with pytest.raises(ClientError) as exc:
        apprunner.list_vpc_ingress_connections()
    assert error_code(exc) == "NotImplemented"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert "ListVpcIngressConnections" in exc.value.response["Error"]["Message"]
