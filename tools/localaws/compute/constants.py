"""Settings of the local compute machinery."""

from __future__ import annotations

# Variables of the endpoint's own environment a child process inherits; everything else it
# gets comes from the service's configuration.
PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "VIRTUAL_ENV", "TMPDIR", "TZ")
# The endpoint accepts any key: children get a fake one (never the controller's).
FAKE_ACCESS_KEY = "testing"
FAKE_SECRET_KEY = "testing"  # noqa: S105 (a fake key: this endpoint accepts any)
# Seconds a stopped process has before SIGKILL when its service names no stop timeout.
DEFAULT_STOP_TIMEOUT = 5.0
