"""Database connection and the SQL migration runner.

Migrations are the files ``app/migrations/NNN_name.sql``, applied in order, each in its
own transaction, recorded in ``schema_migrations``. A PostgreSQL advisory lock makes
concurrent runs (several instances starting at once) safe: one applies, the others
wait and then find nothing left to do.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg
from databases import Database
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from app.settings import Settings

log = logging.getLogger("app.db")

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
# Any fixed 64-bit number; identifies this application's migration lock.
ADVISORY_LOCK_KEY = 7_318_044_105


class DatabaseNotConfigured(RuntimeError):
    pass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def database_url(settings: Settings) -> str:
    url = str(settings.database_url)
    if not url:
        raise DatabaseNotConfigured("set DATABASE_URL (or DB_HOST, DB_NAME, DB_USER and DB_PASSWORD)")
    return url


async def _keep_session(connection: asyncpg.Connection) -> None:
    """Pool reset: asyncpg has already rolled back any open transaction; nothing else to undo.

    The API never changes session state (no SET, LISTEN, advisory locks or cursors outside
    a transaction; the migration lock uses its own connection), so the default reset query
    (``RESET ALL; UNLISTEN *; ...``), a round trip on every release, is skipped.
    """


def make_database(settings: Settings) -> Database:
    return Database(
        database_url(settings),
        min_size=settings.db_pool_min,
        max_size=settings.db_pool_max,
        reset=_keep_session,
        server_settings={"plan_cache_mode": settings.db_plan_cache_mode},
    )


# The hot path. GET /api/invoices and GET /api/invoices/{id} are most of the API's traffic;
# through ``databases`` each request spent longer in SQLAlchemy's compiler and in decoding
# and re-encoding rows than in PostgreSQL. So these two endpoints, and only they, run
# statements compiled once (``Query``, which reads SQLAlchemy's private compiler state),
# straight on asyncpg's connection, and the list's body is PostgreSQL's JSON text put
# together as a string (``page_json``). Everything else of this kind stays in this
# section. The benchmark is ``python -m bench`` (bench/README.md, bench/api.py): its
# "GET /api/invoices?limit=50" and "GET /api/invoices/<id>" rows, req/s and CPU ms per
# request, against the bare Starlette baseline of the same run.

_ASYNCPG = PGDialect_asyncpg()


class Query:
    """A Core statement compiled once into asyncpg's SQL (``$1, $2, ...``) for hot paths.

    ``databases`` compiles every statement on every call (milliseconds for a join with
    a JSON aggregate). A ``Query`` is compiled when it is built; values are passed by
    bind parameter name (``sa.bindparam("name")``) and asyncpg prepares each SQL text once
    per connection (its statement cache), so neither SQLAlchemy's compiler nor
    PostgreSQL's planner runs per request. Constant bound values in the statement are
    kept as defaults. Values are passed to asyncpg as they are: use plain Python types.
    """

    __slots__ = ("defaults", "names", "sql")

    def __init__(self, statement: ClauseElement) -> None:
        compiled = statement.compile(dialect=_ASYNCPG)
        if not isinstance(compiled, SQLCompiler):
            raise TypeError(f"Query: {type(statement).__name__} is not a DML or SELECT statement")
        if compiled._bind_processors:
            raise TypeError(f"Query: parameters {sorted(compiled._bind_processors)} need type processing")
        self.sql = str(compiled)
        self.names: tuple[str, ...] = tuple(compiled.positiontup or ())
        self.defaults: dict[str, Any] = {
            name: value
            for name, value in compiled.construct_params(_check=False).items()
            if value is not None or compiled.binds[name].callable is not None
        }

    def args(self, values: Mapping[str, Any]) -> list[Any]:
        try:
            return [values[name] if name in values else self.defaults[name] for name in self.names]
        except KeyError as exc:
            raise KeyError(f"Query: no value for bind parameter {exc.args[0]!r}") from None

    def __repr__(self) -> str:
        return f"Query({self.sql!r})"


async def fetchrow(database: Database, query: Query, values: Mapping[str, Any] | None = None) -> asyncpg.Record | None:
    """One row of a compiled ``Query`` on this task's connection (inside its transaction, if any)."""
    async with database.connection() as connection:
        return await connection.raw_connection.fetchrow(query.sql, *query.args(values or {}))


async def fetchrow_and_rows(
    database: Database, first: Query, then: Query, values: Mapping[str, Any]
) -> tuple[asyncpg.Record | None, list[asyncpg.Record]]:
    """A row of ``first`` and, when there is one, the rows of ``then``: one pool checkout for both."""
    async with database.connection() as connection:
        raw = connection.raw_connection
        row = await raw.fetchrow(first.sql, *first.args(values))
        if row is None:
            return None, []
        return row, await raw.fetch(then.sql, *then.args(values))


async def applied_versions(database: Database) -> set[int]:
    """The migration versions ``schema_migrations`` records (GET /api/health asks on every call)."""
    async with database.connection() as connection:  # asyncpg's statement cache: no parse, no compile
        rows = await connection.raw_connection.fetch("SELECT version FROM schema_migrations")
    return {r["version"] for r in rows}


def page_json(items: str, total: int, limit: int, offset: int) -> str:
    """A list page's body around ``items``, a JSON array PostgreSQL built (not decoded and re-encoded here)."""
    return (
        f'{{"invoices":{items},"total":{total},'
        f'"pagination":{{"limit":{limit},"offset":{offset},"page":{offset // limit + 1},"total":{total}}}}}'
    )


def load_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        match = MIGRATION_NAME.match(path.name)
        if not match:
            raise ValueError(f"migration file name {path.name!r} does not match NNN_name.sql")
        migrations.append(Migration(int(match.group(1)), path.stem, path.read_text(encoding="utf-8")))
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions):
        raise ValueError("two migration files share a version number")
    return migrations


def asyncpg_dsn(url: str) -> str:
    """``url`` (a ``databases`` URL) as asyncpg's own DSN.

    ``databases`` reads TLS from an ``ssl`` option (``DB_SSLMODE`` makes ``?ssl=require``);
    asyncpg's DSN calls it ``sslmode`` and sends any option it does not know to the server as
    a setting, which refuses ``ssl`` ("parameter "ssl" cannot be changed now").
    """
    parts = urlsplit(url)
    query = [("sslmode" if key == "ssl" else key, value) for key, value in parse_qsl(parts.query, True)]
    return urlunsplit(parts._replace(query=urlencode(query)))


async def migrate(url: str, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply pending migrations; return the names applied by this call."""
    migrations = load_migrations(directory)
    conn = await asyncpg.connect(asyncpg_dsn(url))
    applied: list[str] = []
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", ADVISORY_LOCK_KEY)
        try:
            await conn.execute(
                """CREATE TABLE IF NOT EXISTS schema_migrations (
                       version INTEGER PRIMARY KEY,
                       name TEXT NOT NULL,
                       checksum CHAR(64) NOT NULL,
                       applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"""
            )
            done = {
                r["version"]: r["checksum"] for r in await conn.fetch("SELECT version, checksum FROM schema_migrations")
            }
            for migration in migrations:
                if migration.version in done:
                    if done[migration.version].strip() != migration.checksum:
                        log.warning("migration %s changed after it was applied", migration.name)
                    continue
                async with conn.transaction():
                    await conn.execute(migration.sql)
                    await conn.execute(
                        "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                        migration.version,
                        migration.name,
                        migration.checksum,
                    )
                log.info("applied migration %s", migration.name)
                applied.append(migration.name)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", ADVISORY_LOCK_KEY)
    finally:
        await conn.close()
    return applied
