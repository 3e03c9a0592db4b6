"""Batch worker benchmark: files per minute per worker, time from ``process`` to the first file.

Two modes:

``python -m bench.worker`` (standalone, nothing else needed): a throwaway PostgreSQL, the API
(``uvicorn app.main:app``) on local storage, and 1 then 2 ``python -m app worker`` processes
(offline extractor). For each worker count a batch of ``--files`` distinct PDFs is queued
and timed from ``process`` to ``completed``; the 1-worker run is the baseline the 2-worker
run is compared with (speed-up, and files per minute per worker). The time from ``process``
to the first processed file is measured with one idle worker already running
(``--latency-runs`` single-file batches; median and max).

``python -m bench.worker --stack outputs/local.json`` (after ``make demo``): the deployed
stack end to end - a batch of ``--files`` PDFs through the API, processed by the ECS worker
service (scaled from its minimum by the queue depth alarms), optionally with one worker task
killed with SIGKILL mid-batch (``--kill-one``). Reports the time to the first processed file,
to completion, the most tasks seen, and checks that the batch completed with exactly one
invoice per file. ``DATABASE_URL`` must point at the stack's database (to create the user).

Results are printed and written to ``bench/results/worker-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PASSWORD = "bench-" + uuid.uuid4().hex  # a throwaway user of a throwaway run


def log(message: str) -> None:
    print(f"[bench.worker] {message}", file=sys.stderr, flush=True)


def pdfs(count: int, tag: str) -> list[tuple[str, bytes]]:
    """``count`` distinct invoice PDFs (the ACME sample under other numbers)."""
    sys.path.insert(0, str(ROOT))
    from plugins.module_utils.pdf import make_pdf
    from tests.extraction.samples import ACME_US_LINES

    out = []
    for n in range(count):
        number = f"INV-{tag}-{n:04d}"
        out.append((f"{number}.pdf", make_pdf([line.replace("INV-2024-0042", number) for line in ACME_US_LINES])))
    return out


class Api:
    """The few API calls a batch needs."""

    def __init__(self, url: str, database_url: str) -> None:
        self.url = url.rstrip("/")
        self.client = requests.Session()
        email = f"bench-{uuid.uuid4().hex[:8]}@example.test"
        env = {**os.environ, "DATABASE_URL": database_url, "INVOICE_ADMIN_PASSWORD": PASSWORD}
        subprocess.run(
            [sys.executable, "-m", "app", "create-user", "--email", email, "--role", "admin"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        token = self.post("/api/auth/login", json={"email": email, "password": PASSWORD}).json()["token"]
        self.client.headers["Authorization"] = f"Bearer {token}"
        self.vendor_id = self.get("/api/vendors").json()["vendors"][0]["id"]

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.client.get(self.url + path, timeout=60, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.client.post(self.url + path, timeout=60, **kwargs)

    def batch(self, files: list[tuple[str, bytes]]) -> str:
        response = self.post("/api/batches/init", json={"vendor_id": self.vendor_id, "folder_path": "bench"})
        response.raise_for_status()
        batch_id = str(response.json()["batch"]["id"])
        for start in range(0, len(files), 20):
            chunk = files[start : start + 20]
            added = self.post(
                f"/api/batches/{batch_id}/files",
                files=[("files", (name, data, "application/pdf")) for name, data in chunk],
            )
            added.raise_for_status()
        return batch_id

    def process(self, batch_id: str) -> None:
        response = self.post(f"/api/batches/{batch_id}/process")
        if response.status_code != 202:
            raise RuntimeError(f"process answered {response.status_code}: {response.text}")

    def progress(self, batch_id: str) -> dict[str, Any]:
        return dict(self.get(f"/api/batches/{batch_id}/progress").json())

    def invoices(self, batch_id: str) -> list[dict[str, Any]]:
        detail = self.get(f"/api/batches/{batch_id}", params={"includeFiles": "true"}).json()
        return [f for f in detail.get("files", []) if f.get("invoice_id")]


def run_batch(api: Api, files: list[tuple[str, bytes]], timeout: float, on_poll: Any = None) -> dict[str, Any]:
    batch_id = api.batch(files)
    started = time.perf_counter()
    api.process(batch_id)
    first = None
    while True:
        progress = api.progress(batch_id)
        elapsed = time.perf_counter() - started
        if first is None and progress["processedFiles"] > 0:
            first = elapsed
        if on_poll is not None:
            on_poll(progress, elapsed)
        if progress["status"] in ("completed", "failed", "partial"):
            break
        if elapsed > timeout:
            raise RuntimeError(f"batch not done after {timeout}s: {progress}")
        time.sleep(0.1)
    files_done = api.invoices(batch_id)
    return {
        "batch_id": batch_id,
        "files": len(files),
        "status": progress["status"],
        "processed": progress["processedFiles"],
        "failed": progress["failedFiles"],
        "invoices": len({f["invoice_id"] for f in files_done}),
        "seconds_to_first": round(first or elapsed, 3),
        "seconds_total": round(elapsed, 3),
    }


# -- standalone -----------------------------------------------------------------------------


@contextlib.contextmanager
def standalone_api(workdir: Path) -> Iterator[tuple[str, str, dict[str, str]]]:
    from bench.api import checked, postgres, uvicorn

    with postgres() as database_url:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ANTHROPIC_"))},
            "DATABASE_URL": database_url,
            "APP_ENV": "test",
            "STORAGE_BACKEND": "local",
            "STORAGE_DIR": str(workdir / "storage"),
            "JWT_SECRET": uuid.uuid4().hex * 2,
            "LOG_LEVEL": "WARNING",
            "WORKER_POLL_SECONDS": "1.0",
        }
        checked([sys.executable, "-m", "app", "migrate"], env)
        with uvicorn("app.main:app", env, workdir / "api.log") as (port, _proc):
            yield f"http://127.0.0.1:{port}", database_url, env


@contextlib.contextmanager
def workers(count: int, env: dict[str, str], workdir: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    procs = []
    logs = [workdir / f"worker-{count}-{n}-{time.time_ns()}.log" for n in range(count)]
    try:
        for path in logs:
            with path.open("ab") as log_file:
                procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "app", "worker"],
                        cwd=ROOT,
                        env={**env, "LOG_LEVEL": "INFO"},
                        stdout=log_file,
                        stderr=log_file,
                    )
                )
        deadline = time.monotonic() + 300
        while not all(b"worker started" in path.read_bytes() for path in logs):  # imports done, connected
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                raise RuntimeError(f"workers did not start; see {workdir}")
            time.sleep(0.2)
        yield procs
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def standalone(args: argparse.Namespace) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:6].upper()
    result: dict[str, Any] = {"mode": "standalone", "files": args.files, "runs": {}}
    with tempfile.TemporaryDirectory(prefix="bench-worker-") as tmp:
        workdir = Path(tmp)
        with standalone_api(workdir) as (url, database_url, env):
            api = Api(url, database_url)
            for count in (1, 2):
                with workers(count, env, workdir):
                    log(f"{count} worker(s): {args.files} files")
                    run = run_batch(api, pdfs(args.files, f"{tag}{count}"), args.timeout)
                run["workers"] = count
                run["files_per_minute"] = round(run["processed"] / run["seconds_total"] * 60, 1)
                # without the wait for the first claim (at most one poll interval)
                steady = run["seconds_total"] - run["seconds_to_first"]
                run["files_per_minute_after_first"] = round((run["processed"] - 1) / steady * 60, 1) if steady else None
                run["files_per_minute_per_worker"] = round(run["files_per_minute"] / count, 1)
                result["runs"][str(count)] = run
            with workers(1, env, workdir):
                latencies = []
                for n in range(args.latency_runs):
                    single = run_batch(api, pdfs(1, f"{tag}L{n}"), args.timeout)
                    latencies.append(single["seconds_to_first"])
                    time.sleep(0.37)  # not in step with the worker's poll
            result["latency"] = {
                "runs": latencies,
                "median_seconds": round(statistics.median(latencies), 3),
                "max_seconds": round(max(latencies), 3),
                "poll_seconds": float(env["WORKER_POLL_SECONDS"]),
            }
    one, two = result["runs"]["1"], result["runs"]["2"]
    result["speedup_2_vs_1"] = round(two["files_per_minute"] / one["files_per_minute"], 2)
    result["per_worker_2_vs_1"] = round(two["files_per_minute_per_worker"] / one["files_per_minute_per_worker"], 2)
    return result


# -- deployed stack -------------------------------------------------------------------------


def run_on_stack(
    outputs: dict[str, Any], database_url: str, *, files: int, kill_one: bool, timeout: float
) -> dict[str, Any]:
    """A batch of ``files`` PDFs through a deployed stack's API and ECS worker service."""
    import boto3

    worker = outputs["worker"]
    api = Api(outputs["service"]["service_url"], database_url)
    ecs = boto3.client("ecs", region_name=outputs.get("region", "us-east-1"))

    def service() -> dict[str, Any]:
        return dict(ecs.describe_services(cluster=worker["cluster"], services=[worker["service_name"]])["services"][0])

    before = service()
    seen: dict[str, Any] = {"max_running": 0, "killed": None}

    def watch(progress: dict[str, Any], elapsed: float) -> None:
        current = service()
        seen["max_running"] = max(seen["max_running"], current["runningCount"])
        if kill_one and seen["killed"] is None and progress["processedFiles"] >= 2:
            # the local endpoint names each task's pid in the service events (newest first)
            pids = [
                int(e["message"].rsplit("pid ", 1)[1].rstrip(").")) for e in current["events"] if "pid " in e["message"]
            ]
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                    seen["killed"] = {
                        "pid": pid,
                        "at_seconds": round(elapsed, 2),
                        "processed": progress["processedFiles"],
                    }
                    log(f"killed worker task pid {pid} after {progress['processedFiles']} files")
                    break

    run = run_batch(api, pdfs(files, uuid.uuid4().hex[:6].upper()), timeout, watch)
    run.update(
        {
            "mode": "stack",
            "desired_before": before["desiredCount"],
            "running_before": before["runningCount"],
            "max_running": seen["max_running"],
            "killed": seen["killed"],
            "ok": run["status"] == "completed" and run["processed"] == files and run["invoices"] == files,
        }
    )
    return run


def stack(args: argparse.Namespace) -> dict[str, Any]:
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url:
        raise SystemExit(
            "bench.worker --stack: set DATABASE_URL to the stack's database (the database tier's instance)"
        )
    outputs = json.loads(Path(args.stack).read_text())
    return run_on_stack(outputs, database_url, files=args.files, kill_one=args.kill_one, timeout=args.timeout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.worker", description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=40, help="files per batch (default 40; --stack: 20)")
    parser.add_argument("--latency-runs", type=int, default=7, help="single-file batches for the latency (default 7)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds a batch may take (default 600)")
    parser.add_argument("--stack", metavar="OUTPUTS_JSON", help="run against a deployed stack (outputs/local.json)")
    parser.add_argument("--kill-one", action="store_true", help="--stack: SIGKILL one worker task mid-batch")
    parser.add_argument("--output", type=Path, help="result file (default bench/results/worker-<time>.json)")
    args = parser.parse_args(argv)
    if args.stack and "--files" not in (argv or sys.argv):
        args.files = 20
    result = stack(args) if args.stack else standalone(args)
    print(json.dumps(result, indent=2))
    output = args.output or RESULTS / f"worker-{time.strftime('%Y%m%d-%H%M%S')}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if result.get("ok", True) else 1


if __name__ == "__main__":
    raise SystemExit(main())
