"""apprunner_connection against the local endpoint: four steps, the handshake, tags, immutability, absent."""

from __future__ import annotations

import pytest

from tests.modules.helpers import run_tasks
from tools.localaws import client as control

pytestmark = pytest.mark.slow


def conn(title, *, check=False, diff=False, **options):
    task = {"name": title, "invoice.platform.apprunner_connection": {"name": "invoice-github", **options}}
    if check:
        task["check_mode"] = True
    if diff:
        task["diff"] = True
    return task


def mutating(url):
    return [f"{c['service']}.{c['operation']}" for c in control.calls(url) if c["mutating"]]


def test_connection_check_mode_idempotence_handshake_and_diff(localaws):
    control.reset_calls(localaws)
    base = {"provider_type": "GITHUB", "tags": {"project": "invoice"}}
    run = run_tasks(
        [
            conn("create (check)", check=True, diff=True, **base),
            conn("create", diff=True, **base),
            conn("create again (check)", check=True, **base),
            conn("create again", **base),
            conn("another provider", provider_type="BITBUCKET"),
        ],
        allow_failure=True,
    )
    planned = run.result("create (check)")
    assert planned["changed"] is True
    assert planned["connection"]["connection_arn"] == "(connection invoice-github, to be created)"
    assert planned["connection"]["status"] == "PENDING_HANDSHAKE"
    assert planned["diff"] == {
        "before": {},
        "after": {"connection_name": "invoice-github", "provider_type": "GITHUB", "tags": {"project": "invoice"}},
    }
    created = run.result("create")
    assert created["changed"] is True and created["diff"] == planned["diff"]
    arn = created["connection"]["connection_arn"]
    assert arn.startswith("arn:aws:apprunner:us-east-1:123456789012:connection/invoice-github/")
    # As on AWS: a new connection waits for the one-time handshake with the provider.
    assert created["connection"]["status"] == "PENDING_HANDSHAKE"
    assert created["connection"]["tags"] == {"project": "invoice"}
    for step in ("create again (check)", "create again"):
        assert run.result(step)["changed"] is False, step
        assert run.result(step)["connection"]["connection_arn"] == arn
    refused = run.result("another provider")
    assert refused["failed"] is True
    assert "exists for GITHUB, not BITBUCKET: connections are immutable" in refused["msg"]
    assert mutating(localaws) == ["apprunner.CreateConnection"], "tags go with CreateConnection"

    assert control.complete_handshake(localaws, "invoice-github")["Status"] == "AVAILABLE"
    control.reset_calls(localaws)
    retagged = {"provider_type": "GITHUB", "tags": {"project": "invoice", "team": "billing"}}
    run = run_tasks(
        [
            conn("after the handshake", **base),
            conn("retag (check)", check=True, diff=True, **retagged),
            conn("retag", diff=True, **retagged),
            conn("delete (check)", check=True, state="absent"),
            conn("delete", state="absent"),
            conn("delete again", state="absent"),
        ]
    )
    available = run.result("after the handshake")
    assert (available["changed"], available["connection"]["status"]) == (False, "AVAILABLE")
    plan, apply = run.result("retag (check)"), run.result("retag")
    assert plan["changed"] is True and apply["changed"] is True
    assert plan["diff"] == apply["diff"]
    assert apply["diff"]["before"]["tags"] == {"project": "invoice"}
    assert apply["diff"]["after"]["tags"] == {"project": "invoice", "team": "billing"}
    assert apply["connection"]["tags"] == {"project": "invoice", "team": "billing"}
    assert run.result("delete (check)")["changed"] is True
    assert run.result("delete")["changed"] is True
    assert run.result("delete again")["changed"] is False
    assert mutating(localaws) == ["apprunner.TagResource", "apprunner.DeleteConnection"]
