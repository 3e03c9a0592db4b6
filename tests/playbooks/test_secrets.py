"""The secrets tier: values from the environment, generated once, never printed, never rotated by a re-run."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from tests.playbooks.helpers import run_clean, run_playbook
from tools.localaws.client import calls, reset_calls

pytestmark = pytest.mark.slow

PLAYBOOK = "playbooks/secrets.yml"
JWT = "/invoice/local/jwt-secret"
CLAUDE = "/invoice/local/anthropic-api-key"
# Recognisable fake values: a leak shows up as this text in the run's output.
FAKE_KEY = "sk-ant-test-" + "k3y" * 12
FAKE_JWT = "jwt-test-" + "s3cret" * 8


def parameter(name: str) -> dict[str, Any] | None:
    ssm = boto3.client("ssm")
    try:
        return ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
    except ssm.exceptions.ParameterNotFound:
        return None


def test_generated_once_and_kept(localaws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INVOICE_JWT_SECRET", raising=False)
    monkeypatch.delenv("INVOICE_ANTHROPIC_API_KEY", raising=False)
    _, writes = run_clean(localaws, PLAYBOOK, check=True)
    assert writes == []
    assert parameter(JWT) is None

    first, writes = run_clean(localaws, PLAYBOOK)
    assert writes == ["ssm.PutParameter"]
    stored = parameter(JWT)
    assert stored is not None and stored["Type"] == "SecureString" and len(stored["Value"]) == 48
    assert parameter(CLAUDE) is None  # no key: nothing stored, offline extractor
    outputs = first.task("Publish the secrets outputs")["ansible_facts"]["platform_outputs_secrets"]
    assert outputs["parameter_names"] == {"JWT_SECRET": JWT}
    assert outputs["extractor"] == "offline"
    assert outputs["parameter_arns"]["JWT_SECRET"] == f"arn:aws:ssm:us-east-1:123456789012:parameter{JWT}"
    assert stored["Value"] not in first.stdout + first.stderr

    again, writes = run_clean(localaws, PLAYBOOK)
    assert (again.changed, writes) == (0, [])
    check, writes = run_clean(localaws, PLAYBOOK, check=True, diff=True)
    assert (check.changed, writes) == (0, [])
    assert parameter(JWT)["Value"] == stored["Value"]  # type: ignore[index]


def test_values_from_the_environment_are_stored_and_never_printed(
    localaws: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INVOICE_JWT_SECRET", FAKE_JWT)
    monkeypatch.setenv("INVOICE_ANTHROPIC_API_KEY", FAKE_KEY)
    run, writes = run_clean(localaws, PLAYBOOK, diff=True)
    assert sorted(writes) == ["ssm.PutParameter", "ssm.PutParameter"]
    assert parameter(JWT)["Value"] == FAKE_JWT  # type: ignore[index]
    assert parameter(CLAUDE)["Value"] == FAKE_KEY  # type: ignore[index]
    assert FAKE_KEY not in run.stdout + run.stderr and FAKE_JWT not in run.stdout + run.stderr
    outputs = run.task("Publish the secrets outputs")["ansible_facts"]["platform_outputs_secrets"]
    assert outputs["extractor"] == "claude"

    # The key leaves the environment: the stored one stays (nothing is deleted or rewritten).
    monkeypatch.delenv("INVOICE_ANTHROPIC_API_KEY")
    again, writes = run_clean(localaws, PLAYBOOK)
    assert (again.changed, writes) == (0, [])
    assert parameter(CLAUDE)["Value"] == FAKE_KEY  # type: ignore[index]

    # A new JWT secret in the environment rotates exactly that parameter.
    monkeypatch.setenv("INVOICE_JWT_SECRET", FAKE_JWT[::-1])
    rotated, writes = run_clean(localaws, PLAYBOOK)
    assert writes == ["ssm.PutParameter"]
    assert parameter(JWT)["Value"] == FAKE_JWT[::-1]  # type: ignore[index]
    assert FAKE_JWT[::-1] not in rotated.stdout + rotated.stderr


@pytest.mark.parametrize(
    ("extra", "env", "expected"),
    [
        ({"secrets_jwt_secret_generate": False}, {}, "No JWT signing key: set INVOICE_JWT_SECRET"),
        ({"secrets_anthropic_api_key_required": True}, {}, "No Claude API key: set INVOICE_ANTHROPIC_API_KEY"),
        (
            {},
            {"INVOICE_JWT_SECRET": "too-short"},
            "secrets_jwt_secret (INVOICE_JWT_SECRET / vault_invoice_jwt_secret) must hold",
        ),
        (
            {"secrets_parameter_prefix": "invoice"},
            {},
            'secrets_parameter_prefix must be a path such as "/invoice/prod"',
        ),
    ],
)
def test_missing_or_bad_secrets_fail_without_writing(
    localaws: str, monkeypatch: pytest.MonkeyPatch, extra: dict[str, Any], env: dict[str, str], expected: str
) -> None:
    monkeypatch.delenv("INVOICE_JWT_SECRET", raising=False)
    monkeypatch.delenv("INVOICE_ANTHROPIC_API_KEY", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    reset_calls(localaws)
    run = run_playbook(PLAYBOOK, extra_vars=extra)
    assert run.rc != 0
    assert any(expected in m for m in run.failure_messages()), run.explain()
    assert [c for c in calls(localaws) if c["mutating"]] == []
    if "too-short" in env.values():
        assert "too-short" not in run.stdout + run.stderr
