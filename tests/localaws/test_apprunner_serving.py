"""LOCALAWS_APPRUNNER_COMMAND: services served by a local process on 127.0.0.1."""

from __future__ import annotations

import json
import os
import shlex
import sys
import urllib.request
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.conftest import reset_localaws
from tests.localaws.conftest import PRIVATE_IMAGE, wait_until_settled

APP = Path(__file__).with_name("echo_env_app.py")
NAMES = ["APP_ENV", "DB_PASSWORD", "PORT", "AWS_ENDPOINT_URL", "RELEASE"]


def fetch(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://{url}/", timeout=5) as response:
        return dict(json.loads(response.read()))


def refused(url: str) -> bool:
    try:
        fetch(url)
    except OSError:
        return True
    return False


@pytest.fixture
def serving(localaws: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    if os.environ.get("LOCALAWS_URL"):
        pytest.skip("serving needs the in-process endpoint (LOCALAWS_URL points at another one)")
    command = shlex.join([sys.executable, str(APP), "$PORT", *NAMES])
    monkeypatch.setenv("LOCALAWS_APPRUNNER_COMMAND", command)
    monkeypatch.setenv("LOCALAWS_APPRUNNER_LOG_DIR", str(tmp_path))
    return localaws


def source(release: str, secret_arn: str) -> dict[str, Any]:
    image = PRIVATE_IMAGE["ImageRepository"]
    return {
        **PRIVATE_IMAGE,
        "ImageRepository": {
            **image,
            "ImageConfiguration": {
                "Port": "8000",
                "RuntimeEnvironmentVariables": {"APP_ENV": "test", "RELEASE": release},
                "RuntimeEnvironmentSecrets": {"DB_PASSWORD": secret_arn},
            },
        },
    }


def test_service_is_served_by_a_local_process(serving: str, apprunner: Any) -> None:
    parameter = "/invoice/test/db-password"
    boto3.client("ssm").put_parameter(Name=parameter, Value="local-only-password", Type="SecureString")
    secret_arn = f"arn:aws:ssm:us-east-1:123456789012:parameter{parameter}"

    service = apprunner.create_service(ServiceName="served-api", SourceConfiguration=source("1", secret_arn))["Service"]
    arn, first_url = service["ServiceArn"], service["ServiceUrl"]
    assert first_url.startswith("127.0.0.1:")
    assert wait_until_settled(apprunner, arn)["Status"] == "RUNNING"
    env = fetch(first_url)
    assert env == {
        "APP_ENV": "test",
        "DB_PASSWORD": "local-only-password",
        "PORT": first_url.split(":")[1],
        "AWS_ENDPOINT_URL": serving,
        "RELEASE": "1",
    }

    # A new revision starts beside the old one and replaces it once it answers.
    apprunner.update_service(ServiceArn=arn, SourceConfiguration=source("2", secret_arn))
    updated = wait_until_settled(apprunner, arn)
    assert updated["Status"] == "RUNNING"
    assert updated["ServiceUrl"] != first_url
    assert fetch(updated["ServiceUrl"])["RELEASE"] == "2"
    assert refused(first_url)

    apprunner.pause_service(ServiceArn=arn)
    assert refused(updated["ServiceUrl"])
    assert wait_until_settled(apprunner, arn)["Status"] == "PAUSED"
    apprunner.resume_service(ServiceArn=arn)
    resumed = wait_until_settled(apprunner, arn)
    assert fetch(resumed["ServiceUrl"])["RELEASE"] == "2"

    reset_localaws(serving)  # /moto-api/reset stops the children too
    assert refused(resumed["ServiceUrl"])


def test_secrets_manager_json_key_reference_is_resolved(serving: str, apprunner: Any) -> None:
    """The form App Runner documents (and apprunner_service writes): <secret ARN>:<json-key>::."""
    secret = boto3.client("secretsmanager").create_secret(
        Name="invoice-test-database-master", SecretString=json.dumps({"username": "invoice", "password": "from-json"})
    )
    service = apprunner.create_service(
        ServiceName="json-key-api", SourceConfiguration=source("1", f"{secret['ARN']}:password::")
    )["Service"]
    assert wait_until_settled(apprunner, service["ServiceArn"])["Status"] == "RUNNING"
    assert fetch(service["ServiceUrl"])["DB_PASSWORD"] == "from-json"

    with pytest.raises(apprunner.exceptions.InvalidRequestException) as exc:
        apprunner.create_service(ServiceName="no-key-api", SourceConfiguration=source("1", f"{secret['ARN']}:nope::"))
    assert "DB_PASSWORD" in str(exc.value)


def test_unresolvable_secret_is_refused(serving: str, apprunner: Any) -> None:
    from botocore.exceptions import ClientError

    missing = "arn:aws:ssm:us-east-1:123456789012:parameter/invoice/test/missing"
    with pytest.raises(ClientError) as exc:
        apprunner.create_service(ServiceName="no-secret", SourceConfiguration=source("1", missing))
    assert exc.value.response["Error"]["Code"] == "InvalidRequestException"
    assert "DB_PASSWORD" in exc.value.response["Error"]["Message"]
    assert apprunner.list_services()["ServiceSummaryList"] == []


def test_process_that_exits_fails_the_create(
    localaws: str, apprunner: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    if os.environ.get("LOCALAWS_URL"):
        pytest.skip("serving needs the in-process endpoint")
    monkeypatch.setenv("LOCALAWS_APPRUNNER_COMMAND", shlex.join([sys.executable, "-c", "raise SystemExit(3)"]))
    monkeypatch.setenv("LOCALAWS_APPRUNNER_LOG_DIR", str(tmp_path))
    arn = apprunner.create_service(ServiceName="crashing-api", SourceConfiguration=PRIVATE_IMAGE)["Service"][
        "ServiceArn"
    ]
    assert wait_until_settled(apprunner, arn)["Status"] == "CREATE_FAILED"
    operation = apprunner.list_operations(ServiceArn=arn)["OperationSummaryList"][0]
    assert (operation["Type"], operation["Status"]) == ("CREATE_SERVICE", "FAILED")
    with pytest.raises(Exception, match="InvalidStateException"):
        apprunner.start_deployment(ServiceArn=arn)
    apprunner.delete_service(ServiceArn=arn)


def test_custom_domain_target_is_stable_across_deployments(serving: str, apprunner: Any) -> None:
    parameter = "/invoice/test/db-password"
    boto3.client("ssm").put_parameter(Name=parameter, Value="local-only-password", Type="SecureString")
    secret_arn = f"arn:aws:ssm:us-east-1:123456789012:parameter{parameter}"
    arn = apprunner.create_service(ServiceName="domain-api", SourceConfiguration=source("1", secret_arn))["Service"][
        "ServiceArn"
    ]
    wait_until_settled(apprunner, arn)
    target = apprunner.associate_custom_domain(ServiceArn=arn, DomainName="api.example.test")["DNSTarget"]
    assert target.endswith(".us-east-1.awsapprunner.com")
    apprunner.update_service(ServiceArn=arn, SourceConfiguration=source("2", secret_arn))
    moved = wait_until_settled(apprunner, arn)
    assert moved["ServiceUrl"].startswith("127.0.0.1:")
    assert apprunner.describe_custom_domains(ServiceArn=arn)["DNSTarget"] == target
