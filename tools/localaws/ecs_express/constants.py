"""ECS Express Mode's defaults and limits, as the ECS API reference and developer guide document them."""

from __future__ import annotations

DELAY_ENV = "LOCALAWS_ECS_EXPRESS_DELAY"  # seconds a deployment's phase (provisioning, canary) lasts
DEFAULT_DELAY = 2.0
# The command a locally served Express service runs ($PORT replaced); falls back to App Runner's.
COMMAND_ENV = "LOCALAWS_ECS_EXPRESS_COMMAND"

DEFAULT_CLUSTER = "default"
CONTAINER_NAME = "Main"  # the primary container's name in the managed task definition
DEFAULT_CPU = "256"
DEFAULT_MEMORY = "512"
DEFAULT_ARCHITECTURE = "X86_64"
DEFAULT_PORT = 80
DEFAULT_HEALTH_CHECK_PATH = "/ping"
DEFAULT_MIN_TASKS = 1
DEFAULT_MAX_TASKS = 20
DEFAULT_METRIC = "AVERAGE_CPU"
DEFAULT_TARGET_VALUE = 60
MAX_TASKS = 5000  # ECS: tasks per service
CANARY_PERCENT = 5  # an update's new revision first gets 5% of the traffic
LOG_STREAM_PREFIX = "ecs"
SERVICE_NAME_MAX = 255
HEALTHY_CODES = range(200, 200 + 1)  # the target group's matcher: HTTP 200

# Fargate task sizes: CPU units -> the memory values (MiB) allowed with them.
FARGATE_SIZES: dict[str, list[int]] = {
    "256": [512, 1024, 2048],
    "512": list(range(1024, 4096 + 1, 1024)),
    "1024": list(range(2048, 8192 + 1, 1024)),
    "2048": list(range(4096, 16384 + 1, 1024)),
    "4096": list(range(8192, 30720 + 1, 1024)),
    "8192": list(range(16384, 61440 + 1, 4096)),
    "16384": list(range(32768, 122880 + 1, 8192)),
}
# The Application Auto Scaling predefined metric behind each Express scaling metric.
PREDEFINED_METRICS = {
    "AVERAGE_CPU": "ECSServiceAverageCPUUtilization",
    "AVERAGE_MEMORY": "ECSServiceAverageMemoryUtilization",
    "REQUEST_COUNT_PER_TARGET": "ALBRequestCountPerTarget",
}
SCALABLE_DIMENSION = "ecs:service:DesiredCount"
