"""Fixtures for the local endpoint's own tests: App Runner clients and a raw JSON caller."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import boto3
import botocore.session
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

NO_RETRY = Config(retries={"mode": "standard", "total_max_attempts": 1})
POLL_TIMEOUT = 15.0

PUBLIC_IMAGE = {
    "ImageRepository": {
        "ImageIdentifier": "public.ecr.aws/aws-containers/hello-app-runner:latest",
        "ImageRepositoryType": "ECR_PUBLIC",
    }
}
PRIVATE_IMAGE = {
    "ImageRepository": {
        "ImageIdentifier": "123456789012.dkr.ecr.us-east-1.amazonaws.com/invoice-api:v1",
        "ImageRepositoryType": "ECR",
        "ImageConfiguration": {"Port": "8000", "RuntimeEnvironmentVariables": {"APP_ENV": "test"}},
    },
    "AuthenticationConfiguration": {"AccessRoleArn": "arn:aws:iam::123456789012:role/apprunner-ecr-access"},
}


def client(service: str, *, checked: bool = True) -> Any:
    """A client of ``service`` on the endpoint, botocore's own retries off (to see every error);
    ``checked=False`` also skips botocore's parameter validation, so the endpoint's is what answers."""
    config = NO_RETRY if checked else Config(parameter_validation=False, retries=NO_RETRY.retries)
    return boto3.client(service, config=config)


@pytest.fixture
def apprunner(localaws: str) -> Any:
    """An App Runner client on the endpoint."""
    return client("apprunner")


@pytest.fixture
def apprunner_unchecked(localaws: str) -> Any:
    """An App Runner client whose requests botocore does not validate."""
    return client("apprunner", checked=False)


@pytest.fixture
def raw_call(localaws: str) -> Callable[[str, Any], requests.Response]:
    """POST any JSON body to an App Runner operation, signed like boto3 would."""
    credentials = Credentials("testing", "testing", "testing")

    def call(operation: str, body: Any) -> requests.Response:
        request = AWSRequest(
            method="POST",
            url=f"{localaws}/",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"AppRunner.{operation}"},
        )
        SigV4Auth(credentials, "apprunner", "us-east-1").add_auth(request)
        return requests.post(request.url, data=request.body, headers=dict(request.headers), timeout=10)

    return call


def wait_for(describe: Callable[[], dict[str, Any]], key: str, leave: str) -> dict[str, Any]:
    """Poll until ``describe()[key]`` is no longer ``leave``; return that response."""
    deadline = time.monotonic() + POLL_TIMEOUT
    while True:
        current = describe()
        if current[key] != leave:
            return current
        if time.monotonic() > deadline:
            raise AssertionError(f"{key} still {leave} after {POLL_TIMEOUT}s: {current}")
        time.sleep(0.05)


def wait_until_settled(client: Any, arn: str) -> dict[str, Any]:
    return wait_for(lambda: client.describe_service(ServiceArn=arn)["Service"], "Status", "OPERATION_IN_PROGRESS")


def create_service(client: Any, name: str = "invoice-api", **extra: Any) -> dict[str, Any]:
    response = client.create_service(ServiceName=name, SourceConfiguration=PRIVATE_IMAGE, **extra)
    return response["Service"]


@pytest.fixture(scope="session")
def apprunner_model() -> Any:
    return botocore.session.get_session().get_service_model("apprunner")
