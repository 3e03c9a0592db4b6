"""Issue 14 (API): /api/health stays honest (the database on every call, storage probed for
real) but cheap: migration files read once per process, storage probed at most every
HEALTH_STORAGE_INTERVAL_SECONDS, a deep check behind ?deep=true."""

from __future__ import annotations

from starlette.testclient import TestClient

import app.endpoints.health as health_module
from app.main import create_app
from app.storage import LocalStorage


class CountingStorage(LocalStorage):
    """Local storage that counts its health probes (each one writes and deletes a file)."""

    def __init__(self, root: str, failures: int = 0) -> None:
        super().__init__(root)
        self.probes = 0
        self.failures = failures

    async def check(self) -> None:
        self.probes += 1
        if self.failures:
            self.failures -= 1
            raise ConnectionError("storage is down")
        await super().check()


def test_storage_is_probed_at_most_every_interval_and_deep_probes_now(settings, tmp_path, monkeypatch):
    reads = []
    real_load = health_module.load_migrations
    monkeypatch.setattr(health_module, "load_migrations", lambda: reads.append(1) or real_load())
    store = CountingStorage(str(tmp_path / "probe"))
    conf = settings.with_overrides(health_storage_interval_seconds=3600, build_id="3f9a1c0e7b2d4a65")
    with TestClient(create_app(conf, storage=store)) as client:
        reads_at_start = len(reads)
        assert client.get("/api/health").json()["build"] == "3f9a1c0e7b2d4a65"  # the deploy's smoke test reads it
        for _ in range(5):
            response = client.get("/api/health")
            assert response.status_code == 200, response.text
            assert response.json()["checks"]["database"] == {"status": "ok", "pending_migrations": []}
        assert store.probes == 1 and len(reads) == reads_at_start  # files read once, at start
        deep = client.get("/api/health?deep=true")
        assert deep.status_code == 200 and store.probes == 2 and len(reads) == reads_at_start + 1
        bad = client.get("/api/health?deep=maybe")
        assert bad.status_code == 400 and bad.json()["field"] == "deep"


def test_a_zero_interval_probes_every_time(settings, tmp_path):
    store = CountingStorage(str(tmp_path / "probe"))
    with TestClient(create_app(settings.with_overrides(health_storage_interval_seconds=0), storage=store)) as client:
        for _ in range(3):
            assert client.get("/api/health").status_code == 200
    assert store.probes == 3


def test_a_failed_probe_is_not_reused_so_recovery_shows_at_once(settings, tmp_path):
    store = CountingStorage(str(tmp_path / "probe"), failures=1)
    with TestClient(create_app(settings.with_overrides(health_storage_interval_seconds=3600), storage=store)) as client:
        down = client.get("/api/health")
        assert down.status_code == 503 and down.json()["checks"]["storage"]["error"] == "ConnectionError"
        assert client.get("/api/health").status_code == 200
        assert client.get("/api/health").status_code == 200
    assert store.probes == 2


def test_the_database_is_asked_on_every_call(settings, tmp_path, sql):
    with TestClient(create_app(settings, storage=CountingStorage(str(tmp_path / "probe")))) as client:
        assert client.get("/api/health").json()["checks"]["database"]["pending_migrations"] == []
        sql("DELETE FROM schema_migrations WHERE version = 3")
        assert client.get("/api/health").json()["checks"]["database"]["pending_migrations"] == ["003_invoice_count"]
