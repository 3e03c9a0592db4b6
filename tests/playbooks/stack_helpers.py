"""Shared steps of the dns/certificates/service/cdn/deploy playbook tests."""

from __future__ import annotations

import json
import re
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


# A check-mode stand-in for the ARN of a resource (or revision) an earlier task of the same
# plan would create: plugins/module_utils/_apprunner/errors.py not_yet_created.
STAND_IN = re.compile(r"\([^()]+, to be created\)")


def planned_as_applied(planned: Any, applied: Any) -> bool:
    """Whether a plan's diff is the apply's, but for stand-ins, each of which matches one value
    (the ARN the apply got), in a field or inside a file's text (the outputs file's diff)."""
    between = STAND_IN.split(json.dumps(planned, sort_keys=True))
    pattern = r'[^"\\\s,]+'.join(re.escape(text) for text in between)
    return re.fullmatch(pattern, json.dumps(applied, sort_keys=True)) is not None
