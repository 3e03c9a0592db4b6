"""The ASGI application: ``app.main:app``, built by ``create_app()``.

The lifespan connects the database, opens the extractor and the storage backends and
yields them as state; it runs nothing heavy (migrations are ``python -m app migrate``).
With ``RUN_WORKER=true`` it also starts the batch worker loop in this process.
"""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app import __version__
from app.auth import AuthMiddleware, UserCache
from app.db import make_database
from app.logs import configure_logging
from app.middleware import BodySizeLimitMiddleware, RequestLogMiddleware
from app.responses import JSON, error_body
from app.routes import routes
from app.settings import Settings, load_settings
from app.storage import Storage, make_storage

log = logging.getLogger("app")

ExtractorFactory = Callable[[Settings], Any]


def default_extractor(settings: Settings) -> Any:
    from app.extraction import build_extractor  # noqa: PLC0415 (keeps import of the SDK out of the CLI path)

    return build_extractor(api_key=str(settings.anthropic_api_key) or None, model=settings.claude_model)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code in {204, 304}:
        return Response(status_code=exc.status_code, headers=exc.headers)
    return JSON(error_body(exc), status_code=exc.status_code, headers=exc.headers)


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
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        database = make_database(settings)
        await database.connect()
        extractor = make_extractor(settings)
        app.state.settings = settings
        app.state.database = database
        app.state.user_cache = UserCache()
        app.state.storage = storage or make_storage(settings)
        app.state.export_storage = export_storage or make_storage(settings, exports=True)
        app.state.extractor = extractor
        worker_task = None
        if settings.run_worker:
            from app.worker import start_worker  # noqa: PLC0415

            worker_task = start_worker(app.state)
        from app.worker import start_queue_metrics  # noqa: PLC0415

        metrics_task = start_queue_metrics(app.state)  # QUEUE_METRIC_NAMESPACE: the worker tier scales on it
        # Everything built so far (modules, tables, SDK clients) lives as long as the process:
        # moved out of the collector's sight, a full collection no longer walks it (it took
        # 200-300 ms per full collection under load: the invoice list's p99).
        gc.freeze()
        log.info("started", extra={"version": __version__, "environment": settings.environment})
        try:
            yield {"settings": settings, "database": database, "extractor": extractor}
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
    app.state.settings = settings
    return app


def __getattr__(name: str) -> Any:
    # ``app.main:app`` is built on first access, so importing this module has no side effects.
    if name == "app":
        application = create_app()
        globals()["app"] = application
        return application
    raise AttributeError(name)
