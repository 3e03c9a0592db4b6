"""Shared steps of the dns/certificates/service/cdn/deploy playbook tests."""

from __future__ import annotations

from typing import Any

from tests.playbooks.helpers import PlaybookRun, run_playbook
from tools.localaws.client import calls, reset_calls


def converge(playbook: str, **kwargs: Any) -> PlaybookRun:
    run = run_playbook(playbook, **kwargs)
    assert run.rc == 0, run.explain()
    return run


def noop_calls(url: str, playbook: str, **kwargs: Any) -> tuple[PlaybookRun, list[dict[str, Any]]]:
    """Run ``playbook`` again and return the run and the AWS calls it made."""
    reset_calls(url)
    run = converge(playbook, **kwargs)
    return run, calls(url)


def mutating(log: list[dict[str, Any]]) -> list[str]:
    return [f"{c['service']}.{c['operation']}" for c in log if c["mutating"]]
