from __future__ import annotations

import functools
import logging
import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import aggregate_order_by
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from app import ingest, tables
from app.auth import current_user, requires
from app.db import Query, fetchrow, fetchrow_and_rows, page_json
from app.endpoints.common import db, extractor, fetch_by_id, fetch_found, get_one, row_dict, settings, storage
from app.endpoints.filters import ListFilters, filtered, list_filters, parse_list_filters  # noqa: F401 (list_filters: kept importable here)
from app.responses import JSON, ApiError, RawJSON, bad_request, not_found, unique_or_409
from app.storage import StorageError
from app.validation import (
    MAX_OFFSET,
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

HIDDEN = ("file_path", "file_hash")


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


LIST_COLUMNS = [col for col in tables.invoices.c if col.name not in (*HIDDEN, "customer_name", "extraction_warnings")]
# The list's orders (`sort`: a key, or -key for descending; empty values sort last either way)
SORT_KEYS = (
    "created_at",
    "invoice_date",
    "invoice_number",
    "vendor_name",
    "customer_name",
    "total_amount",
    "processing_status",
)
SORT_VALUES = [*SORT_KEYS, *(f"-{key}" for key in SORT_KEYS)]
DEFAULT_SORT = "-created_at"


def _order(columns: Any, sort: str) -> list[sa.ColumnElement]:
    """ORDER BY for a sort value over columns named as the list's keys. created_at orders by
    itself (the index, newest first by default); any other key breaks ties newest first."""
    key, descending = sort.lstrip("-"), sort.startswith("-")
    if key == "created_at":
        newest = [columns["created_at"].desc(), columns["id"].desc()]
        return newest if descending else [columns["created_at"].asc(), columns["id"].asc()]
    column = columns[key].desc() if descending else columns[key].asc()
    return [column.nulls_last(), columns["created_at"].desc(), columns["id"].desc()]


@functools.lru_cache(maxsize=256)
def _list_query(shape: tuple[str, ...], sort: str = DEFAULT_SORT) -> Query:
    """The list statement for one filter shape, compiled once: the page as JSON built by
    PostgreSQL (no per-row Python work) and the total, in one round trip."""
    filters = ListFilters(shape)
    where = filters.conditions()
    customer_name = sa.func.coalesce(tables.customers.c.name, tables.invoices.c.customer_name)
    joined = {"vendor_name": tables.vendors.c.name, "customer_name": customer_name}
    sortable = {c.name: c for c in tables.invoices.c} | joined
    page_query = (
        sa.select(
            *LIST_COLUMNS,
            tables.vendors.c.name.label("vendor_name"),
            tables.vendors.c.display_name.label("vendor_display_name"),
            customer_name.label("customer_name"),
            batch_name_expr().label("batch_name"),
        )
        .select_from(
            tables.invoices.outerjoin(tables.vendors, tables.invoices.c.vendor_id == tables.vendors.c.id)
            .outerjoin(tables.customers, tables.invoices.c.customer_id == tables.customers.c.id)
            .outerjoin(tables.processing_batches, tables.invoices.c.batch_id == tables.processing_batches.c.id)
        )
        .where(*where)
        .order_by(*_order(sortable, sort))
        .limit(sa.bindparam("limit", type_=sa.Integer))
        .offset(sa.bindparam("offset", type_=sa.Integer))
        .subquery("p")
    )
    invoices_json = sa.select(
        sa.func.coalesce(
            sa.func.json_agg(aggregate_order_by(sa.literal_column("p"), *_order(page_query.c, sort))),
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


@filtered
async def list_invoices(request: Request) -> Response:
    """
    summary: List invoices, newest first unless sorted, paged in SQL
    parameters:  # after the filters (@filtered)
      - name: sort
        in: query
        description: a column to order by, ascending, or -column for descending (empty values last); default -created_at
        schema:
          type: string
          enum: [created_at, invoice_date, invoice_number, vendor_name, customer_name, total_amount, processing_status,
                 -created_at, -invoice_date, -invoice_number, -vendor_name, -customer_name, -total_amount,
                 -processing_status]
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
    sort = request.query_params.get("sort") or DEFAULT_SORT
    if sort not in SORT_VALUES:
        raise bad_request("sort", f"sort must be one of {', '.join(SORT_VALUES)}")
    filters = parse_list_filters(request.query_params)
    values = {**filters.values, "limit": limit, "offset": offset}
    row = await fetchrow(db(request), _list_query(filters.shape, sort), values)
    assert row is not None
    return RawJSON(page_json(row["invoices"], row["total"], limit, offset))


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
    row, items = await fetchrow_and_rows(db(request), _INVOICE, _LINE_ITEMS, {"id": invoice_id})
    if row is None:
        raise not_found("Invoice", "id")
    invoice = row_dict(row, json_columns=("extraction_warnings",))
    invoice["line_items"] = [dict(r) for r in items]
    invoice["file_url"] = f"/api/invoices/{invoice_id}/file"
    return invoice


get_invoice = get_one("invoice", load_invoice, "One invoice with its line items", "invoice: {..., line_items: [...]}")


@requires("reviewer")
async def upload_invoice(request: Request) -> JSON:
    """
    summary: Upload one invoice file and extract it
    description: >
      multipart/form-data with `invoice` (PDF, HTML, PNG or JPEG; the bytes must match the
      name) and `vendor_id`. Duplicates (same file, or same vendor + invoice number) get 409
      with `duplicate_of`. Nothing is stored when anything fails.
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
        stored, media_type = await _checked_upload(upload, str(vendor_id), settings(request).max_upload_bytes)
        if existing := await ingest.find_by_hash(database, stored.file_hash):
            raise ingest.DuplicateInvoice(existing, "file_hash")
        content = await ingest.read_file_async(upload.file, stored.file_size)
        result, elapsed = await ingest.run_extraction(
            extractor(request),
            content,
            media_type,
            prompt=await ingest.vendor_prompt(database, vendor),
            vendor_name=vendor["display_name"] or vendor["name"],
        )
        del content
        store = storage(request)

        async def write_file() -> None:
            await upload.seek(0)
            await store.put_file(stored.key, upload.file, media_type)

        async def delete_file() -> None:
            await store.delete(stored.key)

        invoice_id = await ingest.save_invoice(
            database,
            vendor_id=str(vendor_id),
            result=result,
            stored=stored,
            processing_ms=elapsed,
            user_id=current_user(request).id,
            write_file=write_file,
            delete_file=delete_file,
        )
    invoice = await load_invoice(request, invoice_id)
    summary = _upload_summary(invoice, elapsed, stored.file_type, vendor["display_name"] or vendor["name"])
    return JSON({"message": "Invoice processed successfully", "invoice": summary}, status_code=201)


async def _checked_upload(upload: UploadFile, vendor_id: str, max_bytes: int) -> tuple[ingest.StoredFile, str]:
    """The uploaded file checked (name, size, content) and where it will be stored; its media type."""
    filename = ingest.check_filename(upload.filename, "invoice")
    file_hash, size = await ingest.hash_file_async(upload.file)
    if size == 0:
        raise bad_request("invoice", "invoice file is empty")
    if size > max_bytes:
        raise ApiError(413, f"invoice is larger than {max_bytes} bytes", field="invoice")
    media_type = ingest.check_content(filename, await upload.read(ingest.SNIFF_BYTES), "invoice")
    file_type = ingest.FILE_TYPES[media_type]
    return ingest.StoredFile(
        ingest.storage_key("invoices", vendor_id, file_type), file_type, file_hash, size, filename
    ), media_type


def _upload_summary(invoice: dict[str, Any], elapsed: int, file_type: str, vendor_name: str) -> dict[str, Any]:
    return {
        **{k: invoice[k] for k in ("id", "invoice_number", "customer_name", "total_amount", "confidence_score")},
        "line_items_count": len(invoice["line_items"]),
        "processing_time_ms": elapsed,
        "file_type": file_type,
        "vendor_name": vendor_name,
        "warnings": invoice["extraction_warnings"],
        "input_tokens": invoice["input_tokens"],
        "output_tokens": invoice["output_tokens"],
        "cost_usd": invoice["extraction_cost_usd"],
    }


async def _set_review(request: Request, invoice_id: Any, **values: Any) -> str:
    """Record an approval or rejection; the invoice number, or 404 for an unknown invoice."""
    row = await fetch_found(
        db(request),
        tables.invoices.update()
        .where(tables.invoices.c.id == invoice_id)
        .values(**values)
        .returning(tables.invoices.c.invoice_number),
        "Invoice",
    )
    return str(row["invoice_number"])


@requires("reviewer")
async def approve_invoice(request: Request) -> JSON:
    """
    summary: Approve an invoice
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
        await fetch_by_id(database, tables.invoices, invoice_id, "Invoice", "id", lock=True)
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
        with unique_or_409("Invoice with this number already exists for this vendor", "invoice_header.invoice_number"):
            await database.execute(tables.invoices.update().where(tables.invoices.c.id == invoice_id).values(**values))
    return JSON({"message": "Invoice updated successfully", "invoice": await load_invoice(request, invoice_id)})


@requires("reviewer")
async def delete_invoice(request: Request) -> JSON:
    """
    summary: Delete an invoice, its line items and its file
    responses:
      200: {description: "{message, deleted_invoice}"}
      404: {description: Unknown invoice}
    """
    invoice_id = path_id(request)
    database = db(request)
    async with database.transaction():
        row = await fetch_found(
            database,
            tables.invoices.delete()
            .where(tables.invoices.c.id == invoice_id)
            .returning(
                tables.invoices.c.file_path, tables.invoices.c.invoice_number, tables.invoices.c.original_filename
            ),
            "Invoice",
        )
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


async def _file_row(request: Request, invoice_id: str) -> tuple[Any, str]:
    """The invoice's file path, type and original name (404 for an unknown invoice), and its media type."""
    row = await fetch_by_id(
        db(request), tables.invoices, invoice_id, "Invoice", "file_path", "file_type", "original_filename"
    )
    return row, ingest.MEDIA_TYPES.get(row["file_type"], "application/octet-stream")


async def invoice_file(request: Request) -> Response:
    """
    summary: The invoice's original file (authenticated stream)
    description: The token comes in the Authorization header only (a `?token=` query is refused).
    responses:
      200: {description: The file}
      404: {description: Unknown invoice or missing file}
    """
    row, media_type = await _file_row(request, path_id(request))
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
    responses:
      200: {description: "{url, expires_in}"}
      404: {description: Unknown invoice}
    """
    invoice_id = path_id(request)
    row, media_type = await _file_row(request, invoice_id)
    url = await storage(request).presigned_url(row["file_path"], row["original_filename"] or "invoice", media_type)
    if url is None:
        return JSON({"url": f"/api/invoices/{invoice_id}/file", "expires_in": None})
    return JSON({"url": url, "expires_in": settings(request).presign_ttl_seconds})
