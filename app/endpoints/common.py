"""Small helpers the endpoint modules share."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from databases import Database
from starlette.requests import Request

from app.auth import UserCache
from app.settings import Settings
from app.storage import Storage

if TYPE_CHECKING:
    from app.extraction.base import Extractor


# The lifespan's state (app/main.py AppState), as Starlette passes it to every request.


def db(request: Request) -> Database:
    return request.state.database


def settings(request: Request) -> Settings:
    return request.state.settings


def storage(request: Request) -> Storage:
    return request.state.storage


def export_storage(request: Request) -> Storage:
    return request.state.export_storage


def extractor(request: Request) -> Extractor:
    return request.state.extractor


def user_cache(request: Request) -> UserCache:
    return request.state.user_cache


def row_dict(row: Any, json_columns: Iterable[str] = (), drop: Iterable[str] = ()) -> dict[str, Any]:
    """A record as a dict; JSON columns decoded (``databases`` returns them as text)."""
    data = dict(row._mapping) if hasattr(row, "_mapping") else dict(row)
    for column in json_columns:
        value = data.get(column)
        if isinstance(value, str | bytes):
            data[column] = json.loads(value)
    for column in drop:
        data.pop(column, None)
    return data


def rows(records: Iterable[Any], json_columns: Iterable[str] = (), drop: Iterable[str] = ()) -> list[dict[str, Any]]:
    json_columns = tuple(json_columns)
    drop = tuple(drop)
    return [row_dict(r, json_columns, drop) for r in records]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def pick(data: Mapping[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    return {k: data[k] for k in keys if k in data}
