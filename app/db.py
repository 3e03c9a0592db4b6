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
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from databases import Database

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


def make_database(settings: Settings) -> Database:
    return Database(database_url(settings), min_size=settings.db_pool_min, max_size=settings.db_pool_max)


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


async def migrate(url: str, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply pending migrations; return the names applied by this call."""
    migrations = load_migrations(directory)
    conn = await asyncpg.connect(url)
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


async def pending_migrations(database: Database) -> list[str]:
    """Names of migrations not yet applied (used by the health check)."""
    rows = await database.fetch_all("SELECT version FROM schema_migrations")
    done = {r["version"] for r in rows}
    return [m.name for m in load_migrations() if m.version not in done]
