"""API benchmark: throughput and latency of the invoice list and detail, memory of upload and export.

    python -m bench            # full run (about 2-3 minutes)
    python -m bench --quick    # shorter load phases (about 1 minute)

Everything runs on this machine, on loopback: a throwaway PostgreSQL 15 (scripts/pg.sh on
a free port), the API under uvicorn with one worker, a bare Starlette app under the same
uvicorn settings as the baseline, and a bounded load generator (wrk when installed, else
a Python asyncio generator in its own process). Results are printed as a table and
written to bench/results/<timestamp>.json. See bench/README.md for how to read them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import http.client
import json
import os
import platform
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench import loadgen, seed
from bench.memory import CpuMeter, RssSampler, read_status_kb

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
HOST = "127.0.0.1"
BENCH_EMAIL = "bench@example.com"
BUSY_LOAD = 0.5  # 1-minute load average above which the machine is not idle
PGDATA_ROOT = "/tmp/invoice-bench-pg-{port}"  # the throwaway cluster (scripts/pg.sh), one per port  # nosec B108
UPLOAD_BYTES = 10_000_000  # "a 10 MB PDF", within the API's default 10 MiB upload limit

EXPORT_FIELDS = [
    "invoice.invoice_number",
    "vendor.name",
    "customer.name",
    "invoice.invoice_date",
    "invoice.due_date",
    "invoice.currency",
    "invoice.subtotal",
    "invoice.total_taxes",
    "invoice.total_amount",
    "invoice.purchase_order_number",
    "invoice.processing_status",
    "invoice.confidence_score",
    "invoice.created_at",
    "line_item.invoice_number",
    "line_item.line_number",
    "line_item.description",
    "line_item.charge_type",
    "line_item.quantity",
    "line_item.unit_price",
    "line_item.total_amount",
]

# The original Express API on the same data on these 2-core machines (from the issue).
EXPRESS = {"list_rps": 32, "list_p99_ms": 1400, "detail_rps": 1000, "upload_growth_mb": 240}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


# -- processes ------------------------------------------------------------------------------


def checked(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a set-up command; on failure raise with its output (they print no secrets)."""
    proc = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False
    )
    if proc.returncode != 0:
        shown = " ".join(Path(part).name if part == sys.executable else part for part in command)
        raise RuntimeError(f"{shown!r} failed with {proc.returncode}:\n{(proc.stdout + proc.stderr)[-2000:]}")
    return proc


@contextlib.contextmanager
def postgres() -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "PGPORT": str(port), "PGDATA_ROOT": PGDATA_ROOT.format(port=port)}
    script = str(ROOT / "scripts" / "pg.sh")
    log(f"starting PostgreSQL on {HOST}:{port}")
    out = checked([script, "start"], env)
    try:
        yield out.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run([script, "destroy"], env=env, check=False, capture_output=True)
        log("PostgreSQL destroyed")


@contextlib.contextmanager
def uvicorn(app: str, env: dict[str, str], log_path: Path) -> Iterator[tuple[int, subprocess.Popen]]:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        HOST,
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    ready = "/bare" if app.startswith("bench.baseline") else "/api/health"
    with server_process(command, env, log_path, port, ready) as proc:
        yield port, proc


@contextlib.contextmanager
def server_process(
    command: list[str], env: dict[str, str], log_path: Path, port: int, ready_path: str
) -> Iterator[subprocess.Popen]:
    """``command`` (a server on ``port``, output appended to ``log_path``) started and, once GET
    ``ready_path`` answers 200, yielded; terminated (killed after 15 s) at the end."""
    with log_path.open("ab") as log_file:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        wait_ready(port, ready_path, proc, log_path)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_ready(port: int, path: str, proc: subprocess.Popen, log_path: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}; its log ends with:\n{tail(log_path)}")
        with contextlib.suppress(OSError):
            status, _ = request(port, "GET", path)
            if status == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"server on port {port} not ready after {timeout}s; its log ends with:\n{tail(log_path)}")


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# -- HTTP helpers ---------------------------------------------------------------------------


def request(
    port: int, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=300)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def request_discard(
    port: int, method: str, path: str, body: bytes | None, headers: dict[str, str]
) -> tuple[int, int, float]:
    """Send a request, stream the answer into nothing; return (status, bytes received, seconds)."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection(HOST, port, timeout=600)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        received = 0
        while chunk := response.read(64 * 1024):
            received += len(chunk)
        return response.status, received, time.perf_counter() - started
    finally:
        conn.close()


def multipart(fields: dict[str, str], file_field: str, filename: str, content: bytes, content_type: str) -> tuple:
    boundary = "bench" + secrets.token_hex(12)
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n".encode()
    )
    parts.append(content)
    parts.append(f"\r\n--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def big_pdf(size: int, invoice_number: str) -> bytes:
    """The ACME sample invoice under another number, padded to ``size`` bytes (a valid PDF)."""
    from plugins.module_utils.pdf import make_pdf
    from tests.extraction.samples import ACME_US_LINES

    lines = [line.replace("INV-2024-0042", invoice_number) for line in ACME_US_LINES]
    pdf = make_pdf(lines)
    padding = size - len(pdf) - 100  # first guess of the padding object's overhead
    for _ in range(5):
        if len(pdf) == size or padding <= 0:
            break
        pdf = make_pdf(lines, padding=padding)
        padding += size - len(pdf)  # the digits of lengths and offsets shift by a byte or two at most
    return pdf


# -- phases ---------------------------------------------------------------------------------


def load(
    port: int,
    paths: list[str],
    headers: dict[str, str],
    args: argparse.Namespace,
    meters: dict[str, CpuMeter] | None = None,
) -> dict[str, Any]:
    """One load phase: a warm-up, then the measured run; ``meters`` (name -> CpuMeter) add
    ``<name>_cpu_ms_per_request`` for the measured run."""
    config = {
        "host": HOST,
        "port": port,
        "paths": paths,
        "headers": headers,
        "connections": args.connections,
        "duration": args.duration,
        "warmup": 0,
    }
    if args.warmup > 0:
        loadgen.run_in_subprocess({**config, "duration": args.warmup}, engine=args.engine)
    meters = meters or {}
    for meter in meters.values():
        meter.start()
    result = loadgen.run_in_subprocess(config, engine=args.engine).to_dict()
    for name, meter in meters.items():
        seconds = meter.stop()
        result[f"{name}_cpu_ms_per_request"] = (
            round(seconds * 1000 / result["requests"], 3) if result["requests"] else None
        )
    result["load_average"] = round(os.getloadavg()[0], 2)
    return result


def login(port: int, password: str) -> dict[str, str]:
    status, body = request(
        port,
        "POST",
        "/api/auth/login",
        json.dumps({"email": BENCH_EMAIL, "password": password}).encode(),
        {"Content-Type": "application/json"},
    )
    if status != 200:
        raise RuntimeError(f"login failed with {status}: {body[:300]!r}")
    return {"Authorization": f"Bearer {json.loads(body)['token']}"}


def export(port: int, auth: dict[str, str], fmt: str, filters: dict[str, Any] | None = None) -> tuple[int, int, float]:
    body = json.dumps({"fields": EXPORT_FIELDS, "format": fmt, "filters": filters or {}}).encode()
    return request_discard(port, "POST", "/api/exports/generate", body, {**auth, "Content-Type": "application/json"})


def upload(port: int, auth: dict[str, str], vendor_id: str, pdf: bytes, name: str) -> tuple[int, int, float]:
    form, content_type = multipart({"vendor_id": vendor_id}, "invoice", name, pdf, "application/pdf")
    return request_discard(port, "POST", "/api/invoices/upload", form, {**auth, "Content-Type": content_type})


class Bench:
    """The run's shared state: database URL, server environment, credentials, results."""

    def __init__(self, args: argparse.Namespace, url: str, workdir: Path) -> None:
        self.args = args
        self.url = url
        self.workdir = workdir
        self.password = secrets.token_urlsafe(24)
        self.env = {
            **os.environ,
            "DATABASE_URL": url,
            "APP_ENV": "production",
            "JWT_SECRET": secrets.token_hex(32),
            "STORAGE_BACKEND": "local",
            "STORAGE_DIR": str(workdir / "storage"),
            "LOG_LEVEL": args.log_level,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        }
        self.env.pop("ANTHROPIC_API_KEY", None)  # never spend credits: the offline extractor handles uploads
        self.results: dict[str, Any] = {}

    def prepare(self) -> None:
        log("migrating")
        checked([sys.executable, "-m", "app", "migrate"], self.env)
        started = time.perf_counter()
        counts = asyncio.run(seed.seed_invoices(self.url, self.args.invoices, self.args.lines))
        self.results["seed"] = {**counts, "seconds": round(time.perf_counter() - started, 1)}
        log(f"seeded {counts['invoices']} invoices, {counts['line_items']} line items")
        checked(
            [sys.executable, "-m", "app", "create-user", "--email", BENCH_EMAIL, "--role", "admin"],
            {**self.env, "INVOICE_ADMIN_PASSWORD": self.password},
        )

    def meters(self, proc: subprocess.Popen) -> dict[str, CpuMeter]:
        """CPU meters for the API process and the PostgreSQL cluster (its postmaster and backends)."""
        meters = {"server": CpuMeter([proc.pid])}
        port = urlsplit(self.url).port
        pid_file = Path(PGDATA_ROOT.format(port=port)) / "data" / "postmaster.pid"
        with contextlib.suppress(OSError, ValueError, IndexError):
            meters["db"] = CpuMeter([], parents=[int(pid_file.read_text().split()[0])])
        return meters

    def api(self, name: str) -> contextlib.AbstractContextManager[tuple[int, subprocess.Popen]]:
        return uvicorn(self.args.app, self.env, self.workdir / f"api-{name}.log")

    def throughput(self) -> None:
        with uvicorn("bench.baseline:app", self.env, self.workdir / "baseline.log") as (bare_port, bare_proc):
            log("load: bare Starlette baseline")
            self.results["bare"] = load(bare_port, ["/bare"], {}, self.args, {"server": CpuMeter([bare_proc.pid])})
        ids = asyncio.run(seed.invoice_ids(self.url))
        with self.api("load") as (port, proc):
            auth = login(port, self.password)
            status, body = request(port, "GET", "/api/invoices?limit=50", headers=auth)
            page = json.loads(body) if status == 200 else {}
            if len(page.get("invoices", [])) != 50:
                raise RuntimeError(f"GET /api/invoices?limit=50 answered {status} {body[:300]!r}")
            self.results["list_check"] = {"invoices": len(page["invoices"]), "total": page.get("total")}
            log("load: GET /api/invoices?limit=50")
            self.results["list"] = load(port, ["/api/invoices?limit=50"], auth, self.args, self.meters(proc))
            log("load: GET /api/invoices/<id>")
            self.results["detail"] = load(port, [f"/api/invoices/{i}" for i in ids], auth, self.args, self.meters(proc))
            self.results["rss_after_load_mb"] = round(read_status_kb(proc.pid, "VmRSS") / 1024, 1)

    def upload_memory(self) -> None:
        """A fresh server, warmed up by a small upload, then the 10 MB upload under the sampler."""
        vendor_id = asyncio.run(seed.first_vendor_id(self.url))
        with self.api("upload") as (port, proc):
            auth = login(port, self.password)
            warm = upload(port, auth, vendor_id, big_pdf(0, "INV-BENCH-WARMUP"), "warmup.pdf")
            log(f"memory: upload of a {UPLOAD_BYTES / 1e6:.0f} MB PDF (warm-up upload answered {warm[0]})")
            pdf = big_pdf(UPLOAD_BYTES, "INV-BENCH-UPLOAD")
            with RssSampler(proc.pid) as sampler:
                status, _, seconds = upload(port, auth, vendor_id, pdf, "big.pdf")
            self.results["upload"] = {
                "file_bytes": len(pdf),
                "status": status,
                "seconds": round(seconds, 2),
                "warmup_status": warm[0],
                **sampler.to_dict(),
            }

    def export_memory(self, key: str, invoices: int, fmt: str) -> None:
        """A fresh server, warmed up by a one-invoice export, then the full export under the sampler."""
        log(f"memory: {fmt} export of {invoices} invoices")
        with self.api(key) as (port, proc):
            auth = login(port, self.password)
            warm = export(port, auth, fmt, {"search": "BENCH-0000001"})
            with RssSampler(proc.pid) as sampler:
                status, size, seconds = export(port, auth, fmt)
            self.results[key] = {
                "invoices": invoices,
                "format": fmt,
                "status": status,
                "bytes": size,
                "seconds": round(seconds, 2),
                "warmup_status": warm[0],
                **sampler.to_dict(),
            }

    def run(self) -> None:
        self.prepare()
        self.throughput()
        self.upload_memory()
        self.export_memory("export_small", self.args.invoices, "xlsx")
        more = self.args.export_invoices - self.args.invoices
        if more > 0:
            asyncio.run(seed.seed_invoices(self.url, more, self.args.lines, start=self.args.invoices))
        self.export_memory("export_large", max(self.args.export_invoices, self.args.invoices), "xlsx")
        self.export_memory("export_large_csv", max(self.args.export_invoices, self.args.invoices), "csv")


def run(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="invoice-bench-"))
    results: dict[str, Any] = {
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "settings": {
            "invoices": args.invoices,
            "lines_per_invoice": args.lines,
            "connections": args.connections,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "engine": "wrk" if args.engine == "wrk" or (args.engine == "auto" and shutil.which("wrk")) else "python",
            "uvicorn_workers": 1,
            "api_log_level": args.log_level,
            "app": args.app,
        },
        "express_reference": EXPRESS,
        "load_average_before": os.getloadavg(),
    }
    if os.getloadavg()[0] > BUSY_LOAD:
        log(f"warning: load average {os.getloadavg()[0]:.1f}: other work competes for the CPUs; numbers will be low")
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        results["git_commit"] = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    try:
        with postgres() as url:
            bench = Bench(args, url, workdir)
            try:
                bench.run()
            finally:
                results.update(bench.results)
    except (RuntimeError, OSError, subprocess.SubprocessError, ValueError) as exc:
        # keep what was measured; the error is reported and makes the run fail
        results["error"] = f"{type(exc).__name__}: {exc}"
        log(f"error: {results['error']}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    results["load_average_after"] = os.getloadavg()
    results["verdicts"] = verdicts(results)
    return results


def verdicts(r: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    if "list" in r:
        out["list >= 1000 req/s"] = {"value": r["list"]["rps"], "pass": r["list"]["rps"] >= 1000}
        out["list p99 < 50 ms"] = {"value": r["list"]["p99_ms"], "pass": r["list"]["p99_ms"] < 50}
        out["list without errors"] = {"value": r["list"]["errors"], "pass": r["list"]["errors"] == 0}
    if "detail" in r:
        out["detail without errors"] = {"value": r["detail"]["errors"], "pass": r["detail"]["errors"] == 0}
    if "upload" in r:
        limit = 2 * r["upload"]["file_bytes"] / 2**20
        out["upload growth < 2x file"] = {
            "value": r["upload"]["growth_mb"],
            "limit_mb": round(limit, 1),
            "pass": r["upload"]["status"] < 300 and r["upload"]["growth_mb"] < limit,
        }
    if "export_small" in r and "export_large" in r:
        small, large = r["export_small"]["growth_mb"], r["export_large"]["growth_mb"]
        # flat: twice the rows may not cost more than 25% or 8 MB more memory
        flat = large <= max(small * 1.25, small + 8)
        out["export memory flat"] = {
            "value": f"{small} MB -> {large} MB",
            "pass": flat and r["export_small"]["status"] == 200 and r["export_large"]["status"] == 200,
        }
    return out


def table(r: dict[str, Any]) -> str:
    rows = [("measure", "req/s", "p50 ms", "p99 ms", "errors", "vs bare", "CPU ms/req api+db", "Express")]
    bare = r.get("bare", {}).get("rps") or 0
    for key, label, express in (
        ("bare", "bare Starlette GET /bare", ""),
        ("list", "GET /api/invoices?limit=50", f"{EXPRESS['list_rps']} req/s, p99 {EXPRESS['list_p99_ms']} ms"),
        ("detail", "GET /api/invoices/<id>", f"{EXPRESS['detail_rps']} req/s"),
    ):
        if key in r:
            m = r[key]
            ratio = f"{m['rps'] / bare:.2f}" if bare else "-"
            cpu = "-"
            if m.get("server_cpu_ms_per_request") is not None:
                cpu = f"{m['server_cpu_ms_per_request']:.2f}"
                if m.get("db_cpu_ms_per_request") is not None:
                    cpu += f" + {m['db_cpu_ms_per_request']:.2f}"
            rows.append(
                (
                    label,
                    f"{m['rps']:.0f}",
                    f"{m['p50_ms']:.1f}",
                    f"{m['p99_ms']:.1f}",
                    str(m["errors"]),
                    ratio,
                    cpu,
                    express,
                )
            )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    lines.append("")
    mem_rows = [("memory (server RSS)", "status", "seconds", "before MB", "peak MB", "growth MB")]
    for key, label in (
        ("upload", f"upload {r.get('upload', {}).get('file_bytes', 0) / 1e6:.0f} MB PDF"),
        ("export_small", f"export {r.get('export_small', {}).get('invoices', '')} invoices xlsx"),
        ("export_large", f"export {r.get('export_large', {}).get('invoices', '')} invoices xlsx"),
        ("export_large_csv", f"export {r.get('export_large_csv', {}).get('invoices', '')} invoices csv"),
    ):
        if key in r:
            m = r[key]
            mem_rows.append(
                (
                    label,
                    str(m["status"]),
                    str(m["seconds"]),
                    str(m["rss_before_mb"]),
                    str(m["rss_peak_mb"]),
                    str(m["growth_mb"]),
                )
            )
    widths = [max(len(row[i]) for row in mem_rows) for i in range(len(mem_rows[0]))]
    lines += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in mem_rows]
    lines.append("")
    before, after = r.get("load_average_before", (0,))[0], r.get("load_average_after", (0,))[0]
    lines.append(f"load average before/after: {before:.2f} / {after:.2f} (over {BUSY_LOAD}: the machine was busy)")
    for name, verdict in r.get("verdicts", {}).items():
        lines.append(f"{'PASS' if verdict['pass'] else 'FAIL'}  {name}: {verdict['value']}")
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 s load phases instead of 10 s")
    parser.add_argument("--invoices", type=int, default=5000, help="invoices for the list benchmark (5000)")
    parser.add_argument("--lines", type=int, default=5, help="line items per invoice (5)")
    parser.add_argument("--export-invoices", type=int, default=10000, help="invoices in the large export (10000)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=float, help="seconds per load phase (10; 3 with --quick)")
    parser.add_argument("--warmup", type=float, help="seconds of warm-up before each phase (2; 1 with --quick)")
    parser.add_argument("--engine", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--app", default="app.main:app", help="the ASGI app to measure (module:attribute)")
    parser.add_argument("--log-level", default="INFO", help="the API's LOG_LEVEL (INFO, as in production)")
    parser.add_argument("--output", type=Path, help="result file (default bench/results/<timestamp>.json)")
    args = parser.parse_args(argv)
    if args.duration is None:
        args.duration = 3.0 if args.quick else 10.0
    if args.warmup is None:
        args.warmup = 1.0 if args.quick else 2.0
    for name in ("invoices", "lines", "connections", "export_invoices"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.engine == "wrk" and not shutil.which("wrk"):
        parser.error("--engine wrk: wrk is not on PATH (Debian/Ubuntu: apt-get install wrk)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    results = run(args)
    RESULTS.mkdir(exist_ok=True)
    output = args.output or RESULTS / f"{time.strftime('%Y%m%d-%H%M%S')}.json"
    output.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(table(results))
    print(f"\nresults: {output}")
    if "error" in results:
        print(f"\nthe run stopped early: {results['error']}")
        return 2
    return 0 if all(v["pass"] for v in results["verdicts"].values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
