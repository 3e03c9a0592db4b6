"""A small client for the local endpoint's control API, for other people's tests.

    from tools.localaws import client

    client.reset_calls(url)
    ...  # run a playbook / module against the endpoint
    mutating = [c for c in client.calls(url) if c["mutating"]]

    client.set_faults(url, throttle_rate=0.3, seed=7, services=["apprunner"])
    try:
        ...  # prove the code under test still converges
    finally:
        client.clear_faults(url)

Every function raises :class:`LocalAWSControlError` (with the endpoint's message) when the
endpoint refuses a request. Only loopback URLs are accepted.
"""

from __future__ import annotations

import ipaddress
import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

TIMEOUT = 10


class LocalAWSControlError(RuntimeError):
    """The local endpoint refused a control request."""


def _loopback(url: str) -> str:
    host = urlsplit(url).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise LocalAWSControlError(f"localaws client: {url!r} is not a loopback URL")
    return url.rstrip("/")


def _request(url: str, method: str, path: str, payload: Any = None) -> Any:
    data = None if payload is None else json.dumps(payload).encode()
    req = urllib.request.Request(f"{_loopback(url)}{path}", data=data, method=method)  # noqa: S310 (loopback http)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:  # noqa: S310 (loopback URL checked above)  # nosec B310
            return json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        try:
            message = json.loads(exc.read()).get("error", exc.reason)
        except ValueError:
            message = exc.reason
        raise LocalAWSControlError(f"localaws {method} {path}: HTTP {exc.code}: {message}") from exc


def calls(url: str) -> list[dict[str, Any]]:
    """Every AWS call served since the last reset: service, operation, status, mutating."""
    return list(_request(url, "GET", "/_localaws/calls")["calls"])


def reset_calls(url: str) -> None:
    """Forget the calls recorded so far."""
    _request(url, "POST", "/_localaws/calls/reset")


def set_faults(
    url: str,
    throttle_rate: float,
    *,
    seed: int | None = None,
    services: list[str] | None = None,
    operations: list[str] | None = None,
    error_code: str | None = None,
) -> dict[str, Any]:
    """Throttle ``throttle_rate`` (0-1) of the matching calls; returns the settings in force."""
    settings: dict[str, Any] = {"throttle_rate": throttle_rate}
    for key, value in (("seed", seed), ("services", services), ("operations", operations), ("error_code", error_code)):
        if value is not None:
            settings[key] = value
    return dict(_request(url, "POST", "/_localaws/faults", settings)["faults"])


def clear_faults(url: str) -> None:
    """Stop injecting faults."""
    _request(url, "DELETE", "/_localaws/faults")


def complete_handshake(url: str, connection_name: str, region: str = "us-east-1") -> dict[str, Any]:
    """Do what the App Runner console's "Complete handshake" does: the connection becomes AVAILABLE."""
    body = {"ConnectionName": connection_name, "Region": region}
    return dict(_request(url, "POST", "/_localaws/apprunner/handshake", body)["Connection"])
