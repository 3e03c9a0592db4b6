"""Playbook runs of the tests write their outputs file under the session's tmp dir.

Every tier playbook ends with playbooks/outputs.yml; without this, tests running in parallel
(pytest-xdist) would all write the checkout's outputs/local.json and see each other's
changes. One directory per test process: tests of one process run one after the other.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.playbooks import helpers


@pytest.fixture(scope="session", autouse=True)
def playbook_outputs_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    before = os.environ.get(helpers.OUTPUTS_DIR_ENV)
    os.environ[helpers.OUTPUTS_DIR_ENV] = str(tmp_path_factory.mktemp("outputs"))
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(helpers.OUTPUTS_DIR_ENV, None)
        else:
            os.environ[helpers.OUTPUTS_DIR_ENV] = before
