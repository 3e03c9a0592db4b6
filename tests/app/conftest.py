"""Fixtures for the API tests: a fresh PostgreSQL database per test (cloned from a migrated
template, ~50 ms), local storage in tmp_path, users of each role and their tokens."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from starlette.testclient import TestClient

from app.auth import hash_password, issue_token
from app.db import migrate
from app.main import create_app
from app.settings import Settings

PASSWORD = "correct horse battery staple"
_counter = itertools.count()


def _with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


async def _admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(_with_db(url, "postgres"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def template_db(pg_url: str) -> Iterator[str]:
    name = f"app_tpl_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(pg_url, f"CREATE DATABASE {name}"))
    asyncio.run(migrate(_with_db(pg_url, name)))
    yield name
    asyncio.run(_admin(pg_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture
def db_url(pg_url: str, template_db: str) -> Iterator[str]:
    name = f"app_t_{uuid.uuid4().hex[:8]}_{next(_counter)}"
    asyncio.run(_admin(pg_url, f"CREATE DATABASE {name} TEMPLATE {template_db}"))
    yield _with_db(pg_url, name)
    asyncio.run(_admin(pg_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    from starlette.datastructures import Secret

    return Settings(
        environment="test",
        database_url=Secret(db_url),
        jwt_secret=Secret("test-secret-" + "x" * 40),
        storage_dir=str(tmp_path / "storage"),
        max_upload_bytes=256 * 1024,
        max_batch_files=5,
        worker_poll_seconds=0.05,
        log_level="WARNING",
    )


async def _fetch(url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


@pytest.fixture
def sql(db_url: str) -> Callable[..., list[asyncpg.Record]]:
    """Run SQL against the test database directly (to check what the API wrote)."""

    def run(query: str, *args: Any) -> list[asyncpg.Record]:
        return asyncio.run(_fetch(db_url, query, *args))

    return run


_HASH = hash_password(PASSWORD)


def seed_users(sql: Callable[..., list[Any]]) -> dict[str, str]:
    """One active user per role (password PASSWORD), through ``sql``; role -> email."""
    out = {}
    for role in ("admin", "reviewer", "viewer"):
        email = f"{role}@example.test"
        sql(
            "INSERT INTO users (email, password_hash, name, role) VALUES ($1, $2, $3, $4)",
            email,
            _HASH,
            role.title(),
            role,
        )
        out[role] = email
    return out


@pytest.fixture
def users(sql: Callable[..., list[asyncpg.Record]]) -> dict[str, str]:
    """One active user per role; returns role -> email."""
    return seed_users(sql)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def login(client: TestClient, email: str, password: str = PASSWORD) -> str:
    response = client.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()["token"]


@pytest.fixture
def auth(client: TestClient, users: dict[str, str], sql: Callable[..., list[asyncpg.Record]], settings: Settings):
    """role -> Authorization headers (tokens issued directly: argon2 verification is slow by design)."""
    headers = {}
    for role, email in users.items():
        row = dict(sql("SELECT id, email, name, role, token_version FROM users WHERE email = $1", email)[0])
        token = issue_token(row, str(settings.jwt_secret), settings.jwt_ttl_seconds)
        headers[role] = {"Authorization": f"Bearer {token}"}
    return headers


@pytest.fixture
def vendor_id(sql: Callable[..., list[asyncpg.Record]]) -> str:
    return str(sql("SELECT id FROM vendors WHERE name = 'genesys'")[0]["id"])


def html_invoice(number: str, customer: str = "Vandelay Industries", total: str = "544.75", extra: str = "") -> bytes:
    """A small invoice page the offline extractor reads (number, customer, lines, totals)."""
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Invoice</title></head><body>
<h1>Initrode Telecom</h1>
<table class="meta">
  <tr><td>Invoice #</td><td>{number}</td></tr>
  <tr><td>Invoice Date</td><td>2024-04-01</td></tr>
  <tr><td>Due Date</td><td>2024-04-21</td></tr>
</table>
<h2>Billed To</h2>
<p>{customer}</p>
<table class="items">
  <tr><th>Description</th><th>Qty</th><th>Unit Price</th><th>Amount</th></tr>
  <tr><td>Business fiber 1 Gbps</td><td>1</td><td>$450.00</td><td>$450.00</td></tr>
  <tr><td>Static IP block /29</td><td>1</td><td>$50.00</td><td>$50.00</td></tr>
</table>
<table class="totals">
  <tr><td>Subtotal</td><td>$500.00</td></tr>
  <tr><td>Tax</td><td>$44.75</td></tr>
  <tr><td>Total</td><td>${total}</td></tr>
</table>{extra}
</body></html>
""".encode()
