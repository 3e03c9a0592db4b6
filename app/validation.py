"""Parse and check client input; every failure is a 400 naming the field."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.requests import Request

from app.responses import ApiError, bad_request
from app.tables import STRING_LIMITS

MAX_JSON_BYTES = 1024 * 1024
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
CURRENCY = re.compile(r"^[A-Za-z]{3}$")
MONEY_MAX = Decimal("9999999999.99")
QTY_MAX = Decimal("99999999.9999")
# The largest row offset a list accepts (PostgreSQL's OFFSET is bound as a 32-bit integer).
MAX_OFFSET = 10_000_000
JSON_MEDIA_TYPE = re.compile(r"^application/([a-z0-9.+-]+\+)?json$")


def is_json_media_type(content_type: str) -> bool:
    """``application/json`` or ``application/<x>+json``, parameters (charset) aside."""
    return bool(JSON_MEDIA_TYPE.match(content_type.split(";", 1)[0].strip().lower()))


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object (an empty body is ``{}``); a body must be sent as application/json."""
    raw = await request.body()
    if len(raw) > MAX_JSON_BYTES:
        raise ApiError(413, "request body too large", field="body")
    if not raw.strip():
        return {}
    if not is_json_media_type(request.headers.get("content-type", "")):
        raise ApiError(415, "request body must be sent as Content-Type: application/json", field="Content-Type")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise bad_request("body", "request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise bad_request("body", "request body must be a JSON object")
    return data


def uuid_value(value: Any, field: str, *, required: bool = True) -> str | None:
    if value is None or value == "":
        if required:
            raise bad_request(field, f"{field} is required")
        return None
    if not isinstance(value, str):
        raise bad_request(field, f"{field} must be a UUID string")
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise bad_request(field, f"{field} must be a UUID") from None


def path_id(request: Request, name: str = "id") -> str:
    value = uuid_value(request.path_params[name], name)
    assert value is not None
    return value


def string(value: Any, field: str, *, required: bool = False, max_length: int | None = None) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip() and not required):
        if required:
            raise bad_request(field, f"{field} is required")
        return None
    if not isinstance(value, str):
        raise bad_request(field, f"{field} must be a string")
    value = value.strip()
    if required and not value:
        raise bad_request(field, f"{field} is required")
    limit = max_length or STRING_LIMITS.get(field)
    if limit and len(value) > limit:
        raise bad_request(field, f"{field} must be at most {limit} characters")
    if "\x00" in value:
        raise bad_request(field, f"{field} must not contain NUL characters")
    return value


def boolean(value: Any, field: str, default: bool | None = None) -> bool | None:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    raise bad_request(field, f"{field} must be true or false")


def as_date(value: Any) -> dt.date:
    """A date as-is, a datetime's date, or the date an ISO text starts with (ValueError otherwise)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def date_value(value: Any, field: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise bad_request(field, f"{field} must be a date (YYYY-MM-DD)")
    try:
        return dt.date.fromisoformat(value[:10]) if len(value) >= 10 else dt.date.fromisoformat(value)
    except ValueError:
        raise bad_request(field, f"{field} must be a date (YYYY-MM-DD)") from None


def decimal_value(value: Any, field: str, *, places: int = 2, maximum: Decimal = MONEY_MAX) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise bad_request(field, f"{field} must be a number")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise bad_request(field, f"{field} must be a number") from None
    if not number.is_finite():
        raise bad_request(field, f"{field} must be a finite number")
    # Range first: quantize cannot hold more digits than the decimal context (1e308 would raise).
    if abs(number) > maximum:
        raise bad_request(field, f"{field} must be between -{maximum} and {maximum}")
    number = number.quantize(Decimal(1).scaleb(-places))
    if abs(number) > maximum:  # 9999999999.996 rounds up past the limit
        raise bad_request(field, f"{field} must be between -{maximum} and {maximum}")
    return number


def integer(value: Any, field: str, *, minimum: int | None = None, maximum: int | None = None) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise bad_request(field, f"{field} must be an integer")
    if isinstance(value, str):
        if not re.fullmatch(r"-?\d{1,12}", value.strip()):
            raise bad_request(field, f"{field} must be an integer")
        value = int(value)
    elif isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        raise bad_request(field, f"{field} must be an integer")
    if minimum is not None and value < minimum:
        raise bad_request(field, f"{field} must be at least {minimum}")
    if maximum is not None and value > maximum:
        raise bad_request(field, f"{field} must be at most {maximum}")
    return value


def email(value: Any, field: str = "email") -> str:
    text = string(value, field, required=True, max_length=255)
    assert text is not None
    if not EMAIL.match(text):
        raise bad_request(field, f"{field} must be a valid email address")
    return text.lower()


def field_value(kind: str, value: Any, field: str) -> Any:  # noqa: PLR0911 (one return per kind)
    """Convert one invoice/line-item input value by its column kind (see tables.py)."""
    if kind == "date":
        return date_value(value, field)
    if kind == "money":
        return decimal_value(value, field)
    if kind == "qty":
        return decimal_value(value, field, places=4, maximum=QTY_MAX)
    if kind == "int":
        return integer(value, field, minimum=0, maximum=1_000_000)
    if kind == "currency":
        text = string(value, field)
        if text is not None and not CURRENCY.match(text):
            raise bad_request(field, f"{field} must be a three-letter currency code")
        return text.upper() if text else None
    if kind == "text":
        return string(value, field, max_length=10_000)
    return string(value, field, max_length=STRING_LIMITS.get(field.rsplit(".", 1)[-1], 255))


def query_int(request: Request, name: str, default: int, *, minimum: int, maximum: int) -> int:
    value = integer(request.query_params.get(name), name, minimum=minimum, maximum=maximum)
    return default if value is None else value


def page_offset(page: int, limit: int, field: str = "page") -> int:
    """The row offset of a 1-based page; a page past ``MAX_OFFSET`` rows is a 400 naming ``field``."""
    offset = (page - 1) * limit
    if offset > MAX_OFFSET:
        raise bad_request(field, f"{field} is too far: (page - 1) x limit must be at most {MAX_OFFSET}")
    return offset
