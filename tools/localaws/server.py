"""Run moto's server on loopback with this project's extra backends registered.

moto's server finds a service by matching the request's host against
``moto.backend_index.backend_url_patterns`` and then importing ``moto.<name>`` through
``moto.backends.get_backend``. ``register_backends`` extends both at start-up, so one
endpoint serves moto's services and ours; moto's own files are never patched.

:class:`LocalAWSMiddleware` wraps moto's WSGI application: it records every AWS call
(call log), injects faults (throttling), and serves the control API under ``/_localaws/``
(see README.md). ``POST /moto-api/reset`` also clears the call log and the faults.
"""

from __future__ import annotations

import io
import ipaddress
import json
import os
import socket
from collections.abc import Callable, Iterable
from threading import Thread
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

from tools.localaws import calllog
from tools.localaws.apprunner import runner
from tools.localaws.calllog import Call, CallLog
from tools.localaws.cloudfront import edge
from tools.localaws.faults import Faults, FaultSettingsError, throttle_response
from tools.localaws.rds import postgres

_state = {"registered": False}


def register_backends(
    apprunner_delay: float | None = None, rds_delay: float | None = None, rds_archive_timeout: float | None = None
) -> None:
    """Make moto's server dispatch to the backends this project adds.

    Safe to call more than once. ``apprunner_delay`` sets how long App Runner
    operations stay ``OPERATION_IN_PROGRESS`` (seconds); ``rds_delay`` how long DB instances
    and snapshots stay ``creating``; ``rds_archive_timeout`` how often the local RDS clusters
    archive their WAL (so how far ``LatestRestorableTime`` trails the present).
    """
    if apprunner_delay is not None:
        os.environ["LOCALAWS_APPRUNNER_DELAY"] = str(apprunner_delay)
    if rds_delay is not None:
        os.environ["LOCALAWS_RDS_DELAY"] = str(rds_delay)
    if rds_archive_timeout is not None:
        os.environ["LOCALAWS_RDS_ARCHIVE_TIMEOUT"] = str(rds_archive_timeout)
    if _state["registered"]:
        return
    from tools.localaws import backends  # noqa: PLC0415 (imported late: registration has side effects)

    backends.register_all()
    _state["registered"] = True


def check_loopback(host: str) -> None:
    """Refuse to bind anywhere but loopback: the endpoint has no authentication.

    The host is parsed, never resolved: an IP literal in 127.0.0.0/8, ``::1`` or the name
    ``localhost``. A name such as ``127.0.0.1.nip.io`` is refused whatever it resolves to.
    """
    if host.lower() == "localhost":
        return
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError as exc:
        raise SystemExit(
            f"localaws: refusing to listen on {host!r}: give a loopback IP address (127.0.0.1, ::1) or localhost"
        ) from exc
    if not (ip == ipaddress.IPv6Address("::1") or (ip.version == 4 and ip in ipaddress.IPv4Network("127.0.0.0/8"))):
        raise SystemExit(f"localaws: refusing to listen on {host} ({ip}): only loopback addresses are allowed")


def check_port_free(host: str, port: int) -> None:
    with socket.socket() as s:
        # as the server binds: connections of a previous run in TIME_WAIT do not count,
        # a socket listening on the port does
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
            s.listen()
        except OSError as exc:
            raise SystemExit(
                f"localaws: port {port} on {host} is already in use ({exc.strerror}). "
                f"Stop what is using it (`make down` stops a previous endpoint) or pick another: "
                f"make up LOCALAWS_PORT=4567"
            ) from exc


StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def _json_response(start_response: StartResponse, status: int, payload: Any, reason: str = "OK") -> Iterable[bytes]:
    body = json.dumps(payload).encode()
    start_response(f"{status} {reason}", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


class LocalAWSMiddleware:
    """Call log, fault injection and the ``/_localaws/`` control API around moto's app."""

    def __init__(self, app: WSGIApp, calls: CallLog | None = None, faults: Faults | None = None) -> None:
        self.app = app
        self.calls = calls or CallLog()
        self.faults = faults or Faults()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if path.startswith("/_localaws/"):
            return self._control(environ, method, path, start_response)
        if path.startswith("/moto-api") or path == "/favicon.ico":
            if path.rstrip("/") == "/moto-api/reset" and method == "POST":
                self.calls.clear()
                self.faults.clear()
            return self.app(environ, start_response)
        call = self._identify(environ)
        code = self.faults.throttle(call)
        if code is not None:
            self._drain(environ)
            status, headers, body = throttle_response(call, code)
            self.calls.record(call, method, status, throttled=True)
            start_response(f"{status} Bad Request", headers)
            return [body]

        def recording_start_response(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            self.calls.record(call, method, int(status.split(" ", 1)[0]))
            return start_response(status, headers, *args)

        return self.app(environ, recording_start_response)

    @staticmethod
    def _form_body(environ: dict[str, Any]) -> str | None:
        """The body of a form-encoded (query protocol) request, left readable for moto."""
        if not environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
            return None
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None
        raw = environ["wsgi.input"].read(length) if length > 0 else b""
        environ["wsgi.input"] = io.BytesIO(raw)
        return raw.decode("utf-8", errors="replace")

    @staticmethod
    def _drain(environ: dict[str, Any]) -> None:
        """Read an unanswered request's body, so the connection closes cleanly."""
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return
        if length > 0:
            environ["wsgi.input"].read(length)

    def _identify(self, environ: dict[str, Any]) -> Call:
        try:
            return calllog.identify(environ, self._form_body(environ))
        except Exception:  # a request we cannot classify is still served
            return Call(None, None, None)

    def _control(  # noqa: PLR0911 (one return per control route)
        self, environ: dict[str, Any], method: str, path: str, start_response: StartResponse
    ) -> Iterable[bytes]:
        route = path.rstrip("/")
        if route == "/_localaws/calls" and method == "GET":
            return _json_response(start_response, 200, {"calls": self.calls.snapshot()})
        if route == "/_localaws/calls/reset" and method == "POST":
            self.calls.clear()
            return _json_response(start_response, 200, {"calls": []})
        if route == "/_localaws/faults" and method == "GET":
            return _json_response(start_response, 200, {"faults": self.faults.describe()})
        if route == "/_localaws/faults" and method == "DELETE":
            self.faults.clear()
            return _json_response(start_response, 200, {"faults": None})
        if route.startswith("/_localaws/cloudfront/") and method == "GET":
            distribution_id = route.removeprefix("/_localaws/cloudfront/")
            described = edge.describe(DEFAULT_ACCOUNT_ID, distribution_id)
            if described is None:
                return _json_response(start_response, 404, {"error": f"no distribution {distribution_id}"}, "Not Found")
            return _json_response(start_response, 200, described)
        if route == "/_localaws/apprunner/handshake" and method == "POST":
            return self._handshake(environ, start_response)
        if route == "/_localaws/faults" and method == "POST":
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
                settings = json.loads(environ["wsgi.input"].read(length) or b"null")
                described = self.faults.set(settings)
            except (ValueError, FaultSettingsError) as exc:
                return _json_response(start_response, 400, {"error": str(exc)}, "Bad Request")
            return _json_response(start_response, 200, {"faults": described})
        return _json_response(
            start_response,
            404,
            {"error": f"no control endpoint {method} {path}; see tools/localaws/README.md"},
            "Not Found",
        )

    @staticmethod
    def _handshake(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Complete an App Runner connection's handshake: {"ConnectionName": ..., "Region": ...}."""
        from tools.localaws.apprunner.exceptions import ResourceNotFoundException  # noqa: PLC0415
        from tools.localaws.apprunner.models import apprunner_backends  # noqa: PLC0415

        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = json.loads(environ["wsgi.input"].read(length) or b"null")
            if not isinstance(body, dict) or not isinstance(body.get("ConnectionName"), str):
                raise ValueError('the body must be {"ConnectionName": "<name>", "Region": "<region>"}')
            region = str(body.get("Region") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1")
            connection = apprunner_backends[DEFAULT_ACCOUNT_ID][region].complete_handshake(body["ConnectionName"])
        except ValueError as exc:
            return _json_response(start_response, 400, {"error": str(exc)}, "Bad Request")
        except ResourceNotFoundException as exc:
            return _json_response(start_response, 404, {"error": exc.message}, "Not Found")
        connection["CreatedAt"] = str(connection["CreatedAt"])
        return _json_response(start_response, 200, {"Connection": connection})


class LocalAWS:
    """The endpoint in a background thread (tests) or the foreground (CLI)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 4566,
        apprunner_delay: float = 2.0,
        rds_delay: float | None = None,
        rds_archive_timeout: float | None = None,
    ) -> None:
        check_loopback(host)
        self.host = host
        self.port = port
        self.apprunner_delay = apprunner_delay
        self.rds_delay = rds_delay
        self.rds_archive_timeout = rds_archive_timeout
        self._server: BaseWSGIServer | None = None
        self._thread: Thread | None = None
        self.calls = CallLog()
        self.faults = Faults()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _make_server(self) -> BaseWSGIServer:
        register_backends(self.apprunner_delay, self.rds_delay, self.rds_archive_timeout)
        os.environ.setdefault("MOTO_PORT", str(self.port))
        app = LocalAWSMiddleware(DomainDispatcherApplication(create_backend_app), self.calls, self.faults)
        Thread(target=calllog.warm_up, name="localaws-warm-up", daemon=True).start()
        # initdb of the RDS template, so the first CreateDBInstance only copies and starts it
        Thread(target=postgres.engine().warm_up, name="localaws-rds-warm-up", daemon=True).start()
        server = make_server(self.host, self.port, app, threaded=True, request_handler=MotoRequestHandler)
        if self.port == 0:
            self.port = server.server_address[1]
        runner.set_endpoint_url(self.url)
        return server

    def start(self) -> LocalAWS:
        if self.port:
            check_port_free(self.host, self.port)
        self._server = self._make_server()
        self._thread = Thread(target=self._server.serve_forever, name="localaws", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self, on_ready: Callable[[], None] | None = None) -> None:
        if self.port:
            check_port_free(self.host, self.port)
        self._server = self._make_server()
        if on_ready is not None:
            on_ready()
        self._server.serve_forever()

    def stop(self) -> None:
        from tools.localaws.ecs.tasks import SUPERVISOR  # noqa: PLC0415

        SUPERVISOR.halt()
        runner.stop_all()
        edge.close_all()
        postgres.shutdown()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
