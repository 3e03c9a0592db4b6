"""Running a molecule scenario from a test: one place for the environment and the failure report."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.playbooks.helpers import with_code_cache

ROOT = Path(__file__).resolve().parents[2]


def run_scenario(scenario: str, *, endpoint: str | None = None, outputs_dir: Path | None = None) -> None:
    """Run ``molecule test -s <scenario>`` (syntax, converge, idempotence, verify) and assert it passed.

    Without ``endpoint``, ``tools/run-molecule.sh`` runs it against a private local endpoint that
    the script starts on a free loopback port and stops. With ``endpoint`` (a test's own local
    endpoint, whose fake credentials are in this process's environment), molecule runs against
    it, so that the test goes on with what the scenario converged; ``outputs_dir`` then receives
    the tier reports (``PLATFORM_OUTPUTS_DIR``) instead of the checkout's ``outputs/``.
    """
    env = {
        **os.environ,
        # run-molecule.sh puts .venv/bin first on PATH; this interpreter's bin covers a venv elsewhere
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }  # TMPDIR stays: the local RDS keeps its clusters there, and the pytest tmp dirs are 0700 (as root,
    # PostgreSQL runs as the postgres user and could not reach them)
    if endpoint is None:
        command = [str(ROOT / "tools" / "run-molecule.sh"), scenario]
    else:
        command = [str(Path(sys.executable).parent / "molecule"), "test", "-s", scenario]
        env.update(AWS_ENDPOINT_URL=endpoint, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))
    if outputs_dir is not None:
        env["PLATFORM_OUTPUTS_DIR"] = str(outputs_dir)
    out = subprocess.run(
        command, cwd=ROOT, env=with_code_cache(env), capture_output=True, text=True, timeout=1800, check=False
    )
    # the tail names the failed step and task; the whole output is in the test report
    assert out.returncode == 0, f"molecule scenario {scenario} failed:\n{out.stdout[-12000:]}\n{out.stderr[-4000:]}"
