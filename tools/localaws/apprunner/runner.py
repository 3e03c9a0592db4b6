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

A service is healthy when its port accepts TCP connections (App Runner's default TCP
health check). The backend (models.py) decides what to start and stop.
"""

from __future__ import annotations

import atexit
import os
import shlex
import socket
import subprocess
import tempfile
import threading
from pathlib import Path

COMMAND_ENV = "LOCALAWS_APPRUNNER_COMMAND"
LOG_DIR_ENV = "LOCALAWS_APPRUNNER_LOG_DIR"
START_TIMEOUT = 60.0  # seconds a new process may take to accept connections
PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "VIRTUAL_ENV", "TMPDIR", "TZ")

_state: dict[str, str | None] = {"endpoint_url": None, "log_dir": None}
_live: set[AppProcess] = set()
_live_lock = threading.Lock()


def configured_command() -> str | None:
    command = os.environ.get(COMMAND_ENV, "").strip()
    return command or None


def set_endpoint_url(url: str) -> None:
    """Tell children where AWS is (the endpoint's own URL)."""
    _state["endpoint_url"] = url


def _log_dir() -> Path:
    configured = os.environ.get(LOG_DIR_ENV)
    if configured:
        path = Path(configured)
    else:
        if _state["log_dir"] is None:
            _state["log_dir"] = tempfile.mkdtemp(prefix="localaws-apprunner-")
        path = Path(str(_state["log_dir"]))
    path.mkdir(parents=True, exist_ok=True)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def child_environment(variables: dict[str, str], secrets: dict[str, str], port: int, region: str) -> dict[str, str]:
    env = {key: os.environ[key] for key in PASSED_THROUGH if key in os.environ}
    env.update(variables)
    env.update(secrets)
    env.update({"PORT": str(port), "HOST": "127.0.0.1", "AWS_DEFAULT_REGION": region, "AWS_REGION": region})
    if _state["endpoint_url"]:
        env.update(
            {
                "AWS_ENDPOINT_URL": str(_state["endpoint_url"]),
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",  # a fake key: this endpoint accepts any
            }
        )
    return env


class AppProcess:
    """One child process serving a service revision."""

    def __init__(self, command: str, env: dict[str, str], port: int, label: str) -> None:
        self.port = port
        args = [arg.replace("${PORT}", str(port)).replace("$PORT", str(port)) for arg in shlex.split(command)]
        self.log_path = _log_dir() / f"{label}.log"
        with self.log_path.open("ab") as log:
            try:
                self.process = subprocess.Popen(  # noqa: S603 (the operator's own configured command)
                    args, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
                )
            except OSError as exc:
                raise RuntimeError(f"{COMMAND_ENV}={command!r} could not be started: {exc}") from exc
        with _live_lock:
            _live.add(self)

    def health(self) -> str:
        """``up`` (port accepts connections), ``starting`` or ``dead``."""
        if self.process.poll() is not None:
            return "dead"
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return "up"
        except OSError:
            return "starting"

    def stop(self) -> None:
        with _live_lock:
            _live.discard(self)
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def stop_all() -> None:
    """Stop every child process (server shutdown, interpreter exit)."""
    with _live_lock:
        running = list(_live)
    for process in running:
        process.stop()


atexit.register(stop_all)
