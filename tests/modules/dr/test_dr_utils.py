"""module_utils/dr.py: connection settings, the manifest (on real PostgreSQL), file version plans, streaming to S3."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
import os
import threading
import time
from typing import Any

import asyncpg
import pytest
import zstandard
from ansible_collections.invoice.platform.plugins.module_utils import dr

from tests.modules.dr.conftest import run_sql

UTC = dt.UTC


@pytest.mark.parametrize(
    ("url", "password", "expected"),
    [
        (
            "postgresql://u:p%40ss@h:6543/db",
            None,
            {"host": "h", "port": 6543, "user": "u", "database": "db", "password": "p@ss"},
        ),
        ("postgres://u@h/db?sslmode=require", "secret", {"port": 5432, "password": "secret", "sslmode": "require"}),
        ("postgresql://u:inurl@h/db", "given", {"password": "given"}),
    ],
)
def test_parse_database_url(url: str, password: str | None, expected: dict[str, Any]) -> None:
    settings = dr.parse_database_url(url, password)
    assert {k: settings[k] for k in expected} == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "empty"),
        ("mysql://u:hunter2@h/db", "must start with postgresql://"),
        ("postgresql://h/db", "no user name"),
        ("postgresql://u:hunter2@h", "no database name"),
        ("postgresql://u:hunter2@h:99999/db", "invalid port"),
    ],
)
def test_bad_urls_are_named_without_the_password(url: str, message: str) -> None:
    with pytest.raises(dr.ConnectionSettingsError, match=message) as raised:
        dr.parse_database_url(url)
    assert "hunter2" not in str(raised.value)


def test_libpq_env_carries_the_connection_and_drops_inherited_pg_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGSERVICE", "elsewhere")
    env = dr.libpq_env(dr.parse_database_url("postgresql://u@h:1/db", "pw"), database="other")
    assert {k: env[k] for k in ("PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGPASSWORD")} == {
        "PGHOST": "h",
        "PGPORT": "1",
        "PGUSER": "u",
        "PGDATABASE": "other",
        "PGPASSWORD": "pw",
    }
    assert "PGSERVICE" not in env


SCHEMA = (
    "CREATE TABLE t (id int PRIMARY KEY, v text, s varchar(10) CHECK (s IN ('a', 'b'))); CREATE SCHEMA other;"
    " CREATE TABLE other.u (x int)"
)


def test_manifest_is_order_independent_and_names_what_differs(two_databases: tuple[str, str]) -> None:
    a, b = two_databases
    run_sql(a, SCHEMA + "; INSERT INTO t SELECT g, md5(g::text), 'a' FROM generate_series(1, 500) g")
    run_sql(b, SCHEMA + "; INSERT INTO t SELECT g, md5(g::text), 'a' FROM generate_series(500, 1, -1) g")
    run_sql(b, "UPDATE t SET v = v WHERE id % 7 = 0")  # same rows, another physical order
    ma = dr.read_manifest(dr.parse_database_url(a))
    mb = dr.read_manifest(dr.parse_database_url(b))
    assert ma["tables"] == mb["tables"] and ma["schema_hash"] == mb["schema_hash"]
    assert ma["tables"]["t"]["rows"] == 500 and ma["tables"]["other.u"] == mb["tables"]["other.u"]
    assert dr.compare_manifests(ma, mb) == []

    run_sql(b, "UPDATE t SET v = 'x' WHERE id = 42; INSERT INTO other.u VALUES (1)")
    mb = dr.read_manifest(dr.parse_database_url(b))
    assert dr.compare_manifests(ma, mb) == [
        "table other.u has 1 rows, the backup 0",
        "table t content differs (same 500 rows, different hash)",
    ]
    run_sql(b, "ALTER TABLE t ADD COLUMN w int; DROP TABLE other.u")
    assert dr.compare_manifests(ma, dr.read_manifest(dr.parse_database_url(b)))[:2] == [
        "schema differs (schema hash)",
        "table other.u is missing",
    ]


def test_manifest_matches_a_pg_dump_taken_in_its_exported_snapshot(two_databases: tuple[str, str]) -> None:
    a, _ = two_databases
    run_sql(a, SCHEMA + "; INSERT INTO t SELECT g, 'v', 'b' FROM generate_series(1, 10) g")

    def write_meanwhile(snapshot: str | None) -> str:
        run_sql(a, "INSERT INTO t VALUES (11, 'late', 'a')")  # committed after the snapshot
        return str(snapshot)

    snapshot, manifest = dr.with_exported_snapshot(dr.parse_database_url(a), write_meanwhile)
    assert snapshot and manifest["tables"]["t"]["rows"] == 10
    assert dr.read_manifest(dr.parse_database_url(a))["tables"]["t"]["rows"] == 11


# The content hash of manifests written before "row_hash" existed (MD5 of each row's text
# form), spelled out here independently of dr.TABLE_HASH_SQL.
OLD_MD5_HASH_SQL = (
    "SELECT count(*), coalesce(sum(('x' || left(md5(t::text), 16))::bit(64)::bigint::numeric), 0)::text,"
    " coalesce(sum(('x' || right(md5(t::text), 16))::bit(64)::bigint::numeric), 0)::text FROM {} AS t"
)


def _old_manifest(url: str, tables: list[str]) -> dict[str, Any]:
    async def go() -> dict[str, Any]:
        conn = await asyncpg.connect(url)
        try:
            out = {}
            for name in tables:
                rows, hi, lo = await conn.fetchrow(OLD_MD5_HASH_SQL.format(name))
                out[name] = {"rows": rows, "hash": hashlib.sha256(f"{rows}:{hi}:{lo}".encode()).hexdigest()}
            return out
        finally:
            await conn.close()

    return {"schema_hash": dr.read_manifest(dr.parse_database_url(url))["schema_hash"], "tables": asyncio.run(go())}


def test_manifest_records_its_row_hash_and_verifies_old_md5_manifests(two_databases: tuple[str, str]) -> None:
    a, b = two_databases
    for url in (a, b):
        run_sql(
            url,
            "CREATE TABLE t (id int PRIMARY KEY, v text, n numeric(8,2), j jsonb, at timestamptz);"
            " INSERT INTO t SELECT g, md5(g::text), g / 3.0, jsonb_build_object('g', g), '2026-01-01'::timestamptz"
            " + g * interval '1 minute' FROM generate_series(1, 300) g;"
            " CREATE TABLE geo (id int, p point, doc json); INSERT INTO geo VALUES (1, '(1,2)', '{\"a\": 1}')",
        )
    new = dr.read_manifest(dr.parse_database_url(a))
    # The default algorithm, recorded; a table whose types have no extended hash falls back to md5, and says so.
    assert new["row_hash"] == "hash_record_extended" and "row_hash" not in new["tables"]["t"]
    assert new["tables"]["geo"]["row_hash"] == "md5"
    old = _old_manifest(a, ["t", "geo"])  # no "row_hash" anywhere: the old algorithm
    assert old["tables"]["geo"] == {k: new["tables"]["geo"][k] for k in ("rows", "hash")}
    assert old["tables"]["t"]["hash"] != new["tables"]["t"]["hash"]  # the algorithms really differ
    # Verifying hashes each table the way the compared manifest did: old and new both match b ...
    assert dr.compare_manifests(old, dr.read_manifest(dr.parse_database_url(b), like=old)) == []
    assert dr.compare_manifests(new, dr.read_manifest(dr.parse_database_url(b), like=new)) == []
    # ... and both see one changed value (the old one only because it hashes t with md5 again).
    run_sql(b, "UPDATE t SET n = n + 0.01 WHERE id = 7")
    changed = ["table t content differs (same 300 rows, different hash)"]
    assert dr.compare_manifests(old, dr.read_manifest(dr.parse_database_url(b), like=old)) == changed
    assert dr.compare_manifests(new, dr.read_manifest(dr.parse_database_url(b), like=new)) == changed


def _v(key: str, vid: str, when: int, *, size: int = 1, latest: bool = False, etag: str = "e") -> dict[str, Any]:
    return {
        "Key": key,
        "VersionId": vid,
        "LastModified": dt.datetime(2026, 1, 1, 0, 0, when, tzinfo=UTC),
        "Size": size,
        "ETag": f'"{etag}"',
        "IsLatest": latest,
    }


def test_state_at_follows_versions_and_delete_markers() -> None:
    versions = [_v("a", "a1", 1), _v("a", "a2", 5, latest=True), _v("b", "b1", 2), _v("c", "c1", 6, latest=True)]
    markers = [
        {"Key": "b", "VersionId": "bm", "LastModified": dt.datetime(2026, 1, 1, 0, 0, 4, tzinfo=UTC), "IsLatest": True}
    ]
    now = dr.state_at(versions, markers)
    assert {k: v["VersionId"] for k, v in now.items()} == {"a": "a2", "c": "c1"}
    then = dr.state_at(versions, markers, dt.datetime(2026, 1, 1, 0, 0, 3, tzinfo=UTC))
    assert {k: v["VersionId"] for k, v in then.items()} == {"a": "a1", "b": "b1"}


def test_plan_file_restore_copies_deleted_and_overwritten_and_never_deletes() -> None:
    current = {"a": _v("a", "a2", 5, etag="new"), "same": _v("same", "s2", 5, etag="x"), "new": _v("new", "n1", 5)}
    target = {
        "a": {"version_id": "a1", "size": 1, "etag": "old"},
        "b": {"version_id": "b1", "size": 1},
        "same": {"version_id": "s1", "size": 1, "etag": "x"},
    }
    copies, unchanged = dr.plan_file_restore(
        current, target, lambda k, now, want: now["ETag"].strip('"') == want.get("etag")
    )
    assert copies == [
        {"key": "a", "version_id": "a1", "reason": "overwritten"},
        {"key": "b", "version_id": "b1", "reason": "deleted"},
    ]
    assert unchanged == ["same"]  # copied forward earlier: a new version id, the same bytes


def test_compare_files_names_each_key() -> None:
    backup = {
        "a": {"size": 1, "sha256": "1" * 64},
        "b": {"size": 2, "sha256": "2" * 64},
        "c": {"size": 3, "sha256": "3" * 64},
    }
    now = {"a": {"size": 1, "sha256": "1" * 64}, "b": {"size": 2, "sha256": "9" * 64}, "d": {"size": 1}}
    differences, extra = dr.compare_files(backup, now)
    assert differences == [
        "file b content differs (SHA-256 999999999999..., the backup 222222222222...)",
        "file c is missing",
    ]
    assert extra == ["d"]


def test_backup_ids_newest_first() -> None:
    keys = [
        "backups/db-20260102000000/manifest.json",
        "backups/db-20260103000000/db.dump",
        "backups/db-20260101000000/manifest.json",
        "backups/other-db-20260105000000/manifest.json",
    ]
    assert dr.backup_ids_in(keys, "backups") == ["other-db-20260105000000", "db-20260102000000", "db-20260101000000"]
    assert dr.backup_ids_in(keys, "backups", "db") == ["db-20260102000000", "db-20260101000000"]


@pytest.mark.parametrize("value", ["2026-01-01T00:00:00+02:00", "2026-01-01T00:00:00", "yesterday"])
def test_parse_utc_refuses_what_is_not_utc(value: str) -> None:
    with pytest.raises(ValueError):
        dr.parse_utc(value)


class FakeS3:
    def __init__(self, fail_at_part: int = 0) -> None:
        self.bodies: dict[int, bytes] = {}
        self.aborted = False
        self.fail_at_part = fail_at_part

    def create_multipart_upload(self, **kwargs: Any) -> dict[str, Any]:
        self.extra = kwargs
        return {"UploadId": "u1"}

    def upload_part(self, **kwargs: Any) -> dict[str, Any]:
        if kwargs["PartNumber"] == self.fail_at_part:
            raise RuntimeError("network down")
        self.bodies[kwargs["PartNumber"]] = kwargs["Body"]
        return {"ETag": f"e{kwargs['PartNumber']}"}

    @property
    def parts(self) -> list[bytes]:
        return [self.bodies[n] for n in sorted(self.bodies)]

    def complete_multipart_upload(self, **kwargs: Any) -> dict[str, Any]:
        numbers = list(range(1, len(self.bodies) + 1))
        assert kwargs["MultipartUpload"]["Parts"] == [{"ETag": f"e{n}", "PartNumber": n} for n in numbers]
        self.completed = b"".join(self.parts)
        return {"VersionId": "v1"}

    def abort_multipart_upload(self, **kwargs: Any) -> None:
        self.aborted = True


def test_stream_to_s3_hashes_parts_of_the_minimum_size() -> None:
    data = bytes(range(256)) * (12 * 1024 * 1024 // 256 + 3)
    client = FakeS3()
    size, sha, version = dr.stream_to_s3(
        client, io.BytesIO(data), "b", "k", part_size=1, extra={"ServerSideEncryption": "aws:kms"}
    )
    assert (size, sha, version) == (len(data), hashlib.sha256(data).hexdigest(), "v1")
    assert [len(p) for p in client.parts] == [dr.MIN_PART_SIZE, dr.MIN_PART_SIZE, len(data) - 2 * dr.MIN_PART_SIZE]
    assert client.extra["ServerSideEncryption"] == "aws:kms"


class SlowS3(FakeS3):
    """Parts take a while; counts how many upload at once."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self.now = self.peak = 0

    def upload_part(self, **kwargs: Any) -> dict[str, Any]:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        time.sleep(0.1)
        with self.lock:
            self.now -= 1
        return super().upload_part(**kwargs)


def test_stream_to_s3_uploads_parts_concurrently_but_bounded() -> None:
    data = os.urandom(7 * dr.MIN_PART_SIZE + 123)
    client = SlowS3()
    size, sha, _ = dr.stream_to_s3(client, io.BytesIO(data), "b", "k", part_size=1, extra={}, concurrency=3)
    assert (size, sha) == (len(data), hashlib.sha256(data).hexdigest())
    assert client.completed == data and len(client.bodies) == 8  # parts in their order, whatever order they finished
    assert client.peak == 3  # overlapped, never more than asked


def test_stream_to_s3_aborts_the_upload_on_failure() -> None:
    client = FakeS3(fail_at_part=2)
    with pytest.raises(RuntimeError, match="network down"):
        dr.stream_to_s3(client, io.BytesIO(b"x" * (11 * 1024 * 1024)), "b", "k", part_size=dr.MIN_PART_SIZE, extra={})
    assert client.aborted


def test_download_with_sha256_writes_and_hashes_in_order() -> None:
    data = os.urandom(3 * dr.MIB + 17)
    asked: list[dict[str, Any]] = []

    class Objects:
        def get_object(self, **kwargs: Any) -> dict[str, Any]:
            asked.append(kwargs)
            return {"Body": io.BytesIO(data)}

    dest = io.BytesIO()
    assert dr.download_with_sha256(Objects(), "b", "k", dest, chunk=dr.MIB // 3) == (
        len(data),
        hashlib.sha256(data).hexdigest(),
    )
    assert dest.getvalue() == data
    assert dr.object_sha256(Objects(), "b", "k", "v7") == hashlib.sha256(data).hexdigest()
    assert [a.get("VersionId") for a in asked] == [None, "v7"]


def test_zstd_stream_round_trip_through_s3_parts() -> None:
    """What pg_dump_s3 stores for compression=zstd (the parts are the compressed stream, hashed as
    stored) decompresses on download into the archive again; a cut or foreign stream is named."""
    archive = dr.ARCHIVE_MAGIC + os.urandom(2 * dr.MIB) + b"row\n" * (3 * dr.MIB)
    client = FakeS3()
    size, sha, _ = dr.stream_to_s3(
        client, dr.zstd_compressed(io.BytesIO(archive), 3, 2), "b", "k", part_size=dr.MIN_PART_SIZE, extra={}
    )
    stored = client.completed
    assert stored.startswith(dr.ZSTD_MAGIC) and len(stored) < len(archive) // 2
    assert (size, sha) == (len(stored), hashlib.sha256(stored).hexdigest())

    class Objects:
        def __init__(self, body: bytes) -> None:
            self.body = body

        def get_object(self, **kwargs: Any) -> dict[str, Any]:
            return {"Body": io.BytesIO(self.body)}

    out = io.BytesIO()
    sink = dr.ZstdSink(out)
    assert dr.download_with_sha256(Objects(stored), "b", "k", sink, chunk=dr.MIB) == (size, sha)
    assert sink.complete and out.getvalue() == archive
    cut = dr.ZstdSink(io.BytesIO())
    dr.download_with_sha256(Objects(stored[: len(stored) // 2]), "b", "k", cut)
    assert not cut.complete
    with pytest.raises(ValueError, match=r"not a zstd stream .*: it starts like a pg_dump archive"):
        dr.download_with_sha256(Objects(archive), "b", "k", dr.ZstdSink(io.BytesIO()))
    # the frame carries a checksum of its content: a flipped bit is an error, not other bytes
    damaged = bytearray(stored)
    damaged[len(damaged) // 2] ^= 0x10
    with pytest.raises(ValueError, match=r"a damaged zstd stream .*checksum"):
        dr.download_with_sha256(Objects(bytes(damaged)), "b", "k", dr.ZstdSink(io.BytesIO()))
    # several frames (pzstd, concatenated zstd output), a boundary inside a chunk or between two
    two = stored + zstandard.ZstdCompressor().compress(b"and more")
    for chunk in (7, len(stored), dr.MIB):
        out = io.BytesIO()
        sink = dr.ZstdSink(out)
        dr.download_with_sha256(Objects(two), "b", "k", sink, chunk=chunk)
        assert sink.complete and out.getvalue() == archive + b"and more"
