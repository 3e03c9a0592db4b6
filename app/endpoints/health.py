"""``GET /api/health``: honest but cheap, since App Runner and load balancers call it constantly.

- The database is asked on every call (one small query: which migrations are applied);
  the migration files are read from disk once per process (they do not change under it).
- Storage is probed (an object written and deleted) at most every
  ``HEALTH_STORAGE_INTERVAL_SECONDS``; a failed probe is not reused, so recovery shows at once.
- ``?deep=true`` probes storage now and re-reads the migration files.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from databases import Database
from starlette.requests import Request

from app import __version__
from app.db import applied_versions, load_migrations
from app.responses import JSON
from app.storage import Storage
from app.validation import boolean

CHECK_TIMEOUT = 3.0


def _migrations() -> tuple[tuple[int, str], ...]:
    return tuple((m.version, m.name) for m in load_migrations())


@dataclass
class HealthChecks:
    """Per-process health state: the known migrations and the last good storage probe."""

    storage_interval: float
    migrations: tuple[tuple[int, str], ...] = field(default_factory=_migrations)
    storage_ok_at: float | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def database(self, database: Database, *, deep: bool = False) -> dict[str, object]:
        if deep:
            self.migrations = _migrations()
        done = await applied_versions(database)
        pending = [name for version, name in self.migrations if version not in done]
        return {"status": "ok", "pending_migrations": pending}

    async def storage(self, storage: Storage, *, deep: bool = False) -> dict[str, object]:
        """Probe storage unless a probe succeeded within the interval; concurrent calls share one probe."""
        async with self._lock:
            fresh = self.storage_ok_at is not None and time.monotonic() - self.storage_ok_at < self.storage_interval
            if deep or not fresh:
                self.storage_ok_at = None
                await storage.check()
                self.storage_ok_at = time.monotonic()
        return {"status": "ok", "backend": storage.name}


async def health(request: Request) -> JSON:
    """
    summary: Service health (no token needed)
    description: >
      Version, build (the image's content version, APP_BUILD_ID),
      database (and pending migrations) and storage. The database is asked on every
      call; storage is probed at most every HEALTH_STORAGE_INTERVAL_SECONDS (30 s), or now with
      `deep=true`. 200 when both answer, 503 otherwise.
    security: []
    parameters:
      - name: deep
        in: query
        description: probe storage now and re-read the migration files
        schema: {type: boolean, default: false}
    responses:
      200:
        description: Healthy
      400:
        description: "`deep` is not true or false"
      503:
        description: A dependency is unreachable
    """
    deep = bool(boolean(request.query_params.get("deep"), "deep", default=False))
    state = request.state
    checks: HealthChecks = state.health
    store: Storage = state.storage
    results: dict[str, dict[str, object]] = {}
    try:
        results["database"] = await asyncio.wait_for(checks.database(state.database, deep=deep), CHECK_TIMEOUT)
    except Exception as exc:
        results["database"] = {"status": "error", "error": type(exc).__name__}
    try:
        results["storage"] = await asyncio.wait_for(checks.storage(store, deep=deep), CHECK_TIMEOUT)
    except Exception as exc:
        results["storage"] = {"status": "error", "backend": store.name, "error": type(exc).__name__}
    healthy = all(c["status"] == "ok" for c in results.values())
    body = {
        "status": "ok" if healthy else "degraded",
        "version": __version__,
        "build": state.settings.build_id,
        "extractor": "offline" if not str(state.settings.anthropic_api_key) else "claude",
        "checks": results,
    }
    return JSON(body, status_code=200 if healthy else 503)
