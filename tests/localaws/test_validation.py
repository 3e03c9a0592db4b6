"""Server-side validation against botocore's model: every constraint class, AWS's wording."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import botocore.session
import pytest
import requests
from botocore.exceptions import ClientError

from tests.localaws.conftest import PUBLIC_IMAGE
from tools.localaws.validation import validation_errors, validation_message


def message(exc: pytest.ExceptionInfo[ClientError]) -> str:
    assert exc.value.response["Error"]["Code"] == "InvalidRequestException"
    return str(exc.value.response["Error"]["Message"])


def test_length_and_pattern(apprunner_unchecked: Any) -> None:
    with pytest.raises(ClientError) as exc:
        apprunner_unchecked.create_service(ServiceName="x", SourceConfiguration=PUBLIC_IMAGE)
    assert message(exc) == (
        "2 validation errors detected: "
        "Value 'x' at 'serviceName' failed to satisfy constraint: "
        "Member must have length greater than or equal to 4; "
        "Value 'x' at 'serviceName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [A-Za-z0-9][A-Za-z0-9-_]{3,39}"
    )


def test_max_length_and_nested_path(apprunner_unchecked: Any) -> None:
    with pytest.raises(ClientError) as exc:
        apprunner_unchecked.create_service(
            ServiceName="ok-name",
            SourceConfiguration={
                "ImageRepository": {"ImageIdentifier": "x" * 1025, "ImageRepositoryType": "ECR_PUBLIC"}
            },
        )
    text = message(exc)
    assert text.startswith("2 validation errors detected: ")
    assert "at 'sourceConfiguration.imageRepository.imageIdentifier'" in text
    assert "Member must have length less than or equal to 1024" in text


def test_enum(apprunner_unchecked: Any) -> None:
    with pytest.raises(ClientError) as exc:
        apprunner_unchecked.create_connection(ConnectionName="conn-one", ProviderType="GITLAB")
    assert message(exc) == (
        "1 validation error detected: Value 'GITLAB' at 'providerType' failed to satisfy constraint: "
        "Member must satisfy enum value set: [GITHUB, BITBUCKET]"
    )


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (
            {"MaxConcurrency": 201},
            "Value '201' at 'maxConcurrency' failed to satisfy constraint: "
            "Member must have value less than or equal to 200",
        ),
        (
            {"MinSize": 0},
            "Value '0' at 'minSize' failed to satisfy constraint: Member must have value greater than or equal to 1",
        ),
    ],
)
def test_integer_range(apprunner_unchecked: Any, settings: dict[str, int], expected: str) -> None:
    with pytest.raises(ClientError) as exc:
        apprunner_unchecked.create_auto_scaling_configuration(AutoScalingConfigurationName="range", **settings)
    assert message(exc) == f"1 validation error detected: {expected}"


def test_nested_range_in_list_and_required(apprunner_unchecked: Any) -> None:
    with pytest.raises(ClientError) as exc:
        apprunner_unchecked.create_service(
            SourceConfiguration={"ImageRepository": {"ImageRepositoryType": "ECR_PUBLIC"}},
            HealthCheckConfiguration={"Interval": 21},
            Tags=[{"Key": "aws:reserved", "Value": "v"}],
        )
    text = message(exc)
    assert text.startswith("4 validation errors detected: ")
    assert "Value null at 'serviceName' failed to satisfy constraint: Member must not be null" in text
    assert "Value null at 'sourceConfiguration.imageRepository.imageIdentifier'" in text
    assert "at 'healthCheckConfiguration.interval'" in text
    assert "Value 'aws:reserved' at 'tags.1.member.key'" in text


def test_sensitive_values_are_not_echoed(apprunner_unchecked: Any) -> None:
    secret_command = "run --token=s3cr3t\nsecond-line"
    source = {
        "ImageRepository": {
            **PUBLIC_IMAGE["ImageRepository"],
            "ImageConfiguration": {"StartCommand": secret_command},
        }
    }
    with pytest.raises(ClientError) as exc:
        apprunner_unchecked.create_service(ServiceName="secret-svc", SourceConfiguration=source)
    text = message(exc)
    assert "s3cr3t" not in text
    assert "Value '***' at 'sourceConfiguration.imageRepository.imageConfiguration.startCommand'" in text


def test_unknown_member_and_wrong_type_over_raw_http(raw_call: Callable[[str, Any], requests.Response]) -> None:
    response = raw_call("CreateAutoScalingConfiguration", {"AutoScalingConfigurationName": "raw-asc", "MinSiz": 2})
    assert response.status_code == 400
    body = response.json()
    assert body["__type"].endswith("InvalidRequestException")
    assert "Unknown member 'MinSiz'" in body["Message"]

    response = raw_call("CreateAutoScalingConfiguration", {"AutoScalingConfigurationName": "raw-asc", "MinSize": "2"})
    assert response.status_code == 400
    assert (
        "Value '2' at 'minSize' failed to satisfy constraint: Member must be an integer" in response.json()["Message"]
    )

    response = raw_call("ListServices", ["not", "an", "object"])
    assert response.status_code == 400
    assert "not a JSON object" in response.json()["Message"]

    ok = raw_call("CreateAutoScalingConfiguration", {"AutoScalingConfigurationName": "raw-asc", "MinSize": 2})
    assert ok.status_code == 200
    assert json.loads(ok.text)["AutoScalingConfiguration"]["MinSize"] == 2


def test_validation_is_generic_over_service_models() -> None:
    """The same checker covers list lengths in any model (ACM's SubjectAlternativeNames: 1-100)."""
    acm = botocore.session.get_session().get_service_model("acm").operation_model("RequestCertificate")
    assert validation_errors(acm, {"DomainName": "example.com"}) == []
    errors = validation_errors(acm, {"DomainName": "example.com", "SubjectAlternativeNames": []})
    assert errors == [
        "Value '[]' at 'subjectAlternativeNames' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"
    ]
    too_many = [f"n{i}.example.com" for i in range(101)]
    errors = validation_errors(acm, {"DomainName": "example.com", "SubjectAlternativeNames": too_many})
    assert len(errors) == 1
    assert "Member must have length less than or equal to 100" in errors[0]
    assert validation_message(errors).startswith("1 validation error detected: ")
