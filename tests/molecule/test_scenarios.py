"""Every molecule scenario (molecule/<role>/), each a test of its own.

Each runs ``tools/run-molecule.sh <scenario>``: ``molecule test`` (syntax, converge,
idempotence, verify) against a private local endpoint that the script starts on a free
loopback port and stops. As pytest tests they share the xdist workers with the rest of the
suite (tests/conftest.py hands each scenario out on its own, longest first), so no core
waits for a molecule phase after pytest's.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ALL_SCENARIOS = sorted(p.parent.name for p in (ROOT / "molecule").glob("*/molecule.yml"))
# The stack scenario (site.yml) runs inside tests/playbooks/test_site_serves_api.py, which goes
# on with the stack it converged (the API, the worker, teardown and rebuild): once, not twice.
RUN_ELSEWHERE = {"stack": "tests/playbooks/test_site_serves_api.py"}
SCENARIOS = [s for s in ALL_SCENARIOS if s not in RUN_ELSEWHERE]

pytestmark = [pytest.mark.slow, pytest.mark.molecule]


def test_every_role_with_a_scenario_is_a_role() -> None:
    roles = {p.name for p in (ROOT / "roles").iterdir() if p.is_dir()}
    assert SCENARIOS, "no molecule scenario found under molecule/"
    strays = sorted(set(ALL_SCENARIOS) - roles - {"stack"})  # stack: site.yml, every role
    assert not strays, f"scenarios without a role: {strays}"
    for scenario, test in RUN_ELSEWHERE.items():  # the test that runs it does
        assert f'"-s", "{scenario}"' in (ROOT / test).read_text(), (scenario, test)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario(scenario: str) -> None:
    env = {
        **os.environ,
        # the script puts .venv/bin first on PATH; this interpreter's bin covers a venv elsewhere
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }  # TMPDIR stays: the local RDS keeps its clusters there, and the pytest tmp dirs are 0700 (as root,
    # PostgreSQL runs as the postgres user and could not reach them)
    out = subprocess.run(
        [str(ROOT / "tools" / "run-molecule.sh"), scenario],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    # the tail names the failed step and task; the whole output is in the test report
    assert out.returncode == 0, f"molecule scenario {scenario} failed:\n{out.stdout[-12000:]}\n{out.stderr[-4000:]}"
