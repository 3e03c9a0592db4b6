"""The ASGI application: ``app.main:app``, built by ``create_app()``.

The lifespan connects the database, opens the extractor and the storage backends and
yields them as state (Starlette's lifespan state: endpoints read ``request.state``); it
runs nothing heavy (migrations are ``python -m app migrate``).
With ``RUN_WORKER=true`` it also starts the batch worker loop in this process.
"""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any, TypedDict

from databases import Database
from starlette.applications import Starlette
from starlette.datastructures import State
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app import __version__
from app.auth import AuthMiddleware, UserCache
from app.db import make_database
from app.endpoints.health import HealthChecks
from app.logs import configure_logging
from app.middleware import BodySizeLimitMiddleware, RequestLogMiddleware
from app.responses import JSON, error_body
from app.routes import routes
from app.settings import Settings, load_settings
from app.storage import Storage, make_storage

log = logging.getLogger("app")

ExtractorFactory = Callable[[Settings], Any]


class AppState(TypedDict, total=False):
    """What the lifespan yields; endpoints read it as ``request.state`` (app/endpoints/common.py)."""

    settings: Settings
    database: Database
    user_cache: UserCache
    storage: Storage
    export_storage: Storage
    extractor: Any
    health: HealthChecks
    queue_metrics: Any  # set by app.worker.start_queue_metrics (None when not published)


def default_extractor(settings: Settings) -> Any:
    from app.extraction import build_extractor  # noqa: PLC0415 (keeps import of the SDK out of the CLI path)

    return build_extractor(api_key=str(settings.anthropic_api_key) or None, model=settings.claude_model)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code in {204, 304}:
        return Response(status_code=exc.status_code, headers=exc.headers)
    headers = exc.headers
    if exc.status_code == 405:  # Starlette names the methods of one route; a path may have several
        headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
    return JSON(error_body(exc), status_code=exc.status_code, headers=headers)


def allowed_methods(request: Request) -> list[str]:
    """The methods of the path the request matched (the first route that matched it, as routing does)."""
    routes = [r for r in request.app.router.routes if isinstance(r, Route)]
    matched = next((r.path for r in routes if r.matches(request.scope)[0] != Match.NONE), None)
    return sorted({m for r in routes if r.path == matched for m in r.methods or ()})


async def server_error(request: Request, exc: Exception) -> Response:
    request_id = request.scope.get("state", {}).get("request_id")
    log.error("unhandled error", exc_info=exc, extra={"request_id": request_id, "path": request.url.path})
    return JSON({"error": "Internal server error", "request_id": request_id}, status_code=500)


def create_app(
    settings: Settings | None = None,
    *,
    extractor_factory: ExtractorFactory | None = None,
    storage: Storage | None = None,
    export_storage: Storage | None = None,
) -> Starlette:
    settings = settings or load_settings()
    configure_logging(settings.log_level)
    make_extractor = extractor_factory or default_extractor

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[AppState]:
        database = make_database(settings)
        await database.connect()
        extractor = make_extractor(settings)
        state: AppState = {
            "settings": settings,
            "database": database,
            "user_cache": UserCache(),
            "storage": storage or make_storage(settings),
            "export_storage": export_storage or make_storage(settings, exports=True),
            "extractor": extractor,
            "health": HealthChecks(storage_interval=settings.health_storage_interval_seconds),
        }
        from app.worker import start_queue_metrics, start_worker  # noqa: PLC0415

        # The worker functions read (and the metrics publisher writes) attributes: the same dict, as request.state.
        attributes = State(state)  # type: ignore[arg-type]
        worker_task = start_worker(attributes) if settings.run_worker else None
        metrics_task = start_queue_metrics(attributes)  # QUEUE_METRIC_NAMESPACE: the worker tier scales on it
        # Everything built so far (modules, tables, SDK clients) lives as long as the process:
        # moved out of the collector's sight, a full collection no longer walks it (it took
        # 200-300 ms per full collection under load: the invoice list's p99).
        gc.freeze()
        log.info("started", extra={"version": __version__, "environment": settings.environment})
        try:
            yield state  # each request's request.state (scope["state"]): a shallow copy of this
        finally:
            gc.unfreeze()
            for task in (worker_task, metrics_task):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(BaseException):
                        await task
            await extractor.aclose()
            await database.disconnect()

    middleware = [
        # X-Forwarded-For is believed only from the configured front ends (default: none).
        *(
            [Middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.trusted_proxies))]
            if settings.trusted_proxies
            else []
        ),
        Middleware(RequestLogMiddleware),
        Middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
            expose_headers=["Content-Disposition", "X-Request-ID"],
        ),
        Middleware(BodySizeLimitMiddleware, max_upload=settings.max_upload_bytes, max_files=settings.max_batch_files),
        Middleware(AuthMiddleware),
    ]
    app = Starlette(
        routes=routes(),
        middleware=middleware,
        exception_handlers={HTTPException: http_error, Exception: server_error},
        lifespan=lifespan,
    )
    return app


def __getattr__(name: str) -> Any:
    # ``app.main:app`` is built on first access, so importing this module has no side effects.
    if name == "app":
        application = create_app()
        globals()["app"] = application
        return application
    raise AttributeError(name)
