from __future__ import annotations

import asyncio

from starlette.requests import Request

from app import __version__
from app.db import pending_migrations
from app.endpoints.common import db, storage
from app.responses import JSON

CHECK_TIMEOUT = 3.0


async def health(request: Request) -> JSON:
    """
    summary: Service health (no token needed)
    description: Version, database and storage reachability. 200 when both answer, 503 otherwise.
    tags: [health]
    responses:
      200:
        description: Healthy
      503:
        description: A dependency is unreachable
    """
    checks: dict[str, dict[str, object]] = {}
    try:
        pending = await asyncio.wait_for(pending_migrations(db(request)), CHECK_TIMEOUT)
        checks["database"] = {"status": "ok", "pending_migrations": pending}
    except Exception as exc:
        checks["database"] = {"status": "error", "error": type(exc).__name__}
    try:
        await asyncio.wait_for(storage(request).check(), CHECK_TIMEOUT)
        checks["storage"] = {"status": "ok", "backend": storage(request).name}
    except Exception as exc:
        checks["storage"] = {"status": "error", "backend": storage(request).name, "error": type(exc).__name__}
    healthy = all(c["status"] == "ok" for c in checks.values())
    body = {
        "status": "ok" if healthy else "degraded",
        "version": __version__,
        "extractor": "offline" if not str(request.app.state.settings.anthropic_api_key) else "claude",
        "checks": checks,
    }
    return JSON(body, status_code=200 if healthy else 503)
