"""Fast synthetic data for the benchmark: vendors, customers, invoices and line items by COPY.

Columns are checked against the live schema first: a NOT NULL column without a default
that this seeder does not know about stops it with a message naming the column (the
schema belongs to app/migrations and may grow).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import asyncpg

CHARGE_TYPES = ("recurring", "usage", "one_time", "fee", "recurring")
DESCRIPTIONS = (
    "Contact centre seats",
    "Voice minutes (inbound)",
    "Voice minutes (outbound)",
    "Platform fee",
    "Professional services",
    "SMS messages",
    "Recording storage GB",
    "Support plan",
)


async def _required_columns(conn: asyncpg.Connection, table: str) -> set[str]:
    rows = await conn.fetch(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = $1 AND is_nullable = 'NO' "
        "AND column_default IS NULL AND is_identity = 'NO' AND is_generated = 'NEVER'",
        table,
    )
    return {row["column_name"] for row in rows}


async def _existing_columns(conn: asyncpg.Connection, table: str) -> set[str]:
    rows = await conn.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1",
        table,
    )
    return {row["column_name"] for row in rows}


async def _copy(
    conn: asyncpg.Connection, table: str, builders: dict[str, Callable[[dict[str, Any]], Any]], rows: list[dict]
) -> int:
    existing = await _existing_columns(conn, table)
    missing = await _required_columns(conn, table) - set(builders)
    if missing:
        raise RuntimeError(f"bench seeder: table {table} has required column(s) it does not fill: {sorted(missing)}")
    columns = [name for name in builders if name in existing]
    records = [tuple(builders[name](row) for name in columns) for row in rows]
    await conn.copy_records_to_table(table, records=records, columns=columns)
    return len(records)


async def ensure_vendors_and_customers(conn: asyncpg.Connection, vendors: int = 10, customers: int = 200) -> tuple:
    for n in range(vendors):
        await conn.execute(
            "INSERT INTO vendors (name, display_name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            f"bench-vendor-{n}",
            f"Bench Vendor {n}",
        )
    vendor_ids = [row["id"] for row in await conn.fetch("SELECT id FROM vendors ORDER BY name")]
    existing = await conn.fetchval("SELECT count(*) FROM customers")
    if existing < customers:
        rows = [{"n": n} for n in range(existing, customers)]
        await _copy(
            conn,
            "customers",
            {
                "id": lambda r: uuid.uuid4(),
                "name": lambda r: f"Customer {r['n']:04d} Inc.",
                "normalized_name": lambda r: f"customer {r['n']:04d}",
            },
            rows,
        )
    customer_rows = await conn.fetch("SELECT id, name FROM customers ORDER BY normalized_name")
    return vendor_ids, [(row["id"], row["name"]) for row in customer_rows]


async def seed_invoices(url: str, count: int, lines_per_invoice: int = 5, *, start: int = 0, seed: int = 42) -> dict:
    """Insert ``count`` invoices numbered from ``start`` with ``lines_per_invoice`` line items each."""
    rng = random.Random(seed + start)
    conn = await asyncpg.connect(url)
    try:
        vendor_ids, customers = await ensure_vendors_and_customers(conn)
        today = dt.date(2026, 1, 1)
        now = dt.datetime(2026, 1, 1, 12, 0, 0)
        invoices: list[dict[str, Any]] = []
        lines: list[dict[str, Any]] = []
        for n in range(start, start + count):
            invoice_id = uuid.uuid4()
            customer_id, customer_name = customers[n % len(customers)]
            amounts = []
            for line_number in range(1, lines_per_invoice + 1):
                quantity = Decimal(rng.randint(1, 500))
                unit_price = Decimal(rng.randint(5, 20000)) / 100
                subtotal = (quantity * unit_price).quantize(Decimal("0.01"))
                amounts.append(subtotal)
                lines.append(
                    {
                        "invoice_id": invoice_id,
                        "line_number": line_number,
                        "description": DESCRIPTIONS[(n + line_number) % len(DESCRIPTIONS)],
                        "charge_type": CHARGE_TYPES[line_number % len(CHARGE_TYPES)],
                        "quantity": quantity,
                        "unit_price": unit_price,
                        "subtotal": subtotal,
                    }
                )
            subtotal = sum(amounts, Decimal("0"))
            taxes = (subtotal * Decimal("0.08")).quantize(Decimal("0.01"))
            invoice_date = today - dt.timedelta(days=n % 720)
            invoices.append(
                {
                    "id": invoice_id,
                    "n": n,
                    "vendor_id": vendor_ids[n % len(vendor_ids)],
                    "customer_id": customer_id,
                    "customer_name": customer_name,
                    "invoice_date": invoice_date,
                    "subtotal": subtotal,
                    "taxes": taxes,
                    "created_at": now - dt.timedelta(minutes=n),
                }
            )
        invoice_count = await _copy(
            conn,
            "invoices",
            {
                "id": lambda r: r["id"],
                "invoice_number": lambda r: f"BENCH-{r['n']:07d}",
                "vendor_id": lambda r: r["vendor_id"],
                "customer_id": lambda r: r["customer_id"],
                "customer_name": lambda r: r["customer_name"],
                "invoice_date": lambda r: r["invoice_date"],
                "due_date": lambda r: r["invoice_date"] + dt.timedelta(days=30),
                "currency": lambda r: "USD",
                "subtotal": lambda r: r["subtotal"],
                "total_taxes": lambda r: r["taxes"],
                "total_amount": lambda r: r["subtotal"] + r["taxes"],
                "amount_due": lambda r: r["subtotal"] + r["taxes"],
                "line_item_count": lambda r: lines_per_invoice,
                "purchase_order_number": lambda r: f"PO-{r['n'] % 997:04d}",
                "payment_terms": lambda r: "Net 30",
                "file_path": lambda r: f"invoices/bench/{r['id']}.pdf",
                "file_type": lambda r: "pdf",
                "file_hash": lambda r: hashlib.sha256(r["id"].bytes).hexdigest(),
                "file_size": lambda r: 48_000,
                "original_filename": lambda r: f"invoice-{r['n']:07d}.pdf",
                "processing_status": lambda r: ("processed", "approved", "rejected")[r["n"] % 3],
                "confidence_score": lambda r: Decimal("0.92"),
                "created_at": lambda r: r["created_at"],
                "updated_at": lambda r: r["created_at"],
            },
            invoices,
        )
        line_count = await _copy(
            conn,
            "line_items",
            {
                "id": lambda r: uuid.uuid4(),
                "invoice_id": lambda r: r["invoice_id"],
                "line_number": lambda r: r["line_number"],
                "description": lambda r: r["description"],
                "charge_type": lambda r: r["charge_type"],
                "quantity": lambda r: r["quantity"],
                "unit_of_measure": lambda r: "each",
                "unit_price": lambda r: r["unit_price"],
                "subtotal": lambda r: r["subtotal"],
                "total_amount": lambda r: r["subtotal"],
            },
            lines,
        )
        await conn.execute("ANALYZE invoices")
        await conn.execute("ANALYZE line_items")
        return {"invoices": invoice_count, "line_items": line_count}
    finally:
        await conn.close()


async def invoice_ids(url: str, limit: int = 1000) -> list[str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT id FROM invoices ORDER BY random() LIMIT $1", limit)
        return [str(row["id"]) for row in rows]
    finally:
        await conn.close()


async def first_vendor_id(url: str) -> str:
    conn = await asyncpg.connect(url)
    try:
        return str(await conn.fetchval("SELECT id FROM vendors WHERE active ORDER BY name LIMIT 1"))
    finally:
        await conn.close()
