"""pg_dump_s3 and pg_restore_s3 with each compression, on real PostgreSQL and the local S3.

A zstd dump is a zstd frame of an uncompressed custom-format archive (pg_dump -Z0), recorded as
such (metadata, tag, result); pg_restore_s3 reads that record, decompresses while downloading
and restores it; dumps without the record are gzip (pg_dump's own), as before.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import boto3
import pytest
import zstandard
from ansible_collections.invoice.platform.plugins.module_utils import dr

from tests.modules.dr.conftest import run_sql
from tests.modules.helpers import run_tasks

BUCKET = "dr-dump-tests"
ROWS = 20_000


def dump_task(name: str, url: str, key: str, **args: Any) -> dict[str, Any]:
    return {"name": name, "invoice.platform.pg_dump_s3": {"database_url": url, "bucket": BUCKET, "key": key, **args}}


def restore_task(name: str, url: str, key: str, *, check: bool = False, **args: Any) -> dict[str, Any]:
    return {
        "name": name,
        "invoice.platform.pg_restore_s3": {"database_url": url, "bucket": BUCKET, "key": key, **args},
        "check_mode": check,
    }


@pytest.fixture
def source(localaws: str, two_databases: tuple[str, str]) -> tuple[str, str]:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    run_sql(
        two_databases[0],
        "CREATE TABLE invoices (id int PRIMARY KEY, number text, raw jsonb);"
        f" INSERT INTO invoices SELECT g, 'INV-' || g, jsonb_build_object('h', md5(g::text))"
        f" FROM generate_series(1, {ROWS}) g",
    )
    return two_databases


def tags_of(key: str) -> dict[str, str]:
    tag_set = boto3.client("s3").get_object_tagging(Bucket=BUCKET, Key=key)["TagSet"]
    return {t["Key"]: t["Value"] for t in tag_set}


def test_zstd_and_gzip_dumps_are_recorded_and_restored_in_parallel(source: tuple[str, str]) -> None:
    url, zstd_target = source
    gzip_target = zstd_target + "_gz"  # created by the restore, dropped at the end
    first = run_tasks([dump_task("zstd", url, "b/invoices.dump.zst", compression="zstd", zstd_threads=2)])
    zstd = first.result("zstd")
    run = run_tasks(
        [
            dump_task("zstd again", url, "b/invoices.dump.zst", compression="zstd"),
            dump_task("gzip", url, "b/invoices.dump", manifest=False),
            restore_task("restore zstd check", zstd_target, "b/invoices.dump.zst", jobs=2, check=True),
            restore_task("restore zstd", zstd_target, "b/invoices.dump.zst", sha256=zstd["sha256"], jobs=2),
            restore_task("restore gzip", gzip_target, "b/invoices.dump", compression="gzip", jobs=2),
            {"name": "drop", "invoice.platform.pg_restore_s3": {"database_url": gzip_target, "state": "absent"}},
        ]
    )
    s3 = boto3.client("s3")
    stored = s3.get_object(Bucket=BUCKET, Key="b/invoices.dump.zst")
    body = stored["Body"].read()
    assert zstd["changed"] and zstd["compression"] == "zstd" and zstd["size"] == len(body)
    assert zstd["sha256"] == hashlib.sha256(body).hexdigest()  # of the bytes as stored
    assert body.startswith(dr.ZSTD_MAGIC)
    assert zstandard.ZstdDecompressor().decompressobj().decompress(body).startswith(dr.ARCHIVE_MAGIC)
    assert stored["Metadata"] == {"compression": "zstd"} and stored["ServerSideEncryption"] == "aws:kms"
    assert tags_of("b/invoices.dump.zst") == {"sha256": zstd["sha256"], "size": str(len(body)), "compression": "zstd"}
    again = run.result("zstd again")
    assert not again["changed"] and (again["sha256"], again["compression"]) == (zstd["sha256"], "zstd")

    gzip_body = s3.get_object(Bucket=BUCKET, Key="b/invoices.dump")["Body"].read()
    assert gzip_body.startswith(dr.ARCHIVE_MAGIC) and run.result("gzip")["compression"] == "gzip"
    assert tags_of("b/invoices.dump")["compression"] == "gzip"
    # zstd -3 of the uncompressed archive against pg_dump's zlib -6: the same order of size
    assert len(body) < 2 * len(gzip_body)

    check = run.result("restore zstd check")
    assert check["changed"] and check["compression"] == "zstd" and check["restore_seconds"] == 0.0
    restored = run.result("restore zstd")
    assert restored["compression"] == "zstd" and restored["size"] == len(body)
    assert (
        dr.compare_manifests(
            dr.read_manifest(dr.parse_database_url(url)), dr.read_manifest(dr.parse_database_url(zstd_target))
        )
        == []
    )
    from_gzip = run.result("restore gzip")
    assert from_gzip["compression"] == "gzip" and from_gzip["created_database"] and run.result("drop")["changed"]


def test_dump_written_before_zstd_restores_as_gzip(source: tuple[str, str], tmp_path: Path) -> None:
    """An object with no compression record (an older backup) is pg_dump's custom format, as before."""
    url, target = source
    archive = tmp_path / "old.dump"
    run_tasks([dump_task("gzip", url, "old/invoices.dump", manifest=False)])
    body = boto3.client("s3").get_object(Bucket=BUCKET, Key="old/invoices.dump")["Body"].read()
    archive.write_bytes(body)
    boto3.client("s3").put_object(Bucket=BUCKET, Key="legacy/invoices.dump", Body=body)  # no metadata, no tags
    run = run_tasks([restore_task("restore", target, "legacy/invoices.dump", sha256=hashlib.sha256(body).hexdigest())])
    assert run.result("restore")["compression"] == "gzip"
    assert (
        dr.compare_manifests(
            dr.read_manifest(dr.parse_database_url(url)), dr.read_manifest(dr.parse_database_url(target))
        )
        == []
    )


def put(key: str, body: bytes, compression: str | None) -> None:
    metadata = {"compression": compression} if compression else {}
    boto3.client("s3").put_object(Bucket=BUCKET, Key=key, Body=body, Metadata=metadata)


def test_wrong_or_damaged_compression_fails_before_restoring(source: tuple[str, str]) -> None:
    url, target = source
    run_tasks([dump_task("zstd", url, "w/invoices.dump.zst", compression="zstd", manifest=False)])
    body = boto3.client("s3").get_object(Bucket=BUCKET, Key="w/invoices.dump.zst")["Body"].read()
    put("w/truncated.dump.zst", body[: len(body) // 2], "zstd")
    put("w/unrecorded.dump.zst", body, None)  # a zstd object without its record, restored as gzip
    put("w/plain.dump", b"PGDMP" + bytes(100), "zstd")  # recorded zstd, is not
    cases = {
        "asked gzip, recorded zstd": (
            "w/invoices.dump.zst",
            {"compression": "gzip"},
            "records compression zstd, not gzip; nothing was restored",
        ),
        "truncated": ("w/truncated.dump.zst", {}, "the zstd stream ends before its frame does (truncated)"),
        "damaged, with its sha256": (
            "w/truncated.dump.zst",
            {"sha256": hashlib.sha256(body).hexdigest()},
            "the dump is damaged or not this backup's",
        ),
        "zstd read as gzip": ("w/unrecorded.dump.zst", {}, "(it is a zstd stream: compression=zstd)"),
        "not zstd": ("w/plain.dump", {}, "is not a zstd stream"),
    }
    for name, (key, args, message) in cases.items():
        run = run_tasks([restore_task(name, target, key, **args)], allow_failure=True)
        result = run.result(name)
        assert result.get("failed") and message in result["msg"], (name, result.get("msg"))
    # nothing was restored into the target by any of them
    assert dr.read_manifest(dr.parse_database_url(target))["tables"] == {}
    # the dump side refuses another compression at a key that holds one
    run = run_tasks([dump_task("gzip there", url, "w/invoices.dump.zst", manifest=False)], allow_failure=True)
    assert "already holds a dump compressed with zstd, not gzip" in run.result("gzip there")["msg"]


def test_missing_zstandard_is_named(source: tuple[str, str], tmp_path: Path) -> None:
    url = source[0]
    (tmp_path / "zstandard.py").write_text("raise ImportError('zstandard hidden by this test')\n")
    run = run_tasks(
        [dump_task("dump", url, "m/invoices.dump.zst", compression="zstd", manifest=False)],
        allow_failure=True,
        extra_env={"PYTHONPATH": str(tmp_path)},
    )
    message = run.result("dump")["msg"]
    assert "zstandard (for compression=zstd)" in message and "Failed to import the required Python library" in message
    assert "Contents" not in boto3.client("s3").list_objects_v2(Bucket=BUCKET, Prefix="m/")
