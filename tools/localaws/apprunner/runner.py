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
health check). The backend (models.py) decides what to start and stop. The process,
environment and secret machinery is shared with the ECS tasks extension
(``tools/localaws/compute``).
"""

from __future__ import annotations

import os
import shlex
import socket

from tools.localaws.compute import utils
from tools.localaws.compute.constants import PASSED_THROUGH
from tools.localaws.compute.utils import free_port, set_endpoint_url, stop_all

COMMAND_ENV = "LOCALAWS_APPRUNNER_COMMAND"
LOG_DIR_ENV = "LOCALAWS_APPRUNNER_LOG_DIR"
START_TIMEOUT = 60.0  # seconds a new process may take to accept connections

__all__ = [
    "COMMAND_ENV",
    "LOG_DIR_ENV",
    "PASSED_THROUGH",
    "START_TIMEOUT",
    "AppProcess",
    "child_environment",
    "configured_command",
    "free_port",
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


class AppProcess(utils.LocalProcess):
    """One child process serving a service revision on a loopback port."""

    def __init__(self, command: str, env: dict[str, str], port: int, label: str) -> None:
        self.port = port
        args = [arg.replace("${PORT}", str(port)).replace("$PORT", str(port)) for arg in shlex.split(command)]
        log_path = utils.log_dir(LOG_DIR_ENV, "localaws-apprunner-") / f"{label}.log"
        try:
            super().__init__(args, env, log_path)
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
