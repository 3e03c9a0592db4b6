"""App Runner's quotas, instance sizes and defaults, as the API reference documents them."""

from __future__ import annotations

DEFAULT_DELAY = 2.0
MAX_AUTO_SCALING_REVISIONS = 5  # per configuration name (AWS quota)
MAX_AUTO_SCALING_NAMES = 10  # per account and region, besides the AWS-managed DefaultConfiguration
DEFAULT_AUTO_SCALING_NAME = "DefaultConfiguration"
MAX_TAGS = 50

CPU_ALIASES = {"0.25 vCPU": "256", "0.5 vCPU": "512", "1 vCPU": "1024", "2 vCPU": "2048", "4 vCPU": "4096"}
MEMORY_ALIASES = {
    "0.5 GB": "512",
    "1 GB": "1024",
    "2 GB": "2048",
    "3 GB": "3072",
    "4 GB": "4096",
    "6 GB": "6144",
    "8 GB": "8192",
    "10 GB": "10240",
    "12 GB": "12288",
}
# The CPU/memory pairs App Runner accepts (API reference, InstanceConfiguration).
VALID_INSTANCE_SIZES = {
    "256": {"512", "1024"},
    "512": {"1024"},
    "1024": {"2048", "3072", "4096"},
    "2048": {"4096", "6144"},
    "4096": {"8192", "10240", "12288"},
}
# What a failed local launch (LOCALAWS_APPRUNNER_COMMAND) leaves: operation status, service status.
LAUNCH_FAILURES = {
    "CREATE_SERVICE": ("FAILED", "CREATE_FAILED"),
    "UPDATE_SERVICE": ("ROLLBACK_SUCCEEDED", "RUNNING"),
    "START_DEPLOYMENT": ("ROLLBACK_SUCCEEDED", "RUNNING"),
    "RESUME_SERVICE": ("FAILED", "PAUSED"),
}
HEALTH_CHECK_DEFAULTS = {
    "Protocol": "TCP",
    "Path": "/",
    "Interval": 5,
    "Timeout": 2,
    "HealthyThreshold": 1,
    "UnhealthyThreshold": 5,
}
