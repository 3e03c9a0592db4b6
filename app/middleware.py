"""Pure ASGI middleware: request ids and access logs, body size limits, security headers."""

from __future__ import annotations

import logging
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.responses import JSON

log = logging.getLogger("app.access")

MULTIPART_OVERHEAD = 64 * 1024


class RequestLogMiddleware:
    """Adds ``X-Request-ID`` and logs one JSON line per request (never the query string)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                headers.append((b"x-content-type-options", b"nosniff"))
                headers.append((b"referrer-policy", b"no-referrer"))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            if log.isEnabledFor(logging.INFO) and scope["path"] != "/api/health":
                user = scope.get("state", {}).get("user")
                log.info(
                    "request",
                    extra={
                        "request_id": request_id,
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                        "user_id": getattr(user, "id", None),
                    },
                )


class BodySizeLimitMiddleware:
    """Refuses bodies over a limit with 413, counting streamed bytes (Content-Length may lie).

    multipart bodies may reach ``max_upload * max_files`` (+ overhead); others 1 MB.
    """

    def __init__(self, app: ASGIApp, max_upload: int, max_files: int, max_other: int = 1024 * 1024) -> None:
        self.app = app
        self.max_multipart = max_upload * max(1, max_files) + MULTIPART_OVERHEAD
        self.max_other = max_other

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in {"GET", "HEAD", "OPTIONS"}:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        limit = self.max_multipart if content_type.startswith("multipart/") else self.max_other
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not response_started:
                await self._refuse(scope, receive, send, limit)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        body = {"error": f"request body too large (limit {limit} bytes)", "field": "body"}
        await JSON(body, status_code=413)(scope, receive, send)


class _TooLarge(Exception):
    pass
