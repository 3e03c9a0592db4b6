"""Playbook runs of the tests write their outputs file under the session's tmp dir (the
session's code caches are set up in tests/conftest.py).

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
    dirs = {helpers.OUTPUTS_DIR_ENV: "outputs"}
    before = {env: os.environ.get(env) for env in dirs}
    for env, name in dirs.items():
        os.environ[env] = str(tmp_path_factory.mktemp(name))
    try:
        yield
    finally:
        for env, value in before.items():
            if value is None:
                os.environ.pop(env, None)
            else:
                os.environ[env] = value
