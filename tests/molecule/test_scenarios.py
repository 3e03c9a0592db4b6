"""Every molecule scenario (molecule/<role>/), each a test of its own.

Each runs ``tools/run-molecule.sh <scenario>`` (tests/molecule/run.py): ``molecule test``
(syntax, converge, idempotence, verify) against a private local endpoint that the script
starts on a free loopback port and stops. As pytest tests they share the xdist workers with the rest of the
suite (tests/conftest.py hands each scenario out on its own, longest first), so no core
waits for a molecule phase after pytest's.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.molecule.run import run_scenario

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

    # stack: site.yml, every role; <role>_<variant>: a role's scenario on another backend
    def of_a_role(scenario: str) -> bool:
        return any(scenario == role or scenario.startswith(role + "_") for role in roles)

    strays = sorted(s for s in set(ALL_SCENARIOS) - {"stack"} if not of_a_role(s))
    assert not strays, f"scenarios without a role: {strays}"
    for scenario, test in RUN_ELSEWHERE.items():  # the test that runs it does
        assert f'run_scenario("{scenario}"' in (ROOT / test).read_text(), (scenario, test)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario(scenario: str) -> None:
    run_scenario(scenario)
