"""Settings of the local ECS tasks (environment variables of the endpoint)."""

from __future__ import annotations

from pathlib import Path

# The interpreter that runs a container whose command starts with python/python3: the
# image's Python here. Unset: no task runs (the services stay bookkeeping, runningCount 0).
PYTHON_ENV = "LOCALAWS_ECS_PYTHON"
# Where tasks run (the image's WORKDIR stand-in): default the repository root.
WORKDIR_ENV = "LOCALAWS_ECS_WORKDIR"
DEFAULT_WORKDIR = str(Path(__file__).resolve().parents[3])
# Task output: <dir>/<service>-<n>.log (default a temporary directory).
LOG_DIR_ENV = "LOCALAWS_ECS_LOG_DIR"
LOG_DIR_PREFIX = "localaws-ecs-"
# Seconds between two passes of the supervisor (tasks and scaling).
TICK_ENV = "LOCALAWS_ECS_TICK"
DEFAULT_TICK = 1.0
# ECS: a container's stopTimeout defaults to 30 s, at most 120 s on Fargate.
DEFAULT_STOP_TIMEOUT = 30
MAX_STOP_TIMEOUT = 120
# A task that fails to start is retried after this many seconds (ECS backs off too).
RELAUNCH_BACKOFF = 5.0
PYTHON_NAMES = ("python", "python3", "python3.12")
STATISTICS = ("Average", "Sum", "Minimum", "Maximum", "SampleCount")
