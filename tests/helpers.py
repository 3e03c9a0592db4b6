"""Set-up helpers the test packages share (the playbook runner is tests/playbooks/helpers.py)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest

# A metric alarm as someone else might have put it: the fields a test does not care about.
ALARM_DEFAULTS: dict[str, Any] = {
    "Namespace": "AWS/RDS",
    "MetricName": "CPUUtilization",
    "Statistic": "Average",
    "ComparisonOperator": "GreaterThanThreshold",
    "Threshold": 1.0,
    "Period": 60,
    "EvaluationPeriods": 1,
}


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler of a test's own HTTP server that logs nothing."""

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def http_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[int]:
    """Serve ``handler`` on a free loopback port in a thread; its port, shut down on exit."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def put_alarm(name: str, **fields: Any) -> None:
    """Put the metric alarm ``name`` directly (not through a module): ALARM_DEFAULTS with ``fields`` over them."""
    boto3.client("cloudwatch").put_metric_alarm(**{**ALARM_DEFAULTS, "AlarmName": name, **fields})


@contextmanager
def environ(changes: dict[str, str | None]) -> Iterator[None]:
    """os.environ with ``changes`` (None: the variable removed) until the block ends, then as it was."""
    before = {env: os.environ.get(env) for env in changes}
    for env, value in changes.items():
        if value is None:
            os.environ.pop(env, None)
        else:
            os.environ[env] = value
    try:
        yield
    finally:
        for env, value in before.items():
            if value is None:
                os.environ.pop(env, None)
            else:
                os.environ[env] = value


@contextmanager
def session_dirs(tmp_path_factory: pytest.TempPathFactory, dirs: dict[str, str]) -> Iterator[None]:
    """Each environment variable of ``dirs`` names a new directory of the test session (its
    value: the directory's base name) until the block ends; the variables are restored then."""
    with environ({env: str(tmp_path_factory.mktemp(name)) for env, name in dirs.items()}):
        yield


def require_in_process_endpoint() -> None:
    """Skip the test when LOCALAWS_URL points at another endpoint: serving runs the services'
    processes from the in-process one, on this machine."""
    if os.environ.get("LOCALAWS_URL"):
        pytest.skip("serving needs the in-process endpoint (LOCALAWS_URL points at another one)")
