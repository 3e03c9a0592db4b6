"""Run moto's server on loopback with this project's extra backends registered.

moto's server finds a service by matching the request's host against
``moto.backend_index.backend_url_patterns`` and then importing ``moto.<name>`` through
``moto.backends.get_backend``. ``register_backends`` extends both at start-up, so one
endpoint serves moto's services and ours; moto's own files are never patched.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from threading import Event, Thread

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

_registered = False


def register_backends(apprunner_delay: float | None = None) -> None:
    """Make moto's server dispatch to the backends this project adds.

    Safe to call more than once. ``apprunner_delay`` sets how long App Runner
    operations stay ``OPERATION_IN_PROGRESS`` (seconds).
    """
    global _registered
    if apprunner_delay is not None:
        os.environ["LOCALAWS_APPRUNNER_DELAY"] = str(apprunner_delay)
    if _registered:
        return
    from tools.localaws import backends  # noqa: PLC0415 (imported late: registration has side effects)

    backends.register_all()
    _registered = True


def check_loopback(host: str) -> None:
    """Refuse to bind anywhere but loopback: the endpoint has no authentication."""
    try:
        ip = ipaddress.ip_address(socket.gethostbyname(host))
    except (OSError, ValueError) as exc:
        raise SystemExit(f"localaws: cannot resolve host {host!r}: {exc}") from exc
    if not ip.is_loopback:
        raise SystemExit(f"localaws: refusing to listen on {host} ({ip}): only loopback addresses are allowed")


def check_port_free(host: str, port: int) -> None:
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError as exc:
            raise SystemExit(
                f"localaws: port {port} on {host} is already in use ({exc.strerror}). "
                f"Stop what is using it (`make down` stops a previous endpoint) or pick another: "
                f"make up LOCALAWS_PORT=4567"
            ) from exc


class LocalAWS:
    """The endpoint in a background thread (tests) or the foreground (CLI)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 4566, apprunner_delay: float = 2.0) -> None:
        check_loopback(host)
        self.host = host
        self.port = port
        self.apprunner_delay = apprunner_delay
        self._server: BaseWSGIServer | None = None
        self._thread: Thread | None = None
        self._ready = Event()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _make_server(self) -> BaseWSGIServer:
        register_backends(self.apprunner_delay)
        os.environ.setdefault("MOTO_PORT", str(self.port))
        app = DomainDispatcherApplication(create_backend_app)
        server = make_server(self.host, self.port, app, threaded=True, request_handler=MotoRequestHandler)
        if self.port == 0:
            self.port = server.server_address[1]
        return server

    def start(self) -> "LocalAWS":
        if self.port:
            check_port_free(self.host, self.port)
        self._server = self._make_server()
        self._thread = Thread(target=self._server.serve_forever, name="localaws", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        if self.port:
            check_port_free(self.host, self.port)
        self._server = self._make_server()
        self._server.serve_forever()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
