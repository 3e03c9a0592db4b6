"""``python -m tools.localaws``: refuses a port that is in use, with a clear message."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_localaws(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m tools.localaws ARGS`` from the checkout; it is expected to refuse and exit."""
    return subprocess.run(
        [sys.executable, "-m", "tools.localaws", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_port_in_use_exits_non_zero_with_a_clear_message() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = run_localaws("--port", str(port), "--apprunner-delay", "0.1")
    assert result.returncode != 0
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "Traceback" not in result.stderr


def test_non_loopback_host_is_refused() -> None:
    result = run_localaws("--host", "192.0.2.10", "--port", "0")  # TEST-NET: must be refused
    assert result.returncode != 0
    assert "only loopback addresses are allowed" in result.stderr
