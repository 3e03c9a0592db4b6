"""ECS service tasks as local processes: desired count kept, deploys rolled, graceful stops.

A task runs the essential container's ``entryPoint`` + ``command`` (a command starting
with python/python3 runs under ``LOCALAWS_ECS_PYTHON``; without it, or for any other
command, no task runs and the service's events say why), in ``LOCALAWS_ECS_WORKDIR``
(default the repository root), with the container's ``environment``, its ``secrets``
resolved from this endpoint's SSM parameters and Secrets Manager secrets (``valueFrom``),
and credentials for this endpoint. Output goes to ``LOCALAWS_ECS_LOG_DIR/<service>-<n>.log``.

Every pass: exited tasks are replaced; a service whose task definition changed gets its
new tasks started, then the old ones stopped; tasks above the desired count are stopped,
newest first. Stopping is SIGTERM, then SIGKILL after the container's ``stopTimeout``.
The service reports ``runningCount`` (tasks alive) and ``pendingCount`` 0. Tasks are not
listed by ListTasks/DescribeTasks (moto's own bookkeeping).
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tools.localaws.compute import utils as compute
from tools.localaws.ecs import scaling
from tools.localaws.ecs.constants import (
    DEFAULT_STOP_TIMEOUT,
    DEFAULT_TICK,
    DEFAULT_WORKDIR,
    LOG_DIR_ENV,
    LOG_DIR_PREFIX,
    MAX_STOP_TIMEOUT,
    PYTHON_ENV,
    PYTHON_NAMES,
    RELAUNCH_BACKOFF,
    TICK_ENV,
    WORKDIR_ENV,
)

log = logging.getLogger("localaws.ecs")


class LaunchError(RuntimeError):
    """A task that cannot start here (the message is the service event)."""


@dataclass
class LocalTask:
    number: int
    task_definition_arn: str
    process: compute.LocalProcess
    stop_timeout: float
    started: float = field(default_factory=time.time)


def _container(task_definition: Any) -> dict[str, Any]:
    containers = task_definition.container_definitions or []
    essential = [c for c in containers if c.get("essential", True)]
    if not essential:
        raise LaunchError(f"task definition {task_definition.arn} has no essential container")
    return dict(essential[0])


def _command(container: dict[str, Any]) -> list[str]:
    args = [str(a) for a in (container.get("entryPoint") or []) + (container.get("command") or [])]
    if not args:
        raise LaunchError(f"container {container.get('name')} has no command: the image's own CMD is not known locally")
    if Path(args[0]).name not in PYTHON_NAMES:
        raise LaunchError(f"container {container.get('name')}: only python commands run locally, not {args[0]!r}")
    python = os.environ.get(PYTHON_ENV, "").strip()
    if not python:
        raise LaunchError(f"{PYTHON_ENV} is not set: tasks are not run on this endpoint")
    return [python, *args[1:]]


def _environment(container: dict[str, Any], account_id: str, region: str) -> dict[str, str]:
    variables = {str(e["name"]): str(e.get("value", "")) for e in container.get("environment") or []}
    secrets = {}
    for secret in container.get("secrets") or []:
        try:
            secrets[str(secret["name"])] = compute.resolve_secret(account_id, region, str(secret["valueFrom"]))
        except compute.SecretNotResolved as exc:
            raise LaunchError(f"ResourceInitializationError: unable to pull secrets: {secret['name']}: {exc}") from exc
    return compute.child_environment(variables, secrets, region)


def _stop_timeout(container: dict[str, Any]) -> float:
    value = container.get("stopTimeout")
    return float(min(MAX_STOP_TIMEOUT, max(0, int(value if value is not None else DEFAULT_STOP_TIMEOUT))))


class Supervisor:
    """Keeps every ACTIVE ECS service's tasks running; one thread per endpoint process."""

    def __init__(self) -> None:
        self.tasks: dict[str, list[LocalTask]] = {}
        self.stopping: list[threading.Thread] = []
        self._numbers = itertools.count(1)
        self._failed: dict[str, float] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._halt = threading.Event()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="localaws-ecs", daemon=True)
            self._thread.start()

    def halt(self) -> None:
        """Stop the passes (endpoint shutdown); the tasks stop with ``compute.utils.stop_all``."""
        self._halt.set()

    def _loop(self) -> None:
        tick = float(os.environ.get(TICK_ENV) or DEFAULT_TICK)
        while not self._halt.wait(tick):
            try:
                self.reconcile_all()
            except Exception:  # the endpoint keeps serving; the next pass tries again
                log.exception("local ECS pass failed")

    def reconcile_all(self) -> None:
        from moto.ecs.models import ecs_backends  # noqa: PLC0415

        with self._lock:
            seen: set[str] = set()
            for account_id, regions in list(ecs_backends.items()):
                for region, backend in list(regions.items()):
                    if not backend.services:
                        continue
                    scaling.evaluate(account_id, region)
                    for service in list(backend.services.values()):
                        # an ECS Express service's tasks are the Express backend's (tools/localaws/ecs_express)
                        if service.status == "ACTIVE" and not getattr(service, "express_gateway", False):
                            seen.add(service.arn)
                            self._reconcile(backend, service, account_id, region)
            for arn in [a for a in self.tasks if a not in seen]:  # deleted services, endpoint reset
                for task in self.tasks.pop(arn):
                    self._stop(task)

    def _event(self, service: Any, message: str) -> None:
        service.events.insert(0, {"id": f"local-{time.time_ns()}", "createdAt": datetime.now(UTC), "message": message})
        del service.events[100:]

    def _reconcile(self, backend: Any, service: Any, account_id: str, region: str) -> None:
        tasks = self.tasks.setdefault(service.arn, [])
        for task in [t for t in tasks if not t.process.alive()]:
            tasks.remove(task)
            self._event(
                service,
                f"(service {service.name}) task {task.number} stopped: essential container exited "
                f"(exit code {task.process.exit_code()})",
            )
        task_definition = backend.describe_task_definition(service.task_definition)
        current = [t for t in tasks if t.task_definition_arn == task_definition.arn]
        desired = int(service.desired_count or 0)
        missing = desired - len(current)
        if missing > 0 and time.time() - self._failed.get(service.arn, 0) >= RELAUNCH_BACKOFF:
            try:
                for _ in range(missing):
                    task = self._launch(service, task_definition, account_id, region)
                    tasks.append(task)
                    current.append(task)
                    self._event(
                        service,
                        f"(service {service.name}) has started 1 task: task {task.number} (pid {task.process.pid}).",
                    )
                self._failed.pop(service.arn, None)
            except LaunchError as exc:
                self._failed[service.arn] = time.time()
                self._event(service, f"(service {service.name}) was unable to place a task: {exc}")
        for task in sorted(current, key=lambda t: t.started, reverse=True)[: max(0, len(current) - desired)]:
            tasks.remove(task)
            self._stop(task)
            self._event(service, f"(service {service.name}) has stopped 1 running task: task {task.number}.")
        if len(current) >= desired:  # the new revision is up: the old tasks go
            for task in [t for t in tasks if t.task_definition_arn != task_definition.arn]:
                tasks.remove(task)
                self._stop(task)
        running = len(tasks)
        service.running_count = running
        service.pending_count = 0
        for deployment in service.deployments[:1]:
            deployment.update(
                desiredCount=desired,
                runningCount=running,
                pendingCount=0,
                taskDefinition=task_definition.arn,
                rolloutState="COMPLETED" if running == desired else "IN_PROGRESS",
            )

    def _launch(self, service: Any, task_definition: Any, account_id: str, region: str) -> LocalTask:
        container = _container(task_definition)
        args = _command(container)
        env = _environment(container, account_id, region)
        number = next(self._numbers)
        log_path = compute.log_dir(LOG_DIR_ENV, LOG_DIR_PREFIX) / f"{service.name}-{number}.log"
        try:
            process = compute.LocalProcess(args, env, log_path, cwd=os.environ.get(WORKDIR_ENV) or DEFAULT_WORKDIR)
        except RuntimeError as exc:
            raise LaunchError(str(exc)) from exc
        return LocalTask(number, task_definition.arn, process, _stop_timeout(container))

    def _stop(self, task: LocalTask) -> None:
        """SIGTERM now, SIGKILL after the stop timeout, without holding up the pass."""
        thread = threading.Thread(
            target=task.process.stop, args=(task.stop_timeout,), name=f"ecs-stop-{task.number}", daemon=True
        )
        thread.start()
        self.stopping = [t for t in self.stopping if t.is_alive()] + [thread]

    def tasks_of(self, service_arn: str) -> list[LocalTask]:
        with self._lock:
            return list(self.tasks.get(service_arn, []))


SUPERVISOR = Supervisor()
