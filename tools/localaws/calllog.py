"""Which AWS API call an HTTP request is, read generically from botocore's service models.

* Service: the SigV4 credential scope's signing name (``.../us-east-1/apprunner/aws4_request``)
  mapped to botocore service names (the service of that name first, then every service
  whose ``signingName``/``endpointPrefix`` it is, e.g. ``monitoring`` -> ``cloudwatch``).
* Operation, by the service's protocol:
  ``json``: ``X-Amz-Target: <targetPrefix>.<Operation>``;
  ``query``/``ec2``: the ``Action`` parameter (query string or form body; ``Version`` must match);
  ``smithy-rpc-v2-cbor``: the path ``/service/<name>/operation/<Operation>``;
  ``rest-json``/``rest-xml``: method + path matched against every operation's
  ``http.requestUri`` template (``{Label}`` one segment, ``{Label+}`` the rest; literal query
  keys such as ``?acl`` required; ``x-id=`` optional); the most specific match wins.
  Several services sharing a signing name (``s3``/``s3control``) are tried in that order.

Requests signed in the query string (presigned URLs: ``X-Amz-Credential``; SigV2
``AWSAccessKeyId`` + ``Signature``, which only S3 still takes) are named the same way.

Mutating rule (:func:`is_mutating`): a call is a read, not mutating, when its operation
name starts with one of :data:`READ_PREFIXES` (Describe, Get, List, Head, Check, Search,
Lookup, Query, Scan, Select, BatchGet, Validate, Test, Estimate, Preview, Simulate,
Download), or when the operation is unknown and the HTTP method is GET or HEAD. Everything
else is mutating.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import parse_qs

import botocore.session
from botocore.model import ServiceModel

READ_PREFIXES = (
    "Describe",
    "Get",
    "List",
    "Head",
    "Check",
    "Search",
    "Lookup",
    "Query",
    "Scan",
    "Select",
    "BatchGet",
    "Validate",
    "Test",
    "Estimate",
    "Preview",
    "Simulate",
    "Download",
)
MAX_CALLS = 100_000  # the log keeps the newest calls (a long `make up` session must not grow without bound)
_CREDENTIAL = re.compile(r"Credential=[^/,\s]+/\d{8}/([^/,\s]+)/([^/,\s]+)/aws4_request")
_CBOR_PATH = re.compile(r"/service/[^/]+/operation/([A-Za-z0-9]+)/?$")
_LABEL = re.compile(r"\{([^}]+)\}")

_session_lock = threading.Lock()
_index_lock = threading.Lock()


@cache
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


@cache
def service_model(name: str) -> ServiceModel:
    with _session_lock:
        return _session().get_service_model(name)


@cache
def available_services() -> frozenset[str]:
    with _session_lock:
        return frozenset(_session().get_available_services())


@cache
def _signing_index() -> dict[str, tuple[str, ...]]:
    """signingName/endpointPrefix -> service names (loads every model once: ~2 s)."""
    with _index_lock:
        index: dict[str, list[str]] = {}
        for name in sorted(available_services()):
            metadata = service_model(name).metadata
            for key in {metadata.get("signingName"), metadata.get("endpointPrefix")} - {None}:
                index.setdefault(str(key), []).append(name)
        return {key: tuple(names) for key, names in index.items()}


def warm_up() -> None:
    """Build the signing-name index ahead of the first request that needs it."""
    _signing_index()


def candidate_services(signing_name: str, *, include_index: bool = True) -> list[str]:
    """Services signed with ``signing_name``: the one of that name first (no index needed)."""
    names = [signing_name] if signing_name in available_services() else []
    if include_index:
        names += [n for n in _signing_index().get(signing_name, ()) if n not in names]
    return names


@dataclass(frozen=True)
class _Route:
    operation: str
    method: str
    pattern: re.Pattern[str]
    required_query: tuple[tuple[str, str | None], ...]
    optional_query: tuple[tuple[str, str | None], ...]
    required_headers: tuple[str, ...]
    score: tuple[int, int, int]


def _parse_query(query: str) -> list[tuple[str, str | None]]:
    items: list[tuple[str, str | None]] = []
    for part in filter(None, query.split("&")):
        key, sep, value = part.partition("=")
        items.append((key, value if sep else None))
    return items


@cache
def _routes(service: str) -> tuple[_Route, ...]:
    model = service_model(service)
    routes = []
    for name in model.operation_names:
        operation = model.operation_model(name)
        http = operation.http
        shape = operation.input_shape
        headers = tuple(
            shape.members[m].serialization["name"].upper().replace("-", "_")
            for m in (shape.required_members if shape is not None else [])
            if shape.members[m].serialization.get("location") == "header"
        )
        uri = http.get("requestUri", "/")
        path, _, query = uri.partition("?")
        regex, literal, greedy, pos = "", 0, 0, 0
        for match in _LABEL.finditer(path):
            text = path[pos : match.start()]
            regex += re.escape(text)
            literal += len(text)
            if match.group(1).endswith("+"):
                regex += "(.+)"
                greedy += 1
            else:
                regex += "([^/]+)"
            pos = match.end()
        regex += re.escape(path[pos:])
        literal += len(path) - pos
        pairs = _parse_query(query)
        required = tuple(p for p in pairs if p[0] != "x-id")
        optional = tuple(p for p in pairs if p[0] == "x-id")
        pattern = re.compile(regex.rstrip("/") + "/?")
        routes.append(
            _Route(
                name,
                http.get("method", "POST"),
                pattern,
                required,
                optional,
                headers,
                (len(required) + len(headers), literal, -greedy),
            )
        )
    return tuple(routes)


def _query_has(query: dict[str, list[str]], key: str, value: str | None) -> bool:
    if key not in query:
        return False
    return value is None or value in query[key]


def match_rest_operation(service: str, environ: dict[str, Any], path: str, query: dict[str, list[str]]) -> str | None:
    """The operation whose ``requestUri`` template, query keys and required headers fit best."""
    method = environ.get("REQUEST_METHOD", "GET").upper()
    best: tuple[tuple[int, int, int], str] | None = None
    for route in _routes(service):
        if route.method != method or not route.pattern.fullmatch(path or "/"):
            continue
        if not all(_query_has(query, k, v) for k, v in route.required_query):
            continue
        if not all(f"HTTP_{h}" in environ or h in ("CONTENT_TYPE", "CONTENT_LENGTH") for h in route.required_headers):
            continue
        if any(k in query and not _query_has(query, k, v) for k, v in route.optional_query):
            continue
        bonus = sum(1 for k, v in route.optional_query if _query_has(query, k, v))
        score = (route.score[0] + bonus, route.score[1], route.score[2])
        if best is None or score > best[0]:
            best = (score, route.operation)
    return best[1] if best else None


@dataclass(frozen=True)
class Call:
    service: str | None
    operation: str | None
    protocol: str | None
    query_compatible: bool = False


def _operation_for(  # noqa: PLR0911 (one early return per protocol reads best)
    model: ServiceModel, environ: dict[str, Any], params: dict[str, list[str]]
) -> tuple[str | None, str]:
    """The operation and the wire protocol of the request (a model may offer several)."""
    protocols = model.metadata.get("protocols") or [model.protocol]
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    path = environ.get("PATH_INFO", "") or "/"
    if target:
        prefix, _, operation = target.rpartition(".")
        if prefix == model.metadata.get("targetPrefix") and operation in model.operation_names:
            return operation, "json"
        return None, "json"
    match = _CBOR_PATH.search(path)
    if match and "smithy-rpc-v2-cbor" in protocols:
        operation = match.group(1)
        return (operation if operation in model.operation_names else None), "smithy-rpc-v2-cbor"
    query_protocol = next((p for p in protocols if p in ("query", "ec2")), None)
    action = (params.get("Action") or [None])[0]
    if query_protocol and action:
        version = (params.get("Version") or [None])[0]
        if action in model.operation_names and version in (None, model.api_version):
            return action, query_protocol
        return None, query_protocol
    rest_protocol = next((p for p in protocols if p in ("rest-json", "rest-xml")), None)
    if rest_protocol:
        return match_rest_operation(model.service_name, environ, path, params), rest_protocol
    return None, model.protocol


def _signing_name(environ: dict[str, Any], params: dict[str, list[str]]) -> str | None:
    """From the Authorization header, a presigned URL's X-Amz-Credential, or SigV2 presigning (S3)."""
    match = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    if match:
        return match.group(2)
    credential = (params.get("X-Amz-Credential") or [""])[0].split("/")
    if len(credential) == 5 and credential[4] == "aws4_request":
        return credential[3]
    if "AWSAccessKeyId" in params and "Signature" in params:
        return "s3"
    return None


def identify(environ: dict[str, Any], form_body: str | None) -> Call:
    """The service and operation of an AWS request (``None`` where they cannot be told)."""
    params = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    signing_name = _signing_name(environ, params)
    if signing_name is None:
        return Call(None, None, None)
    if form_body:
        for key, values in parse_qs(form_body, keep_blank_values=True).items():
            params.setdefault(key, values)
    direct = candidate_services(signing_name, include_index=False)
    for candidates in (direct, candidate_services(signing_name)):
        for name in candidates:
            model = service_model(name)
            operation, protocol = _operation_for(model, environ, params)
            if operation:
                return Call(name, operation, protocol, "awsQueryCompatible" in model.metadata)
    candidates = candidate_services(signing_name)
    if candidates:
        model = service_model(candidates[0])
        _, protocol = _operation_for(model, environ, params)
        return Call(candidates[0], None, protocol, "awsQueryCompatible" in model.metadata)
    return Call(signing_name, None, None)


def is_mutating(operation: str | None, method: str) -> bool:
    if operation is None:
        return method.upper() not in ("GET", "HEAD")
    return not operation.startswith(READ_PREFIXES)


class CallLog:
    """Thread-safe record of the AWS calls the endpoint served."""

    def __init__(self, limit: int = MAX_CALLS) -> None:
        self._lock = threading.Lock()
        self._calls: deque[dict[str, Any]] = deque(maxlen=limit)

    def record(self, call: Call, method: str, status: int, *, throttled: bool = False) -> None:
        entry = {
            "service": call.service,
            "operation": call.operation,
            "status": status,
            "mutating": is_mutating(call.operation, method),
            "throttled": throttled,  # answered by fault injection; the backend never saw it
            "time": time.time(),
        }
        with self._lock:
            self._calls.append(entry)

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(c) for c in self._calls]

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()
