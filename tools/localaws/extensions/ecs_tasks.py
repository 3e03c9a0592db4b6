"""Run ECS services' tasks as local processes and scale them (``tools/localaws/ecs``).

moto's ECS, Application Auto Scaling and CloudWatch backends stay as they are (the
requests and their bookkeeping); a supervisor thread started here makes the services act:
tasks run as processes, alarms are evaluated, step scaling policies set desired counts.
"""

from __future__ import annotations

from tools.localaws.ecs.tasks import SUPERVISOR


def register() -> None:
    SUPERVISOR.start()
