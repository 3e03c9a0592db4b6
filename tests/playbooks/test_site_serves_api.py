"""What `make demo` promises: site.yml on the local inventory ends with the API answering.

The local App Runner backend serves the service from ``python -m app serve``
(LOCALAWS_APPRUNNER_COMMAND, as `make up` sets it). Its database is the database tier's RDS
instance, reached exactly as on AWS: DB_HOST/DB_PORT from the instance's Endpoint (a real
PostgreSQL cluster of the local endpoint) and DB_PASSWORD from the master secret in Secrets
Manager. The image the deploy tier pushes is a recording stand-in; the process runs this
checkout's code.
"""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import sys
import urllib.request
from pathlib import Path

import asyncpg
import boto3
import pytest

from tests.playbooks.helpers import ROOT, run_playbook

pytestmark = pytest.mark.slow


def get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        assert response.status == 200
        return dict(json.loads(response.read()))


def _mtime(path: Path) -> float | None:
    return path.stat().st_mtime if path.exists() else None


async def _tables(database: dict, password: str) -> list[str]:
    conn = await asyncpg.connect(
        host=database["endpoint"],
        port=int(database["port"]),
        user=database["master_username"],
        password=password,
        database=database["name"],
        ssl="require",
    )
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
        return [r["tablename"] for r in rows]
    finally:
        await conn.close()


def test_site_converges_and_the_api_answers(localaws: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    if os.environ.get("LOCALAWS_URL"):
        pytest.skip("serving needs the in-process endpoint (LOCALAWS_URL points at another one)")
    monkeypatch.setenv("LOCALAWS_APPRUNNER_COMMAND", shlex.join([sys.executable, "-m", "app", "serve"]))
    monkeypatch.setenv("LOCALAWS_APPRUNNER_LOG_DIR", str(tmp_path / "apprunner"))
    monkeypatch.setenv("FAKEDOCKER_STATE_DIR", str(tmp_path / "docker"))
    before = _mtime(ROOT / "outputs" / "local.json")
    try:
        run = run_playbook(
            "site.yml",
            extra_vars={"platform_outputs_dir": str(tmp_path), "deploy_allow_dirty": True},
            timeout=900,
        )
        assert run.rc == 0, run.explain()
        outputs = json.loads((tmp_path / "local.json").read_text())
        url = outputs["service"]["service_url"]
        assert url.startswith("http://127.0.0.1:"), url
        health = get(f"{url}/api/health")
        assert health["status"] == "ok"
        assert health["checks"]["database"] == {"status": "ok", "pending_migrations": []}
        assert health["checks"]["storage"] == {"status": "ok", "backend": "s3"}
        # the database the API migrated is the RDS instance's, at its reported endpoint, behind
        # the master password from Secrets Manager (a real PostgreSQL cluster of the endpoint)
        database = outputs["database"]
        assert database["endpoint"].startswith("127.") and database["endpoint"] != "127.0.0.1", database
        secret = boto3.client("secretsmanager").get_secret_value(SecretId=database["master_secret_name"])
        tables = asyncio.run(_tables(database, json.loads(secret["SecretString"])["password"]))
        assert {"schema_migrations", "users", "invoices"} <= set(tables), tables
        # platform_outputs_dir sent the report to tmp_path: the checkout's own outputs are untouched.
        assert _mtime(ROOT / "outputs" / "local.json") == before
    finally:
        from tests.conftest import reset_localaws

        reset_localaws(localaws)  # stops the served process and drops the instance's cluster
