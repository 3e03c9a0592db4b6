"""JSON responses and errors.

Every error is ``{"error": "<message>"}`` plus ``"field"`` when one input is to blame,
so the original UI (which reads ``error``) keeps working. Numbers are JSON numbers and
dates are ISO 8601 strings.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from asyncpg.exceptions import UniqueViolationError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent  # a str for NaN/Infinity
        whole = isinstance(exponent, int) and exponent >= 0 and value == value.to_integral_value()
        return int(value) if whole else float(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(data: Any) -> str:
    return json.dumps(data, default=_default, ensure_ascii=False, separators=(",", ":"))


class JSON(JSONResponse):
    """``JSONResponse`` that knows Decimal, date, datetime and UUID."""

    def render(self, content: Any) -> bytes:
        return dumps(content).encode("utf-8")


class RawJSON(Response):
    """A body that is already JSON text (e.g. built by PostgreSQL)."""

    media_type = "application/json"


class ApiError(HTTPException):
    """An error for the client: status, message, and the input field to blame (if any)."""

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(status_code=status_code, detail=message, headers=headers)
        self.field = field
        self.extra = extra


def bad_request(field: str, message: str) -> ApiError:
    return ApiError(400, message, field=field)


@contextmanager
def unique_or_409(message: str, field: str) -> Iterator[None]:
    """A unique violation in the block is the API's 409 with ``message``, naming ``field``."""
    try:
        yield
    except UniqueViolationError:
        raise ApiError(409, message, field=field) from None


def not_found(what: str, field: str | None = None) -> ApiError:
    return ApiError(404, f"{what} not found", field=field)


def error_body(exc: HTTPException) -> dict[str, Any]:
    body: dict[str, Any] = {"error": exc.detail}
    if isinstance(exc, ApiError):
        if exc.field:
            body["field"] = exc.field
        body.update(exc.extra)
    return body
