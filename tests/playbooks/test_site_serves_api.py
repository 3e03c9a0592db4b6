"""What `make demo` promises: site.yml on the local inventory ends with the API answering.

The local App Runner backend serves the service from ``python -m app serve``
(LOCALAWS_APPRUNNER_COMMAND, as `make up` sets it) and the local inventory points the API at
the local PostgreSQL (LOCAL_DATABASE_URL, as `make demo` sets it). The image the deploy tier
pushes is a recording stand-in; the process runs this checkout's code.
"""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import sys
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.app.conftest import _admin, _with_db
from tests.playbooks.helpers import ROOT, run_playbook

pytestmark = pytest.mark.slow


def get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        assert response.status == 200
        return dict(json.loads(response.read()))


def _mtime(path: Path) -> float | None:
    return path.stat().st_mtime if path.exists() else None


def test_site_converges_and_the_api_answers(
    localaws: str, pg_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    if os.environ.get("LOCALAWS_URL"):
        pytest.skip("serving needs the in-process endpoint (LOCALAWS_URL points at another one)")
    name = f"site_api_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(pg_url, f"CREATE DATABASE {name}"))
    monkeypatch.setenv("LOCALAWS_APPRUNNER_COMMAND", shlex.join([sys.executable, "-m", "app", "serve"]))
    monkeypatch.setenv("LOCALAWS_APPRUNNER_LOG_DIR", str(tmp_path / "apprunner"))
    monkeypatch.setenv("LOCAL_DATABASE_URL", _with_db(pg_url, name))
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
        # platform_outputs_dir sent the report to tmp_path: the checkout's own outputs are untouched.
        assert _mtime(ROOT / "outputs" / "local.json") == before
    finally:
        from tests.conftest import reset_localaws

        reset_localaws(localaws)  # stops the served process before its database goes
        asyncio.run(_admin(pg_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
