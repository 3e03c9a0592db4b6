"""Playbook runs of the tests write their outputs file under the session's tmp dir (the
session's code caches are set up in tests/conftest.py).

Every tier playbook ends with playbooks/outputs.yml; without this, tests running in parallel
(pytest-xdist) would all write the checkout's outputs/local.json and see each other's
changes. One directory per test process: tests of one process run one after the other.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers import session_dirs
from tests.playbooks import helpers


@pytest.fixture(scope="session", autouse=True)
def playbook_outputs_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    with session_dirs(tmp_path_factory, {helpers.OUTPUTS_DIR_ENV: "outputs"}):
        yield
