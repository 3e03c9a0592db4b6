from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from starlette.requests import Request

from app import tables
from app.auth import requires
from app.endpoints.common import db, fetch_by_id, get_one
from app.ingest import normalise_name
from app.responses import JSON, bad_request, not_found, unique_or_409
from app.validation import MAX_OFFSET, boolean, json_body, path_id, query_int, string


def _string_list(value: Any, field: str, *, normalise: bool) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > 100:
        raise bad_request(field, f"{field} must be a list of at most 100 strings")
    out = []
    for index, item in enumerate(value):
        text = string(item, f"{field}[{index}]", required=True, max_length=255)
        assert text is not None
        out.append(normalise_name(text) if normalise else text)
    return sorted(set(out))


def _customer_values(body: dict[str, Any], partial: bool) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if not partial or "name" in body:
        name = string(body.get("name"), "name", required=True, max_length=255)
        assert name is not None
        values["name"] = name
        values["normalized_name"] = normalise_name(name)
        if not values["normalized_name"]:
            raise bad_request("name", "name must contain letters or digits")
    if not partial or "aliases" in body:
        values["aliases"] = _string_list(body.get("aliases"), "aliases", normalise=True)
    if not partial or "account_numbers" in body:
        values["account_numbers"] = _string_list(body.get("account_numbers"), "account_numbers", normalise=False)
    if "active" in body:
        values["active"] = boolean(body["active"], "active", default=True)
    return values


async def list_customers(request: Request) -> JSON:
    """
    summary: List customers (with invoice counts)
    parameters:
      - {name: search, in: query, schema: {type: string, maxLength: 200}}
      - {name: limit, in: query, schema: {type: integer, default: 100, minimum: 1, maximum: 1000}}
      - {name: offset, in: query, schema: {type: integer, default: 0, minimum: 0, maximum: 10000000}}
    responses:
      200: {description: "{customers, total}"}
    """
    limit = query_int(request, "limit", 100, minimum=1, maximum=1000)
    offset = query_int(request, "offset", 0, minimum=0, maximum=MAX_OFFSET)
    where = []
    if search := string(request.query_params.get("search"), "search", max_length=200):
        term = normalise_name(search)
        where.append(
            sa.or_(
                tables.customers.c.normalized_name.contains(term, autoescape=True),
                sa.literal(term) == sa.any_(tables.customers.c.aliases),
            )
        )
    counts = (
        sa.select(tables.invoices.c.customer_id, sa.func.count().label("invoice_count"))
        .group_by(tables.invoices.c.customer_id)
        .subquery()
    )
    query = (
        sa.select(tables.customers, sa.func.coalesce(counts.c.invoice_count, 0).label("invoice_count"))
        .select_from(tables.customers.outerjoin(counts, counts.c.customer_id == tables.customers.c.id))
        .where(*where)
        .order_by(tables.customers.c.name)
        .limit(limit)
        .offset(offset)
    )
    database = db(request)
    records = await database.fetch_all(query)
    total = await database.fetch_val(sa.select(sa.func.count()).select_from(tables.customers).where(*where))
    return JSON({"customers": [dict(r._mapping) for r in records], "total": total})


async def _load(request: Request, customer_id: str) -> dict[str, Any]:
    row = await fetch_by_id(db(request), tables.customers, customer_id, "Customer")
    return dict(row._mapping)


get_customer = get_one("customer", _load, "One customer")


@requires("admin")
async def create_customer(request: Request) -> JSON:
    """
    summary: Create a customer (admin); names and aliases are normalised
    requestBody:
      required: true
      content:
        application/json:
          schema:
            type: object
            required: [name]
            properties:
              name: {type: string, nullable: false, maxLength: 255, pattern: '^[^\\u0000]*[\\w&][^\\u0000]*$'}
              aliases: {type: array, maxItems: 100, items: {type: string, maxLength: 255}}
              account_numbers: {type: array, maxItems: 100, items: {type: string, maxLength: 255}}
              active: {type: boolean}
    responses:
      201: {description: "{customer}"}
      409: {description: A customer with the same normalised name exists}
    """
    values = _customer_values(await json_body(request), partial=False)
    with unique_or_409("A customer with this name already exists", "name"):
        customer_id = await db(request).execute(
            tables.customers.insert().values(**values).returning(tables.customers.c.id)
        )
    return JSON({"message": "Customer created", "customer": await _load(request, str(customer_id))}, status_code=201)


@requires("admin")
async def update_customer(request: Request) -> JSON:
    """
    summary: Update a customer (admin)
    description: Only the fields sent change; at least one of them must be sent.
    requestBody:
      required: true
      content:
        application/json:
          schema:
            type: object
            minProperties: 1
            properties:
              name: {type: string, nullable: false, maxLength: 255, pattern: '^[^\\u0000]*[\\w&][^\\u0000]*$'}
              aliases: {type: array, maxItems: 100, items: {type: string, maxLength: 255}}
              account_numbers: {type: array, maxItems: 100, items: {type: string, maxLength: 255}}
              active: {type: boolean}
    responses:
      200: {description: "{customer}"}
      404: {description: Unknown customer}
      409: {description: Name taken}
    """
    customer_id = path_id(request)
    values = _customer_values(await json_body(request), partial=True)
    if not values:
        raise bad_request("body", "No valid fields to update")
    with unique_or_409("A customer with this name already exists", "name"):
        updated = await db(request).execute(
            tables.customers.update()
            .where(tables.customers.c.id == customer_id)
            .values(**values)
            .returning(tables.customers.c.id)
        )
    if updated is None:
        raise not_found("Customer", "id")
    return JSON({"message": "Customer updated", "customer": await _load(request, customer_id)})


@requires("admin")
async def delete_customer(request: Request) -> JSON:
    """
    summary: Delete a customer (admin); its invoices keep their extracted customer name
    responses:
      200: {description: "{message}"}
      404: {description: Unknown customer}
    """
    customer_id = path_id(request)
    deleted = await db(request).execute(
        tables.customers.delete().where(tables.customers.c.id == customer_id).returning(tables.customers.c.id)
    )
    if deleted is None:
        raise not_found("Customer", "id")
    return JSON({"message": "Customer deleted", "id": customer_id})
