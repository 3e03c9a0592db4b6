"""What `make demo` promises: site.yml on the local inventory ends with the API answering,
and a batch of 20 PDFs is processed by the worker tier, scaled from zero, with a worker killed
mid-batch (no file lost or done twice); the worker tier converges again with changed=0.

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
from urllib.parse import quote

import asyncpg
import boto3
import pytest

from bench.worker import run_on_stack
from tests.playbooks.helpers import ROOT, run_playbook
from tests.playbooks.stack_helpers import mutating, noop_calls

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
    monkeypatch.setenv("LOCALAWS_ECS_PYTHON", sys.executable)  # the worker tier's tasks run (`make up` sets it)
    monkeypatch.setenv("LOCALAWS_ECS_LOG_DIR", str(tmp_path / "ecs"))
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

        # The worker tier: 20 PDFs processed to completed with 20 invoices, the worker scaled out
        # from its minimum (0) by the queue depth, one worker SIGKILLed after 2 files.
        assert outputs["worker"]["min_size"] == 0
        assert "desired_count" not in outputs["worker"]  # it moves by itself: printed, not written
        (idle,) = boto3.client("ecs").describe_services(cluster="invoice-local", services=["invoice-local-worker"])[
            "services"
        ]
        assert idle["desiredCount"] == 0, idle
        password = quote(json.loads(secret["SecretString"])["password"], safe="")
        database_url = (
            f"postgresql://{database['master_username']}:{password}@{database['endpoint']}:{database['port']}"
            f"/{database['name']}?ssl=require"
        )
        batch = run_on_stack(outputs, database_url, files=20, kill_one=True, timeout=600)
        assert batch["running_before"] == 0 and batch["max_running"] >= 1, batch
        assert batch["killed"] is not None, batch
        assert (batch["status"], batch["processed"], batch["failed"], batch["invoices"]) == ("completed", 20, 0, 20)

        # Converging the worker tier again changes nothing and calls nothing that mutates (the
        # API and the workers keep publishing the queue metric meanwhile: not the playbook's calls).
        again, log = noop_calls(localaws, "playbooks/worker.yml", extra_vars={"platform_outputs_dir": str(tmp_path)})
        assert again.changed == 0, again.changed_tasks()
        assert [c for c in mutating(log) if c != "cloudwatch.PutMetricData"] == []

        # What deploy.yml runs after moving the API: the existing worker moves to the new image.
        image = outputs["worker"]["image"].rsplit(":", 1)[0] + ":worker-moves-too"
        moved = run_playbook("playbooks/worker.yml", extra_vars={"worker_deploy_only": True, "worker_image": image})
        assert moved.rc == 0, moved.explain()
        ecs = boto3.client("ecs")
        (service,) = ecs.describe_services(cluster="invoice-local", services=["invoice-local-worker"])["services"]
        definition = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
        assert definition["containerDefinitions"][0]["image"] == image
        assert definition["revision"] == 2
    finally:
        from tests.conftest import reset_localaws

        reset_localaws(localaws)  # stops the served process and drops the instance's cluster
