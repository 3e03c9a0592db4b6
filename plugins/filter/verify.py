"""Jinja2 filters of playbooks/verify.yml: the drift judge and the report (module_utils/verify.py)."""

from __future__ import annotations

import datetime
import json
from typing import Any

from ansible_collections.invoice.platform.plugins.module_utils.verify import (
    FAIL,
    judge_drift,
    judge_drill_report,
    render_table,
    result,
    summarise,
)

DOCUMENTATION = r"""
name: verify_drift
short_description: Drift results from a check-mode run's JSON output
version_added: 0.3.0
description:
  - Takes the registered result (or the stdout) of C(ansible-playbook --check --diff) run with
    the C(ansible.posix.json) callback and returns one FAIL per task that would change, naming
    the task and the fields its diff changes, or one PASS when nothing would change. The same file provides
    C(verify_drill) (C([report or None]) of playbooks/dr_drill.yml, its path and the maximum age
    in days, to a one-result list), C(verify_table) (the report as text lines) and
    C(verify_summary) (counts per status).
options:
  _input:
    description: The registered command result, or its JSON output (a string or the parsed dict).
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Judge the drift
  ansible.builtin.set_fact:
    drift: "{{ check_run | invoice.platform.verify_drift }}"
"""

RETURN = r"""
_value:
  description: Check results (check, resource, status, evidence).
  type: list
  elements: dict
"""


def verify_drift(run: Any, ignore_tasks: list[str] | None = None) -> list[dict[str, str]]:
    """``run``: the registered result of the check-mode command (stdout: its JSON), or the JSON."""
    output: Any = run
    stderr = ""
    if isinstance(run, dict) and "plays" not in run:
        output, stderr = run.get("stdout", ""), str(run.get("stderr", ""))
    if isinstance(output, str):
        start = output.find("{")
        try:
            output = json.loads(output[start:]) if start >= 0 else {}
        except json.JSONDecodeError:
            output = {}
    if not isinstance(output, dict) or "plays" not in output:
        excerpt = stderr.strip().splitlines()[-3:] if stderr.strip() else ["no output"]
        return [result("drift", "check-mode run", FAIL, "the check-mode run did not report: " + " / ".join(excerpt))]
    return judge_drift(output, ignore_tasks or [])


def verify_drill(reports: list[Any], path: str, max_days: float = 30) -> list[dict[str, str]]:
    report = reports[0] if reports else None
    now = datetime.datetime.now(datetime.UTC)
    return [judge_drill_report(path, report, None, now, float(max_days))]


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "verify_drift": verify_drift,
            "verify_drill": verify_drill,
            "verify_table": render_table,
            "verify_summary": summarise,
        }
