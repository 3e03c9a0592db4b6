"""App Runner's other resources: auto scaling, VPC connectors, custom domains,
observability configurations, connections and tags."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.localaws.conftest import create_service, wait_for, wait_until_settled


def error_code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_auto_scaling_revisions_latest_and_revision_quota(apprunner: Any) -> None:
    created = [
        apprunner.create_auto_scaling_configuration(
            AutoScalingConfigurationName="api-scaling", MaxConcurrency=50 + i, MinSize=1, MaxSize=3
        )["AutoScalingConfiguration"]
        for i in range(5)
    ]
    assert [c["AutoScalingConfigurationRevision"] for c in created] == [1, 2, 3, 4, 5]
    assert all(c["Status"] == "ACTIVE" and c["IsDefault"] is False for c in created)
    described = [
        apprunner.describe_auto_scaling_configuration(AutoScalingConfigurationArn=c["AutoScalingConfigurationArn"])[
            "AutoScalingConfiguration"
        ]
        for c in created
    ]
    assert [d["Latest"] for d in described] == [False, False, False, False, True]
    assert described[2]["MaxConcurrency"] == 52

    with pytest.raises(ClientError) as exc:
        apprunner.create_auto_scaling_configuration(AutoScalingConfigurationName="api-scaling")
    assert error_code(exc) == "ServiceQuotaExceededException"

    # Deleting a revision frees a slot; numbering continues.
    apprunner.delete_auto_scaling_configuration(AutoScalingConfigurationArn=created[0]["AutoScalingConfigurationArn"])
    sixth = apprunner.create_auto_scaling_configuration(AutoScalingConfigurationName="api-scaling")
    assert sixth["AutoScalingConfiguration"]["AutoScalingConfigurationRevision"] == 6

    latest = apprunner.list_auto_scaling_configurations(AutoScalingConfigurationName="api-scaling", LatestOnly=True)
    assert [c["AutoScalingConfigurationRevision"] for c in latest["AutoScalingConfigurationSummaryList"]] == [6]
    gone = apprunner.describe_auto_scaling_configuration(
        AutoScalingConfigurationArn=created[0]["AutoScalingConfigurationArn"]
    )["AutoScalingConfiguration"]
    assert gone["Status"] == "INACTIVE"
    assert "DeletedAt" in gone


def test_auto_scaling_name_quota(apprunner: Any) -> None:
    for i in range(10):
        apprunner.create_auto_scaling_configuration(AutoScalingConfigurationName=f"scaling-{i:02d}")
    with pytest.raises(ClientError) as exc:
        apprunner.create_auto_scaling_configuration(AutoScalingConfigurationName="scaling-10")
    assert error_code(exc) == "ServiceQuotaExceededException"
    # A new revision of an existing name is still allowed.
    apprunner.create_auto_scaling_configuration(AutoScalingConfigurationName="scaling-00")


@pytest.mark.parametrize(
    ("settings", "fragment"),
    [
        ({"MinSize": 5, "MaxSize": 2}, "MinSize (5) must be less than or equal to MaxSize (2)"),
        ({"MaxSize": 26}, "MaxSize 26"),
    ],
)
def test_auto_scaling_size_rules(apprunner: Any, settings: dict[str, int], fragment: str) -> None:
    with pytest.raises(ClientError) as exc:
        apprunner.create_auto_scaling_configuration(AutoScalingConfigurationName="bad-sizes", **settings)
    assert error_code(exc) == "InvalidRequestException"
    assert fragment in exc.value.response["Error"]["Message"]


def test_auto_scaling_in_use_default_and_services_for_configuration(apprunner: Any) -> None:
    asc = apprunner.create_auto_scaling_configuration(AutoScalingConfigurationName="in-use", MinSize=2)[
        "AutoScalingConfiguration"
    ]
    arn = asc["AutoScalingConfigurationArn"]
    service = create_service(apprunner, AutoScalingConfigurationArn=arn)
    assert service["AutoScalingConfigurationSummary"]["AutoScalingConfigurationArn"] == arn
    assert service["AutoScalingConfigurationSummary"]["HasAssociatedService"] is True

    with pytest.raises(ClientError) as exc:
        apprunner.delete_auto_scaling_configuration(AutoScalingConfigurationArn=arn)
    assert error_code(exc) == "InvalidRequestException"
    assert "in use" in exc.value.response["Error"]["Message"]

    listed = apprunner.list_services_for_auto_scaling_configuration(AutoScalingConfigurationArn=arn)
    assert listed["ServiceArnList"] == [service["ServiceArn"]]

    apprunner.update_default_auto_scaling_configuration(AutoScalingConfigurationArn=arn)
    defaults = [
        c["AutoScalingConfigurationName"]
        for c in apprunner.list_auto_scaling_configurations()["AutoScalingConfigurationSummaryList"]
        if c["IsDefault"]
    ]
    assert defaults == ["in-use"]
    other = create_service(apprunner, name="uses-default")
    assert other["AutoScalingConfigurationSummary"]["AutoScalingConfigurationName"] == "in-use"

    missing = arn.replace("/in-use/", "/nothing/")
    with pytest.raises(ClientError) as exc:
        apprunner.describe_auto_scaling_configuration(AutoScalingConfigurationArn=missing)
    assert error_code(exc) == "ResourceNotFoundException"


def test_vpc_connector_revisions_and_delete_refused_while_used(apprunner: Any) -> None:
    first = apprunner.create_vpc_connector(VpcConnectorName="db-egress", Subnets=["subnet-1"], SecurityGroups=["sg-1"])
    second = apprunner.create_vpc_connector(VpcConnectorName="db-egress", Subnets=["subnet-1", "subnet-2"])
    arn = second["VpcConnector"]["VpcConnectorArn"]
    assert first["VpcConnector"]["VpcConnectorRevision"] == 1
    assert second["VpcConnector"]["VpcConnectorRevision"] == 2
    assert second["VpcConnector"]["Status"] == "ACTIVE"
    assert not hasattr(apprunner, "update_vpc_connector")  # immutable, as in AWS

    network = {"EgressConfiguration": {"EgressType": "VPC", "VpcConnectorArn": arn}}
    service = create_service(apprunner, NetworkConfiguration=network)
    assert service["NetworkConfiguration"]["EgressConfiguration"] == {"EgressType": "VPC", "VpcConnectorArn": arn}
    with pytest.raises(ClientError) as exc:
        apprunner.delete_vpc_connector(VpcConnectorArn=arn)
    assert error_code(exc) == "InvalidRequestException"

    deleted = apprunner.delete_vpc_connector(VpcConnectorArn=first["VpcConnector"]["VpcConnectorArn"])
    assert deleted["VpcConnector"]["Status"] == "INACTIVE"
    assert [c["VpcConnectorRevision"] for c in apprunner.list_vpc_connectors()["VpcConnectors"]] == [2]

    with pytest.raises(ClientError) as exc:
        create_service(
            apprunner, name="vpc-no-arn", NetworkConfiguration={"EgressConfiguration": {"EgressType": "VPC"}}
        )
    assert error_code(exc) == "InvalidRequestException"


def test_custom_domain_pending_then_active_then_disassociated(apprunner: Any) -> None:
    service = create_service(apprunner)
    arn = service["ServiceArn"]
    wait_until_settled(apprunner, arn)
    associated = apprunner.associate_custom_domain(
        ServiceArn=arn, DomainName="api.example.com", EnableWWWSubdomain=True
    )
    assert associated["DNSTarget"] == service["ServiceUrl"]
    domain = associated["CustomDomain"]
    assert domain["Status"] == "pending_certificate_dns_validation"
    records = domain["CertificateValidationRecords"]
    assert len(records) == 2
    assert {r["Type"] for r in records} == {"CNAME"}
    assert {r["Status"] for r in records} == {"PENDING_VALIDATION"}
    assert any(r["Name"].endswith(".www.api.example.com.") for r in records)

    with pytest.raises(ClientError) as exc:
        apprunner.associate_custom_domain(ServiceArn=arn, DomainName="api.example.com")
    assert error_code(exc) == "InvalidRequestException"

    def describe() -> dict[str, Any]:
        return apprunner.describe_custom_domains(ServiceArn=arn)["CustomDomains"][0]

    active = wait_for(describe, "Status", "pending_certificate_dns_validation")
    assert active["Status"] == "active"
    assert {r["Status"] for r in active["CertificateValidationRecords"]} == {"SUCCESS"}
    assert [r["Name"] for r in active["CertificateValidationRecords"]] == [r["Name"] for r in records]

    gone = apprunner.disassociate_custom_domain(ServiceArn=arn, DomainName="api.example.com")
    assert gone["CustomDomain"]["Status"] == "deleting"
    wait_for(lambda: {"n": len(apprunner.describe_custom_domains(ServiceArn=arn)["CustomDomains"])}, "n", 1)
    with pytest.raises(ClientError) as exc:
        apprunner.disassociate_custom_domain(ServiceArn=arn, DomainName="api.example.com")
    assert error_code(exc) == "ResourceNotFoundException"


def test_observability_configuration_and_service_use(apprunner: Any) -> None:
    config = apprunner.create_observability_configuration(
        ObservabilityConfigurationName="tracing", TraceConfiguration={"Vendor": "AWSXRAY"}
    )["ObservabilityConfiguration"]
    assert config["TraceConfiguration"] == {"Vendor": "AWSXRAY"}
    assert config["Latest"] is True
    arn = config["ObservabilityConfigurationArn"]
    observability = {"ObservabilityEnabled": True, "ObservabilityConfigurationArn": arn}
    service = create_service(apprunner, ObservabilityConfiguration=observability)
    assert service["ObservabilityConfiguration"] == observability
    with pytest.raises(ClientError) as exc:
        apprunner.delete_observability_configuration(ObservabilityConfigurationArn=arn)
    assert error_code(exc) == "InvalidRequestException"
    listed = apprunner.list_observability_configurations()["ObservabilityConfigurationSummaryList"]
    assert [c["ObservabilityConfigurationArn"] for c in listed] == [arn]
    with pytest.raises(ClientError) as exc:
        create_service(apprunner, name="no-obs-arn", ObservabilityConfiguration={"ObservabilityEnabled": True})
    assert error_code(exc) == "InvalidRequestException"


def test_connections(apprunner: Any) -> None:
    connection = apprunner.create_connection(ConnectionName="github-main", ProviderType="GITHUB")["Connection"]
    assert connection["Status"] == "PENDING_HANDSHAKE"
    with pytest.raises(ClientError) as exc:
        apprunner.create_connection(ConnectionName="github-main", ProviderType="BITBUCKET")
    assert error_code(exc) == "InvalidRequestException"
    apprunner.create_connection(ConnectionName="bitbucket", ProviderType="BITBUCKET")
    only = apprunner.list_connections(ConnectionName="github-main")["ConnectionSummaryList"]
    assert [c["ConnectionArn"] for c in only] == [connection["ConnectionArn"]]
    deleted = apprunner.delete_connection(ConnectionArn=connection["ConnectionArn"])["Connection"]
    assert deleted["ConnectionArn"] == connection["ConnectionArn"]
    assert [c["ConnectionName"] for c in apprunner.list_connections()["ConnectionSummaryList"]] == ["bitbucket"]


def test_tags_on_every_resource_type(apprunner: Any) -> None:
    tags = [{"Key": "env", "Value": "test"}]
    arns = [
        create_service(apprunner, Tags=tags)["ServiceArn"],
        apprunner.create_auto_scaling_configuration(AutoScalingConfigurationName="tagged", Tags=tags)[
            "AutoScalingConfiguration"
        ]["AutoScalingConfigurationArn"],
        apprunner.create_vpc_connector(VpcConnectorName="tagged", Subnets=["subnet-1"], Tags=tags)["VpcConnector"][
            "VpcConnectorArn"
        ],
        apprunner.create_observability_configuration(ObservabilityConfigurationName="tagged", Tags=tags)[
            "ObservabilityConfiguration"
        ]["ObservabilityConfigurationArn"],
        apprunner.create_connection(ConnectionName="tagged", ProviderType="GITHUB", Tags=tags)["Connection"][
            "ConnectionArn"
        ],
    ]
    for arn in arns:
        assert apprunner.list_tags_for_resource(ResourceArn=arn)["Tags"] == tags
        apprunner.tag_resource(
            ResourceArn=arn, Tags=[{"Key": "team", "Value": "billing"}, {"Key": "env", "Value": "prod"}]
        )
        apprunner.untag_resource(ResourceArn=arn, TagKeys=["team"])
        assert apprunner.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "prod"}]

    missing = "arn:aws:apprunner:us-east-1:123456789012:connection/ghost/0123456789abcdef0123456789abcdef"
    with pytest.raises(ClientError) as exc:
        apprunner.list_tags_for_resource(ResourceArn=missing)
    assert error_code(exc) == "ResourceNotFoundException"
