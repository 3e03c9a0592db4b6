"""Helpers of the App Runner backend: the operation delay, ids, the pagination model and the
normalisers that turn a request's configuration into what DescribeService returns."""

from __future__ import annotations

import base64
import copy
import json
import os
from datetime import UTC, datetime
from typing import Any

from moto.moto_api._internal import mock_random

from tools.localaws.apprunner.constants import (
    CPU_ALIASES,
    DEFAULT_DELAY,
    HEALTH_CHECK_DEFAULTS,
    MEMORY_ALIASES,
    VALID_INSTANCE_SIZES,
)
from tools.localaws.apprunner.exceptions import InvalidRequestException


def operation_delay() -> float:
    """Seconds an operation stays in progress (``LOCALAWS_APPRUNNER_DELAY``, default 2)."""
    raw = os.environ.get("LOCALAWS_APPRUNNER_DELAY", str(DEFAULT_DELAY))
    try:
        delay = float(raw)
    except ValueError as exc:
        raise ValueError(f"LOCALAWS_APPRUNNER_DELAY must be a number of seconds, got {raw!r}") from exc
    return max(delay, 0.0)


def utcnow() -> datetime:
    return datetime.now(UTC)


def hex32() -> str:
    return mock_random.get_random_hex(32)


def random_label(length: int = 10) -> str:
    return mock_random.get_random_string(length, lower_case=True)


def _page_of(unique_attribute: str | None, limit_default: int) -> dict[str, Any]:
    """A PAGINATION_MODEL entry: MaxResults (``limit_default`` when not given) and NextToken."""
    return {
        "input_token": "next_token",
        "limit_key": "max_results",
        "limit_default": limit_default,
        "unique_attribute": unique_attribute,
    }


# moto's paginator (``@paginate(pagination_model=PAGINATION_MODEL)``) for each List call and
# DescribeCustomDomains; the defaults are those of the API reference (MaxResults).
PAGINATION_MODEL = {
    "list_services": _page_of("ServiceArn", 20),
    "list_operations": _page_of("Id", 20),
    "_custom_domains": _page_of("DomainName", 5),
    "list_auto_scaling_configurations": _page_of("AutoScalingConfigurationArn", 100),
    "list_services_for_auto_scaling_configuration": _page_of(None, 100),  # ARNs: each its own unique value
    "list_vpc_connectors": _page_of("VpcConnectorArn", 100),
    "list_observability_configurations": _page_of("ObservabilityConfigurationArn", 100),
    "list_connections": _page_of("ConnectionArn", 100),
}


def decodes_to_object(token: str) -> bool:
    """Whether ``token`` is base64 of a JSON object, as the tokens moto's paginator issues are (on
    one of a JSON string or number the paginator fails with an AttributeError, not InvalidToken)."""
    try:
        return isinstance(json.loads(base64.b64decode(token)), dict)
    except ValueError:  # binascii.Error, JSONDecodeError and UnicodeDecodeError are ValueErrors
        return False


def normalise_instance(given: dict[str, Any] | None) -> dict[str, Any]:
    config = dict(given or {})
    cpu = CPU_ALIASES.get(config.get("Cpu", "1024"), config.get("Cpu", "1024"))
    memory = MEMORY_ALIASES.get(config.get("Memory", "2048"), config.get("Memory", "2048"))
    if memory not in VALID_INSTANCE_SIZES.get(cpu, set()):
        allowed = ", ".join(sorted(VALID_INSTANCE_SIZES.get(cpu, set()), key=int)) or "none"
        raise InvalidRequestException(
            f"InstanceConfiguration: Cpu {cpu} with Memory {memory} is not a supported combination "
            f"(Memory for Cpu {cpu}: {allowed})"
        )
    config["Cpu"], config["Memory"] = cpu, memory
    return config


def normalise_health_check(given: dict[str, Any] | None) -> dict[str, Any]:
    config = {**HEALTH_CHECK_DEFAULTS, **(given or {})}
    return config


def normalise_source(given: dict[str, Any]) -> dict[str, Any]:
    source = copy.deepcopy(given)
    image, code = source.get("ImageRepository"), source.get("CodeRepository")
    if bool(image) == bool(code):
        raise InvalidRequestException(
            "SourceConfiguration must contain exactly one of ImageRepository and CodeRepository"
        )
    auth = source.get("AuthenticationConfiguration") or {}
    if image:
        public = image["ImageRepositoryType"] == "ECR_PUBLIC"
        if public and source.get("AutoDeploymentsEnabled"):
            raise InvalidRequestException(
                "SourceConfiguration.AutoDeploymentsEnabled: automatic deployments are not supported for ECR_PUBLIC"
            )
        if not public and not auth.get("AccessRoleArn"):
            raise InvalidRequestException(
                "SourceConfiguration.AuthenticationConfiguration.AccessRoleArn is required for a private ECR image"
            )
        source.setdefault("AutoDeploymentsEnabled", not public)
        image_config = image.setdefault("ImageConfiguration", {})
        image_config.setdefault("Port", "8080")
    else:
        if not auth.get("ConnectionArn"):
            raise InvalidRequestException(
                "SourceConfiguration.AuthenticationConfiguration.ConnectionArn is required for a CodeRepository"
            )
        source.setdefault("AutoDeploymentsEnabled", True)
    return source
