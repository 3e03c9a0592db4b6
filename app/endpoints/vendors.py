from __future__ import annotations

import sqlalchemy as sa
from starlette.requests import Request

from app import tables
from app.auth import requires
from app.endpoints.common import db, fetch_by_id, fetch_found, get_one
from app.responses import JSON, ApiError, bad_request, not_found, unique_or_409
from app.validation import boolean, json_body, path_id, string, uuid_value

NO_PROMPT = "No prompt assigned"


def _vendor_query() -> sa.Select:
    counts = (
        sa.select(tables.invoices.c.vendor_id, sa.func.count().label("invoice_count"))
        .group_by(tables.invoices.c.vendor_id)
        .subquery("counts")
    )
    return sa.select(
        tables.vendors,
        tables.extraction_prompts.c.prompt_name.label("active_prompt_name"),
        sa.func.coalesce(counts.c.invoice_count, 0).label("invoice_count"),
    ).select_from(
        tables.vendors.outerjoin(
            tables.extraction_prompts, tables.vendors.c.extraction_prompt_id == tables.extraction_prompts.c.id
        ).outerjoin(counts, counts.c.vendor_id == tables.vendors.c.id)
    )


def _vendor_json(row: object) -> dict:
    data = dict(row._mapping)  # type: ignore[attr-defined]
    data["display_name"] = data["display_name"] or data["name"]
    data["active_prompt_id"] = data["extraction_prompt_id"]
    data["active_prompt_name"] = data["active_prompt_name"] or NO_PROMPT
    return data


async def load_vendor(request: Request, vendor_id: str) -> dict:
    row = await fetch_found(db(request), _vendor_query().where(tables.vendors.c.id == vendor_id), "Vendor")
    return _vendor_json(row)


async def list_vendors(request: Request) -> JSON:
    """
    summary: List vendors with invoice counts and the active prompt
    parameters:
      - {name: active, in: query, schema: {type: boolean}}
    responses:
      200: {description: "{vendors: [...]}"}
    """
    query = _vendor_query().order_by(tables.vendors.c.name)
    active = boolean(request.query_params.get("active"), "active")
    if active is not None:
        query = query.where(tables.vendors.c.active.is_(active))
    records = await db(request).fetch_all(query)
    return JSON({"vendors": [_vendor_json(r) for r in records]})


get_vendor = get_one("vendor", load_vendor, "One vendor")


async def _name_taken(request: Request, name: str, exclude: str | None = None) -> bool:
    query = sa.select(tables.vendors.c.id).where(sa.func.lower(tables.vendors.c.name) == name.lower())
    if exclude:
        query = query.where(tables.vendors.c.id != exclude)
    return await db(request).fetch_one(query) is not None


@requires("admin")
async def create_vendor(request: Request) -> JSON:
    """
    summary: Create a vendor (admin)
    requestBody:
      content:
        application/json:
          schema:
            type: object
            required: [name]
            properties:
              name: {type: string}
              display_name: {type: string}
              active: {type: boolean}
    responses:
      201: {description: "{message, vendor}"}
      409: {description: A vendor with this name exists (case-insensitive)}
    """
    body = await json_body(request)
    raw_name = string(body.get("name"), "name", required=True, max_length=255)
    assert raw_name is not None
    name = raw_name.lower()
    display = string(body.get("display_name"), "display_name", max_length=255) or raw_name
    active = boolean(body.get("active"), "active", default=True)
    if await _name_taken(request, name):
        raise ApiError(409, "Vendor with this name already exists", field="name")
    with unique_or_409("Vendor with this name already exists", "name"):
        vendor_id = await db(request).execute(
            tables.vendors.insert()
            .values(name=name, display_name=display, active=active)
            .returning(tables.vendors.c.id)
        )
    return JSON(
        {"message": "Vendor created successfully", "vendor": await load_vendor(request, str(vendor_id))},
        status_code=201,
    )


@requires("admin")
async def update_vendor(request: Request) -> JSON:
    """
    summary: Update a vendor (admin)
    description: Setting extraction_prompt_id activates that prompt (it must belong to the vendor); null clears it.
    responses:
      200: {description: "{message, vendor}"}
      400: {description: Bad field or nothing to update}
      404: {description: Unknown vendor}
      409: {description: Name taken}
    """
    vendor_id = path_id(request)
    body = await json_body(request)
    database = db(request)
    if await database.fetch_one(sa.select(tables.vendors.c.id).where(tables.vendors.c.id == vendor_id)) is None:
        raise not_found("Vendor", "id")
    values: dict[str, object] = {}
    if "name" in body:
        name = string(body["name"], "name", required=True, max_length=255)
        assert name is not None
        if await _name_taken(request, name, exclude=vendor_id):
            raise ApiError(409, "Vendor with this name already exists", field="name")
        values["name"] = name.lower()
    if "display_name" in body:
        values["display_name"] = string(body["display_name"], "display_name", max_length=255)
    if "active" in body:
        values["active"] = boolean(body["active"], "active")
        if values["active"] is None:
            raise bad_request("active", "active must be true or false")
    set_prompt = "extraction_prompt_id" in body
    prompt_id = uuid_value(body.get("extraction_prompt_id"), "extraction_prompt_id", required=False)
    if not values and not set_prompt:
        raise bad_request("body", "No valid fields to update")
    async with database.transaction():
        if values:
            with unique_or_409("Vendor with this name already exists", "name"):
                await database.execute(tables.vendors.update().where(tables.vendors.c.id == vendor_id).values(**values))
        if set_prompt:
            from app.endpoints.prompts import activate_for_vendor  # noqa: PLC0415 (circular import)

            if prompt_id is not None:
                prompt = await database.fetch_one(
                    sa.select(tables.extraction_prompts.c.vendor_id).where(tables.extraction_prompts.c.id == prompt_id)
                )
                if prompt is None:
                    raise not_found("Prompt", "extraction_prompt_id")
                if str(prompt["vendor_id"]) != vendor_id:
                    raise bad_request("extraction_prompt_id", "extraction_prompt_id must be a prompt of this vendor")
            await activate_for_vendor(database, vendor_id, prompt_id)
    return JSON({"message": "Vendor updated successfully", "vendor": await load_vendor(request, vendor_id)})


@requires("admin")
async def delete_vendor(request: Request) -> JSON:
    """
    summary: Delete a vendor (admin)
    responses:
      200: {description: "{message, vendor_name}"}
      404: {description: Unknown vendor}
      409: {description: The vendor still has invoices or batches}
    """
    vendor_id = path_id(request)
    database = db(request)
    async with database.transaction():
        vendor = await fetch_by_id(database, tables.vendors, vendor_id, "Vendor", "name", lock=True)
        count = await database.fetch_val(
            sa.select(sa.func.count()).select_from(tables.invoices).where(tables.invoices.c.vendor_id == vendor_id)
        )
        if count:
            raise ApiError(
                409,
                f"Cannot delete vendor. {count} invoices are associated with this vendor.",
                canDelete=False,
                invoiceCount=count,
            )
        batches = await database.fetch_val(
            sa.select(sa.func.count())
            .select_from(tables.processing_batches)
            .where(tables.processing_batches.c.vendor_id == vendor_id)
        )
        if batches:
            raise ApiError(409, f"Cannot delete vendor. {batches} batches belong to this vendor.", canDelete=False)
        await database.execute(
            tables.vendors.update().where(tables.vendors.c.id == vendor_id).values(extraction_prompt_id=None)
        )
        await database.execute(tables.vendors.delete().where(tables.vendors.c.id == vendor_id))
    return JSON({"message": "Vendor deleted successfully", "vendor_name": vendor["name"]})
