"""Child processes for locally served services: environment, secrets, start and stop."""

from __future__ import annotations

import atexit
import functools
import json
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from tools.localaws.compute.constants import (
    DEFAULT_STOP_TIMEOUT,
    FAKE_ACCESS_KEY,
    FAKE_SECRET_KEY,
    PASSED_THROUGH,
)

_state: dict[str, str | None] = {"endpoint_url": None}
_log_dirs: dict[str, str] = {}
_live: set[LocalProcess] = set()
_live_lock = threading.Lock()


class Settling(Protocol):
    """A backend whose state moves with time: settled under its lock before each request."""

    lock: threading.RLock

    def settle(self) -> None: ...


def locked[T](method: Callable[..., T]) -> Callable[..., T]:
    """Run a backend method under the backend's lock, after settling its timed transitions."""

    @functools.wraps(method)
    def wrapper(self: Settling, *args: Any, **kwargs: Any) -> T:
        with self.lock:
            self.settle()
            return method(self, *args, **kwargs)

    return wrapper


def log_stream_sink(account_id: str, region: str, group: str, stream: str) -> Callable[[str], None]:
    """A writer of lines to a new CloudWatch Logs stream of this endpoint (the group created if missing)."""
    from moto.logs.models import logs_backends  # noqa: PLC0415 (only when serving)

    logs = logs_backends[account_id][region]
    if group not in logs.groups:
        logs.create_log_group(group, {})
    logs.create_log_stream(group, stream)

    def write(line: str) -> None:
        backend = logs_backends[account_id][region]  # a reset replaces the backend's state
        backend.put_log_events(group, stream, [{"timestamp": int(time.time() * 1000), "message": line}])

    return write


class SecretNotResolved(LookupError):
    """A secret reference that names nothing on this endpoint (the message says which)."""


def set_endpoint_url(url: str) -> None:
    """Tell children where AWS is (the endpoint's own URL)."""
    _state["endpoint_url"] = url


def endpoint_url() -> str | None:
    return _state["endpoint_url"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def log_dir(env_name: str, prefix: str) -> Path:
    """``$<env_name>`` if set, else one temporary directory per prefix for this process."""
    configured = os.environ.get(env_name)
    if configured:
        path = Path(configured)
    else:
        if prefix not in _log_dirs:
            _log_dirs[prefix] = tempfile.mkdtemp(prefix=prefix)
        path = Path(_log_dirs[prefix])
    path.mkdir(parents=True, exist_ok=True)
    return path


def child_environment(variables: dict[str, str], secrets: dict[str, str], region: str) -> dict[str, str]:
    """The allow-listed part of ours, then the service's variables, its secrets, this endpoint."""
    env = {key: os.environ[key] for key in PASSED_THROUGH if key in os.environ}
    env.update(variables)
    env.update(secrets)
    env.update({"AWS_DEFAULT_REGION": region, "AWS_REGION": region})
    if _state["endpoint_url"]:
        env.update(
            {
                "AWS_ENDPOINT_URL": str(_state["endpoint_url"]),
                "AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_KEY,
            }
        )
    return env


def resolve_secret(account_id: str, region: str, reference: str) -> str:
    """The value behind an SSM parameter or Secrets Manager reference, on this endpoint.

    Secrets Manager: ``<secret ARN (7 fields)>[:<json-key>[:<version-stage>[:<version-id>]]]``
    (App Runner's RuntimeEnvironmentSecrets and ECS's ``valueFrom`` share the format).
    SSM: a parameter ARN or name. Raises :class:`SecretNotResolved`.
    """
    from moto.secretsmanager.models import secretsmanager_backends  # noqa: PLC0415 (only when serving)
    from moto.ssm.models import ssm_backends  # noqa: PLC0415

    parts = reference.split(":")
    if reference.startswith("arn:") and len(parts) > 3 and parts[3]:
        region = parts[3]
    value: Any = None
    try:
        if ":secretsmanager:" in reference:
            secret_arn, json_key = ":".join(parts[:7]), parts[7] if len(parts) > 7 else ""
            stage = parts[8] if len(parts) > 8 and parts[8] else None
            version = parts[9] if len(parts) > 9 and parts[9] else None
            backend = secretsmanager_backends[account_id][region]
            secret = backend.get_secret_value(secret_arn, version, stage)  # type: ignore[arg-type]
            value = secret.get("SecretString")
            if json_key and value is not None:
                document = json.loads(value)
                if json_key not in document:
                    raise KeyError(json_key)
                value = str(document[json_key])
        else:
            parameter = ssm_backends[account_id][region].get_parameter(reference)  # a name or an ARN
            if parameter is not None:
                value = parameter.decrypt(parameter.value)  # SecureString values are stored "encrypted"
    except Exception as exc:  # moto raises its own not-found types
        raise SecretNotResolved(f"{reference} cannot be resolved on this endpoint ({type(exc).__name__})") from exc
    if value is None:
        raise SecretNotResolved(f"{reference} does not exist on this endpoint")
    return str(value)


class LocalProcess:
    """One child process; output appended to ``<log_dir>/<label>.log``.

    With ``sink``, each line of output is also handed to it (the App Runner backend writes
    them to the service's CloudWatch Logs application log group).
    """

    def __init__(
        self,
        args: list[str],
        env: dict[str, str],
        log_path: Path,
        cwd: str | None = None,
        sink: Callable[[str], None] | None = None,
    ) -> None:
        self.args = args
        self.log_path = log_path
        with log_path.open("ab") as log:
            try:
                self.process = subprocess.Popen(  # noqa: S603 (the operator's own configured command)
                    args,
                    env=env,
                    cwd=cwd,
                    stdout=log if sink is None else subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                )
            except OSError as exc:
                raise RuntimeError(f"{args[0]!r} could not be started: {exc}") from exc
        if sink is not None:
            threading.Thread(target=self._copy_output, args=(sink,), daemon=True).start()
        with _live_lock:
            _live.add(self)

    def _copy_output(self, sink: Callable[[str], None]) -> None:
        assert self.process.stdout is not None
        with self.process.stdout as output, self.log_path.open("ab") as log:
            for raw in output:
                log.write(raw)
                log.flush()
                try:
                    sink(raw.decode("utf-8", "replace").rstrip("\n"))
                except Exception:  # noqa: S112 (a reset endpoint has no log group left: the file keeps the line)
                    continue

    @property
    def pid(self) -> int:
        return int(self.process.pid)

    def alive(self) -> bool:
        return self.process.poll() is None

    def exit_code(self) -> int | None:
        return self.process.poll()

    def stop(self, timeout: float = DEFAULT_STOP_TIMEOUT) -> int | None:
        """SIGTERM, then SIGKILL after ``timeout`` seconds (as a container runtime does); the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        with _live_lock:
            _live.discard(self)
        return self.process.poll()


def stop_all(timeout: float = DEFAULT_STOP_TIMEOUT) -> None:
    """Stop every child process (server shutdown, interpreter exit), all at once."""
    with _live_lock:
        running = list(_live)
    for process in running:  # SIGTERM everyone first, then wait: shutdown takes one timeout
        if process.alive():
            process.process.send_signal(signal.SIGTERM)
    for process in running:
        process.stop(timeout)


atexit.register(stop_all)
