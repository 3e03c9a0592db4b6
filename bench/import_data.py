"""Import throughput: invoice.platform.import_data against pg_dump | psql and a raw S3 upload.

    .venv/bin/python -m bench.import_data                    # 10,000 invoices x 5 line items + files
    .venv/bin/python -m bench.import_data --invoices 2000    # a quick run

Everything runs on loopback: a throwaway PostgreSQL 15 (scripts/pg.sh on a free port) and the
local AWS endpoint in this process (tools.localaws on a free port). The source is the original
application's schema filled by tests/fixtures/original_app.py (no broken rows); the target is
our schema (the API's migrations) in another database of the same cluster; the files bucket is
versioned, as the storage role makes it. In the same run:

- the import: invoice.platform.import_data run by ansible (as the playbook runs it): dry run
  (--check), import, second run (no-op);
- baseline rows: ``pg_dump --data-only`` of the same source tables piped into ``psql`` on a copy
  of the original schema (the copy the migration plan suggested, which maps nothing);
- baseline files: the same files uploaded with boto3 ``put_object`` by as many threads as the
  module uses, with no checksum and no read-back.

Invoices per second and MiB/s of files; the ratio is the baselines' seconds (rows + files) over
the import's. Results are printed and written to bench/results/import-<timestamp>.json with the
load average.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
import boto3

from app.db import migrate
from bench.dr import PG_BIN, create_database, local_services, versioned_buckets, write_results
from bench.dr import module as run_module
from tests.fixtures import original_app

BUCKET = "bench-import-files"
RAW_BUCKET = "bench-raw-files"
TABLES = ("vendors", "extraction_prompts", "customers", "processing_batches", "invoices", "line_items", "batch_files")


def log(message: str) -> None:
    print(f"[bench.import_data {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


async def _fill(url: str, uploads: Path, invoices: int, line_items: int, file_size: int) -> original_app.Dataset:
    conn = await asyncpg.connect(url)
    try:
        await original_app.create_schema(conn)
        return await original_app.fill(
            conn, uploads, invoices=invoices, line_items=line_items, file_size=file_size, broken=False
        )
    finally:
        await conn.close()


async def _schema_only(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await original_app.create_schema(conn)
    finally:
        await conn.close()


def raw_upload(files: list[Path], threads: int) -> float:
    s3 = boto3.client("s3")

    def put(path: Path) -> None:
        with path.open("rb") as body:
            s3.put_object(Bucket=RAW_BUCKET, Key=f"raw/{path.name}", Body=body, ContentType="application/pdf")

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(put, files))
    return time.monotonic() - started


def module(args: dict[str, Any], env: dict[str, str], *, check: bool = False) -> tuple[float, dict[str, Any]]:
    """Run invoice.platform.import_data through ansible (as the playbook does); (seconds, result)."""
    return run_module("import_data", args, env, check=check)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--invoices", type=int, default=10_000, help="invoices in the source (default 10000)")
    parser.add_argument("--line-items", type=int, default=5, help="line items per invoice (default 5)")
    parser.add_argument("--file-size", type=int, default=8192, help="smallest file in bytes (files are 1-2x this)")
    parser.add_argument("--batch-size", type=int, default=200, help="the module's batch_size")
    parser.add_argument("--threads", type=int, default=8, help="upload_concurrency (and the raw upload's threads)")
    parser.add_argument("--output", help="result file (default bench/results/import-<timestamp>.json)")
    args = parser.parse_args(argv)

    results: dict[str, Any] = {}
    with local_services("import", results) as (base, env):
        versioned_buckets(BUCKET, RAW_BUCKET)
        source, target, baseline = (
            create_database(base, name) for name in ("bench_original", "bench_target", "bench_baseline")
        )
        asyncio.run(migrate(target))
        asyncio.run(_schema_only(baseline))
        with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
            uploads = Path(tmp) / "uploads"
            log(f"seeding {args.invoices} invoices x {args.line_items} line items with their files")
            data = asyncio.run(_fill(source, uploads, args.invoices, args.line_items, args.file_size))
            mib = data.file_bytes / 1024**2
            results.update(invoices=len(data.invoices), line_items=args.invoices * args.line_items)
            results["file_mib"] = round(mib, 1)

            log("baseline rows: pg_dump --data-only | psql")
            started = time.monotonic()
            dump = subprocess.Popen(  # argv only, no shell  # nosec B603
                [str(PG_BIN / "pg_dump"), "--data-only", *[f"--table={t}" for t in TABLES], "-d", source],
                stdout=subprocess.PIPE,
            )
            subprocess.run(
                [str(PG_BIN / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", baseline],
                stdin=dump.stdout,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            if dump.wait() != 0:
                raise RuntimeError("pg_dump failed")
            base_rows = time.monotonic() - started
            log("baseline files: raw put_object")
            files = sorted(p for p in uploads.rglob("*.pdf") if p.is_file())
            base_files = raw_upload(files, args.threads)

            params = {
                "source_database_url": source,
                "uploads_dir": str(uploads),
                "database_url": target,
                "bucket": BUCKET,
                "batch_size": args.batch_size,
                "upload_concurrency": args.threads,
            }
            log("import --check (dry run)")
            dry_seconds, _ = module(params, env, check=True)
            log("import")
            seconds, result = module(params, env)
            report = result["report"]
            if report["tables"]["invoices"]["imported"] != len(data.invoices):
                raise RuntimeError(f"imported {report['tables']['invoices']['imported']} of {len(data.invoices)}")
            log("import again (no-op)")
            noop_seconds, again = module(params, env)
            if again["changed"]:
                raise RuntimeError("the second import changed something")
        results.update(
            baseline_rows_seconds=round(base_rows, 2),
            baseline_files_seconds=round(base_files, 2),
            baseline_invoices_per_s=round(len(data.invoices) / base_rows, 1),
            baseline_files_mib_per_s=round(mib / base_files, 2),
            import_seconds=round(seconds, 2),
            import_module_seconds=report["seconds"],
            import_invoices_per_s=round(len(data.invoices) / seconds, 1),
            import_files_mib_per_s=round(mib / seconds, 2),
            import_upload_phase_mib_per_s=report["file_mb_per_second"],
            dry_run_seconds=round(dry_seconds, 2),
            noop_rerun_seconds=round(noop_seconds, 2),
            ratio=round((base_rows + base_files) / seconds, 3),
            files_verified=report["files"]["verified"],
        )
    write_results("import", results, args.output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
