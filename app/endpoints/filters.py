"""The invoice list's filters, one table: each row is a query parameter (an export's filter
key too), its OpenAPI schema, its check and its SQL condition.

``GET /api/invoices`` and ``POST /api/exports/generate`` read the same filters; the OpenAPI
document lists them from ``PARAMETERS`` (app/routes.py). A checked filter yields a *shape*
(which conditions apply) and the values to bind; the conditions use named bind parameters, so
one compiled statement per shape serves every request with that shape (app/endpoints/invoices.py
``_list_query``).
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from app import tables
from app.responses import bad_request
from app.validation import MONEY_MAX, date_value, decimal_value, string, uuid_value

STATUSES = ("pending", "processed", "approved", "rejected", "failed")
DATE_RANGES = ("all", "today", "week", "month")
DATE_UNITS = {"today": "day", "week": "week", "month": "month"}
BATCH_NAME = re.compile(r"^Batch-(\d{4})-(\d{1,2})-(\d{1,2})-([0-9a-f]{8})$")
# The same names as an OpenAPI pattern: a real month and a day every month has
BATCH_NAME_PATTERN = "^(|Single Upload|Batch-(?!0000)[0-9]{4}-(0?[1-9]|1[0-2])-(0?[1-9]|1[0-9]|2[0-8])-[0-9a-f]{8})$"

AMOUNT_SCHEMA = {"type": "number", "minimum": -float(MONEY_MAX), "maximum": float(MONEY_MAX)}
Bind = Callable[..., sa.BindParameter]  # bind(name, type_=None): the value, or a named parameter
Parsed = tuple[str, dict[str, Any]] | None  # (shape, values to bind), or None: the filter is off


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _uuid(name: str) -> Callable[[Any, Mapping[str, Any]], Parsed]:
    def parse(value: Any, _query: Mapping[str, Any]) -> Parsed:
        checked = uuid_value(value, name, required=False)
        return (name, {f"f_{name}": checked}) if checked else None

    return parse


def _status(value: Any, _query: Mapping[str, Any]) -> Parsed:
    if not value:
        return None
    if not isinstance(value, str) or value not in STATUSES:
        raise bad_request("status", f"status must be one of {', '.join(STATUSES)}")
    return "status", {"f_status": value}


def _batch_name(value: Any, _query: Mapping[str, Any]) -> Parsed:
    if not value:
        return None
    if value == "Single Upload":
        return "single_upload", {}
    match = BATCH_NAME.match(value) if isinstance(value, str) else None
    if not match:
        raise bad_request("batch_name", "batch_name must be 'Single Upload' or Batch-YYYY-M-D-xxxxxxxx")
    year, month, day, suffix = match.groups()
    try:
        batch_date = dt.date(int(year), int(month), int(day))
    except ValueError:
        raise bad_request("batch_name", "batch_name holds an invalid date") from None
    return "batch_name", {"f_batch_suffix": suffix, "f_batch_date": batch_date}


def _search(value: Any, _query: Mapping[str, Any]) -> Parsed:
    term = string(value, "search", max_length=200) if value else None
    return ("search", {"f_search": f"%{_escape_like(term)}%"}) if term else None


def _start_date(value: Any, _query: Mapping[str, Any]) -> Parsed:
    start = date_value(value, "start_date")
    return ("start_date", {"f_start_date": start}) if start else None


def _end_date(value: Any, query: Mapping[str, Any]) -> Parsed:
    end = date_value(value, "end_date")
    start = date_value(query.get("start_date"), "start_date")  # checked already, by the row before
    if start and end and start > end:
        raise bad_request("start_date", "start_date must not be after end_date")
    return ("end_date", {"f_end_date": end}) if end else None


def _amount_bound(value: Any, field: str) -> Decimal | None:
    """An amount bound in cents: one with more decimals is refused, not rounded (rounded, an
    inclusive bound of 10.499 would take in 10.50)."""
    amount = decimal_value(value, field)
    if amount is not None and Decimal(str(value).strip()) != amount:
        raise bad_request(field, f"{field} must have at most 2 decimal places")
    return amount


def _min_total(value: Any, _query: Mapping[str, Any]) -> Parsed:
    low = _amount_bound(value, "min_total")
    return ("min_total", {"f_min_total": low}) if low is not None else None


def _max_total(value: Any, query: Mapping[str, Any]) -> Parsed:
    high = _amount_bound(value, "max_total")
    low = _amount_bound(query.get("min_total"), "min_total")  # checked already, by the row before
    if low is not None and high is not None and low > high:
        raise bad_request("min_total", "min_total must not be more than max_total")
    return ("max_total", {"f_max_total": high}) if high is not None else None


def _date_range(value: Any, _query: Mapping[str, Any]) -> Parsed:
    value = "all" if value is None else value
    if value not in DATE_RANGES:
        raise bad_request("date_range", f"date_range must be one of {', '.join(DATE_RANGES)}")
    return None if value == "all" else ("date_range", {"f_date_unit": DATE_UNITS[value]})


def _batch_ids(bind: Bind) -> sa.ColumnElement:
    batches = tables.processing_batches
    batch_ids = sa.select(batches.c.id).where(
        sa.func.right(sa.cast(batches.c.id, sa.Text), 8) == bind("f_batch_suffix", sa.Text),
        sa.cast(batches.c.created_at, sa.Date) == bind("f_batch_date", sa.Date),
    )
    return tables.invoices.c.batch_id.in_(batch_ids)


def _matches(bind: Bind) -> sa.ColumnElement:
    pattern = bind("f_search", sa.Text)
    return sa.or_(
        tables.invoices.c.invoice_number.ilike(pattern, escape="\\"),
        sa.func.coalesce(tables.customers.c.name, tables.invoices.c.customer_name).ilike(pattern, escape="\\"),
        tables.invoices.c.purchase_order_number.ilike(pattern, escape="\\"),
    )


@dataclass(frozen=True)
class Filter:
    """One query parameter: its OpenAPI schema, its check, and the SQL of each shape it yields."""

    name: str
    schema: dict[str, Any]
    parse: Callable[[Any, Mapping[str, Any]], Parsed]
    where: dict[str, Callable[[Bind], sa.ColumnElement]]
    description: str | None = None

    def parameter(self) -> dict[str, Any]:
        """The OpenAPI parameter object."""
        described = {"description": self.description} if self.description else {}
        return {"name": self.name, "in": "query", **described, "schema": copy.deepcopy(self.schema)}


FILTERS = (
    Filter(
        "vendor_id",
        {"type": "string", "format": "uuid"},
        _uuid("vendor_id"),
        {"vendor_id": lambda bind: tables.invoices.c.vendor_id == bind("f_vendor_id")},
    ),
    Filter(
        "customer_id",
        {"type": "string", "format": "uuid"},
        _uuid("customer_id"),
        {"customer_id": lambda bind: tables.invoices.c.customer_id == bind("f_customer_id")},
    ),
    Filter(
        "status",
        {"type": "string", "enum": ["", *STATUSES]},
        _status,
        {"status": lambda bind: tables.invoices.c.processing_status == bind("f_status")},
    ),
    Filter(
        "batch_name",
        {"type": "string", "pattern": BATCH_NAME_PATTERN},
        _batch_name,
        {"single_upload": lambda bind: tables.invoices.c.batch_id.is_(None), "batch_name": _batch_ids},
        description="'Single Upload' or Batch-YYYY-M-D-<last 8 hex digits of the batch id>",
    ),
    Filter(
        "search",
        {"type": "string", "maxLength": 200},
        _search,
        {"search": _matches},
        description="invoice number, customer name or PO number",
    ),
    Filter(
        "start_date",
        {"type": "string", "format": "date"},
        _start_date,
        {"start_date": lambda bind: tables.invoices.c.invoice_date >= bind("f_start_date")},
    ),
    Filter(
        "end_date",
        {"type": "string", "format": "date"},
        _end_date,
        {"end_date": lambda bind: tables.invoices.c.invoice_date <= bind("f_end_date")},
    ),
    Filter(
        "min_total",
        AMOUNT_SCHEMA,
        _min_total,
        {"min_total": lambda bind: tables.invoices.c.total_amount >= bind("f_min_total", tables.MONEY)},
        description=(
            "the invoice total at least this, at most 2 decimal places"
            " (no currency conversion; invoices without a total never match)"
        ),
    ),
    Filter(
        "max_total",
        AMOUNT_SCHEMA,
        _max_total,
        {"max_total": lambda bind: tables.invoices.c.total_amount <= bind("f_max_total", tables.MONEY)},
        description="the invoice total at most this, at most 2 decimal places; not below min_total",
    ),
    Filter(
        "date_range",
        {"type": "string", "enum": list(DATE_RANGES)},
        _date_range,
        {
            "date_range": lambda bind: (
                tables.invoices.c.created_at
                >= sa.func.date_trunc(bind("f_date_unit", sa.Text), sa.func.localtimestamp())
            )
        },
        description="upload time",
    ),
)
NAMES = tuple(f.name for f in FILTERS)
_CONDITIONS = {shape: where for f in FILTERS for shape, where in f.where.items()}


def parameters() -> list[dict[str, Any]]:
    """The filters as OpenAPI query parameters (fresh objects: the document generator edits them)."""
    return [f.parameter() for f in FILTERS]


def filtered[Endpoint: Callable[..., Any]](endpoint: Endpoint) -> Endpoint:
    """Mark an endpoint that reads these filters from its query string: app/routes.py lists
    them in its OpenAPI operation, before the parameters its docstring declares."""
    endpoint.query_filters = parameters  # type: ignore[attr-defined]
    return endpoint


@dataclass(frozen=True)
class ListFilters:
    """Validated list filters: which conditions apply (the SQL's shape) and their values."""

    shape: tuple[str, ...] = ()
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def need_customers(self) -> bool:
        return "search" in self.shape

    def conditions(self) -> list[sa.ColumnElement]:
        """The WHERE conditions, bound to ``values`` (unbound names when built for a cached statement)."""

        def bind(name: str, type_: Any = None) -> sa.BindParameter:
            if name in self.values:
                return sa.bindparam(name, self.values[name], type_=type_)
            return sa.bindparam(name, type_=type_, required=True)

        return [_CONDITIONS[name](bind) for name in self.shape]


def parse_list_filters(query: Mapping[str, Any]) -> ListFilters:
    """The filters in the query string (or an export's filters), checked; a bad one is a 400 naming it."""
    shape: list[str] = []
    values: dict[str, Any] = {}
    for entry in FILTERS:
        parsed = entry.parse(query.get(entry.name), query)
        if parsed is not None:
            shape.append(parsed[0])
            values.update(parsed[1])
    return ListFilters(tuple(shape), values)


def list_filters(query: Mapping[str, Any]) -> tuple[list[sa.ColumnElement], bool]:
    """WHERE conditions from the query string (or export filters), and whether customers must be joined."""
    filters = parse_list_filters(query)
    return filters.conditions(), filters.need_customers
