"""Disaster recovery throughput: the toolkit's backup and restore against pg_dump and pg_restore.

    .venv/bin/python -m bench.dr              # a database of at least 1 GiB (about 10-20 minutes)
    .venv/bin/python -m bench.dr --gib 0.1    # a quick run

Everything runs on loopback: a throwaway PostgreSQL 15 (scripts/pg.sh on a free port), the
local AWS endpoint in its own process (python -m tools.localaws on a free port: S3 with versioning and a KMS
key, as the storage role makes them). In the same run, on the same database:

- baseline backups: ``pg_dump --format=custom --compress=6 > /dev/null`` (the issue's baseline:
  pg_dump's own zlib, one core) and ``pg_dump -Fc -Z0 | zstd -T0 -3 > /dev/null`` (the same
  format as the toolkit's zstd dump, by the CLIs);
- the toolkit's backup, for each compression (gzip: pg_dump -Z6; zstd: pg_dump -Z0 compressed by
  multi-threaded zstd in the module): invoice.platform.pg_dump_s3 run by ansible (the dump
  streamed to S3 by multipart upload with SHA-256, SSE-KMS), once with the manifest (row counts
  and content hashes of every table, read in the dump's snapshot) and once without;
- baseline restores: ``pg_restore --jobs=2`` from a local file of the same archive the
  toolkit's restore ends up restoring (the -Z6 archive; for zstd the uncompressed -Z0 one,
  decompression not counted);
- the toolkit's restore: invoice.platform.pg_restore_s3 (download with SHA-256 check, a zstd
  dump decompressed on the way, then the same ``pg_restore --jobs=2``) into a new database.

The archives of the baseline restores are written first, which also reads every table once:
no timed step is the first read after seeding. Throughput is the database size
(pg_database_size) over the seconds each took; the ratios are baseline seconds over the
toolkit's (1.0 = as fast as the bare tool; target >= 0.8): ``backup_ratio`` against the
``-Z6`` baseline, ``backup_ratio_same_format`` against the same format's, ``restore_ratio``
against pg_restore of the same archive; zstd's carry a ``zstd_`` prefix. CPU seconds of each
backup step (this process's children: ansible, the module, pg_dump, zstd; not the PostgreSQL
server's backends) are recorded too: on a loaded machine they move far less than seconds.
Results are printed and written to bench/results/dr-<timestamp>.json with the load average;
exit 0 when the default compression (zstd) meets the target on both ratios.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3

from bench.api import free_port, server_process

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")
BUCKET = "bench-backups"
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def log(message: str) -> None:
    print(f"[bench.dr {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def psql(url: str, sql: str) -> str:
    out = subprocess.run(
        [str(PG_BIN / "psql"), "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


def create_database(base: str, name: str) -> str:
    """A new, empty database ``name`` on the server at ``base`` (a URL without a database); its URL."""
    psql(f"{base}/postgres", f"CREATE DATABASE {name}")
    return f"{base}/{name}"


def versioned_buckets(*names: str) -> None:
    """These buckets on the local endpoint, with versioning on (as the storage role makes them)."""
    s3 = boto3.client("s3")
    for name in names:
        s3.create_bucket(Bucket=name)
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})


def seed(url: str, gib: float) -> int:
    """Tables shaped like the application's (invoices, line items) until the database holds ``gib``."""
    psql(
        url,
        "CREATE TABLE invoices (id bigserial PRIMARY KEY, number text NOT NULL, vendor text, customer text,"
        " total numeric(12,2), status text, raw jsonb, created_at timestamptz DEFAULT now());"
        "CREATE TABLE line_items (id bigserial PRIMARY KEY, invoice_id bigint REFERENCES invoices(id),"
        " description text, quantity int, amount numeric(12,2));",
    )
    batch = 200_000
    done = 0
    while int(psql(url, "SELECT pg_database_size(current_database())")) < gib * 1024**3:
        psql(
            url,
            f"INSERT INTO invoices (number, vendor, customer, total, status, raw)"  # ints only  # nosec B608
            f" SELECT 'INV-' || g, 'vendor ' || (g % 97), md5(g::text), (g % 100000) / 7.0,"
            f" (ARRAY['pending','approved','rejected'])[1 + g % 3],"
            f" jsonb_build_object('lines', g % 7, 'hash', md5((g * 7)::text), 'note', repeat(md5(g::text), 4))"
            f" FROM generate_series({done + 1}, {done + batch}) g;"
            f"INSERT INTO line_items (invoice_id, description, quantity, amount)"
            f" SELECT g / 3 + {done + 1}, 'item ' || md5((g * 13)::text), 1 + g % 9, (g % 5000) / 3.0"
            f" FROM generate_series(0, {3 * batch - 1}) g;",
        )
        done += batch
        log(
            f"seeded {done} invoices: {int(psql(url, 'SELECT pg_database_size(current_database())')) / 1024**2:.0f} MiB"
        )
    psql(url, "VACUUM ANALYZE")
    return int(psql(url, "SELECT pg_database_size(current_database())"))


def timed(cmd: list[str], **kwargs: Any) -> float:
    started = time.monotonic()
    subprocess.run(cmd, check=True, **kwargs)
    return time.monotonic() - started


def module(
    name: str, args: dict[str, Any], env: dict[str, str], *, check: bool = False
) -> tuple[float, dict[str, Any]]:
    """Run invoice.platform.<name> through ansible (as a playbook would; in check mode if asked); (seconds, result)."""
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        json.dump(
            [
                {
                    "hosts": "localhost",
                    "gather_facts": False,
                    "tasks": [{"name": "run", f"invoice.platform.{name}": args, "check_mode": check}],
                }
            ],
            f,
        )
        playbook = f.name
    try:
        started = time.monotonic()
        proc = subprocess.run(
            [
                str(Path(sys.executable).parent / "ansible-playbook"),
                "-i",
                "localhost,",
                "-c",
                "local",
                "-e",
                f"ansible_python_interpreter={sys.executable}",
                playbook,
            ],
            env={**env, "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json", "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")},
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
        )
        seconds = time.monotonic() - started
    finally:
        os.unlink(playbook)
    data = json.loads(proc.stdout[proc.stdout.find("{") :])
    result = data["plays"][0]["tasks"][0]["hosts"]["localhost"]
    if proc.returncode != 0:
        raise RuntimeError(f"{name} failed: {result.get('msg')}")
    return seconds, result


ENDPOINT_PIDS: list[int] = []  # the endpoint local_endpoint runs, while it runs


@contextlib.contextmanager
def local_endpoint(log_path: Path) -> Iterator[str]:
    """``python -m tools.localaws`` on a free port in its own process (as ``make up`` runs it), so
    that its S3 work is a process of its own beside the one measured, not threads of the
    benchmark's; yields its URL, stops it at the end."""
    port = free_port()
    command = [sys.executable, "-m", "tools.localaws", "--port", str(port)]
    with server_process(command, dict(os.environ), log_path, port, "/_localaws/calls") as proc:
        ENDPOINT_PIDS.append(proc.pid)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            ENDPOINT_PIDS.remove(proc.pid)


def endpoint_cpu_seconds() -> float:
    """CPU seconds (user + system) the running local endpoint has used so far: its S3 work shares
    the benchmark's two cores here, which on AWS runs elsewhere."""
    fields = Path(f"/proc/{ENDPOINT_PIDS[-1]}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


@contextlib.contextmanager
def local_services(name: str, results: dict[str, Any]) -> Iterator[tuple[str, dict[str, str]]]:
    """A throwaway PostgreSQL (scripts/pg.sh) and local endpoint (local_endpoint) on free ports for one benchmark.

    Yields (the server's postgresql:// URL without a database, the environment for ansible runs);
    boto3 in this process points at the endpoint too. Records the load average before and after.
    """
    results.update(started=dt.datetime.now(dt.UTC).isoformat(), load_average_before=os.getloadavg())
    port = free_port()
    pg_env = {**os.environ, "PGPORT": str(port), "PGDATA_ROOT": f"/tmp/invoice-bench-{name}-pg-{port}"}  # per port  # nosec B108
    script = str(ROOT / "scripts" / "pg.sh")
    server_url = subprocess.run([script, "start"], env=pg_env, check=True, capture_output=True, text=True)
    base = server_url.stdout.strip().splitlines()[-1].rsplit("/", 1)[0]
    try:
        with local_endpoint(Path(pg_env["PGDATA_ROOT"]) / "localaws.log") as aws_url:
            env = {**os.environ, **AWS_ENV, "AWS_ENDPOINT_URL": aws_url}
            env.pop("AWS_PROFILE", None)
            os.environ.update({**AWS_ENV, "AWS_ENDPOINT_URL": aws_url})
            yield base, env
    finally:
        results["load_average_after"] = os.getloadavg()
        subprocess.run([script, "destroy"], env=pg_env, check=False, capture_output=True)


def write_results(name: str, results: dict[str, Any], output: str | None) -> Path:
    """Write ``results`` as JSON to ``output`` (default bench/results/<name>-<timestamp>.json) and print them."""
    out = Path(output) if output else ROOT / "bench" / "results" / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    width = max(map(len, results))
    for k, v in results.items():
        print(f"{k:<{width}}  {v}")
    print(f"written to {out}")
    return out


ZSTD = "/usr/bin/zstd"
COMPRESSIONS = ("gzip", "zstd")
DEFAULT_COMPRESSION = "zstd"  # roles/backup/defaults/main.yml backup_dump_compression


def children_cpu() -> float:
    """CPU seconds (user + system) of this process's finished children and their descendants:
    a step's CPU cost, which load on a shared machine moves far less than its seconds."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def pg_dump_zstd(source: str, out: Any) -> float:
    """``pg_dump -Fc -Z0 | zstd -T0 -3 > out`` (what pg_dump_s3 compression=zstd stores, by the CLIs); seconds."""
    started = time.monotonic()
    dump = subprocess.Popen([str(PG_BIN / "pg_dump"), "-Fc", "-Z0", "-d", source], stdout=subprocess.PIPE)
    assert dump.stdout is not None
    zstd = subprocess.run([ZSTD, "-q", "-T0", "-3", "-c"], stdin=dump.stdout, stdout=out, check=False)
    dump.stdout.close()
    if dump.wait() or zstd.returncode:
        raise RuntimeError(f"pg_dump | zstd failed: pg_dump {dump.returncode}, zstd {zstd.returncode}")
    return time.monotonic() - started


def pg_restore(base: str, name: str, archive: Path, jobs: int) -> float:
    """``pg_restore --jobs`` of the archive file into a new database ``name``; seconds."""
    target = create_database(base, name)
    argv = [str(PG_BIN / "pg_restore"), "--no-owner", "--no-acl", f"--jobs={jobs}", "-d", target, str(archive)]
    return timed(argv)


def measure(compression: str, *, source: str, base: str, env: dict[str, str], key_id: str, jobs: int) -> dict[str, Any]:
    """The toolkit's backup (without and with the manifest) and restore with this compression."""
    suffix = ".dump.zst" if compression == "zstd" else ".dump"
    args = {"database_url": source, "bucket": BUCKET, "kms_key_id": key_id, "compression": compression}
    out: dict[str, Any] = {}
    log(f"toolkit backup ({compression}): pg_dump_s3 without the manifest")
    cpu, endpoint = children_cpu(), endpoint_cpu_seconds()
    out["backup_seconds_without_manifest"], plain = module(
        "pg_dump_s3", {**args, "key": f"plain-{compression}{suffix}", "manifest": False}, env
    )
    out["cpu_seconds_backup_without_manifest"] = children_cpu() - cpu
    out["endpoint_cpu_seconds_without_manifest"] = endpoint_cpu_seconds() - endpoint
    log(f"toolkit backup ({compression}): pg_dump_s3 with the manifest")
    cpu, endpoint = children_cpu(), endpoint_cpu_seconds()
    out["backup_seconds"], full = module("pg_dump_s3", {**args, "key": f"full-{compression}{suffix}"}, env)
    out["cpu_seconds_backup"] = children_cpu() - cpu
    out["endpoint_cpu_seconds_backup"] = endpoint_cpu_seconds() - endpoint
    log(f"toolkit restore ({compression}): pg_restore_s3 --jobs={jobs}")
    endpoint = endpoint_cpu_seconds()
    out["restore_seconds"], restored = module(
        "pg_restore_s3",
        {
            "database_url": f"{base}/bench_ours_restore_{compression}",
            "bucket": BUCKET,
            "key": f"full-{compression}{suffix}",
            "sha256": full["sha256"],
            "jobs": jobs,
        },
        env,
    )
    out["endpoint_cpu_seconds_restore"] = endpoint_cpu_seconds() - endpoint
    assert restored["compression"] == compression, restored
    out.update(
        dump_mib=full["size"] / 1024**2,
        restore_pg_restore_seconds=restored["restore_seconds"],
        # Inside the modules (without ansible-playbook's start-up, about 2 CPU seconds):
        module_dump_seconds=plain["seconds"],
        module_dump_seconds_with_manifest=full["seconds"],
        module_restore_seconds=restored["seconds"],
    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gib", type=float, default=1.05, help="database size to seed (GiB, default 1.05)")
    parser.add_argument("--jobs", type=int, default=2, help="pg_restore --jobs for every restore")
    parser.add_argument("--output", help="result file (default bench/results/dr-<timestamp>.json)")
    args = parser.parse_args(argv)

    results: dict[str, Any] = {"cpus": os.cpu_count()}
    with local_services("dr", results) as (base, env):
        versioned_buckets(BUCKET)
        key_id = boto3.client("kms").create_key()["KeyMetadata"]["KeyId"]
        source = create_database(base, "bench_source")
        log(f"seeding {args.gib} GiB")
        size = seed(source, args.gib)
        mib = size / 1024**2
        results["database_mib"] = round(mib, 1)
        log(f"database: {mib:.0f} MiB")

        with tempfile.TemporaryDirectory(prefix="bench-dr-") as tmp:
            archives = {"gzip": Path(tmp) / "source.dump", "zstd": Path(tmp) / "source-z0.dump"}
            # The archives the baseline restores use, written first: this also reads every table
            # once, so that no timed step is the first read after seeding.
            log("archives for the baseline restores: pg_dump -Z6, pg_dump -Z0 | zstd, zstd -d")
            with open(archives["gzip"], "wb") as out:
                subprocess.run([str(PG_BIN / "pg_dump"), "-Fc", "-Z6", "-d", source], stdout=out, check=True)
            with open(f"{archives['zstd']}.zst", "wb") as out:
                pg_dump_zstd(source, out)
            unzstd = timed([ZSTD, "-q", "-d", "-f", f"{archives['zstd']}.zst", "-o", str(archives["zstd"])])
            archive_size = archives["zstd"].stat().st_size
            log("baseline backups: pg_dump -Fc -Z6 > /dev/null; pg_dump -Fc -Z0 | zstd -T0 -3 > /dev/null")
            baseline: dict[str, float] = {}
            with open(os.devnull, "wb") as devnull:
                cpu = children_cpu()
                baseline["gzip"] = timed([str(PG_BIN / "pg_dump"), "-Fc", "-Z6", "-d", source], stdout=devnull)
                baseline["gzip_cpu"] = children_cpu() - cpu
                baseline["zstd"] = pg_dump_zstd(source, devnull)
                baseline["zstd_cpu"] = children_cpu() - cpu - baseline["gzip_cpu"]
            for compression in COMPRESSIONS:
                log(f"baseline restore ({compression} archive): pg_restore --jobs={args.jobs}")
                baseline[f"{compression}_restore"] = pg_restore(
                    base, f"bench_base_restore_{compression}", archives[compression], args.jobs
                )
        results.update(
            baseline_backup_seconds=round(baseline["gzip"], 2),
            baseline_backup_cpu_seconds=round(baseline["gzip_cpu"], 2),
            baseline_zstd_backup_seconds=round(baseline["zstd"], 2),
            baseline_zstd_backup_cpu_seconds=round(baseline["zstd_cpu"], 2),
            baseline_restore_seconds=round(baseline["gzip_restore"], 2),
            baseline_zstd_restore_seconds=round(baseline["zstd_restore"], 2),
            zstd_decompress_seconds=round(unzstd, 2),
            # the uncompressed archive (pg_dump -Z0) that a zstd restore decompresses to disk
            archive_mib=round(archive_size / 1024**2, 1),
            baseline_backup_mib_per_s=round(mib / baseline["gzip"], 1),
            baseline_zstd_backup_mib_per_s=round(mib / baseline["zstd"], 1),
        )
        for compression in COMPRESSIONS:
            ours = measure(compression, source=source, base=base, env=env, key_id=key_id, jobs=args.jobs)
            same_backup = baseline[compression]
            ratios = {
                # against the baseline, pg_dump -Fc (zlib -6) > /dev/null
                "backup_ratio_without_manifest": baseline["gzip"] / ours["backup_seconds_without_manifest"],
                "backup_ratio": baseline["gzip"] / ours["backup_seconds"],
                # against the bare tools writing the same format (for gzip, the same baseline)
                "backup_ratio_same_format": same_backup / ours["backup_seconds"],
                # against pg_restore --jobs of the same archive from a local file
                "restore_ratio": baseline[f"{compression}_restore"] / ours["restore_seconds"],
                "backup_mib_per_s": mib / ours["backup_seconds"],
                "restore_mib_per_s": mib / ours["restore_seconds"],
            }
            prefix = "" if compression == "gzip" else "zstd_"  # gzip keeps the names of earlier results
            for name, value in {**ours, **ratios}.items():
                results[prefix + name] = round(value, 3)
    write_results("dr", results, args.output)
    default = "" if DEFAULT_COMPRESSION == "gzip" else "zstd_"
    target = results[default + "backup_ratio"] >= 0.8 and results[default + "restore_ratio"] >= 0.8
    return 0 if target else 1


if __name__ == "__main__":
    raise SystemExit(main())
