"""Fault injection: throttle a share of AWS calls with the protocol's own error format.

A throttled call never reaches the backend. It gets HTTP 400 and the error a real service
returns when it throttles, shaped for the service's protocol so botocore parses the code:

==================  =======================  =============================================
protocol            default code             body
==================  =======================  =============================================
json, rest-json     ThrottlingException      ``{"__type": ..., "message": ...}`` (+ header
                                             ``x-amzn-ErrorType``)
smithy-rpc-v2-cbor  ThrottlingException      the same map, CBOR-encoded
query, rest-xml     Throttling               ``<ErrorResponse><Error><Code>`` XML
s3                  SlowDown (HTTP 503)      ``<Error><Code>`` XML, as S3 answers; a HEAD
                                             request is recognised by its 503 alone
ec2                 RequestLimitExceeded     ``<Response><Errors><Error><Code>`` XML
==================  =======================  =============================================

JSON/CBOR services that are ``awsQueryCompatible`` (CloudWatch, SQS) also get the
``x-amzn-query-error: Throttling;Sender`` header, so botocore reports ``Throttling`` as the
query API would. ``error_code`` in the fault settings overrides the code.

Decisions come from ``random.Random(seed)``, one draw per matching call, so a given seed and
call sequence always throttles the same calls.
"""

from __future__ import annotations

import json
import random
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from tools.localaws.calllog import Call

MESSAGE = "Rate exceeded"
DEFAULT_CODES = {
    "json": "ThrottlingException",
    "rest-json": "ThrottlingException",
    "smithy-rpc-v2-cbor": "ThrottlingException",
    "query": "Throttling",
    "rest-xml": "Throttling",
    "ec2": "RequestLimitExceeded",
}


class FaultSettingsError(ValueError):
    """Bad fault settings; the message names the field."""


def _string_list(settings: dict[str, Any], key: str) -> frozenset[str] | None:
    value = settings.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise FaultSettingsError(f"faults: {key!r} must be a list of non-empty strings, got {value!r}")
    return frozenset(value)


@dataclass
class FaultSettings:
    throttle_rate: float
    seed: int | None = None
    services: frozenset[str] | None = None
    operations: frozenset[str] | None = None
    error_code: str | None = None
    rng: random.Random = field(default_factory=random.Random)

    @classmethod
    def parse(cls, settings: Any) -> FaultSettings:
        if not isinstance(settings, dict):
            raise FaultSettingsError("faults: the body must be a JSON object")
        unknown = set(settings) - {"throttle_rate", "seed", "services", "operations", "error_code"}
        if unknown:
            raise FaultSettingsError(f"faults: unknown setting(s) {', '.join(sorted(unknown))}")
        rate = settings.get("throttle_rate")
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
            raise FaultSettingsError(f"faults: 'throttle_rate' must be a number from 0 to 1, got {rate!r}")
        seed = settings.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise FaultSettingsError(f"faults: 'seed' must be an integer, got {seed!r}")
        code = settings.get("error_code")
        if code is not None and (not isinstance(code, str) or not code.isidentifier()):
            raise FaultSettingsError(f"faults: 'error_code' must be an error code such as Throttling, got {code!r}")
        return cls(
            throttle_rate=float(rate),
            seed=seed,
            services=_string_list(settings, "services"),
            operations=_string_list(settings, "operations"),
            error_code=code,
            rng=random.Random(seed),  # noqa: S311 (reproducible test faults, not security)
        )

    def describe(self) -> dict[str, Any]:
        return {
            "throttle_rate": self.throttle_rate,
            "seed": self.seed,
            "services": sorted(self.services) if self.services is not None else None,
            "operations": sorted(self.operations) if self.operations is not None else None,
            "error_code": self.error_code,
        }


class Faults:
    """The current fault settings (none by default), shared by the server's threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._settings: FaultSettings | None = None

    def set(self, settings: Any) -> dict[str, Any]:
        parsed = FaultSettings.parse(settings)
        with self._lock:
            self._settings = parsed
        return parsed.describe()

    def clear(self) -> None:
        with self._lock:
            self._settings = None

    def describe(self) -> dict[str, Any] | None:
        with self._lock:
            return self._settings.describe() if self._settings else None

    def throttle(self, call: Call) -> str | None:
        """The error code to answer ``call`` with, or None to let it through."""
        with self._lock:
            settings = self._settings
            if settings is None or call.service is None:
                return None
            if settings.services is not None and call.service not in settings.services:
                return None
            if settings.operations is not None and call.operation not in settings.operations:
                return None
            if settings.rng.random() >= settings.throttle_rate:
                return None
            return settings.error_code or _default_code(call)


def _default_code(call: Call) -> str:
    if call.service == "s3":
        return "SlowDown"  # S3's own throttling answer (503), recognisable even on HEAD
    return DEFAULT_CODES.get(call.protocol or "", "Throttling")


def _cbor_text(text: str) -> bytes:
    data = text.encode()
    size = len(data)
    if size < 24:
        head = bytes([0x60 + size])
    elif size < 256:
        head = bytes([0x78, size])
    else:
        head = bytes([0x79]) + size.to_bytes(2, "big")
    return head + data


def _cbor_map(values: dict[str, str]) -> bytes:
    return bytes([0xA0 + len(values)]) + b"".join(_cbor_text(k) + _cbor_text(v) for k, v in values.items())


def throttle_response(call: Call, code: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and body of a throttling error for ``call``'s protocol."""
    request_id = str(uuid.uuid4())
    headers = [("x-amzn-RequestId", request_id)]
    protocol = call.protocol or "query"
    if call.query_compatible:
        headers.append(("x-amzn-query-error", "Throttling;Sender"))
    if protocol in ("json", "rest-json"):
        content_type = "application/x-amz-json-1.0" if protocol == "json" else "application/json"
        headers += [("Content-Type", content_type), ("x-amzn-ErrorType", code)]
        body = json.dumps({"__type": code, "message": MESSAGE}).encode()
    elif protocol == "smithy-rpc-v2-cbor":
        headers += [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor")]
        body = _cbor_map({"__type": code, "message": MESSAGE})
    elif protocol == "ec2":
        headers.append(("Content-Type", "text/xml"))
        body = (
            f"<?xml version='1.0' encoding='UTF-8'?><Response><Errors><Error><Code>{escape(code)}</Code>"
            f"<Message>{MESSAGE}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
        ).encode()
    elif protocol == "rest-xml" and call.service == "s3":
        headers.append(("Content-Type", "application/xml"))
        body = (
            f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{escape(code)}</Code>"
            f"<Message>{MESSAGE}</Message><RequestId>{request_id}</RequestId></Error>"
        ).encode()
    else:
        headers.append(("Content-Type", "text/xml"))
        body = (
            f"<?xml version='1.0' encoding='UTF-8'?><ErrorResponse><Error><Type>Sender</Type>"
            f"<Code>{escape(code)}</Code><Message>{MESSAGE}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
    headers.append(("Content-Length", str(len(body))))
    return (503 if code == "SlowDown" else 400), headers, body
