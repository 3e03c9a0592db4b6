"""Small helpers the endpoint modules share."""

from __future__ import annotations

import json
import math
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from databases import Database
from starlette.requests import Request

from app.auth import UserCache
from app.responses import JSON, not_found
from app.settings import Settings
from app.storage import Storage
from app.validation import MAX_OFFSET, path_id, query_int

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


async def fetch_found(database: Database, query: Any, what: str) -> Any:
    """The row ``query`` fetches, or the API's 404 "<what> not found" on the path's ``id``."""
    row = await database.fetch_one(query)
    if row is None:
        raise not_found(what, "id")
    return row


async def fetch_by_id(
    database: Database, table: sa.Table, row_id: Any, what: str, *columns: str, lock: bool = False
) -> Any:
    """The row of ``table`` with this ``id`` (only ``columns`` when named; ``lock``: FOR UPDATE),
    or the API's 404 "<what> not found"."""
    query = (sa.select(*(table.c[name] for name in columns)) if columns else table.select()).where(table.c.id == row_id)
    return await fetch_found(database, query.with_for_update() if lock else query, what)


def get_one(
    key: str, load: Callable[[Request, str], Awaitable[Any]], summary: str, body: str = ""
) -> Callable[[Request], Awaitable[JSON]]:
    """The ``GET /api/<key>s/{id}`` endpoint: ``{key: load(request, id)}``, 404 for an unknown id
    (``load`` raises it); its docstring is its OpenAPI text, as every endpoint's is."""

    async def endpoint(request: Request) -> JSON:
        return JSON({key: await load(request, path_id(request))})

    endpoint.__name__ = endpoint.__qualname__ = f"get_{key}"
    endpoint.__doc__ = f"""
    summary: {summary}
    tags: [{key}s]
    responses:
      200: {{description: "{{{body or key}}}"}}
      404: {{description: Unknown {key}}}
    """
    return endpoint


@dataclass(frozen=True)
class Paging:
    """A list endpoint's ``page`` (1-based) and ``limit`` query parameters: parsed from the
    request, answered as ``pagination``, documented (app/routes.py lists them in its OpenAPI
    operation, before the parameters its docstring declares; see ``paged``)."""

    default_limit: int
    max_limit: int

    @property
    def max_page(self) -> int:
        return MAX_OFFSET // self.max_limit + 1

    def parse(self, request: Request) -> tuple[int, int]:
        """``(page, limit)``; out of range is a 400 naming the parameter."""
        limit = query_int(request, "limit", self.default_limit, minimum=1, maximum=self.max_limit)
        return query_int(request, "page", 1, minimum=1, maximum=self.max_page), limit

    @staticmethod
    def pagination(page: int, limit: int, total: int) -> dict[str, int]:
        return {"page": page, "limit": limit, "total": total, "pages": math.ceil(total / limit)}

    def parameters(self) -> list[dict[str, Any]]:
        """The OpenAPI query parameters (fresh objects: the document generator edits them)."""
        page = {"type": "integer", "default": 1, "minimum": 1, "maximum": self.max_page}
        limit = {"type": "integer", "default": self.default_limit, "minimum": 1, "maximum": self.max_limit}
        description = f"1-based; at most {self.max_page} ({MAX_OFFSET:,} rows at the largest limit)"
        return [
            {"name": "page", "in": "query", "description": description, "schema": page},
            {"name": "limit", "in": "query", "schema": limit},
        ]


def paged[Endpoint: Callable[..., Any]](paging: Paging) -> Callable[[Endpoint], Endpoint]:
    """Mark an endpoint that reads ``paging``'s query parameters, for its OpenAPI operation."""

    def mark(endpoint: Endpoint) -> Endpoint:
        endpoint.query_paging = paging.parameters  # type: ignore[attr-defined]
        return endpoint

    return mark


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def pick(data: Mapping[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    return {k: data[k] for k in keys if k in data}
