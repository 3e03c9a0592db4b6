"""Run Ansible tasks from pytest and read their results as JSON.

One ``ansible-playbook`` run costs a few seconds, so tests put a whole scenario (check mode,
apply, check mode again, apply again, ...) into one call of :func:`run_tasks` and assert on
the per-task results it returns. Tasks run on ``localhost`` with the playbook's own Python
(the project's .venv) and inherit ``os.environ``: the ``localaws`` fixture's
``AWS_ENDPOINT_URL`` and fake credentials reach every module.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.playbooks.helpers import with_code_cache

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


@dataclass
class PlaybookRun:
    """The outcome of one ``ansible-playbook`` run."""

    rc: int
    results: list[dict[str, Any]] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    stdout: str = ""
    stderr: str = ""

    def result(self, name: str) -> dict[str, Any]:
        """The result of the task called ``name`` (the last one if the name repeats)."""
        for item in reversed(self.results):
            if item["_task"] == name:
                return item
        raise KeyError(f"no task named {name!r} ran; tasks that ran: {[r['_task'] for r in self.results]}")

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [r for r in self.results if r.get("failed")]


def _parse(stdout: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    start = stdout.find("{")
    if start < 0:
        return [], {}
    doc = json.loads(stdout[start:])
    results: list[dict[str, Any]] = []
    for play in doc.get("plays", []):
        for task in play.get("tasks", []):
            host_result = task.get("hosts", {}).get("localhost")
            if host_result is None:
                continue
            results.append({"_task": task["task"]["name"], **host_result})
    return results, doc.get("stats", {})


def module_task(module: str, name: str, params: dict[str, Any], check: bool = False, diff: bool = False) -> dict:
    """A task calling ``module`` with ``params``, in check mode and/or diff mode when asked."""
    result: dict[str, Any] = {"name": name, module: params, "check_mode": check}
    if diff:
        result["diff"] = True
    return result


def run_tasks(
    tasks: list[dict[str, Any]],
    *,
    check: bool = False,
    diff: bool = False,
    allow_failure: bool = False,
    extra_env: dict[str, str] | None = None,
    timeout: float = 600,
) -> PlaybookRun:
    """Run ``tasks`` in one play on localhost and return every task's result.

    Per-task ``check_mode: true`` / ``diff: true`` keywords let one run hold a whole scenario;
    ``check``/``diff`` apply ``--check``/``--diff`` to the whole run. A failing task ends the
    run; unless ``allow_failure`` is set that raises AssertionError with the task's message.
    """
    play = [
        {
            "name": "Test scenario",
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "vars": {"ansible_python_interpreter": str(VENV_BIN / "python")},
            "tasks": tasks,
        }
    ]
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
        "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_DEPRECATION_WARNINGS": "0",
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        **(extra_env or {}),
    }
    env = with_code_cache(env)
    args = [str(VENV_BIN / "ansible-playbook"), "-i", "localhost,"]
    if check:
        args.append("--check")
    if diff:
        args.append("--diff")
    with tempfile.TemporaryDirectory(prefix="invoice-play-") as tmp:
        playbook = Path(tmp) / "play.yml"
        playbook.write_text(yaml.safe_dump(play, sort_keys=False))
        proc = subprocess.run(
            [*args, str(playbook)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    try:
        results, stats = _parse(proc.stdout)
    except json.JSONDecodeError as exc:
        raise AssertionError(f"ansible-playbook printed no JSON ({exc}):\n{proc.stdout}\n{proc.stderr}") from exc
    run = PlaybookRun(rc=proc.returncode, results=results, stats=stats, stdout=proc.stdout, stderr=proc.stderr)
    if proc.returncode != 0 and not allow_failure:
        details = [f"{r['_task']}: {r.get('msg')}" for r in run.failed] or [proc.stderr[-3000:]]
        raise AssertionError("ansible-playbook failed:\n" + "\n".join(details))
    return run
