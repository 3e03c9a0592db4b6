"""The guard rails: no run ever touches an account by accident."""

from __future__ import annotations

import pytest

from tests.playbooks.helpers import run_playbook
from tools.localaws.client import calls, reset_calls

pytestmark = pytest.mark.slow


def test_local_inventory_passes_against_the_local_endpoint(localaws: str) -> None:
    run = run_playbook("playbooks/preflight.yml")
    assert run.rc == 0, run.explain()
    assert run.changed == 0
    assert run.task("Ask the local endpoint who we are")["account"] == "123456789012"


@pytest.mark.parametrize(
    ("endpoint", "where"),
    [
        ("http://192.0.2.10:4566", "inventory"),  # TEST-NET address: never contacted
        ("https://sts.amazonaws.com", "inventory"),
        ("http://10.1.2.3:4566", "environment"),
        # names that only start like a loopback address: the host is parsed, not prefix-matched
        ("http://127.attacker.example:4566", "inventory"),
        ("http://127.0.0.1.nip.io:4566", "environment"),
    ],
)
def test_local_inventory_refuses_a_non_loopback_endpoint(localaws: str, endpoint: str, where: str) -> None:
    reset_calls(localaws)
    if where == "inventory":
        run = run_playbook("playbooks/preflight.yml", extra_vars={"platform_aws_endpoint_url": endpoint})
    else:
        run = run_playbook("playbooks/preflight.yml", env={"AWS_ENDPOINT_URL": endpoint})
    assert run.rc != 0
    (message,) = run.failure_messages()
    assert "loopback endpoint" in message
    assert endpoint.split("//")[1].split(":", maxsplit=1)[0] in message
    assert calls(localaws) == [], "the refusal must come before any AWS call"


@pytest.mark.parametrize("env_name", ["staging", "prod"])
def test_real_inventories_refuse_an_endpoint_override(localaws: str, env_name: str) -> None:
    reset_calls(localaws)
    run = run_playbook("playbooks/preflight.yml", inventory=env_name)
    assert run.rc != 0
    (message,) = run.failure_messages()
    assert "unset AWS_ENDPOINT_URL" in message
    assert calls(localaws) == []


@pytest.mark.parametrize("env_name", ["staging", "prod"])
def test_real_inventories_refuse_credentials_of_another_account(
    localaws: str, env_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only STS goes to the local endpoint (botocore's per-service endpoint variable), so the
    # account check itself runs: the endpoint answers for moto's account, not the inventory's.
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", localaws)
    run = run_playbook("playbooks/preflight.yml", inventory=env_name)
    assert run.rc != 0
    (message,) = run.failure_messages()
    assert "belong to account 123456789012" in message
    assert f"the {env_name} inventory is for account 000000000000" in message
    assert "Nothing was changed" in message
    ops = [c["operation"] for c in calls(localaws)]
    assert ops == ["GetCallerIdentity"]


def test_real_inventory_refuses_a_region_mismatch(localaws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    run = run_playbook("playbooks/preflight.yml", inventory="prod")
    assert run.rc != 0
    assert any('AWS_REGION is "eu-west-1"' in m for m in run.failure_messages()), run.explain()


@pytest.mark.parametrize(
    ("var", "value", "expected"),
    [
        ("platform_aws_account_id", "12345", "platform_aws_account_id must be 12 digits"),
        ("platform_region", "mars-1", "platform_region is not an AWS region name"),
        ("platform_region", "us-fake-1", "platform_region is not an AWS region name"),  # has a region's shape
        ("platform_domain", "Not A Domain", "platform_domain is not a lower-case DNS name"),
        ("platform_name", "Invoice_App", "platform_name must be"),
        ("platform_env", "qa", "platform_env"),
    ],
)
def test_bad_inventory_values_fail_before_any_call(localaws: str, var: str, value: str, expected: str) -> None:
    reset_calls(localaws)
    run = run_playbook("playbooks/preflight.yml", extra_vars={var: value})
    assert run.rc != 0
    assert any(expected in m for m in run.failure_messages()), run.explain()
    assert calls(localaws) == []
