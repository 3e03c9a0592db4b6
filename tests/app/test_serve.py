"""``python -m app serve``: the container's command migrates an empty database, then serves."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import asyncpg

from tests.app.conftest import _admin, _with_db

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _health(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _login(port: int, email: str, forwarded_for: str) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/auth/login",
        data=json.dumps({"email": email, "password": "wrong"}).encode(),
        headers={"Content-Type": "application/json", "X-Forwarded-For": forwarded_for},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


async def _tables(url: str) -> set[str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    finally:
        await conn.close()
    return {r["tablename"] for r in rows}


def test_serve_applies_migrations_then_answers_health(pg_url, tmp_path):
    name = f"app_serve_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(pg_url, f"CREATE DATABASE {name}"))
    url = _with_db(pg_url, name)
    port = _free_port()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "DATABASE_URL": url,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "APP_ENV": "development",
        "STORAGE_BACKEND": "local",
        "STORAGE_DIR": str(tmp_path / "files"),
        "LOGIN_MAX_ATTEMPTS_IP": "2",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "serve"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 30
        status, body = 0, {}
        while time.monotonic() < deadline:
            try:
                status, body = _health(f"http://127.0.0.1:{port}/api/health")
                break
            except OSError:
                if proc.poll() is not None:
                    break
                time.sleep(0.2)
        assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
        assert status == 200, body
        assert {"invoices", "vendors", "users"} <= asyncio.run(_tables(url))
        # No TRUSTED_PROXIES: a client cannot pick its address with X-Forwarded-For (issue 14).
        statuses = [_login(port, f"nobody{n}@example.test", f"203.0.113.{n}") for n in range(3)]
        assert statuses == [401, 401, 429], statuses
    finally:
        proc.terminate()
        out = proc.communicate(timeout=10)[0].decode()
        asyncio.run(_admin(pg_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    assert "migrate: applied" in out
    # uvicorn shuts down gracefully, then re-raises the signal it caught (exit by SIGTERM).
    assert proc.returncode in (0, -signal.SIGTERM), out
