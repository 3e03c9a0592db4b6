"""Health check benchmark: what ``GET /api/health`` costs, next to the bare Starlette handler.

    python -m bench.health              # 5 s per load phase, about 40 s in all
    python -m bench.health --duration 10

App Runner and load balancers call the health path constantly, so its cost per request
matters. The run starts a throwaway PostgreSQL (as ``python -m bench`` does), migrates it,
then loads, each under the same uvicorn command (one worker, 127.0.0.1, no access log):
the bare handler (``bench/baseline.py``), ``/api/health`` and ``/api/health?deep=true``.
It prints req/s, p50/p99 and the CPU the API process and PostgreSQL used per request, and
writes ``bench/results/health-<timestamp>.json``. To compare with other code (an older
commit), run this file from that checkout: every figure of one run is taken in the same
session, and "vs bare" and "CPU ms/req" are the numbers to compare between runs.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.api import PGDATA_ROOT, RESULTS, ROOT, checked, load, log, postgres, uvicorn
from bench.memory import CpuMeter

PHASES = {"health": "/api/health", "health_deep": "/api/health?deep=true"}


def meters(proc: subprocess.Popen, url: str) -> dict[str, CpuMeter]:
    found = {"server": CpuMeter([proc.pid])}
    pid_file = Path(PGDATA_ROOT.format(port=urlsplit(url).port)) / "data" / "postmaster.pid"
    with contextlib.suppress(OSError, ValueError, IndexError):
        found["db"] = CpuMeter([], parents=[int(pid_file.read_text().split()[0])])
    return found


def run(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "settings": {"connections": args.connections, "duration_s": args.duration, "engine": args.engine},
        "load_average_before": os.getloadavg(),
    }
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        results["git_commit"] = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    workdir = Path(tempfile.mkdtemp(prefix="invoice-bench-health-"))
    try:
        with postgres() as url:
            env = {
                **os.environ,
                "DATABASE_URL": url,
                "APP_ENV": "production",
                "JWT_SECRET": secrets.token_hex(32),
                "STORAGE_BACKEND": "local",
                "STORAGE_DIR": str(workdir / "storage"),
                "LOG_LEVEL": "INFO",
                "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            }
            env.pop("ANTHROPIC_API_KEY", None)
            checked([sys.executable, "-m", "app", "migrate"], env)
            with uvicorn("bench.baseline:app", env, workdir / "baseline.log") as (port, proc):
                log("load: bare Starlette baseline")
                results["bare"] = load(port, ["/bare"], {}, args, {"server": CpuMeter([proc.pid])})
            with uvicorn("app.main:app", env, workdir / "api.log") as (port, proc):
                for name, path in PHASES.items():
                    log(f"load: GET {path}")
                    results[name] = load(port, [path], {}, args, meters(proc, url))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    results["load_average_after"] = os.getloadavg()
    return results


def table(r: dict[str, Any]) -> str:
    header = ("measure", "req/s", "p50 ms", "p99 ms", "errors", "vs bare", "CPU ms/req api+db")
    lines = ["{:28} {:>8} {:>8} {:>8} {:>7} {:>8} {:>18}".format(*header)]
    bare = r.get("bare", {}).get("rps") or 0
    for name, label in [("bare", "bare Starlette GET /bare"), *[(k, f"GET {v}") for k, v in PHASES.items()]]:
        m = r.get(name)
        if not m:
            continue
        ratio = f"{m['rps'] / bare:.2f}" if bare and name != "bare" else ""
        cpu = m.get("server_cpu_ms_per_request")
        db = m.get("db_cpu_ms_per_request")
        cpu_text = f"{cpu}+{db}" if db is not None else f"{cpu}"
        lines.append(
            f"{label:28} {m['rps']:>8} {m['p50_ms']:>8} {m['p99_ms']:>8} {m['errors']:>7} {ratio:>8} {cpu_text:>18}"
        )
    lines.append(f"load average before/after: {r['load_average_before'][0]:.2f} / {r['load_average_after'][0]:.2f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.health", description=__doc__.split("\n", 1)[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per load phase (5)")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds of warm-up before each phase (1)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--engine", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--output", type=Path, help="result file (default bench/results/health-<timestamp>.json)")
    args = parser.parse_args(argv)
    results = run(args)
    print(table(results))
    output = args.output or RESULTS / f"health-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n")
    log(f"results written to {output}")
    return 0 if all(results.get(name, {}).get("errors", 1) == 0 for name in PHASES) else 1


if __name__ == "__main__":
    sys.exit(main())
