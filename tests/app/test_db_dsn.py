"""The migration runner connects with asyncpg itself: the URL's TLS option must be asyncpg's."""

from __future__ import annotations

import pytest

from app.db import asyncpg_dsn
from app.settings import load_settings


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u:p@127.0.0.1:5432/db?ssl=require", "postgresql://u:p@127.0.0.1:5432/db?sslmode=require"),
        ("postgresql://u@h/db", "postgresql://u@h/db"),
        (
            "postgresql://u@h/db?sslmode=verify-full&ssl=require",
            "postgresql://u@h/db?sslmode=verify-full&sslmode=require",
        ),
    ],
)
def test_the_ssl_option_becomes_sslmode(url: str, expected: str) -> None:
    assert asyncpg_dsn(url) == expected


def test_db_sslmode_reaches_asyncpg_as_sslmode() -> None:
    settings = load_settings(
        {"DB_HOST": "127.9.9.9", "DB_USER": "invoice", "DB_PASSWORD": "p@ss", "DB_SSLMODE": "require"}, env_file=None
    )
    assert (
        asyncpg_dsn(str(settings.database_url)) == "postgresql://invoice:p%40ss@127.9.9.9:5432/invoices?sslmode=require"
    )
