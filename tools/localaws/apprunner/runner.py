"""Serve an App Runner service from a local process (``LOCALAWS_APPRUNNER_COMMAND``).

No container engine runs here, so when ``LOCALAWS_APPRUNNER_COMMAND`` is set (for example
``uvicorn app.main:app --host 127.0.0.1 --port $PORT``) every image-based service runs that
command instead of its image, as a child process on a free 127.0.0.1 port:

* ``$PORT`` / ``${PORT}`` in the command are replaced by the port; ``PORT`` and
  ``HOST=127.0.0.1`` are also in its environment.
* The environment is a short allow-list of the endpoint's own (PATH, HOME, locale,
  PYTHONPATH, VIRTUAL_ENV), then the service's ``RuntimeEnvironmentVariables``, then its
  ``RuntimeEnvironmentSecrets`` resolved from the endpoint's own SSM parameters and
  Secrets Manager secrets, then credentials for this endpoint (the stand-in for the
  instance role: ``AWS_ENDPOINT_URL`` and fake keys). Secret values never reach a command line.
* Output goes to ``<tmp>/localaws-apprunner-*/<service>-<n>.log`` (``LOCALAWS_APPRUNNER_LOG_DIR``
  overrides the directory).

* The image runs: when the service's image is in this endpoint's ECR with the files the local
  ``docker`` stand-in keeps (tools/fakedocker: its manifest's first layer names their
  ``file://`` directory), the command runs in the image's ``WorkingDir`` inside those files,
  with the image's ``Env`` under the service's variables, so a service serves the code of the
  image it points to (a redeploy to an older image serves the older code). An image this
  endpoint holds no files of (a public image, one pushed by something else) runs the command
  in the endpoint's own directory, as before.
* Each service answers on one loopback port for its whole life (:class:`StableEndpoint`, a
  TCP relay to the process serving it): a redeploy moves the relay, not the URL.
* Each line of output also goes to CloudWatch Logs,
  ``/aws/apprunner/<service>/<service id>/application``, stream ``instance/<id>``, as App Runner
  writes it.

A service is healthy when its port accepts TCP connections (App Runner's default TCP
health check). The backend (models.py) decides what to start and stop. The process,
environment and secret machinery is shared with the ECS tasks extension
(``tools/localaws/compute``).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import socketserver
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from tools.localaws.compute import utils
from tools.localaws.compute.constants import PASSED_THROUGH
from tools.localaws.compute.utils import free_port, set_endpoint_url, stop_all

COMMAND_ENV = "LOCALAWS_APPRUNNER_COMMAND"
LOG_DIR_ENV = "LOCALAWS_APPRUNNER_LOG_DIR"
START_TIMEOUT = 60.0  # seconds a new process may take to accept connections
ECR_IMAGE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/(?P<repo>[a-z0-9][a-z0-9._/-]*)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})|@(?P<digest>sha256:[0-9a-f]{64}))$"
)

__all__ = [
    "COMMAND_ENV",
    "LOG_DIR_ENV",
    "PASSED_THROUGH",
    "START_TIMEOUT",
    "AppProcess",
    "StableEndpoint",
    "child_environment",
    "configured_command",
    "free_port",
    "image_files",
    "set_endpoint_url",
    "stop_all",
]


def configured_command() -> str | None:
    command = os.environ.get(COMMAND_ENV, "").strip()
    return command or None


def child_environment(variables: dict[str, str], secrets: dict[str, str], port: int, region: str) -> dict[str, str]:
    env = utils.child_environment(variables, secrets, region)
    env.update({"PORT": str(port), "HOST": "127.0.0.1"})
    return env


def image_files(identifier: str) -> tuple[Path, dict[str, Any]] | None:
    """(working directory, image config) of an image of this endpoint's ECR built by tools/fakedocker."""
    from moto.ecr.models import ecr_backends  # noqa: PLC0415 (only when serving)

    match = ECR_IMAGE.match(identifier)
    if not match:
        return None
    repository = ecr_backends[match["account"]][match["region"]].repositories.get(match["repo"])
    if repository is None:
        return None
    for image in repository.images:
        if (match["tag"] and match["tag"] in image.image_tags) or match["digest"] == image.image_digest:
            for layer in json.loads(image.image_manifest).get("layers", []):
                for url in layer.get("urls", []):
                    home = Path(unquote(urlsplit(url).path))
                    if url.startswith("file://") and (home / "config.json").is_file():
                        config = dict(json.loads((home / "config.json").read_text()))
                        return home / "rootfs" / str(config.get("WorkingDir", "/")).lstrip("/"), config
    return None


class _Relay(socketserver.BaseRequestHandler):
    server: _RelayServer

    def handle(self) -> None:
        target = self.server.pick()
        if target is None:
            return  # nothing serves the service (paused, between processes): the connection closes
        try:
            upstream = socket.create_connection(("127.0.0.1", target), timeout=5)
        except OSError:
            return
        upstream.settimeout(None)
        with upstream:
            pump = threading.Thread(target=_pump, args=(upstream, self.request), daemon=True)
            pump.start()
            _pump(self.request, upstream)
            pump.join(timeout=30)


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        try:
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass


class _RelayServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    target: int | None = None
    canary: int | None = None  # a canary deployment's process: every ``canary_every``-th connection
    canary_every = 0
    connections = 0

    def pick(self) -> int | None:
        """The port this connection goes to: the canary's share, else the current process."""
        self.connections += 1
        if self.canary is not None and self.canary_every and self.connections % self.canary_every == 0:
            return self.canary
        return self.target


class StableEndpoint:
    """The one loopback port a service answers on: relays each connection to its current process."""

    def __init__(self) -> None:
        self.server = _RelayServer(("127.0.0.1", 0), _Relay)
        self.port = int(self.server.server_address[1])
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()

    def point_at(self, port: int | None) -> None:
        """Send every connection to ``port`` (None: refuse them); ends a canary split."""
        self.server.target = port
        self.server.canary = None

    def split(self, canary: int, percent: int) -> None:
        """Send ``percent`` % of the connections (one in 100/percent) to ``canary``, the rest where they went."""
        self.server.canary_every = max(1, round(100 / percent))
        self.server.canary = canary

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def release(endpoint: StableEndpoint | None, *, close: bool) -> StableEndpoint | None:
    """Refuse ``endpoint``'s connections from now on; ``close`` also gives up its port. The endpoint
    its service keeps: the same one, or None once closed (or when there was none)."""
    if endpoint is not None:
        endpoint.point_at(None)
        if close:
            endpoint.close()
            return None
    return endpoint


class AppProcess(utils.LocalProcess):
    """One child process serving a service revision on a loopback port."""

    def __init__(
        self,
        command: str,
        env: dict[str, str],
        port: int,
        label: str,
        *,
        cwd: Path | None = None,
        sink: Callable[[str], None] | None = None,
    ) -> None:
        self.port = port
        args = [arg.replace("${PORT}", str(port)).replace("$PORT", str(port)) for arg in shlex.split(command)]
        log_path = utils.log_dir(LOG_DIR_ENV, "localaws-apprunner-") / f"{label}.log"
        try:
            super().__init__(args, env, log_path, cwd=str(cwd) if cwd else None, sink=sink)
        except RuntimeError as exc:
            raise RuntimeError(f"{COMMAND_ENV}={command!r} could not be started: {exc}") from exc

    def health(self) -> str:
        """``up`` (port accepts connections), ``starting`` or ``dead``."""
        if not self.alive():
            return "dead"
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return "up"
        except OSError:
            return "starting"
