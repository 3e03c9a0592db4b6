"""Shared fixtures: the local AWS endpoint and a throwaway PostgreSQL cluster.

Both are the real components the project runs (``tools.localaws`` and ``scripts/pg.sh``),
started once per test session on free loopback ports.

- ``localaws_server``: the endpoint (session scope). ``LOCALAWS_URL`` in the environment
  makes the tests use an endpoint that is already running instead.
- ``localaws``: per test: resets every backend (moto's ``/moto-api/reset``), points boto3
  and Ansible at the endpoint through the environment, yields the URL.
- ``pg_url``: a PostgreSQL 15 cluster (session scope). ``TEST_DATABASE_URL`` overrides it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REGION = "us-east-1"

# Fake credentials only: nothing in the test suite may reach a real account.
AWS_TEST_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}


# Test files that take longest, first (seconds in a CI run on 2 cores; a file not listed
# counts as 0 and keeps its place). `make pytest` hands files to the xdist workers in this
# order (--dist loadfile --no-loadscope-reorder): the throttled converge spends most of its
# minutes asleep in the SDKs' retry backoff and, started last, it left one core idle for them.
SLOW_FILES = {  # the durations of a clean-clone CI run (2026-12-02, 14:25, quiet machine)
    "tests/playbooks/test_site_serves_api.py": 542,  # molecule's stack scenario, the worker, teardown, rebuild
    "tests/playbooks/test_throttled_stack.py": 437,  # the sleep_bound lane
    "tests/playbooks/test_disaster_recovery.py": 171,
    "tests/playbooks/test_database.py": 147,
    "tests/playbooks/test_deploy.py": 144,
    "tests/playbooks/test_verify.py": 114,
    "tests/playbooks/test_migrate_compute.py": 125,  # measured alone on a loaded machine (load 5): 118-135 s
    "tests/playbooks/test_iam.py": 87,
    "tests/playbooks/test_service_ecs_express.py": 80,
    "tests/playbooks/test_service.py": 80,
    "tests/modules/apprunner/test_service.py": 56,
    "tests/playbooks/test_monitoring.py": 55,
    "tests/playbooks/test_preflight.py": 54,
    "tests/playbooks/test_import_data.py": 43,
    "tests/modules/dr/test_pg_dump_restore_s3.py": 45,  # estimate: 182 s measured at load 10 (12 ansible runs)
    "tests/modules/cloudfront/test_cloudfront_modules.py": 41,
    "tests/playbooks/test_cdn.py": 37,
    "tests/playbooks/test_backup_plan.py": 36,
}

# Each molecule scenario is a work unit of its own (not its file's): the seconds of each
# (CI, 2 cores), longest first among the rest; a new scenario counts as 30.
MOLECULE_TESTS = "tests/molecule/test_scenarios.py::test_scenario["
MOLECULE_SECONDS = {  # the same run; database measured alone (it failed there)
    "worker": 84,
    "cdn": 42,
    "service": 39,
    "service_ecs_express": 35,  # measured alone (this change): see its closing note
    "iam": 30,
    "database": 28,
    "deploy": 26,
    "certificates": 25,
    "monitoring": 25,
    "storage": 21,
    "secrets": 18,
    "dns": 17,
    "network": 20,
    "preflight": 11,
}


def expected_seconds(nodeid: str) -> int:
    if nodeid.startswith(MOLECULE_TESTS):
        return MOLECULE_SECONDS.get(nodeid[len(MOLECULE_TESTS) : -1], 30)
    return SLOW_FILES.get(nodeid.split("::", 1)[0], 0)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Longest work units first (stable: within a file, and among the rest, collection order)."""
    items.sort(key=lambda item: -expected_seconds(item.nodeid))


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """--dist loadfile, except that each molecule scenario is a work unit of its own.

    A file's tests share module-scoped fixtures (converged stacks), so they stay on one
    worker; the molecule scenarios share nothing, and as one unit they would keep one
    worker busy for the whole molecule phase.
    """
    if config.getoption("dist", "no") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class LoadFileOrScenario(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return nodeid if nodeid.startswith(MOLECULE_TESTS) else super()._split_scope(nodeid)

    return LoadFileOrScenario(config, log)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def reset_localaws(url: str) -> None:
    req = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(req, timeout=30) as resp:
        resp.read()


@pytest.fixture(scope="session", autouse=True)
def playbook_code_caches(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The ansible-playbook runs of this test process (tests/playbooks, tests/modules, molecule)
    share the code compiled from module_utils and the AnsiballZ payloads (see
    tests/playbooks/codecache/sitecustomize.py): the same sources, built once per session."""
    from tests.helpers import session_dirs
    from tests.playbooks import helpers

    with session_dirs(
        tmp_path_factory, {helpers.CODE_CACHE_ENV: "codecache", helpers.ANSIBALLZ_CACHE_ENV: "ansiballz"}
    ):
        yield


@pytest.fixture(scope="session")
def localaws_server() -> Iterator[str]:
    url = os.environ.get("LOCALAWS_URL")
    if url:
        yield url
        return
    from tools.localaws import LocalAWS

    delay = float(os.environ.get("LOCALAWS_APPRUNNER_DELAY", "0.5"))
    os.environ.setdefault("LOCALAWS_ECS_EXPRESS_DELAY", "0.5")  # an ECS Express deployment phase
    # RDS instances are real PostgreSQL clusters (tools/localaws/rds); WAL archived every second
    archive = float(os.environ.get("LOCALAWS_RDS_ARCHIVE_TIMEOUT", "1"))
    server = LocalAWS("127.0.0.1", free_port(), apprunner_delay=delay, rds_archive_timeout=archive).start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def localaws(localaws_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    reset_localaws(localaws_server)
    for key, value in AWS_TEST_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", localaws_server)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    yield localaws_server


@pytest.fixture(scope="session")
def pg_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        yield url
        return
    port = free_port()
    root = Path("/tmp") / f"invoice-toolkit-pg-test-{port}"
    env = {**os.environ, "PGPORT": str(port), "PGDATA_ROOT": str(root)}
    script = ROOT / "scripts" / "pg.sh"
    out = subprocess.run([str(script), "start"], env=env, check=True, capture_output=True, text=True)
    try:
        yield out.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run([str(script), "destroy"], env=env, check=False, capture_output=True)
