"""Bad setup input stops with a message that says what to do."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(cmd: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, check=False)


def test_find_python_finds_a_312() -> None:
    out = run(["scripts/find-python.sh"])
    assert out.returncode == 0, out.stderr
    version = subprocess.run(
        [out.stdout.strip(), "-c", "import sys; print(sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert version.stdout.strip() == "(3, 12)"


def test_find_python_explains_a_missing_312() -> None:
    out = run(["scripts/find-python.sh"], PATH="/usr/bin:/bin")
    assert out.returncode == 1
    assert "Python 3.12 not found" in out.stderr
    assert "make setup PYTHON=" in out.stderr


def test_find_python_refuses_a_wrong_python_setting() -> None:
    out = run(["scripts/find-python.sh"], PYTHON="/usr/bin/python3.11")
    assert out.returncode == 1
    assert "PYTHON=/usr/bin/python3.11 is not a Python 3.12 interpreter" in out.stderr


def test_pg_explains_missing_binaries(tmp_path: Path) -> None:
    out = run(["scripts/pg.sh", "start"], PGBIN=str(tmp_path / "nothing"), PGDATA_ROOT=str(tmp_path / "pg"))
    assert out.returncode == 1
    assert "PostgreSQL 15 server binaries not found" in out.stderr
    assert "apt-get install postgresql-15" in out.stderr


def test_pg_explains_a_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        out = run(["scripts/pg.sh", "start"], PGPORT=str(port), PGDATA_ROOT=str(tmp_path / "pg"))
    assert out.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in out.stderr
    assert "PGPORT=" in out.stderr


def test_pg_starts_a_cluster_that_answers_sql(pg_url: str) -> None:
    out = subprocess.run(
        ["/usr/lib/postgresql/15/bin/psql", pg_url, "-tAc", "SHOW server_version_num"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip().startswith("15")
    assert pg_url.startswith("postgresql://invoice@127.0.0.1:")


@pytest.mark.parametrize("target", ["setup", "test", "demo", "down"])
def test_make_targets_are_documented(target: str) -> None:
    out = run(["make", "help"])
    assert out.returncode == 0
    assert f"make {target}" in out.stdout
