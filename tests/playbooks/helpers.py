"""Run playbooks of this repository from tests and read their results.

``run_playbook`` runs ``ansible-playbook`` as a user would (same ansible.cfg, an inventory
of ``inventories/``), with the ``ansible.posix.json`` callback so the outcome of every task
can be asserted on. The environment is the test's (the ``localaws`` fixture has pointed it
at the local endpoint).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.localaws.client import calls, reset_calls

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
# Where runs write outputs/<env>.json unless a test passes platform_outputs_dir itself
# (playbooks/outputs.yml reads it; tests/playbooks/conftest.py sets it per test process, so
# tests never write the checkout's outputs/).
OUTPUTS_DIR_ENV = "PLATFORM_OUTPUTS_DIR"
# Where tests/playbooks/codecache/sitecustomize.py keeps the code compiled from module_utils
# sources (tests/playbooks/conftest.py sets it per test process): see that file.
CODE_CACHE_ENV = "PLAYBOOK_CODE_CACHE"
# ... and where it links each run's AnsiballZ payload cache (the same file)
ANSIBALLZ_CACHE_ENV = "PLAYBOOK_ANSIBALLZ_CACHE"
CODE_CACHE_SITE = Path(__file__).resolve().parent / "codecache"
# The preflight role's identity check (amazon.aws.aws_caller_info): the only calls a bad input may see.
PREFLIGHT_OPS = {"GetCallerIdentity", "ListAccountAliases"}


@dataclass
class PlaybookRun:
    rc: int
    stdout: str
    stderr: str
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def stats(self) -> dict[str, int]:
        """The recap for localhost: ok, changed, failures, skipped, ..."""
        return self.data.get("stats", {}).get("localhost", {})

    @property
    def changed(self) -> int:
        return int(self.stats.get("changed", 0))

    @property
    def failed(self) -> int:
        return int(self.stats.get("failures", 0)) + int(self.stats.get("unreachable", 0))

    def tasks(self) -> list[dict[str, Any]]:
        """Every task result for localhost, in order: {"name", "action", "result"}."""
        out = []
        for play in self.data.get("plays", []):
            for task in play.get("tasks", []):
                result = task.get("hosts", {}).get("localhost")
                if result is not None:
                    out.append({"name": task["task"]["name"], "result": result, "action": result.get("action")})
        return out

    def task(self, name: str) -> dict[str, Any]:
        """The result of the last task whose name is ``name`` (KeyError when it did not run)."""
        found = [t["result"] for t in self.tasks() if t["name"] == name or t["name"].endswith(f" : {name}")]
        if not found:
            raise KeyError(f"task {name!r} did not run; tasks: {[t['name'] for t in self.tasks()]}")
        return found[-1]

    def changed_tasks(self) -> list[str]:
        return [t["name"] for t in self.tasks() if t["result"].get("changed")]

    def failure_messages(self) -> list[str]:
        """Messages of failed tasks; for a failed loop, those of its failed items."""
        out = []
        for t in self.tasks():
            result = t["result"]
            if not result.get("failed"):
                continue
            items = [
                r
                for r in result.get("results", [])
                if isinstance(r, dict) and (r.get("failed") or r.get("evaluated_to") is False)
            ]
            out.extend(str(r.get("msg", "")) for r in items) if items else out.append(str(result.get("msg", "")))
        return out

    def explain(self) -> str:
        failed = [t["name"] for t in self.tasks() if t["result"].get("failed")]  # names even when no_log hides msg
        messages = self.failure_messages()
        return f"rc={self.rc}\nfailed tasks={failed}\nfailures={messages}\nstderr:\n{self.stderr[-4000:]}"


def playbook_command(
    playbook: str | Path,
    inventory: str = "local",
    *,
    extra_vars: dict[str, Any] | None = None,
    check: bool = False,
    diff: bool = False,
    tags: list[str] | None = None,
    env: dict[str, str] | None = None,
) -> tuple[list[str], dict[str, str]]:
    """The ``ansible-playbook`` command line and environment of ``run_playbook`` (for a run to start and kill)."""
    cmd = [str(VENV_BIN / "ansible-playbook"), "-i", str(ROOT / "inventories" / inventory), str(ROOT / playbook)]
    if extra_vars:
        cmd += ["-e", json.dumps(extra_vars)]
    if check:
        cmd.append("--check")
    if diff:
        cmd.append("--diff")
    if tags:
        cmd += ["--tags", ",".join(tags)]
    run_env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
        "ANSIBLE_NOCOLOR": "1",
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        **(env or {}),
    }
    return cmd, with_code_cache(run_env)


def with_code_cache(env: dict[str, str]) -> dict[str, str]:
    """``env`` with tests/playbooks/codecache on PYTHONPATH when the session keeps its caches (see there)."""
    if env.get(CODE_CACHE_ENV) or env.get(ANSIBALLZ_CACHE_ENV):
        env = {**env, "PYTHONPATH": os.pathsep.join(p for p in (str(CODE_CACHE_SITE), env.get("PYTHONPATH")) if p)}
    return env


def run_playbook(
    playbook: str | Path,
    inventory: str = "local",
    *,
    timeout: float = 600,
    **kwargs: Any,
) -> PlaybookRun:
    """Run ``playbook`` (path relative to the repository root) against ``inventories/<inventory>``
    (keywords: those of ``playbook_command``)."""
    cmd, run_env = playbook_command(playbook, inventory, **kwargs)
    proc = subprocess.run(cmd, cwd=ROOT, env=run_env, capture_output=True, text=True, timeout=timeout, check=False)
    try:
        data = json.loads(proc.stdout) if proc.stdout.strip() else {}
    except json.JSONDecodeError:
        data = {}
    return PlaybookRun(proc.returncode, proc.stdout, proc.stderr, data)


def run_clean(url: str, playbook: str | Path, **kwargs: Any) -> tuple[PlaybookRun, list[str]]:
    """Run ``playbook`` with the local endpoint's call log reset, require success, and return
    the run with the mutating calls it made (``service.Operation``, in order)."""
    reset_calls(url)
    run = run_playbook(playbook, **kwargs)
    assert run.rc == 0, run.explain()
    return run, [f"{c['service']}.{c['operation']}" for c in calls(url) if c["mutating"]]


def assert_fails_in_preflight(url: str, playbook: str | Path, extra_vars: dict[str, Any], expected: str) -> PlaybookRun:
    """Run ``playbook`` with a bad input: it must fail with a message containing ``expected``
    having made no call but the preflight role's identity check."""
    reset_calls(url)
    run = run_playbook(playbook, extra_vars=extra_vars)
    assert run.rc != 0
    assert any(expected in m for m in run.failure_messages()), run.explain()
    assert {c["operation"] for c in calls(url)} <= PREFLIGHT_OPS
    return run


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (Ansible's workers start their own sessions: killpg misses them)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def kill_tree(proc: subprocess.Popen[Any]) -> None:
    """SIGKILL the run and everything it started (the module mid-write), as a crash would."""
    for pid in [proc.pid, *descendants(proc.pid)]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()
