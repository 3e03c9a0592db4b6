from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import tempfile
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

import anyio
import sqlalchemy as sa
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from app import tables
from app.auth import current_user, requires
from app.endpoints.common import client_ip, db, export_storage, row_dict
from app.endpoints.filters import NAMES as FILTER_KEYS
from app.endpoints.filters import list_filters
from app.endpoints.invoices import batch_name_expr, content_disposition
from app.exports import FIELD_CATALOGUE, ExportField, from_legacy_key, validate_fields, write_csv_zip, write_xlsx
from app.responses import JSON, ApiError, bad_request, not_found
from app.validation import boolean, json_body, path_id, query_int, string, uuid_value

log = logging.getLogger("app.exports")

JSON_COLUMNS = ("invoice_fields", "line_item_fields", "filters_applied")
FORMATS = {
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "csv": ("application/zip", "zip"),
}
MAX_TEMPLATE_FIELDS = 100
NOT_YOURS = "Template not found or access denied"


def _template_fields(value: Any, kind: str, field: str) -> list[dict[str, Any]]:
    """Check a template's field list: [{key, label?, ...}], every key in the catalogue."""
    if not isinstance(value, list) or not value:
        raise bad_request(field, f"{field} must be a non-empty array")
    if len(value) > MAX_TEMPLATE_FIELDS:
        raise bad_request(field, f"{field} may hold at most {MAX_TEMPLATE_FIELDS} fields")
    out = []
    for index, item in enumerate(value):
        if not isinstance(item, dict) or not isinstance(item.get("key"), str):
            raise bad_request(f"{field}[{index}]", f"{field}[{index}] must be an object with a string key")
        try:
            from_legacy_key(kind, item["key"])  # type: ignore[arg-type]
        except ValueError as exc:
            raise bad_request(f"{field}[{index}].key", str(exc)) from None
        label = item.get("label")
        if label is not None and (not isinstance(label, str) or len(label) > 100):
            raise bad_request(
                f"{field}[{index}].label", f"{field}[{index}].label must be a string of at most 100 characters"
            )
        out.append({k: item[k] for k in ("key", "label", "type", "width", "required") if k in item})
    keys = [f["key"] for f in out]
    if not any(k in {"invoice_number", f"{kind}.invoice_number"} for k in keys):
        raise bad_request(field, f"invoice_number field is required in {field}")
    return out


def resolve_fields(invoice_fields: list[dict[str, Any]], line_item_fields: list[dict[str, Any]]) -> list[ExportField]:
    keys = [from_legacy_key("invoice", f["key"]) for f in invoice_fields]
    keys += [from_legacy_key("line_item", f["key"]) for f in line_item_fields]
    seen: set[str] = set()
    unique = [k for k in keys if not (k in seen or seen.add(k))]  # type: ignore[func-returns-value]
    return validate_fields(unique)


def _visible(request: Request) -> sa.ColumnElement:
    user = current_user(request)
    return sa.or_(tables.export_templates.c.is_public.is_(True), tables.export_templates.c.user_id == user.id)


async def list_templates(request: Request) -> JSON:
    """
    summary: Export templates (public ones and the user's own; admins may ask for all)
    parameters:
      - {name: include_admin, in: query, schema: {type: boolean}}
    responses:
      200: {description: "{success, templates, isAdmin}"}
    """
    user = current_user(request)
    show_all = boolean(request.query_params.get("include_admin"), "include_admin", default=False) and user.has_role(
        "admin"
    )
    query = tables.export_templates.select().order_by(
        tables.export_templates.c.is_public.desc(),
        tables.export_templates.c.usage_count.desc(),
        tables.export_templates.c.name,
    )
    if not show_all:
        query = query.where(_visible(request))
    records = await db(request).fetch_all(query)
    return JSON(
        {"success": True, "templates": [row_dict(r, JSON_COLUMNS) for r in records], "isAdmin": user.has_role("admin")}
    )


def _template_values(body: dict[str, Any], partial: bool, request: Request) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if not partial or "name" in body:
        values["name"] = string(body.get("name"), "name", required=True, max_length=255)
    if "description" in body:
        values["description"] = string(body.get("description"), "description", max_length=2000)
    if not partial or "invoice_fields" in body:
        values["invoice_fields"] = _template_fields(body.get("invoice_fields"), "invoice", "invoice_fields")
    if not partial or "line_item_fields" in body:
        values["line_item_fields"] = _template_fields(body.get("line_item_fields"), "line_item", "line_item_fields")
    if "is_public" in body or not partial:
        values["is_public"] = boolean(body.get("is_public"), "is_public", default=False)
    return values


@requires("reviewer")
async def create_template(request: Request) -> JSON:
    """
    summary: Create an export template
    requestBody:
      content:
        application/json:
          schema:
            type: object
            required: [name, invoice_fields, line_item_fields]
            properties:
              name: {type: string}
              description: {type: string}
              is_public: {type: boolean}
              invoice_fields: {type: array, items: {type: object}}
              line_item_fields: {type: array, items: {type: object}}
    responses:
      201: {description: "{success, template}"}
      400: {description: A field is invalid (named)}
    """
    values = _template_values(await json_body(request), partial=False, request=request)
    template_id = await db(request).execute(
        tables.export_templates.insert()
        .values(**values, user_id=current_user(request).id)
        .returning(tables.export_templates.c.id)
    )
    return JSON({"success": True, "template": await _template(request, template_id)}, status_code=201)


async def _template(request: Request, template_id: Any, *where: sa.ColumnElement) -> dict[str, Any] | None:
    """The stored template with this id (its JSON columns decoded) if ``where`` holds for it, else None."""
    row = await db(request).fetch_one(
        tables.export_templates.select().where(tables.export_templates.c.id == template_id, *where)
    )
    return None if row is None else row_dict(row, JSON_COLUMNS)


async def _visible_template(request: Request, template_id: Any, field: str) -> dict[str, Any]:
    """The template with this id if the user may use it (``_visible``), else the 404 on ``field``."""
    template = await _template(request, template_id, _visible(request))
    if template is None:
        raise ApiError(404, NOT_YOURS, field=field)
    return template


async def _owned_template_id(request: Request) -> str:
    """The path's template id if the user may change that template (its owner, or an admin), else the 404."""
    template_id = path_id(request)
    user = current_user(request)
    template = await _template(request, template_id)
    if template is None or not (user.has_role("admin") or str(template["user_id"]) == user.id):
        raise ApiError(404, NOT_YOURS, field="id")
    return template_id


@requires("reviewer")
async def update_template(request: Request) -> JSON:
    """
    summary: Update a template (its owner, or an admin; built-in templates need an admin)
    responses:
      200: {description: "{success, template}"}
      404: {description: Unknown template or not yours}
    """
    template_id = await _owned_template_id(request)
    values = _template_values(await json_body(request), partial=True, request=request)
    if not values:
        raise bad_request("body", "No valid fields to update")
    await db(request).execute(
        tables.export_templates.update().where(tables.export_templates.c.id == template_id).values(**values)
    )
    return JSON({"success": True, "template": await _template(request, template_id)})


@requires("reviewer")
async def delete_template(request: Request) -> JSON:
    """
    summary: Delete a template (its owner, or an admin)
    responses:
      200: {description: "{success, message}"}
      404: {description: Unknown template or not yours}
    """
    template_id = await _owned_template_id(request)
    await db(request).execute(tables.export_templates.delete().where(tables.export_templates.c.id == template_id))
    return JSON({"success": True, "message": "Template deleted successfully"})


def _field_json(field: ExportField) -> dict[str, Any]:
    return {"key": field.key, "label": field.label, "type": field.type, "width": field.width}


async def fields(request: Request) -> JSON:
    """
    summary: The export field catalogue
    responses:
      200: {description: "{success, fields: {invoice: [...], line_item: [...]}}"}
    """
    return JSON(
        {
            "success": True,
            "fields": {
                "invoice": [_field_json(f) for f in FIELD_CATALOGUE if f.kind == "invoice"],
                "line_item": [_field_json(f) for f in FIELD_CATALOGUE if f.kind == "line_item"],
            },
        }
    )


async def preview(request: Request) -> JSON:
    """
    summary: A template with column counts
    responses:
      200: {description: "{success, template}"}
      404: {description: Unknown template or not visible}
    """
    template = await _visible_template(request, path_id(request), "id")
    template["preview"] = {
        "invoice_field_count": len(template["invoice_fields"]),
        "line_item_field_count": len(template["line_item_fields"]),
        "estimated_columns_xlsx": len(template["invoice_fields"]) + len(template["line_item_fields"]),
    }
    return JSON({"success": True, "template": template})


async def validate(request: Request) -> JSON:
    """
    summary: Check a template's field lists without saving
    responses:
      200: {description: "{success, validation: {success, errors, warnings}}"}
    """
    body = await json_body(request)
    errors: list[str] = []
    warnings: list[str] = []
    for name, kind in (("invoice_fields", "invoice"), ("line_item_fields", "line_item")):
        try:
            checked = _template_fields(body.get(name), kind, name)
        except ApiError as exc:
            errors.append(str(exc.detail))
            continue
        if len(checked) > (20 if kind == "invoice" else 15):
            warnings.append(f"Large number of {kind.replace('_', ' ')} fields may impact performance")
    return JSON({"success": True, "validation": {"success": not errors, "errors": errors, "warnings": warnings}})


def _export_filters(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise bad_request("filters", "filters must be an object")
    unknown = sorted(set(raw) - set(FILTER_KEYS) - {"invoice_ids"})
    if unknown:
        raise bad_request(f"filters.{unknown[0]}", f"unknown filter {unknown[0]!r}")
    filters = {k: raw[k] for k in FILTER_KEYS if raw.get(k) not in (None, "")}
    for key, value in filters.items():
        if not isinstance(value, str):
            raise bad_request(f"filters.{key}", f"filters.{key} must be a string")
    if "invoice_ids" in raw and raw["invoice_ids"] is not None:
        ids = raw["invoice_ids"]
        if not isinstance(ids, list) or len(ids) > 100_000:
            raise bad_request("filters.invoice_ids", "filters.invoice_ids must be a list of invoice ids")
        filters["invoice_ids"] = [uuid_value(x, f"filters.invoice_ids[{n}]") for n, x in enumerate(ids)]
    return filters


def _invoice_columns() -> dict[str, Any]:
    columns: dict[str, Any] = {}
    for field in FIELD_CATALOGUE:
        if field.kind != "invoice":
            continue
        if field.key == "vendor.name":
            columns[field.key] = sa.func.coalesce(tables.vendors.c.display_name, tables.vendors.c.name)
        elif field.key == "customer.name":
            columns[field.key] = sa.func.coalesce(tables.customers.c.name, tables.invoices.c.customer_name)
        elif field.key == "invoice.batch_name":
            columns[field.key] = batch_name_expr()
        else:
            columns[field.key] = tables.invoices.c[field.column]
    return columns


async def _rows(request: Request, query: sa.Select) -> AsyncIterator[Mapping[str, Any]]:
    async for row in db(request).iterate(query):
        yield row._mapping  # type: ignore[attr-defined]  # databases yields Records typed as Mapping


async def _export_fields(request: Request, body: dict[str, Any], template_id: str | None) -> list[ExportField]:
    """The columns to export: catalogue keys (``fields``), an inline ``template`` or a stored one."""
    if body.get("fields") is not None:
        try:
            return validate_fields(body["fields"])
        except ValueError as exc:
            raise bad_request("fields", str(exc)) from None
    if isinstance(body.get("template"), dict):
        template = body["template"]
        return resolve_fields(
            _template_fields(template.get("invoice_fields"), "invoice", "template.invoice_fields"),
            _template_fields(template.get("line_item_fields"), "line_item", "template.line_item_fields"),
        )
    if not template_id:
        raise bad_request("template_id", "Either template_id, template or fields is required")
    stored = await _visible_template(request, template_id, "template_id")
    try:
        return resolve_fields(stored["invoice_fields"], stored["line_item_fields"])
    except ValueError as exc:
        raise bad_request("template_id", f"the template is invalid: {exc}") from None


def _export_queries(export_fields: list[ExportField], filters: dict[str, Any]) -> tuple[sa.Select, sa.Select]:
    """The invoice rows and the line item rows of the export, both filtered as the invoice list is."""
    where, _ = list_filters({k: val for k, val in filters.items() if k != "invoice_ids"})
    if "invoice_ids" in filters:
        where.append(tables.invoices.c.id.in_(filters["invoice_ids"]))
    invoice_columns = _invoice_columns()
    wanted = [f for f in export_fields if f.kind == "invoice"]
    line_wanted = [f for f in export_fields if f.kind == "line_item"]
    joined = (
        tables.invoices.outerjoin(tables.vendors, tables.invoices.c.vendor_id == tables.vendors.c.id)
        .outerjoin(tables.customers, tables.invoices.c.customer_id == tables.customers.c.id)
        .outerjoin(tables.processing_batches, tables.invoices.c.batch_id == tables.processing_batches.c.id)
    )
    invoice_query = (
        sa.select(*[invoice_columns[f.key].label(f.key) for f in wanted] or [tables.invoices.c.id.label("invoice.id")])
        .select_from(joined)
        .where(*where)
        .order_by(tables.invoices.c.created_at.desc(), tables.invoices.c.id)
    )
    line_columns = [
        (
            tables.invoices.c.invoice_number if f.key == "line_item.invoice_number" else tables.line_items.c[f.column]
        ).label(f.key)
        for f in line_wanted
    ]
    line_query = (
        sa.select(*line_columns or [tables.line_items.c.id.label("line_item.id")])
        .select_from(
            tables.line_items.join(tables.invoices, tables.line_items.c.invoice_id == tables.invoices.c.id)
            .outerjoin(tables.customers, tables.invoices.c.customer_id == tables.customers.c.id)
            .outerjoin(tables.processing_batches, tables.invoices.c.batch_id == tables.processing_batches.c.id)
        )
        .where(*where)
        .order_by(tables.invoices.c.created_at.desc(), tables.invoices.c.id, tables.line_items.c.line_number)
    )
    return invoice_query, line_query


async def _write_export(
    request: Request,
    fmt: str,
    queries: tuple[sa.Select, sa.Select],
    export_fields: list[ExportField],
    log_values: dict[str, Any],
) -> tuple[str, dict[str, int], int]:
    """Write the export to a temporary file: its path, row counts and size. A failure is logged
    in ``export_logs`` and leaves no file behind."""
    database = db(request)
    fd, path = tempfile.mkstemp(prefix="export-", suffix=f".{FORMATS[fmt][1]}")
    os.close(fd)
    try:
        writer = write_xlsx if fmt == "xlsx" else write_csv_zip
        async with database.connection() as connection, connection.transaction():
            counts = await writer(path, _rows(request, queries[0]), _rows(request, queries[1]), export_fields)
        size = (await anyio.Path(path).stat()).st_size
    except BaseException as exc:
        os.unlink(path)
        if isinstance(exc, Exception):
            await database.execute(
                tables.export_logs.insert().values(
                    **log_values, success=False, error_message=type(exc).__name__, invoice_count=0, line_item_count=0
                )
            )
        raise
    return path, counts, size


async def _keep_export(request: Request, log_id: Any, path: str, fmt: str) -> None:
    """A copy in export storage for ``GET /api/exports/download/{id}``; the export is served without one."""
    database = db(request)
    key = f"exports/{current_user(request).id}/{log_id}.{FORMATS[fmt][1]}"
    try:
        await export_storage(request).put_path(key, path, FORMATS[fmt][0])
        await database.execute(
            tables.export_logs.update().where(tables.export_logs.c.id == log_id).values(storage_key=key)
        )
    except Exception:
        log.warning("could not keep export in storage", exc_info=True)


@requires("viewer")
async def generate(request: Request) -> Response:
    """
    summary: Generate an export (XLSX with two sheets, or a zip of two CSV files), streamed
    requestBody:
      content:
        application/json:
          schema:
            type: object
            properties:
              template_id: {type: string, format: uuid}
              template: {type: object, properties: {invoice_fields: {type: array}, line_item_fields: {type: array}}}
              fields: {type: array, items: {type: string}, description: catalogue keys}
              filters: {type: object}
              format: {type: string, enum: [xlsx, csv]}
    responses:
      200: {description: The file}
      400: {description: Bad template, field, filter or format (named)}
      404: {description: Unknown template}
    """
    body = await json_body(request)
    fmt = body.get("format", "xlsx")
    if fmt not in FORMATS:
        raise bad_request("format", 'Format must be either "xlsx" or "csv"')
    template_id = uuid_value(body.get("template_id"), "template_id", required=False)
    export_fields = await _export_fields(request, body, template_id)
    filters = _export_filters(body.get("filters"))
    queries = _export_queries(export_fields, filters)
    started = time.perf_counter()
    log_values: dict[str, Any] = {
        "template_id": template_id,
        "user_id": current_user(request).id,
        "export_format": fmt,
        "filters_applied": filters,
        "user_agent": (request.headers.get("user-agent") or "")[:500],
        "ip_address": client_ip(request),
    }
    path, counts, size = await _write_export(request, fmt, queries, export_fields, log_values)
    database = db(request)
    log_id = await database.execute(
        tables.export_logs.insert()
        .values(
            **log_values,
            success=True,
            invoice_count=counts["invoices"],
            line_item_count=counts["line_items"],
            file_size=size,
            processing_time_ms=int((time.perf_counter() - started) * 1000),
        )
        .returning(tables.export_logs.c.id)
    )
    await _keep_export(request, log_id, path, fmt)
    if template_id:
        await database.execute(
            tables.export_templates.update()
            .where(tables.export_templates.c.id == template_id)
            .values(usage_count=tables.export_templates.c.usage_count + 1, last_used_at=sa.func.now())
        )
    media_type, extension = FORMATS[fmt]
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    return StreamingResponse(
        _file_chunks(path),
        media_type=media_type,
        headers={
            "Content-Disposition": content_disposition(f"invoices-export-{stamp}.{extension}", "attachment"),
            "Content-Length": str(size),
            "X-Export-Id": str(log_id),
            "X-Export-Invoices": str(counts["invoices"]),
            "X-Export-Line-Items": str(counts["line_items"]),
        },
        background=BackgroundTask(_unlink, path),
    )


async def _file_chunks(path: str) -> AsyncIterator[bytes]:
    async with await anyio.open_file(path, "rb") as handle:
        while chunk := await handle.read(256 * 1024):
            yield chunk


async def _unlink(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


async def recent(request: Request) -> JSON:
    """
    summary: The user's recent exports
    parameters:
      - {name: limit, in: query, schema: {type: integer, default: 10, minimum: 1, maximum: 100}}
    responses:
      200: {description: "{success, exports}"}
    """
    limit = query_int(request, "limit", 10, minimum=1, maximum=100)
    records = await db(request).fetch_all(
        sa.select(
            tables.export_logs,
            tables.export_templates.c.name.label("template_name"),
            tables.export_templates.c.description.label("template_description"),
        )
        .select_from(
            tables.export_logs.outerjoin(
                tables.export_templates, tables.export_logs.c.template_id == tables.export_templates.c.id
            )
        )
        .where(tables.export_logs.c.user_id == current_user(request).id)
        .order_by(tables.export_logs.c.created_at.desc())
        .limit(limit)
    )
    exports = []
    for r in records:
        item = row_dict(r, JSON_COLUMNS, drop=("storage_key",))
        item["download_url"] = f"/api/exports/download/{item['id']}" if r["storage_key"] else None
        exports.append(item)
    return JSON({"success": True, "exports": exports})


async def download(request: Request) -> Response:
    """
    summary: Download an earlier export again (its owner only)
    responses:
      200: {description: The file}
      404: {description: Unknown export, not yours, or not kept}
    """
    log_id = path_id(request)
    row = await db(request).fetch_one(
        sa.select(
            tables.export_logs.c.storage_key,
            tables.export_logs.c.export_format,
            tables.export_logs.c.user_id,
            tables.export_logs.c.created_at,
        ).where(tables.export_logs.c.id == log_id)
    )
    if row is None or str(row["user_id"]) != current_user(request).id or not row["storage_key"]:
        raise not_found("Export", "id")
    media_type, extension = FORMATS.get(row["export_format"], FORMATS["xlsx"])
    store = export_storage(request)
    return StreamingResponse(
        store.stream(row["storage_key"]),
        media_type=media_type,
        headers={"Content-Disposition": content_disposition(f"invoices-export-{log_id}.{extension}", "attachment")},
    )


async def stats(request: Request) -> JSON:
    """
    summary: Export statistics per format and day, last 30 days
    responses:
      200: {description: "{success, stats}"}
    """
    day = sa.func.date_trunc("day", tables.export_logs.c.created_at)
    records = await db(request).fetch_all(
        sa.select(
            sa.func.count().label("total_exports"),
            sa.func.coalesce(sa.func.sum(tables.export_logs.c.invoice_count), 0).label("total_invoices_exported"),
            sa.func.coalesce(sa.func.sum(tables.export_logs.c.line_item_count), 0).label("total_line_items_exported"),
            sa.func.avg(tables.export_logs.c.processing_time_ms).label("avg_processing_time"),
            tables.export_logs.c.export_format,
            day.label("export_date"),
        )
        .where(tables.export_logs.c.created_at >= sa.func.now() - sa.text("interval '30 days'"))
        .group_by(tables.export_logs.c.export_format, day)
        .order_by(day.desc())
    )
    return JSON({"success": True, "stats": [dict(r._mapping) for r in records]})
