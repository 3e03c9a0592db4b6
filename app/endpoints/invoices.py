from __future__ import annotations

import datetime as dt
import functools
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from asyncpg.exceptions import UniqueViolationError
from sqlalchemy.dialects.postgresql import aggregate_order_by
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from app import ingest, tables
from app.auth import current_user, requires
from app.db import Query, fetchrow
from app.endpoints.common import db, extractor, row_dict, settings, storage
from app.responses import JSON, ApiError, RawJSON, bad_request, not_found
from app.storage import StorageError
from app.validation import (
    MAX_OFFSET,
    date_value,
    field_value,
    integer,
    json_body,
    page_offset,
    path_id,
    query_int,
    string,
    uuid_value,
)

log = logging.getLogger("app.invoices")

STATUSES = ("pending", "processed", "approved", "rejected", "failed")
DATE_RANGES = ("all", "today", "week", "month")
HIDDEN = ("file_path", "file_hash")
BATCH_NAME = re.compile(r"^Batch-(\d{4})-(\d{1,2})-(\d{1,2})-([0-9a-f]{8})$")


def batch_name_expr() -> sa.ColumnElement:
    """The original's display name for a batch: Batch-YYYY-M-D-<last 8 of id>."""
    return sa.case(
        (
            tables.processing_batches.c.id.is_not(None),
            sa.func.concat(
                sa.literal_column("'Batch-'"),
                sa.extract("year", tables.processing_batches.c.created_at),
                sa.literal_column("'-'"),
                sa.extract("month", tables.processing_batches.c.created_at),
                sa.literal_column("'-'"),
                sa.extract("day", tables.processing_batches.c.created_at),
                sa.literal_column("'-'"),
                sa.func.right(sa.cast(tables.processing_batches.c.id, sa.Text), 8),
            ),
        ),
        else_=sa.literal_column("'Single Upload'"),
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class ListFilters:
    """Validated list filters: which conditions apply (the SQL's shape) and their values.

    The conditions use named bind parameters, so one compiled statement per shape serves
    every request with that shape (see ``_list_query``).
    """

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

        where: list[sa.ColumnElement] = []
        for name in self.shape:
            if name == "vendor_id":
                where.append(tables.invoices.c.vendor_id == bind("f_vendor_id"))
            elif name == "customer_id":
                where.append(tables.invoices.c.customer_id == bind("f_customer_id"))
            elif name == "status":
                where.append(tables.invoices.c.processing_status == bind("f_status"))
            elif name == "single_upload":
                where.append(tables.invoices.c.batch_id.is_(None))
            elif name == "batch_name":
                batch_ids = sa.select(tables.processing_batches.c.id).where(
                    sa.func.right(sa.cast(tables.processing_batches.c.id, sa.Text), 8)
                    == bind("f_batch_suffix", sa.Text),
                    sa.cast(tables.processing_batches.c.created_at, sa.Date) == bind("f_batch_date", sa.Date),
                )
                where.append(tables.invoices.c.batch_id.in_(batch_ids))
            elif name == "search":
                pattern = bind("f_search", sa.Text)
                where.append(
                    sa.or_(
                        tables.invoices.c.invoice_number.ilike(pattern, escape="\\"),
                        sa.func.coalesce(tables.customers.c.name, tables.invoices.c.customer_name).ilike(
                            pattern, escape="\\"
                        ),
                        tables.invoices.c.purchase_order_number.ilike(pattern, escape="\\"),
                    )
                )
            elif name == "start_date":
                where.append(tables.invoices.c.invoice_date >= bind("f_start_date"))
            elif name == "end_date":
                where.append(tables.invoices.c.invoice_date <= bind("f_end_date"))
            elif name == "date_range":
                where.append(
                    tables.invoices.c.created_at
                    >= sa.func.date_trunc(bind("f_date_unit", sa.Text), sa.func.localtimestamp())
                )
            else:  # pragma: no cover (parse_list_filters makes only the names above)
                raise ValueError(f"unknown list filter {name!r}")
        return where


def parse_list_filters(q: Mapping[str, Any]) -> ListFilters:  # noqa: PLR0912 (one branch per filter)
    """The filters in the query string (or an export's filters), checked; a bad one is a 400 naming it."""
    shape: list[str] = []
    values: dict[str, Any] = {}
    if vendor_id := uuid_value(q.get("vendor_id"), "vendor_id", required=False):
        shape.append("vendor_id")
        values["f_vendor_id"] = vendor_id
    if customer_id := uuid_value(q.get("customer_id"), "customer_id", required=False):
        shape.append("customer_id")
        values["f_customer_id"] = customer_id
    if status := q.get("status"):
        if not isinstance(status, str) or status not in STATUSES:
            raise bad_request("status", f"status must be one of {', '.join(STATUSES)}")
        shape.append("status")
        values["f_status"] = status
    if batch_name := q.get("batch_name"):
        if batch_name == "Single Upload":
            shape.append("single_upload")
        else:
            match = BATCH_NAME.match(batch_name) if isinstance(batch_name, str) else None
            if not match:
                raise bad_request("batch_name", "batch_name must be 'Single Upload' or Batch-YYYY-M-D-xxxxxxxx")
            year, month, day, suffix = match.groups()
            try:
                batch_date = dt.date(int(year), int(month), int(day))
            except ValueError:
                raise bad_request("batch_name", "batch_name holds an invalid date") from None
            shape.append("batch_name")
            values["f_batch_suffix"] = suffix
            values["f_batch_date"] = batch_date
    if search := q.get("search"):
        term = string(search, "search", max_length=200)
        if term:
            shape.append("search")
            values["f_search"] = f"%{_escape_like(term)}%"
    start = date_value(q.get("start_date"), "start_date")
    end = date_value(q.get("end_date"), "end_date")
    if start:
        shape.append("start_date")
        values["f_start_date"] = start
    if end:
        shape.append("end_date")
        values["f_end_date"] = end
    if start and end and start > end:
        raise bad_request("start_date", "start_date must not be after end_date")
    date_range = q.get("date_range", "all")
    if date_range not in DATE_RANGES:
        raise bad_request("date_range", f"date_range must be one of {', '.join(DATE_RANGES)}")
    if date_range != "all":
        shape.append("date_range")
        values["f_date_unit"] = {"today": "day", "week": "week", "month": "month"}[date_range]
    return ListFilters(tuple(shape), values)


def list_filters(q: Mapping[str, Any]) -> tuple[list[sa.ColumnElement], bool]:
    """WHERE conditions from the query string (or export filters), and whether customers must be joined."""
    filters = parse_list_filters(q)
    return filters.conditions(), filters.need_customers


LIST_COLUMNS = [col for col in tables.invoices.c if col.name not in (*HIDDEN, "customer_name", "extraction_warnings")]


@functools.lru_cache(maxsize=256)
def _list_query(shape: tuple[str, ...]) -> Query:
    """The list statement for one filter shape, compiled once: the page as JSON built by
    PostgreSQL (no per-row Python work) and the total, in one round trip."""
    filters = ListFilters(shape)
    where = filters.conditions()
    page_query = (
        sa.select(
            *LIST_COLUMNS,
            tables.vendors.c.name.label("vendor_name"),
            tables.vendors.c.display_name.label("vendor_display_name"),
            sa.func.coalesce(tables.customers.c.name, tables.invoices.c.customer_name).label("customer_name"),
            batch_name_expr().label("batch_name"),
        )
        .select_from(
            tables.invoices.outerjoin(tables.vendors, tables.invoices.c.vendor_id == tables.vendors.c.id)
            .outerjoin(tables.customers, tables.invoices.c.customer_id == tables.customers.c.id)
            .outerjoin(tables.processing_batches, tables.invoices.c.batch_id == tables.processing_batches.c.id)
        )
        .where(*where)
        .order_by(tables.invoices.c.created_at.desc(), tables.invoices.c.id.desc())
        .limit(sa.bindparam("limit", type_=sa.Integer))
        .offset(sa.bindparam("offset", type_=sa.Integer))
        .subquery("p")
    )
    invoices_json = sa.select(
        sa.func.coalesce(
            sa.func.json_agg(
                aggregate_order_by(sa.literal_column("p"), page_query.c.created_at.desc(), page_query.c.id.desc())
            ),
            sa.text("'[]'::json"),
        )
    ).scalar_subquery()
    if where:
        count_from = (
            tables.invoices.outerjoin(tables.customers, tables.invoices.c.customer_id == tables.customers.c.id)
            if filters.need_customers
            else tables.invoices
        )
        total = sa.select(sa.func.count()).select_from(count_from).where(*where).scalar_subquery()
    else:  # every invoice: the trigger-kept count, not a scan (migration 003)
        counted = sa.cast(sa.func.coalesce(sa.func.sum(tables.invoice_counts.c.n), 0), sa.BigInteger)
        total = sa.select(counted).scalar_subquery()
    return Query(sa.select(total.label("total"), invoices_json.label("invoices")))


async def list_invoices(request: Request) -> Response:
    """
    summary: List invoices, newest first, paged in SQL
    tags: [invoices]
    parameters:
      - {name: vendor_id, in: query, schema: {type: string, format: uuid}}
      - {name: customer_id, in: query, schema: {type: string, format: uuid}}
      - {name: status, in: query, schema: {type: string, enum: ['', pending, processed, approved, rejected, failed]}}
      - name: batch_name
        in: query
        description: "'Single Upload' or Batch-YYYY-M-D-<last 8 hex digits of the batch id>"
        schema:
          type: string
          pattern: '^(|Single Upload|Batch-(?!0000)[0-9]{4}-(0?[1-9]|1[0-2])-(0?[1-9]|1[0-9]|2[0-8])-[0-9a-f]{8})$'

      - name: search
        in: query
        description: invoice number, customer name or PO number
        schema: {type: string, maxLength: 200}
      - {name: start_date, in: query, schema: {type: string, format: date}}
      - {name: end_date, in: query, schema: {type: string, format: date}}
      - name: date_range
        in: query
        description: upload time
        schema: {type: string, enum: [all, today, week, month]}
      - {name: limit, in: query, schema: {type: integer, default: 50, minimum: 1, maximum: 10000}}
      - {name: offset, in: query, schema: {type: integer, default: 0, minimum: 0, maximum: 10000000}}
      - name: page
        in: query
        description: 1-based, overrides offset; at most 1001 (10,000,000 rows at the largest limit)
        schema: {type: integer, minimum: 1, maximum: 1001}
    responses:
      200: {description: "{invoices, total, pagination: {limit, offset, page, total}}"}
      400: {description: A filter or paging value is invalid (the field is named)}
    """
    conf = settings(request)
    limit = query_int(request, "limit", 50, minimum=1, maximum=conf.max_list_limit)
    offset = query_int(request, "offset", 0, minimum=0, maximum=MAX_OFFSET)
    # the largest page whose offset is within MAX_OFFSET at the largest limit: one bound for every limit
    page = integer(request.query_params.get("page"), "page", minimum=1, maximum=MAX_OFFSET // conf.max_list_limit + 1)
    if page is not None:
        offset = page_offset(page, limit)
    filters = parse_list_filters(request.query_params)
    row = await fetchrow(db(request), _list_query(filters.shape), {**filters.values, "limit": limit, "offset": offset})
    assert row is not None
    count = row["total"]
    body = (
        f'{{"invoices":{row["invoices"]},"total":{count},'
        f'"pagination":{{"limit":{limit},"offset":{offset},"page":{offset // limit + 1},"total":{count}}}}}'
    )
    return RawJSON(body)


_INVOICE = Query(
    sa.select(
        *[col for col in tables.invoices.c if col.name not in (*HIDDEN, "customer_name")],
        tables.vendors.c.name.label("vendor_name"),
        tables.vendors.c.display_name.label("vendor_display_name"),
        sa.func.coalesce(tables.customers.c.name, tables.invoices.c.customer_name).label("customer_name"),
        tables.invoices.c.customer_name.label("extracted_customer_name"),
        batch_name_expr().label("batch_name"),
    )
    .select_from(
        tables.invoices.outerjoin(tables.vendors, tables.invoices.c.vendor_id == tables.vendors.c.id)
        .outerjoin(tables.customers, tables.invoices.c.customer_id == tables.customers.c.id)
        .outerjoin(tables.processing_batches, tables.invoices.c.batch_id == tables.processing_batches.c.id)
    )
    .where(tables.invoices.c.id == sa.bindparam("id"))
)
_LINE_ITEMS = Query(
    tables.line_items.select()
    .where(tables.line_items.c.invoice_id == sa.bindparam("id"))
    .order_by(tables.line_items.c.line_number.asc().nulls_last(), tables.line_items.c.created_at)
)


async def load_invoice(request: Request, invoice_id: str) -> dict[str, Any]:
    values = {"id": invoice_id}
    async with db(request).connection() as connection:  # one pool checkout for both statements
        raw = connection.raw_connection
        row = await raw.fetchrow(_INVOICE.sql, *_INVOICE.args(values))
        if row is None:
            raise not_found("Invoice", "id")
        items = await raw.fetch(_LINE_ITEMS.sql, *_LINE_ITEMS.args(values))
    invoice = row_dict(row, json_columns=("extraction_warnings",))
    invoice["line_items"] = [dict(r) for r in items]
    invoice["file_url"] = f"/api/invoices/{invoice_id}/file"
    return invoice


async def get_invoice(request: Request) -> JSON:
    """
    summary: One invoice with its line items
    tags: [invoices]
    responses:
      200: {description: "{invoice: {..., line_items: [...]}}"}
      404: {description: Unknown invoice}
    """
    return JSON({"invoice": await load_invoice(request, path_id(request))})


@requires("reviewer")
async def upload_invoice(request: Request) -> JSON:
    """
    summary: Upload one invoice file and extract it
    description: >
      multipart/form-data with `invoice` (PDF, HTML, PNG or JPEG; the bytes must match the
      name) and `vendor_id`. Duplicates (same file, or same vendor + invoice number) get 409
      with `duplicate_of`. Nothing is stored when anything fails.
    tags: [invoices]
    requestBody:
      content:
        multipart/form-data:
          schema:
            type: object
            required: [invoice, vendor_id]
            properties:
              invoice: {type: string, format: binary}
              vendor_id: {type: string, format: uuid}
    responses:
      201: {description: "{message, invoice}"}
      400: {description: Missing or malformed field}
      404: {description: Unknown or inactive vendor}
      409: {description: Duplicate}
      413: {description: File too large}
      415: {description: Unsupported file type, or content does not match the name}
      422: {description: The file could not be extracted}
    """
    conf = settings(request)
    async with request.form(max_files=1, max_fields=5, max_part_size=64 * 1024) as form:
        upload = form.get("invoice")
        if not isinstance(upload, UploadFile):
            raise bad_request("invoice", "invoice file is required")
        vendor_id = uuid_value(form.get("vendor_id"), "vendor_id")
        database = db(request)
        vendor = await database.fetch_one(
            tables.vendors.select().where(tables.vendors.c.id == vendor_id, tables.vendors.c.active.is_(True))
        )
        if vendor is None:
            raise ApiError(404, "Vendor not found or inactive", field="vendor_id")
        filename = ingest.check_filename(upload.filename, "invoice")
        file_hash, size = await ingest.hash_file_async(upload.file)
        if size == 0:
            raise bad_request("invoice", "invoice file is empty")
        if size > conf.max_upload_bytes:
            raise ApiError(413, f"invoice is larger than {conf.max_upload_bytes} bytes", field="invoice")
        media_type = ingest.check_content(filename, await upload.read(ingest.SNIFF_BYTES), "invoice")
        file_type = ingest.FILE_TYPES[media_type]
        if existing := await ingest.find_by_hash(database, file_hash):
            raise ingest.DuplicateInvoice(existing, "file_hash")
        content = await ingest.read_file_async(upload.file, size)
        result, elapsed = await ingest.run_extraction(
            extractor(request),
            content,
            media_type,
            prompt=await ingest.vendor_prompt(database, vendor),
            vendor_name=vendor["display_name"] or vendor["name"],
        )
        del content
        key = ingest.storage_key("invoices", str(vendor_id), file_type)
        store = storage(request)

        async def write_file() -> None:
            await upload.seek(0)
            await store.put_file(key, upload.file, media_type)

        async def delete_file() -> None:
            await store.delete(key)

        invoice_id = await ingest.save_invoice(
            database,
            vendor_id=str(vendor_id),
            result=result,
            stored=ingest.StoredFile(key, file_type, file_hash, size, filename),
            processing_ms=elapsed,
            user_id=current_user(request).id,
            write_file=write_file,
            delete_file=delete_file,
        )
    invoice = await load_invoice(request, invoice_id)
    return JSON(
        {
            "message": "Invoice processed successfully",
            "invoice": {
                **{
                    k: invoice[k] for k in ("id", "invoice_number", "customer_name", "total_amount", "confidence_score")
                },
                "line_items_count": len(invoice["line_items"]),
                "processing_time_ms": elapsed,
                "file_type": file_type,
                "vendor_name": vendor["display_name"] or vendor["name"],
                "warnings": invoice["extraction_warnings"],
                "input_tokens": invoice["input_tokens"],
                "output_tokens": invoice["output_tokens"],
                "cost_usd": invoice["extraction_cost_usd"],
            },
        },
        status_code=201,
    )


async def _set_review(request: Request, invoice_id: Any, **values: Any) -> str:
    """Record an approval or rejection; the invoice number, or 404 for an unknown invoice."""
    row = await db(request).fetch_one(
        tables.invoices.update()
        .where(tables.invoices.c.id == invoice_id)
        .values(**values)
        .returning(tables.invoices.c.invoice_number)
    )
    if row is None:
        raise not_found("Invoice", "id")
    return str(row["invoice_number"])


@requires("reviewer")
async def approve_invoice(request: Request) -> JSON:
    """
    summary: Approve an invoice
    tags: [invoices]
    responses:
      200: {description: "{message, invoice_number}"}
      404: {description: Unknown invoice}
    """
    number = await _set_review(
        request,
        path_id(request),
        processing_status="approved",
        approved_at=sa.func.now(),
        approved_by=current_user(request).id,
        rejected_at=None,
        rejected_by=None,
        rejection_reason=None,
    )
    return JSON({"message": "Invoice approved successfully", "invoice_number": number})


@requires("reviewer")
async def reject_invoice(request: Request) -> JSON:
    """
    summary: Reject an invoice, with an optional reason
    tags: [invoices]
    requestBody:
      content:
        application/json:
          schema: {type: object, properties: {reason: {type: string, maxLength: 2000}}}
    responses:
      200: {description: "{message, invoice_number, reason}"}
      404: {description: Unknown invoice}
    """
    invoice_id = path_id(request)
    body = await json_body(request)
    reason = string(body.get("reason"), "reason", max_length=2000)
    number = await _set_review(
        request,
        invoice_id,
        processing_status="rejected",
        rejected_at=sa.func.now(),
        rejected_by=current_user(request).id,
        rejection_reason=reason,
        approved_at=None,
        approved_by=None,
    )
    return JSON({"message": "Invoice rejected", "invoice_number": number, "reason": reason or "No reason provided"})


def _line_items_input(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise bad_request("line_items", "line_items must be a list")
    if len(value) > 5000:
        raise bad_request("line_items", "line_items may hold at most 5000 items")
    items = []
    for index, raw in enumerate(value):
        if not isinstance(raw, dict):
            raise bad_request(f"line_items[{index}]", f"line_items[{index}] must be an object")
        item = {
            col: field_value(kind, raw.get(col), f"line_items[{index}].{col}")
            for col, kind in tables.LINE_ITEM_FIELDS.items()
        }
        if item["line_number"] is None:
            item["line_number"] = index + 1
        items.append(item)
    return items


@requires("reviewer")
async def update_invoice(request: Request) -> JSON:
    """
    summary: Update the header and (optionally) replace the line items
    description: >
      Body `{invoice_header: {...}, line_items: [...]}`. Every header column can be set;
      only keys present are changed; empty strings clear a value. When `line_items` is
      present it replaces all line items.
    tags: [invoices]
    requestBody:
      required: true
      content:
        application/json:
          schema: {$ref: '#/components/schemas/InvoiceUpdate'}
    responses:
      200: {description: "{message, invoice}"}
      400: {description: "A field is invalid (named, e.g. line_items[2].quantity)"}
      404: {description: Unknown invoice}
      409: {description: The new invoice number is taken for this vendor}
    """
    invoice_id = path_id(request)
    body = await json_body(request)
    header_in = body.get("invoice_header", {})
    if not isinstance(header_in, dict):
        raise bad_request("invoice_header", "invoice_header must be an object")
    values: dict[str, Any] = {}
    for col, kind in tables.INVOICE_HEADER_FIELDS.items():
        if col in header_in:
            values[col] = field_value(kind, header_in[col], f"invoice_header.{col}")
    if "currency" in values and values["currency"] is None:
        values["currency"] = "USD"
    if "customer_id" in header_in:
        values["customer_id"] = uuid_value(header_in["customer_id"], "invoice_header.customer_id", required=False)
    items = _line_items_input(body["line_items"]) if "line_items" in body else None
    if not values and items is None:
        raise bad_request("body", "nothing to update: send invoice_header and/or line_items")
    database = db(request)
    async with database.transaction():
        current = await database.fetch_one(
            sa.select(tables.invoices.c.id).where(tables.invoices.c.id == invoice_id).with_for_update()
        )
        if current is None:
            raise not_found("Invoice", "id")
        if values.get("customer_id"):
            exists = await database.fetch_val(
                sa.select(tables.customers.c.id).where(tables.customers.c.id == values["customer_id"])
            )
            if not exists:
                raise ApiError(404, "Customer not found", field="invoice_header.customer_id")
        if items is not None:
            await database.execute(tables.line_items.delete().where(tables.line_items.c.invoice_id == invoice_id))
            if items:
                await database.execute_many(
                    tables.line_items.insert(), [{**item, "invoice_id": invoice_id} for item in items]
                )
            values["line_item_count"] = len(items)
        try:
            await database.execute(tables.invoices.update().where(tables.invoices.c.id == invoice_id).values(**values))
        except UniqueViolationError:
            raise ApiError(
                409, "Invoice with this number already exists for this vendor", field="invoice_header.invoice_number"
            ) from None
    return JSON({"message": "Invoice updated successfully", "invoice": await load_invoice(request, invoice_id)})


@requires("reviewer")
async def delete_invoice(request: Request) -> JSON:
    """
    summary: Delete an invoice, its line items and its file
    tags: [invoices]
    responses:
      200: {description: "{message, deleted_invoice}"}
      404: {description: Unknown invoice}
    """
    invoice_id = path_id(request)
    database = db(request)
    async with database.transaction():
        row = await database.fetch_one(
            tables.invoices.delete()
            .where(tables.invoices.c.id == invoice_id)
            .returning(
                tables.invoices.c.file_path, tables.invoices.c.invoice_number, tables.invoices.c.original_filename
            )
        )
        if row is None:
            raise not_found("Invoice", "id")
        still_used = await database.fetch_val(
            sa.select(sa.func.count())
            .select_from(tables.batch_files)
            .where(tables.batch_files.c.file_path == row["file_path"])
        )
    if not still_used:
        try:
            await storage(request).delete(row["file_path"])
        except Exception:
            log.warning("could not delete stored file", extra={"invoice_id": invoice_id})
    return JSON(
        {
            "message": "Invoice permanently deleted",
            "deleted_invoice": {
                "id": invoice_id,
                "invoice_number": row["invoice_number"],
                "original_filename": row["original_filename"],
            },
        }
    )


def content_disposition(filename: str | None, disposition: str = "inline") -> str:
    safe = re.sub(r"[^A-Za-z0-9._ -]", "_", filename or "file")[:200] or "file"
    return f'{disposition}; filename="{safe}"'


def file_headers(request: Request, filename: str | None, media_type: str) -> dict[str, str]:
    origins = " ".join(settings(request).cors_origins) or "'self'"
    # Uploaded HTML is untrusted: sandboxed, so its scripts never run with this origin.
    csp = f"sandbox; frame-ancestors {origins}" if media_type == "text/html" else f"frame-ancestors {origins}"
    return {
        "Content-Disposition": content_disposition(filename),
        "Content-Security-Policy": csp,
        "Cache-Control": "private, no-store",
    }


async def invoice_file(request: Request) -> Response:
    """
    summary: The invoice's original file (authenticated stream)
    description: The token may also come as `?token=` so the UI can show the file in an iframe.
    tags: [invoices]
    responses:
      200: {description: The file}
      404: {description: Unknown invoice or missing file}
    """
    invoice_id = path_id(request)
    row = await db(request).fetch_one(
        sa.select(tables.invoices.c.file_path, tables.invoices.c.file_type, tables.invoices.c.original_filename).where(
            tables.invoices.c.id == invoice_id
        )
    )
    if row is None:
        raise not_found("Invoice", "id")
    media_type = ingest.MEDIA_TYPES.get(row["file_type"], "application/octet-stream")
    stream = storage(request).stream(row["file_path"])
    try:
        first = await anext(stream)
    except StorageError:
        raise ApiError(404, "Invoice file not found in storage") from None
    except StopAsyncIteration:
        first = b""

    async def body() -> Any:
        yield first
        async for chunk in stream:
            yield chunk

    return StreamingResponse(
        body(), media_type=media_type, headers=file_headers(request, row["original_filename"], media_type)
    )


async def invoice_file_url(request: Request) -> JSON:
    """
    summary: A short-lived URL for the invoice's file
    description: A presigned S3 URL when storage is S3; otherwise the authenticated stream path.
    tags: [invoices]
    responses:
      200: {description: "{url, expires_in}"}
      404: {description: Unknown invoice}
    """
    invoice_id = path_id(request)
    row = await db(request).fetch_one(
        sa.select(tables.invoices.c.file_path, tables.invoices.c.file_type, tables.invoices.c.original_filename).where(
            tables.invoices.c.id == invoice_id
        )
    )
    if row is None:
        raise not_found("Invoice", "id")
    media_type = ingest.MEDIA_TYPES.get(row["file_type"], "application/octet-stream")
    url = await storage(request).presigned_url(row["file_path"], row["original_filename"] or "invoice", media_type)
    if url is None:
        return JSON({"url": f"/api/invoices/{invoice_id}/file", "expires_in": None})
    return JSON({"url": url, "expires_in": settings(request).presign_ttl_seconds})
