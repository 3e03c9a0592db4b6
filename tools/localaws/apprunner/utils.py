"""Helpers of the App Runner backend: the operation delay, ids, pagination and the
normalisers that turn a request's configuration into what DescribeService returns."""

from __future__ import annotations

import base64
import copy
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


def paginate[T](
    items: list[T], max_results: int | None, next_token: str | None, default: int
) -> tuple[list[T], str | None]:
    """One page of ``items`` and the token of the next page (None on the last page)."""
    start = 0
    if next_token:
        try:
            start = int(base64.urlsafe_b64decode(next_token.encode()).decode().removeprefix("offset:"))
        except ValueError as exc:
            raise InvalidRequestException(f"Invalid NextToken: {next_token!r} was not returned by this API") from exc
        if start < 0:
            raise InvalidRequestException(f"Invalid NextToken: {next_token!r} was not returned by this API")
    end = start + (max_results or default)
    token = base64.urlsafe_b64encode(f"offset:{end}".encode()).decode() if end < len(items) else None
    return items[start:end], token


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
