"""Fixtures of the disaster recovery module tests: scratch databases on the session's PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import asyncpg
import pytest

from tests.app.conftest import _admin, _with_db


@pytest.fixture
def two_databases(pg_url: str) -> Iterator[tuple[str, str]]:
    names = [f"dr_m_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    for name in names:
        asyncio.run(_admin(pg_url, f"CREATE DATABASE {name}"))
    yield _with_db(pg_url, names[0]), _with_db(pg_url, names[1])
    for name in names:
        asyncio.run(_admin(pg_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def run_sql(url: str, sql: str) -> None:
    async def go() -> None:
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(go())
