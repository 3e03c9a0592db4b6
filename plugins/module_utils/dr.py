# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Shared code of the disaster recovery modules (pg_manifest, pg_dump_s3, pg_restore_s3,
s3_files_manifest, s3_restore_versions).

- Connection settings: a PostgreSQL URL (``postgresql://user[:password]@host:port/db``) plus an
  optional separate password become libpq environment variables (``PGHOST``, ``PGPASSWORD``,
  ...) for ``pg_dump``/``pg_restore`` and keyword arguments for asyncpg. A password never goes
  on a command line.
- The manifest of a database: server version, a schema hash and, per table, the row count and
  a content hash that does not depend on row order (computed by the server: the sum of the
  rows' hashes, as two 64-bit halves; the algorithm is recorded, see ROW_HASH).
- The logical dump's compression: C(gzip) is pg_dump's own (zlib inside the custom-format
  archive, one core); C(zstd) is an uncompressed archive (pg_dump -Z0) compressed in the module by
  multi-threaded zstd (python ``zstandard``) and decompressed again while it is downloaded.
- The file manifest of a versioned bucket and the plan that brings a bucket back to it (or to
  a point in time) by copying old versions forward.
"""

from __future__ import annotations

import asyncio
import datetime
import glob
import hashlib
import os
import re
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any
from urllib.parse import unquote, urlsplit

try:
    import asyncpg

    HAS_ASYNCPG = True
except ImportError:  # pragma: no cover - the modules report it with missing_required_lib
    HAS_ASYNCPG = False

try:
    import zstandard

    HAS_ZSTANDARD = True
except ImportError:  # pragma: no cover - the modules report it with missing_required_lib
    HAS_ZSTANDARD = False

MIB = 1024 * 1024
# S3 multipart: every part but the last is at least 5 MiB; at most 10000 parts.
MIN_PART_SIZE = 5 * MIB
# Parts of one multipart upload in flight at once (stream_to_s3).
UPLOAD_CONCURRENCY = 3


class ConnectionSettingsError(ValueError):
    """The database URL is not usable; the message names what is wrong (never the password)."""


def parse_database_url(url: str, password: str | None = None) -> dict[str, Any]:
    """``{host, port, user, database, password}`` from a PostgreSQL URL.

    ``password`` (when given) wins over one in the URL. Raises ConnectionSettingsError naming
    the missing part; the message never contains the password.
    """
    if not url:
        raise ConnectionSettingsError("the database URL is empty")
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ConnectionSettingsError(
            f"the database URL must start with postgresql://, got {parts.scheme or '(none)'}://"
        )
    problems = []
    if not parts.hostname:
        problems.append("no host")
    database = unquote(parts.path.lstrip("/"))
    if not database:
        problems.append("no database name")
    if not parts.username:
        problems.append("no user name")
    if problems:
        raise ConnectionSettingsError("the database URL has " + " and ".join(problems))
    try:
        port = parts.port or 5432
    except ValueError as e:
        raise ConnectionSettingsError("the database URL has an invalid port") from e
    query = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p)
    return {
        "host": parts.hostname,
        "port": port,
        "user": unquote(parts.username or ""),
        "database": database,
        "password": password if password else unquote(parts.password or ""),
        "sslmode": query.get("sslmode", query.get("ssl", "")),
    }


def libpq_env(settings: dict[str, Any], database: str | None = None) -> dict[str, str]:
    """Environment for pg_dump/pg_restore/psql: the connection without any argument."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(
        PGHOST=str(settings["host"]),
        PGPORT=str(settings["port"]),
        PGUSER=str(settings["user"]),
        PGDATABASE=str(database or settings["database"]),
        PGCONNECT_TIMEOUT="10",
    )
    if settings.get("password"):
        env["PGPASSWORD"] = str(settings["password"])
    if settings.get("sslmode"):
        env["PGSSLMODE"] = str(settings["sslmode"])
    return env


def asyncpg_kwargs(settings: dict[str, Any], database: str | None = None) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "host": settings["host"],
        "port": settings["port"],
        "user": settings["user"],
        "database": database or settings["database"],
        "timeout": 10,
    }
    if settings.get("password"):
        kwargs["password"] = settings["password"]
    if settings.get("sslmode") in ("require", "verify-ca", "verify-full"):
        kwargs["ssl"] = settings["sslmode"]
    return kwargs


def describe_target(settings: dict[str, Any], database: str | None = None) -> str:
    """``user@host:port/db`` - what a message may say about a connection (no password)."""
    return f"{settings['user']}@{settings['host']}:{settings['port']}/{database or settings['database']}"


def find_pg_binary(name: str, explicit: str | None = None) -> str | None:
    """``explicit``, else the newest /usr/lib/postgresql/<major>/bin/<name>, else PATH."""
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    candidates = glob.glob(f"/usr/lib/postgresql/*/bin/{name}")

    def major(path: str) -> int:
        found = re.search(r"/postgresql/(\d+)/", path)
        return int(found.group(1)) if found else 0

    candidates.sort(key=major, reverse=True)
    if candidates:
        return candidates[0]
    return shutil.which(name)


# --- the database manifest -------------------------------------------------------------

TABLES_SQL = """
SELECT n.nspname AS schema, c.relname AS name
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
  AND NOT c.relispartition
ORDER BY 1, 2
"""

# Structure, not expression text: PostgreSQL deparses some expressions (IN lists over varchar)
# differently after a dump and restore, so index predicates and CHECK bodies are left out;
# names, kinds, uniqueness and the columns they cover are compared.
SCHEMA_SQL = """
SELECT 'column' AS kind, table_schema || '.' || table_name AS owner,
       column_name || ' ' || data_type || ' ' || coalesce(character_maximum_length::text, '') || ' '
       || is_nullable || ' ' || coalesce(column_default, '') AS def
FROM information_schema.columns WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
UNION ALL
SELECT 'index', n.nspname || '.' || t.relname,
       i.relname || ' ' || x.indisunique::text || ' ' || x.indisprimary::text || ' ' || x.indkey::text
       || ' ' || (x.indpred IS NOT NULL)::text
FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
UNION ALL
SELECT 'constraint', n.nspname || '.' || cl.relname,
       c.conname || ' ' || c.contype::text || ' ' || coalesce(c.conkey::text, '') || ' ' || coalesce(f.relname, '')
FROM pg_constraint c JOIN pg_class cl ON cl.oid = c.conrelid JOIN pg_namespace n ON n.oid = cl.relnamespace
LEFT JOIN pg_class f ON f.oid = c.confrelid
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
ORDER BY 1, 2, 3
"""

# Order-independent content hash of a table: every row hashed, the hashes summed (equal
# multisets of rows give equal sums whatever the physical order), as two 64-bit halves.
# Algorithms (a manifest records its own in "row_hash"; one without the field used "md5"):
# - "hash_record_extended": the server's 64-bit hash of the row's values (the column types'
#   own hash functions, as hash partitioning uses them), with seeds 0 and 1. No text
#   conversion: about four times cheaper than "md5" per row, the reason it is the default.
#   Types without an extended hash function (json, point, xml, ...) make the server refuse
#   it; such a table is hashed with "md5" and its entry says so.
# - "md5": MD5 of the row's text form, its left and right 64 bits.
ROW_HASH = "hash_record_extended"
LEGACY_ROW_HASH = "md5"
TABLE_HASH_SQL = {
    "hash_record_extended": """
SELECT count(*) AS rows,
       coalesce(sum(hash_record_extended(t, 0)), 0)::text AS hi,
       coalesce(sum(hash_record_extended(t, 1)), 0)::text AS lo
FROM {table} AS t
""",
    "md5": """
SELECT count(*) AS rows,
       coalesce(sum(('x' || left(md5(t::text), 16))::bit(64)::bigint::numeric), 0)::text AS hi,
       coalesce(sum(('x' || right(md5(t::text), 16))::bit(64)::bigint::numeric), 0)::text AS lo
FROM {table} AS t
""",
}


def row_hashes_of(manifest: dict[str, Any]) -> dict[str, str]:
    """Table name -> the row hash algorithm ``manifest`` used for it (old manifests: md5)."""
    default = manifest.get("row_hash") or LEGACY_ROW_HASH
    return {name: entry.get("row_hash") or default for name, entry in manifest.get("tables", {}).items()}


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_digest(rows: int, hi: str, lo: str) -> str:
    return hashlib.sha256(f"{rows}:{hi}:{lo}".encode()).hexdigest()


async def table_hash(conn: Any, table: str, algorithm: str) -> tuple[str, Any]:
    """(the algorithm used, the row of TABLE_HASH_SQL) for ``table``; md5 where the types refuse ``algorithm``."""
    if algorithm != LEGACY_ROW_HASH:
        try:
            async with conn.transaction():  # a savepoint: the refusal must not abort the snapshot
                return algorithm, await conn.fetchrow(TABLE_HASH_SQL[algorithm].format(table=table))
        except asyncpg.UndefinedFunctionError:  # "could not identify an extended hash function for type ..."
            pass
    return LEGACY_ROW_HASH, await conn.fetchrow(TABLE_HASH_SQL[LEGACY_ROW_HASH].format(table=table))


async def manifest_in_transaction(conn: Any, row_hashes: dict[str, str] | None = None) -> dict[str, Any]:
    """The manifest, read inside the caller's (repeatable read) transaction on ``conn``.

    ``row_hashes`` (table -> algorithm, see row_hashes_of) hashes those tables the way a
    backup's manifest did, so that they compare; every other table uses ROW_HASH.
    """
    version = await conn.fetchval("SHOW server_version")
    taken_at = await conn.fetchval("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")
    schema = hashlib.sha256()
    for row in await conn.fetch(SCHEMA_SQL):
        schema.update(f"{row['kind']}|{row['owner']}|{row['def']}\n".encode())
    tables: dict[str, dict[str, Any]] = {}
    for t in await conn.fetch(TABLES_SQL):
        qualified = f"{quote_ident(t['schema'])}.{quote_ident(t['name'])}"
        label = t["name"] if t["schema"] == "public" else f"{t['schema']}.{t['name']}"
        algorithm, row = await table_hash(conn, qualified, (row_hashes or {}).get(label, ROW_HASH))
        tables[label] = {"rows": int(row["rows"]), "hash": table_digest(int(row["rows"]), row["hi"], row["lo"])}
        if algorithm != ROW_HASH:
            tables[label]["row_hash"] = algorithm
    manifest = {
        "postgresql_version": str(version),
        "taken_at": str(taken_at),
        "schema_hash": schema.hexdigest(),
        "row_hash": ROW_HASH,
        "tables": tables,
    }
    # The time of the last committed write, when the server tracks commit timestamps
    # (track_commit_timestamp = on); the drill's RPO uses it. A savepoint keeps the error of a
    # server that does not track them from aborting the transaction.
    try:
        async with conn.transaction():
            last = await conn.fetchval(
                "SELECT to_char(timestamp AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
                " FROM pg_last_committed_xact()"
            )
            manifest["last_commit"] = str(last) if last else ""
    except asyncpg.PostgresError:
        manifest["last_commit"] = ""
    return manifest


async def _read_manifest(kwargs: dict[str, Any], row_hashes: dict[str, str] | None) -> dict[str, Any]:
    conn = await asyncpg.connect(**kwargs)
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            return await manifest_in_transaction(conn, row_hashes)
    finally:
        await conn.close()


def read_manifest(settings: dict[str, Any], like: dict[str, Any] | None = None) -> dict[str, Any]:
    """The manifest of the database (one consistent, read-only snapshot of it).

    ``like``: a backup's manifest to compare with; its tables are hashed with the algorithms
    it records (row_hashes_of), so an old manifest verifies as well as a new one.
    """
    return asyncio.run(_read_manifest(asyncpg_kwargs(settings), row_hashes_of(like) if like else None))


async def _manifest_of_snapshot(kwargs: dict[str, Any], snapshot: str) -> dict[str, Any]:
    conn = await asyncpg.connect(**kwargs)
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            await conn.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            return await manifest_in_transaction(conn)
    finally:
        await conn.close()


async def _with_exported_snapshot(
    kwargs: dict[str, Any], work: Callable[[str | None], Any]
) -> tuple[Any, dict[str, Any]]:
    """Run ``work(snapshot_id)`` (in a thread) while a transaction exports its snapshot, and
    read the manifest at the same time on a second connection that imports that snapshot:
    the manifest describes exactly what a ``pg_dump --snapshot=<id>`` run by ``work`` saw,
    and hashing the tables overlaps with the dump instead of following it."""
    conn = await asyncpg.connect(**kwargs)
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            snapshot = await conn.fetchval("SELECT pg_export_snapshot()")
            if not re.fullmatch(r"[0-9A-F-]+", str(snapshot)):
                raise ValueError(f"unexpected snapshot id {snapshot!r}")
            dumped = asyncio.get_running_loop().run_in_executor(None, work, snapshot)
            done, manifest = await asyncio.gather(dumped, _manifest_of_snapshot(kwargs, snapshot))
            return done, manifest
    finally:
        await conn.close()


def with_exported_snapshot(settings: dict[str, Any], work: Callable[[str | None], Any]) -> tuple[Any, dict[str, Any]]:
    return asyncio.run(_with_exported_snapshot(asyncpg_kwargs(settings), work))


def compare_manifests(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """Every difference between two database manifests, one sentence each, naming the table."""
    out = []
    if expected.get("schema_hash") != actual.get("schema_hash"):
        out.append("schema differs (schema hash)")
    want = expected.get("tables", {})
    got = actual.get("tables", {})
    for name in sorted(set(want) | set(got)):
        if name not in got:
            out.append(f"table {name} is missing")
        elif name not in want:
            out.append(f"table {name} is not in the backup")
        elif want[name]["rows"] != got[name]["rows"]:
            out.append(f"table {name} has {got[name]['rows']} rows, the backup {want[name]['rows']}")
        elif want[name]["hash"] != got[name]["hash"]:
            out.append(f"table {name} content differs (same {got[name]['rows']} rows, different hash)")
    return out


# --- streaming to and from S3 ------------------------------------------------------------


def read_chunks(stream: Any, size: int) -> Iterator[bytes]:
    """Chunks of exactly ``size`` bytes from a pipe (the last one shorter)."""
    while True:
        buf = bytearray()
        while len(buf) < size:
            data = stream.read(size - len(buf))
            if not data:
                break
            buf += data
        if not buf:
            return
        yield bytes(buf)
        if len(buf) < size:
            return


# --- compression of the logical dump ------------------------------------------------------

# How a dump is compressed (the object's metadata and tag "compression", the manifest's
# dump.compression). A dump without it is "gzip": written before zstd existed here.
COMPRESSIONS = ("gzip", "zstd")
DEFAULT_COMPRESSION = "gzip"
ARCHIVE_MAGIC = b"PGDMP"  # the start of a pg_dump custom-format archive
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"  # the start of a zstd frame


def zstd_compressed(stream: Any, level: int, threads: int) -> Any:
    """A readable file object of the zstd frame of ``stream`` (read 1 MiB at a time).

    ``threads``: zstd worker threads; 0 is one per logical CPU (as ``zstd -T0``). The
    workers compress while this thread reads, so the writer of ``stream`` keeps going.
    """
    # write_checksum: the frame carries an XXH64 of its content, checked by every decompressor
    # (this module's, the zstd CLI's), since an uncompressed archive (-Z0) has no checksum of its own.
    compressor = zstandard.ZstdCompressor(level=level, threads=threads or -1, write_checksum=True)
    return compressor.stream_reader(stream, read_size=MIB)


class ZstdSink:
    """A writable file object that decompresses a zstd stream into ``dest``: one frame or several
    (as ``pzstd`` or concatenated ``zstd`` output has them); ``complete`` says whether the stream
    so far ends with a whole frame (False: truncated). ``write`` raises ValueError when the data
    is not zstd (naming what it looks like) or is damaged (a frame's checksum does not match)."""

    def __init__(self, dest: Any) -> None:
        self.dest = dest
        self.decompressor = self._frame()
        self.started = False

    @staticmethod
    def _frame() -> Any:
        return zstandard.ZstdDecompressor().decompressobj(write_size=MIB)

    def write(self, data: bytes) -> None:
        while data:
            if self.decompressor.eof:  # the previous frame ended: the next one starts here
                self.decompressor = self._frame()
            try:
                self.dest.write(self.decompressor.decompress(data))
            except zstandard.ZstdError as e:
                if self.started or data.startswith(ZSTD_MAGIC):
                    raise ValueError(f"a damaged zstd stream ({e})") from None
                what = "a pg_dump archive" if data.startswith(ARCHIVE_MAGIC) else "something else"
                raise ValueError(f"not a zstd stream ({e}): it starts like {what}") from None
            self.started = True
            data = self.decompressor.unused_data if self.decompressor.eof else b""

    @property
    def complete(self) -> bool:
        return bool(self.decompressor.eof)


def stream_to_s3(
    client: Any,
    stream: Any,
    bucket: str,
    key: str,
    *,
    part_size: int,
    extra: dict[str, Any],
    progress: Callable[[int], None] | None = None,
    concurrency: int = UPLOAD_CONCURRENCY,
) -> tuple[int, str, str]:
    """Upload ``stream`` to s3://bucket/key by multipart upload, hashing it on the way.

    This thread only reads the stream; a second thread hashes it (in order) and up to
    ``concurrency`` parts upload in threads, so that the writer of the stream (pg_dump) waits
    neither for the hash nor for S3, unless that many parts are in flight (memory:
    ``concurrency`` + 1 parts). Returns (size, sha256 hex, version id). Any error aborts the
    multipart upload (nothing is left half-written) and is raised again.
    """
    part_size = max(part_size, MIN_PART_SIZE)
    upload = client.create_multipart_upload(Bucket=bucket, Key=key, aws_retry=True, **extra)
    upload_id = upload["UploadId"]
    sha = hashlib.sha256()
    size = 0
    etags: dict[int, str] = {}

    def put(number: int, body: bytes) -> None:
        answer = client.upload_part(
            Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=body, aws_retry=True
        )
        etags[number] = answer["ETag"]

    def settle(futures: set[Future[None]], until: Any) -> set[Future[None]]:
        done, pending = wait(futures, return_when=until)
        for future in done:
            future.result()  # a failed part raises here
        return pending

    try:
        with (
            ThreadPoolExecutor(max_workers=max(concurrency, 1), thread_name_prefix="upload-part") as pool,
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="upload-hash") as hasher,  # one: in order
        ):
            in_flight: set[Future[None]] = set()
            try:
                for number, chunk in enumerate(read_chunks(stream, part_size), start=1):
                    hashed = hasher.submit(sha.update, chunk)
                    size += len(chunk)
                    in_flight.add(pool.submit(put, number, chunk))
                    if len(in_flight) >= concurrency:
                        in_flight = settle(in_flight, FIRST_COMPLETED)
                    if progress:
                        progress(size)
                settle(in_flight, ALL_COMPLETED)
                if size:
                    hashed.result()
            except BaseException:
                for future in in_flight:
                    future.cancel()
                raise
        if not etags:  # an empty stream still makes an (empty) object
            put(1, b"")
        parts = [{"ETag": etags[n], "PartNumber": n} for n in sorted(etags)]
        done = client.complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}, aws_retry=True
        )
    except BaseException:
        client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
        raise
    return size, sha.hexdigest(), str(done.get("VersionId") or "")


def download_with_sha256(
    client: Any, bucket: str, key: str, dest: Any, *, chunk: int = 8 * MIB, version_id: str = ""
) -> tuple[int, str]:
    """Copy s3://bucket/key (that version, when given) into the open file ``dest`` (None: only
    hash it); returns (size, sha256 hex).

    A second thread hashes and writes each chunk while the next one arrives (hashing, writing
    and reading the socket all release the GIL); one chunk at a time, so the order is kept.
    """
    args: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if version_id and version_id != "null":
        args["VersionId"] = version_id
    body = client.get_object(aws_retry=True, **args)["Body"]
    sha = hashlib.sha256()
    size = 0

    def consume(data: bytes) -> None:
        sha.update(data)
        if dest is not None:
            dest.write(data)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="download-hash") as pool:
        previous: Future[None] | None = None
        for data in iter(lambda: body.read(chunk), b""):
            if previous is not None:
                previous.result()
            previous = pool.submit(consume, data)
            size += len(data)
        if previous is not None:
            previous.result()
    return size, sha.hexdigest()


def object_sha256(client: Any, bucket: str, key: str, version_id: str) -> str:
    return download_with_sha256(client, bucket, key, None, version_id=version_id)[1]


# --- file versions -----------------------------------------------------------------------


def parse_utc(value: str) -> datetime.datetime:
    """An ISO 8601 time with a UTC designator (Z or +00:00); ValueError otherwise."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    parsed = datetime.datetime.fromisoformat(text)
    if parsed.tzinfo is None or parsed.utcoffset() != datetime.timedelta(0):
        raise ValueError(f"{value!r} is not a UTC time (end it with Z)")
    return parsed


def list_versions(client: Any, bucket: str, prefix: str = "") -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every object version and delete marker of the bucket (under ``prefix``)."""
    versions: list[dict[str, Any]] = []
    markers: list[dict[str, Any]] = []
    paginator = client.get_paginator("list_object_versions")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        versions.extend(page.get("Versions", []))
        markers.extend(page.get("DeleteMarkers", []))
    return versions, markers


def state_at(
    versions: list[dict[str, Any]], markers: list[dict[str, Any]], at: datetime.datetime | None = None
) -> dict[str, dict[str, Any]]:
    """key -> the version that was current at ``at`` (now when None); deleted keys left out."""
    latest: dict[str, tuple[datetime.datetime, bool, dict[str, Any]]] = {}
    for item, is_marker in [(v, False) for v in versions] + [(m, True) for m in markers]:
        when = item["LastModified"]
        if at is not None and when > at:
            continue
        key = item["Key"]
        seen = latest.get(key)
        # IsLatest breaks ties between entries written in the same second.
        if seen is None or when > seen[0] or (when == seen[0] and item.get("IsLatest")):
            latest[key] = (when, is_marker, item)
    return {key: item for key, (_, is_marker, item) in latest.items() if not is_marker}


def plan_file_restore(
    current: dict[str, dict[str, Any]],
    target: dict[str, dict[str, Any]],
    same_content: Callable[[str, dict[str, Any], dict[str, Any]], bool],
) -> tuple[list[dict[str, Any]], list[str]]:
    """What to copy forward so that every key of ``target`` holds its target bytes again.

    ``target``: key -> {"version_id", "size", "etag"?, "sha256"?}; ``current``: key -> the
    current version as list_object_versions lists it. ``same_content(key, current, target)``
    decides when the version ids differ (a version copied forward earlier has a new id and the
    same bytes). Returns (copies, unchanged keys); a copy is {"key", "version_id", "reason"},
    reason "deleted" or "overwritten". Keys that are current but not in ``target`` are left
    alone: nothing is ever deleted.
    """
    copies = []
    unchanged = []
    for key in sorted(target):
        want = target[key]
        now = current.get(key)
        if now is None:
            copies.append({"key": key, "version_id": want["version_id"], "reason": "deleted"})
        elif now["VersionId"] == want["version_id"] or (
            int(now.get("Size", -1)) == int(want.get("size", -2)) and same_content(key, now, want)
        ):
            unchanged.append(key)
        else:
            copies.append({"key": key, "version_id": want["version_id"], "reason": "overwritten"})
    return copies, unchanged


def compare_files(
    expected: dict[str, dict[str, Any]], actual: dict[str, dict[str, Any]]
) -> tuple[list[str], list[str]]:
    """(differences naming each key, keys present that ``expected`` does not hold)."""
    out = []
    for key in sorted(expected):
        want = expected[key]
        got = actual.get(key)
        if got is None:
            out.append(f"file {key} is missing")
        elif int(got["size"]) != int(want["size"]):
            out.append(f"file {key} is {got['size']} bytes, the backup {want['size']}")
        elif want.get("sha256") and got.get("sha256") and got["sha256"] != want["sha256"]:
            out.append(
                f"file {key} content differs (SHA-256 {got['sha256'][:12]}..., the backup {want['sha256'][:12]}...)"
            )
    return out, sorted(set(actual) - set(expected))


def backup_ids_in(keys: list[str], prefix: str, database_identifier: str | None = None) -> list[str]:
    """Backup ids of the ``<prefix>/<id>/manifest.json`` keys, newest first.

    Ids end with their UTC timestamp (``<db>-YYYYmmddHHMMSS``), so newest first is the
    timestamp order, whatever the instance name.
    """
    pattern = re.compile(rf"^{re.escape(prefix)}/([^/]+)/manifest\.json$")
    ids = [m.group(1) for m in map(pattern.match, keys) if m]
    if database_identifier:
        ids = [i for i in ids if re.fullmatch(rf"{re.escape(database_identifier)}-\d{{14}}", i)]

    def stamp(backup_id: str) -> str:
        found = re.search(r"(\d{14})$", backup_id)
        return found.group(1) if found else ""

    return sorted(ids, key=lambda i: (stamp(i), i), reverse=True)
