"""Stopping a worker mid-job (SIGTERM: scale-in, deploy) loses no job and does none twice;
the queue depth metric the worker tier scales on."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3

from app.db import make_database
from app.storage import LocalStorage
from app.worker import QueueMetrics, Worker
from tests.app.conftest import html_invoice
from tests.app.test_batches import CountingExtractor, drain, queued_batch

ROOT = Path(__file__).resolve().parents[2]


class SignallingExtractor(CountingExtractor):
    """Sets ``entered`` when an extraction starts."""

    def __init__(self, delay: float) -> None:
        super().__init__(delay=delay)
        self.entered = asyncio.Event()

    async def extract(self, content, media_type, *, prompt=None, vendor_name=None):
        self.entered.set()
        return await super().extract(content, media_type, prompt=prompt, vendor_name=vendor_name)


def _jobs(sql, batch_id):
    return sql("SELECT status, attempts, locked_by FROM batch_jobs WHERE batch_id = $1::uuid", batch_id)


async def _stop_during_job(settings, extractor, grace):
    """Start a worker, set its stop event while it is inside its first job, return the outcome."""
    database = make_database(settings)
    await database.connect()
    try:
        worker = Worker(
            database,
            LocalStorage(settings.storage_dir + "/files"),
            extractor,
            settings.with_overrides(worker_stop_grace_seconds=grace),
            "stopping",
        )
        stop = asyncio.Event()
        run = asyncio.create_task(worker.run(stop))
        await asyncio.wait_for(extractor.entered.wait(), 10)  # inside the extraction of the first file
        stop.set()
        started = time.monotonic()
        await asyncio.wait_for(run, 10)
        return time.monotonic() - started
    finally:
        await database.disconnect()


def test_a_stopped_worker_finishes_its_job_within_the_grace_period(client, auth, vendor_id, settings, sql):
    files = [(f"s{n}.html", html_invoice(f"S-{n}")) for n in range(3)]
    batch_id = queued_batch(client, auth["reviewer"], vendor_id, files)
    extractor = SignallingExtractor(delay=0.5)
    took = asyncio.run(_stop_during_job(settings, extractor, grace=5))
    assert 0.2 < took < 5  # it waited for the job, not for the grace period
    assert len(extractor.calls) == 1  # it claimed nothing after the stop
    statuses = sorted(j["status"] for j in _jobs(sql, batch_id))
    assert statuses == ["done", "queued", "queued"]
    assert sql("SELECT count(*) AS n FROM invoices")[0]["n"] == 1
    # the rest is processed by the next worker, nothing twice
    assert sum(asyncio.run(drain(settings, CountingExtractor()))) == 2
    assert sql("SELECT count(*) AS n FROM invoices")[0]["n"] == 3
    assert client.get(f"/api/batches/{batch_id}/progress", headers=auth["viewer"]).json()["status"] == "completed"


def test_a_job_that_outlasts_the_grace_period_is_released_not_lost(client, auth, vendor_id, settings, sql):
    batch_id = queued_batch(client, auth["reviewer"], vendor_id, [("slow.html", html_invoice("R-1"))])
    extractor = SignallingExtractor(delay=30)
    took = asyncio.run(_stop_during_job(settings, extractor, grace=0.3))
    assert took < 5
    job = _jobs(sql, batch_id)[0]
    # back in the queue, not counted as an attempt, no invoice saved
    assert (job["status"], job["attempts"], job["locked_by"]) == ("queued", 0, None)
    assert sql("SELECT status FROM batch_files WHERE batch_id = $1::uuid", batch_id)[0]["status"] == "pending"
    assert sql("SELECT count(*) AS n FROM invoices")[0]["n"] == 0
    assert sum(asyncio.run(drain(settings, CountingExtractor()))) == 1
    job = _jobs(sql, batch_id)[0]
    assert (job["status"], job["attempts"]) == ("done", 1)
    assert sql("SELECT count(*) AS n FROM invoices")[0]["n"] == 1
    assert client.get(f"/api/batches/{batch_id}/progress", headers=auth["viewer"]).json()["status"] == "completed"


def test_python_m_app_worker_stops_on_sigterm(db_url, tmp_path):
    """The real command: SIGTERM ends ``python -m app worker`` promptly and cleanly."""
    env = {
        "PATH": os.environ["PATH"],
        "DATABASE_URL": db_url,
        "STORAGE_DIR": str(tmp_path),
        "APP_ENV": "test",
        "WORKER_POLL_SECONDS": "0.1",
        "LOG_LEVEL": "INFO",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "worker"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if b"worker started" in line:
                break
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        rest = proc.stdout.read()
        assert b"received SIGTERM" in rest and b"worker stopped" in rest
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def test_queue_metrics_publish_depth_and_oldest_wait(client, auth, vendor_id, settings, sql, localaws):  # noqa: PLR0917
    files = [(f"m{n}.html", html_invoice(f"M-{n}")) for n in range(4)]
    queued_batch(client, auth["reviewer"], vendor_id, files)
    metered = settings.with_overrides(
        queue_metric_namespace="Test/Batch", queue_metric_queue="q1", queue_metric_seconds=5
    )

    async def publish():
        database = make_database(metered)
        await database.connect()
        try:
            return await QueueMetrics(database, metered).publish()
        finally:
            await database.disconnect()

    values = asyncio.run(publish())
    assert values["QueueDepth"] == 4 and values["OldestJobWaitSeconds"] >= 0
    cloudwatch = boto3.client("cloudwatch")
    listed = cloudwatch.list_metrics(Namespace="Test/Batch")["Metrics"]
    assert {m["MetricName"] for m in listed} == {"QueueDepth", "OldestJobWaitSeconds"}
    assert all(m["Dimensions"] == [{"Name": "Queue", "Value": "q1"}] for m in listed)
    asyncio.run(drain(settings, CountingExtractor()))
    assert asyncio.run(publish())["QueueDepth"] == 0
