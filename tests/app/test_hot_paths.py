"""The fast paths behind the benchmark: compiled list/detail SQL, the trigger-kept invoice
count, the verified-token cache, the pool reset, and the upload buffer."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
import tempfile
import uuid
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from app import auth as auth_module
from app import tables
from app.auth import VerifiedTokens, issue_token
from app.db import Query, fetchrow, make_database
from app.endpoints.invoices import _list_query, list_filters, parse_list_filters
from app.ingest import read_file
from app.responses import ApiError

i = tables.invoices

INSERT_INVOICE = """
INSERT INTO invoices (invoice_number, vendor_id, customer_id, customer_name, purchase_order_number,
                      invoice_date, processing_status, total_amount, file_path, file_type, file_hash,
                      file_size, created_at)
VALUES ($1, $2::uuid, $3::uuid, $4, $5, $6, $7, $8, 'invoices/x.pdf', 'PDF', $9, 100, $10)
RETURNING id
"""


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def varied_invoices(sql, vendor_id) -> list[str]:
    """Eight invoices that differ in every filtered field (vendor, customer, status, dates, text)."""
    other_vendor = str(sql("SELECT id FROM vendors WHERE name = 'five9'")[0]["id"])
    customer = str(
        sql("INSERT INTO customers (name, normalized_name) VALUES ('Globex Corp', 'globex corp') RETURNING id")[0]["id"]
    )
    rows = [
        ("G-1", vendor_id, None, "Vandelay", "PO-1", dt.date(2024, 1, 5), "processed", "10.50"),
        ("G-2", vendor_id, customer, None, "PO-2", dt.date(2024, 2, 5), "approved", "20.00"),
        ("F-3", other_vendor, customer, None, None, dt.date(2024, 3, 5), "rejected", "30.00"),
        ("F-4", other_vendor, None, "Initech 100%", "PO_4", dt.date(2024, 4, 5), "processed", "40.00"),
        ("G-5", vendor_id, None, "Initech", "PO-5", None, "pending", None),
        ("G-6", vendor_id, None, "Acme_Ltd", "X", dt.date(2024, 6, 5), "failed", "60.00"),
        ("F-7", other_vendor, customer, None, "PO-7", dt.date(2024, 7, 5), "approved", "70.00"),
        ("G-8", vendor_id, None, "Soylent", "PO-8", dt.date(2024, 8, 5), "processed", "80.00"),
    ]
    ids = []
    for n, (number, vendor, cust, name, po, date, status, total) in enumerate(rows):
        created = dt.datetime(2026, 1, 1, 12, 0) + dt.timedelta(minutes=n)
        record = sql(
            INSERT_INVOICE,
            number,
            vendor,
            cust,
            name,
            po,
            date,
            status,
            total and Decimal(total),
            _hash(number),
            created,
        )
        ids.append(str(record[0]["id"]))
    sql("UPDATE invoices SET created_at = localtimestamp WHERE invoice_number = 'G-8'")  # for date_range
    batch = "00000000-0000-4000-8000-0000abcdef12"
    sql(
        "INSERT INTO processing_batches (id, vendor_id, created_at) VALUES ($1::uuid, $2::uuid, '2024-01-05 10:00')",
        batch,
        other_vendor,
    )
    sql("UPDATE invoices SET batch_id = $1::uuid WHERE invoice_number = 'F-3'", batch)
    return ids


QUERIES = [
    "",
    "status=processed",
    "status=approved&vendor_id={vendor}",
    "search=initech",
    "search=100%25",
    "search=po_",
    "search=globex",
    "start_date=2024-02-01&end_date=2024-07-01",
    "start_date=2024-04-05",
    "customer_id={customer}",
    "batch_name=Single%20Upload",
    "batch_name=Batch-2024-1-5-abcdef12",
    "date_range=month",
    "min_total=20&max_total=60",
    "min_total=30.01",
    "max_total=10.5&status=processed",
    "date_range=today&status=processed",
    "limit=3&page=2",
    "limit=2&offset=5&status=processed",
]


def _expected_ids(sql, query: str) -> list[str]:
    """The same filters through the SQLAlchemy path (values bound in the statement), executed directly."""
    from urllib.parse import parse_qsl

    params = dict(parse_qsl(query, keep_blank_values=True))
    where, need_customers = list_filters(params)
    source = i.outerjoin(tables.customers, i.c.customer_id == tables.customers.c.id) if need_customers else i
    statement = sa.select(i.c.id).select_from(source).where(*where).order_by(i.c.created_at.desc(), i.c.id.desc())
    text = str(statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    return [str(r["id"]) for r in sql(text)]


@pytest.mark.parametrize("template", QUERIES)
def test_list_cached_statements_bind_the_right_values(client, auth, sql, vendor_id, varied_invoices, template):  # noqa: PLR0917 (pytest fixtures and parameters)
    customer = str(sql("SELECT id FROM customers WHERE normalized_name = 'globex corp'")[0]["id"])
    query = template.format(vendor=vendor_id, customer=customer)
    response = client.get(f"/api/invoices?{query}", headers=auth["viewer"])
    assert response.status_code == 200, response.text
    body = response.json()
    expected = _expected_ids(sql, query)
    limit, offset = body["pagination"]["limit"], body["pagination"]["offset"]
    assert body["total"] == len(expected)
    assert [inv["id"] for inv in body["invoices"]] == expected[offset : offset + limit]


def test_same_shape_with_other_values_reuses_the_statement(client, auth, varied_invoices):
    _list_query.cache_clear()
    numbers = {}
    for status in ("processed", "approved", "rejected", "pending"):
        body = client.get(f"/api/invoices?status={status}", headers=auth["viewer"]).json()
        numbers[status] = sorted(inv["invoice_number"] for inv in body["invoices"])
    assert numbers == {
        "processed": ["F-4", "G-1", "G-8"],
        "approved": ["F-7", "G-2"],
        "rejected": ["F-3"],
        "pending": ["G-5"],
    }
    assert _list_query.cache_info().misses == 1 and _list_query.cache_info().hits == 3


def test_amount_range_is_inclusive_and_skips_invoices_without_a_total(client, auth, varied_invoices):
    def numbers(query: str) -> list[str]:
        response = client.get(f"/api/invoices?{query}&sort=invoice_number", headers=auth["viewer"])
        assert response.status_code == 200, response.text
        return [inv["invoice_number"] for inv in response.json()["invoices"]]

    assert numbers("min_total=20&max_total=60") == ["F-3", "F-4", "G-2", "G-6"]
    assert numbers("min_total=70") == ["F-7", "G-8"]
    assert numbers("max_total=10.50") == ["G-1"]
    assert numbers("max_total=10.49") == []
    assert numbers("min_total=-5&max_total=-5") == []
    assert numbers("min_total=20&max_total=20") == ["G-2"]  # min equal to max is one value
    assert "G-5" not in numbers("min_total=-9999999999.99")  # no total: never in a range


def test_bad_batch_date_is_a_400_not_a_500(client, auth):
    response = client.get("/api/invoices?batch_name=Batch-2024-13-45-abcdef12", headers=auth["viewer"])
    assert response.status_code == 400 and response.json()["field"] == "batch_name"
    with pytest.raises(ApiError, match="batch_name"):
        parse_list_filters({"batch_name": ["not", "a", "string"]})


def test_detail_keeps_every_column_and_json_types(client, auth, sql, varied_invoices):
    invoice_id = varied_invoices[1]
    sql(
        "INSERT INTO line_items (invoice_id, line_number, description, quantity, unit_price, total_amount) "
        "VALUES ($1::uuid, 2, 'second', 1.5, 2.25, 3.38), ($1::uuid, 1, 'first', 2, 1, 2)",
        invoice_id,
    )
    sql("UPDATE invoices SET extraction_warnings = '[\"low contrast\"]' WHERE id = $1::uuid", invoice_id)
    invoice = client.get(f"/api/invoices/{invoice_id}", headers=auth["viewer"]).json()["invoice"]
    hidden = {"file_path", "file_hash"}
    expected_keys = {col.name for col in i.c} - hidden
    expected_keys |= {"vendor_name", "vendor_display_name", "extracted_customer_name", "batch_name"}
    expected_keys |= {"line_items", "file_url"}
    assert set(invoice) == expected_keys
    assert invoice["id"] == invoice_id and invoice["customer_name"] == "Globex Corp"
    assert invoice["extracted_customer_name"] is None and invoice["batch_name"] == "Single Upload"
    assert invoice["total_amount"] == 20 and invoice["invoice_date"] == "2024-02-05"
    assert invoice["created_at"] == "2026-01-01T12:01:00" and invoice["extraction_warnings"] == ["low contrast"]
    assert [li["description"] for li in invoice["line_items"]] == ["first", "second"]
    second = invoice["line_items"][1]
    assert second["quantity"] == 1.5 and second["unit_price"] == 2.25 and second["invoice_id"] == invoice_id
    assert set(second) == {col.name for col in tables.line_items.c}


async def _counts(url: str) -> tuple[int, int]:
    conn = await asyncpg.connect(url)
    try:
        row = await conn.fetchrow(
            "SELECT (SELECT sum(n) FROM invoice_counts) AS kept, (SELECT count(*) FROM invoices) AS n"
        )
        return int(row["kept"]), int(row["n"])
    finally:
        await conn.close()


async def _count_scenario(url: str, vendor_id: str) -> list[tuple[str, int, int]]:
    seen = []
    conn = await asyncpg.connect(url)
    other = await asyncpg.connect(url)

    async def check(label: str) -> None:
        kept, n = await _counts(url)
        seen.append((label, kept, n))

    def args(number: str) -> tuple[Any, ...]:
        return (number, vendor_id, None, None, None, None, "processed", None, _hash(number), dt.datetime(2026, 1, 1))

    try:
        await check("start")
        await conn.execute(INSERT_INVOICE, *args("C-1"))
        await other.execute(INSERT_INVOICE, *args("C-2"))
        await check("two backends inserted")
        async with conn.transaction():
            await conn.execute(INSERT_INVOICE, *args("C-3"))
            await check("uncommitted insert (other sessions)")
        await check("committed")
        tx = conn.transaction()
        await tx.start()
        await conn.execute(INSERT_INVOICE, *args("C-4"))
        await tx.rollback()
        await check("rolled back")
        await other.execute("DELETE FROM invoices WHERE invoice_number = 'C-1'")
        await check("deleted on another backend")
        records = [
            (uuid.uuid4(), vendor_id, "invoices/y.pdf", "PDF", _hash(f"copy-{n}"), 1, dt.datetime(2026, 1, 1))
            for n in range(25)
        ]
        columns = ["id", "vendor_id", "file_path", "file_type", "file_hash", "file_size", "created_at"]
        await conn.copy_records_to_table("invoices", records=records, columns=columns)
        await check("COPY")
        await conn.execute("TRUNCATE invoices CASCADE")
        await check("TRUNCATE")
        await conn.execute(INSERT_INVOICE, *args("C-5"))
        await check("after TRUNCATE")
    finally:
        await conn.close()
        await other.close()
    return seen


def test_invoice_count_follows_every_kind_of_write(db_url, vendor_id):
    seen = asyncio.run(_count_scenario(db_url, vendor_id))
    assert [label for label, _, _ in seen][-1] == "after TRUNCATE"
    for label, kept, actual in seen:
        assert kept == actual, label
    assert [kept for _, kept, _ in seen] == [0, 2, 2, 3, 3, 2, 27, 0, 1]


def test_unfiltered_total_follows_api_writes(client, auth, varied_invoices):
    assert client.get("/api/invoices", headers=auth["viewer"]).json()["total"] == 8
    assert client.delete(f"/api/invoices/{varied_invoices[0]}", headers=auth["reviewer"]).status_code == 200
    body = client.get("/api/invoices?limit=1", headers=auth["viewer"]).json()
    assert body["total"] == 7 and body["pagination"]["total"] == 7


def test_query_needs_every_value_and_keeps_constants():
    query = Query(
        sa.select(i.c.id).where(i.c.vendor_id == sa.bindparam("vendor"), i.c.processing_status == "approved").limit(5)
    )
    assert query.sql.count("$") == 3
    values = dict(zip(query.names, query.args({"vendor": "v-1"}), strict=True))
    assert values == {"vendor": "v-1", "processing_status_1": "approved", "param_1": 5}
    with pytest.raises(KeyError, match="vendor"):
        query.args({})
    with pytest.raises(TypeError, match="not a DML or SELECT"):
        Query(sa.schema.CreateTable(tables.invoice_counts))


async def _released_connections_are_clean(url: str) -> tuple[bool, int]:
    from starlette.datastructures import Secret

    from app.settings import Settings

    database = make_database(Settings(database_url=Secret(url), db_pool_min=1, db_pool_max=1))
    await database.connect()
    try:
        probe = Query(sa.select(sa.func.pg_backend_pid()))
        first = await fetchrow(database, probe)
        # a transaction left open is rolled back when the connection goes back to the pool
        async with database.connection() as connection:
            await connection.raw_connection.execute("BEGIN; INSERT INTO vendors (name) VALUES ('rolled-back')")
        reused = await fetchrow(database, probe)
        assert first is not None and reused is not None
        survivors = await database.fetch_val("SELECT count(*) FROM vendors WHERE name = 'rolled-back'")
        return first[0] == reused[0], survivors
    finally:
        await database.disconnect()


def test_pool_reuses_connections_without_leaking_transactions(db_url):
    same_connection, survivors = asyncio.run(_released_connections_are_clean(db_url))
    assert same_connection and survivors == 0


def test_verified_tokens_are_checked_once_and_expire(monkeypatch):
    secret = "s" * 40
    user = {"id": str(uuid.uuid4()), "email": "a@example.test", "name": "A", "role": "viewer", "token_version": 0}
    token = issue_token(user, secret, ttl_seconds=60)
    calls = []
    real_decode = auth_module.decode_token
    monkeypatch.setattr(auth_module, "decode_token", lambda t, s: calls.append(t) or real_decode(t, s))
    tokens = VerifiedTokens(size=2)
    assert tokens.get(token, secret)["sub"] == user["id"]
    assert tokens.get(token, secret)["sub"] == user["id"]
    assert calls == [token]
    assert tokens.get(token + "x", secret) is None  # bad signature
    assert tokens.get(issue_token(user, "other" * 10, 60), secret) is None
    assert tokens.get(issue_token({**user, "id": "not-a-uuid"}, secret, 60), secret) is None
    later = auth_module.time.time() + 61
    monkeypatch.setattr(auth_module.time, "time", lambda: later)
    assert tokens.get(token, secret) is None  # expired, although cached
    assert calls.count(token) == 1


def test_expired_token_is_refused_by_the_api_after_it_was_accepted(client, auth, monkeypatch):
    assert client.get("/api/invoices", headers=auth["viewer"]).status_code == 200
    later = auth_module.time.time() + 9 * 3600
    monkeypatch.setattr(auth_module.time, "time", lambda: later)
    response = client.get("/api/invoices", headers=auth["viewer"])
    assert response.status_code == 401 and response.json()["error"] == "Invalid or expired token"


@pytest.mark.parametrize("size", [1, 1000, 3 * 1024 * 1024 + 7])
def test_read_file_fills_one_buffer_exactly(size):
    data = bytes(range(256)) * (size // 256) + bytes(size % 256)
    with tempfile.SpooledTemporaryFile(max_size=1024 * 1024) as spooled:
        spooled.write(data)
        spooled.seek(10)
        buffer = read_file(spooled, size)
        assert isinstance(buffer, bytearray) and buffer == data and spooled.tell() == 0


def test_read_file_refuses_a_short_file():
    with pytest.raises(OSError, match="ended after 3 of 10 bytes"):
        read_file(io.BytesIO(b"abc"), 10)


async def _plan_cache_mode(url: str, mode: str) -> str:
    from starlette.datastructures import Secret

    from app.settings import Settings

    database = make_database(Settings(database_url=Secret(url), db_plan_cache_mode=mode))
    await database.connect()
    try:
        row = await fetchrow(database, Query(sa.select(sa.func.current_setting("plan_cache_mode"))))
        assert row is not None
        return row[0]
    finally:
        await database.disconnect()


@pytest.mark.parametrize("mode", ["force_generic_plan", "auto"])
def test_pool_connections_use_the_configured_plan_cache_mode(db_url, mode):
    assert asyncio.run(_plan_cache_mode(db_url, mode)) == mode


def test_plan_cache_mode_setting_is_checked():
    from app.settings import SettingsError, load_settings

    assert load_settings({}, env_file=None).db_plan_cache_mode == "force_generic_plan"
    assert load_settings({"DB_PLAN_CACHE_MODE": "AUTO"}, env_file=None).db_plan_cache_mode == "auto"
    with pytest.raises(SettingsError, match="DB_PLAN_CACHE_MODE"):
        load_settings({"DB_PLAN_CACHE_MODE": "sometimes"}, env_file=None)


def test_startup_objects_are_frozen_while_the_app_runs(settings):
    import gc

    from starlette.testclient import TestClient

    from app.main import create_app

    with TestClient(create_app(settings)) as client:
        assert gc.get_freeze_count() > 1000
        assert client.get("/api/health").status_code == 200
    assert gc.get_freeze_count() == 0


def test_s3_get_bytes_reads_into_one_buffer(localaws):
    import os

    import boto3

    from app.storage import S3Storage

    boto3.client("s3").create_bucket(Bucket="hot-paths")
    storage = S3Storage("hot-paths")
    data = os.urandom(2_500_000)  # several reads of the body

    async def run() -> bytes | bytearray:
        await storage.put_file("invoices/v/big.pdf", io.BytesIO(data), "application/pdf")
        return await storage.get_bytes("invoices/v/big.pdf")

    got = asyncio.run(run())
    assert isinstance(got, bytearray) and got == data


def test_s3_body_shorter_than_its_length_is_an_error():
    from app.storage import StorageError, _read_body

    class Body(io.BytesIO):
        closed_by_reader = False

        def close(self) -> None:
            Body.closed_by_reader = True
            super().close()

    with pytest.raises(StorageError, match="ended after 3 of 10 bytes"):
        _read_body({"Body": Body(b"abc"), "ContentLength": 10}, "invoices/v/x.pdf")
    assert Body.closed_by_reader
    assert _read_body({"Body": io.BytesIO(b"abc")}, "k") == b"abc"  # no length: read() as before
