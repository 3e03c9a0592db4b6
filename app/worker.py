"""The batch worker: claims ``batch_jobs`` rows with FOR UPDATE SKIP LOCKED and processes them.

Any number of workers (in API instances with RUN_WORKER=true, or ``python -m app worker``)
share the queue. A claimed job carries a lease that the worker renews while it works;
when a worker dies, its lease runs out and another worker claims the job again (up to
``worker_max_attempts`` claims). State lives only in the database.

Stopping (SIGTERM: a scale-in or a deploy) claims nothing new; the current job gets
``worker_stop_grace_seconds`` to finish, then it is cancelled (its transaction rolls back)
and released to the queue without counting as an attempt. A job is saved and marked done
in one transaction, so it is never lost nor done twice, even on SIGKILL (then the lease
runs out and another worker takes the job).

With ``QUEUE_METRIC_NAMESPACE`` set, :class:`QueueMetrics` publishes the queue depth
(``QueueDepth``: queued and running jobs) and the wait of the oldest queued job
(``OldestJobWaitSeconds``) to CloudWatch every ``queue_metric_seconds``, dimension
``Queue=<QUEUE_METRIC_QUEUE>``. Workers publish while they run and the API does too (and at
once when a batch is queued), so the worker tier can scale out from zero workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import time
import uuid
from typing import Any

import anyio.to_thread
import sqlalchemy as sa
from databases import Database

from app import ingest, tables
from app.responses import ApiError
from app.settings import Settings
from app.storage import Storage, StorageError

log = logging.getLogger("app.worker")

bj = tables.batch_jobs
bf = tables.batch_files
pb = tables.processing_batches

CLAIM_SQL = """
UPDATE batch_jobs SET status = 'running', locked_by = :worker, attempts = attempts + 1,
       lease_expires_at = now() + make_interval(secs => :lease), updated_at = now()
WHERE id = (
    SELECT id FROM batch_jobs
    WHERE status = 'queued' OR (status = 'running' AND lease_expires_at < now())
    ORDER BY created_at, id
    FOR UPDATE SKIP LOCKED
    LIMIT 1
)
RETURNING id, batch_id, batch_file_id, attempts
"""

FINISH_BATCH_SQL = """
UPDATE processing_batches b SET
    processed_files = c.processed, failed_files = c.failed,
    status = CASE WHEN c.failed = 0 THEN 'completed'
                  WHEN c.processed = 0 AND c.skipped = 0 THEN 'failed'
                  ELSE 'partial' END,
    completed_at = now()
FROM (
    SELECT count(*) FILTER (WHERE status = 'processed') AS processed,
           count(*) FILTER (WHERE status = 'failed') AS failed,
           count(*) FILTER (WHERE status = 'skipped') AS skipped
    FROM batch_files WHERE batch_id = :batch_id
) c
WHERE b.id = :batch_id AND b.status = 'processing'
  AND NOT EXISTS (SELECT 1 FROM batch_jobs j WHERE j.batch_id = :batch_id AND j.status IN ('queued', 'running'))
"""


RELEASE_JOB_SQL = """
UPDATE batch_jobs SET status = 'queued', locked_by = NULL, lease_expires_at = NULL,
       attempts = greatest(attempts - 1, 0), last_error = 'released: the worker stopped', updated_at = now()
WHERE id = :id AND locked_by = :worker AND status = 'running'
RETURNING id
"""

QUEUE_DEPTH_SQL = """
SELECT count(*) AS depth,
       coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE status = 'queued')), 0) AS oldest
FROM batch_jobs WHERE status IN ('queued', 'running')
"""


class LostLease(RuntimeError):
    """Another worker took this job over (our lease had run out)."""


class Worker:
    def __init__(
        self,
        database: Database,
        storage: Storage,
        extractor: Any,
        settings: Settings,
        worker_id: str | None = None,
    ) -> None:
        self.database = database
        self.storage = storage
        self.extractor = extractor
        self.settings = settings
        self.id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    async def claim(self) -> dict[str, Any] | None:
        row = await self.database.fetch_one(
            sa.text(CLAIM_SQL).bindparams(worker=self.id, lease=float(self.settings.worker_lease_seconds))
        )
        return {k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in row._mapping.items()} if row else None

    async def run_one(self, stop: asyncio.Event | None = None) -> bool:
        """Claim and process one job; False when the queue is empty.

        When ``stop`` is set meanwhile, the job has ``worker_stop_grace_seconds`` to finish,
        then it is released to the queue.
        """
        job = await self.claim()
        if job is None:
            return False
        heartbeat = asyncio.create_task(self._heartbeat(job["id"]))
        work = asyncio.create_task(self._process(job))
        try:
            if stop is not None and not await self._finished_before_stop(work, stop):
                log.warning(
                    "stopping: job not finished within the grace period, releasing it",
                    extra={"job_id": job["id"], "worker": self.id},
                )
                work.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await work
                await self._release(job)
                return True
            await work
        except LostLease:
            log.warning("lease lost", extra={"job_id": job["id"], "worker": self.id})
        finally:
            if not work.done():  # run_one itself was cancelled
                work.cancel()
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
        await self.database.execute(sa.text(FINISH_BATCH_SQL).bindparams(batch_id=job["batch_id"]))
        return True

    async def _finished_before_stop(self, work: asyncio.Task[None], stop: asyncio.Event) -> bool:
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({work, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
        if work.done():
            return True
        log.info(
            "stopping: finishing the current job",
            extra={"worker": self.id, "grace_seconds": self.settings.worker_stop_grace_seconds},
        )
        done, _ = await asyncio.wait({work}, timeout=self.settings.worker_stop_grace_seconds)
        return bool(done)

    async def _release(self, job: dict[str, Any]) -> None:
        """Give a job back to the queue (stopping): not an attempt, the file pending again."""
        async with self.database.transaction():
            owned = await self.database.fetch_val(sa.text(RELEASE_JOB_SQL).bindparams(id=job["id"], worker=self.id))
            if owned is not None:
                await self.database.execute(
                    bf.update()
                    .where(bf.c.id == job["batch_file_id"], bf.c.status == "processing")
                    .values(status="pending")
                )
        log.info("job released", extra={"job_id": job["id"], "worker": self.id})

    async def _heartbeat(self, job_id: str) -> None:
        interval = max(0.05, self.settings.worker_lease_seconds / 3)
        while True:
            await asyncio.sleep(interval)
            await self.database.execute(
                sa.text(
                    "UPDATE batch_jobs SET lease_expires_at = now() + make_interval(secs => :lease) "
                    "WHERE id = :id AND locked_by = :worker AND status = 'running'"
                ).bindparams(lease=float(self.settings.worker_lease_seconds), id=job_id, worker=self.id)
            )

    async def _end_lease(self, job: dict[str, Any], *, status: str, error: str | None) -> None:
        """End this worker's claim on the job with ``status``; ``LostLease`` if it is no longer ours."""
        owned = await self.database.fetch_val(
            bj.update()
            .where(bj.c.id == job["id"], bj.c.locked_by == self.id, bj.c.status == "running")
            .values(status=status, last_error=error, lease_expires_at=None, updated_at=sa.func.now())
            .returning(bj.c.id)
        )
        if owned is None:
            raise LostLease(job["id"])

    async def _finish(self, job: dict[str, Any], *, file_status: str, error: str | None, job_status: str) -> None:
        async with self.database.transaction():
            await self._end_lease(job, status=job_status, error=error)
            await self.database.execute(
                bf.update()
                .where(bf.c.id == job["batch_file_id"])
                .values(status=file_status, error_message=error, processed_at=sa.func.now())
            )

    async def _process(self, job: dict[str, Any]) -> None:
        row = await self.database.fetch_one(
            sa.select(bf, pb.c.vendor_id, tables.vendors.c.name, tables.vendors.c.display_name)
            .select_from(
                bf.join(pb, bf.c.batch_id == pb.c.id).join(tables.vendors, pb.c.vendor_id == tables.vendors.c.id)
            )
            .where(bf.c.id == job["batch_file_id"])
        )
        if row is None:  # the batch was deleted meanwhile
            return
        if job["attempts"] > self.settings.worker_max_attempts:
            await self._finish(
                job, file_status="failed", error="gave up after repeated worker failures", job_status="failed"
            )
            return
        await self.database.execute(bf.update().where(bf.c.id == job["batch_file_id"]).values(status="processing"))
        try:
            await self._save(job, row)
        except LostLease:
            raise
        except ingest.DuplicateInvoice as exc:
            await self._finish(
                job,
                file_status="skipped",
                error=f"{exc.detail} (duplicate of {exc.extra.get('duplicate_of')})",
                job_status="done",
            )
        except (ApiError, StorageError) as exc:
            message = exc.detail if isinstance(exc, ApiError) else "the stored file is missing"
            transient = isinstance(exc, ApiError) and exc.status_code >= 500
            if transient and job["attempts"] < self.settings.worker_max_attempts:
                await self._requeue(job, message)
            else:
                await self._finish(job, file_status="failed", error=message, job_status="failed")
        except Exception:
            log.exception("batch job failed", extra={"job_id": job["id"]})
            if job["attempts"] < self.settings.worker_max_attempts:
                await self._requeue(job, "internal error")
            else:
                await self._finish(job, file_status="failed", error="internal error", job_status="failed")

    async def _save(self, job: dict[str, Any], row: Any) -> None:
        """Extract the batch file and save its invoice; the job is done in the same transaction."""
        started = time.perf_counter()
        content = await self.storage.get_bytes(row["file_path"])
        media_type = ingest.MEDIA_TYPES[row["file_type"]]
        file_hash = await ingest.sha256_async(content)  # 10 MB: milliseconds, off the event loop
        if existing := await ingest.find_by_hash(self.database, file_hash):
            raise ingest.DuplicateInvoice(existing, "file_hash")
        vendor = {"id": row["vendor_id"], "name": row["name"]}
        result, elapsed = await ingest.run_extraction(
            self.extractor,
            content,
            media_type,
            prompt=await ingest.vendor_prompt(self.database, vendor),
            vendor_name=row["display_name"] or row["name"],
        )
        del content

        async def mark_done(invoice_id: str) -> None:
            await self._end_lease(job, status="done", error=None)
            await self.database.execute(
                bf.update()
                .where(bf.c.id == job["batch_file_id"])
                .values(
                    status="processed",
                    invoice_id=invoice_id,
                    error_message=None,
                    processing_time_ms=int((time.perf_counter() - started) * 1000),
                    processed_at=sa.func.now(),
                )
            )

        await ingest.save_invoice(
            self.database,
            vendor_id=str(row["vendor_id"]),
            result=result,
            stored=ingest.StoredFile(row["file_path"], row["file_type"], file_hash, row["file_size"], row["filename"]),
            processing_ms=elapsed,
            user_id=None,
            batch_id=str(row["batch_id"]),
            on_saved=mark_done,
        )

    async def _requeue(self, job: dict[str, Any], error: str) -> None:
        await self.database.execute(
            bj.update()
            .where(bj.c.id == job["id"], bj.c.locked_by == self.id)
            .values(status="queued", locked_by=None, lease_expires_at=None, last_error=error, updated_at=sa.func.now())
        )
        await self.database.execute(bf.update().where(bf.c.id == job["batch_file_id"]).values(status="pending"))

    async def run(self, stop: asyncio.Event) -> None:
        log.info("worker started", extra={"worker": self.id})
        metrics = QueueMetrics(self.database, self.settings)
        publisher = asyncio.create_task(metrics.run(stop)) if metrics.enabled else None
        try:
            while not stop.is_set():
                try:
                    worked = await self.run_one(stop)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("worker loop error")
                    worked = False
                if not worked:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), self.settings.worker_poll_seconds)
        finally:
            if publisher is not None:
                publisher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await publisher
        log.info("worker stopped", extra={"worker": self.id})


class QueueMetrics:
    """The queue as CloudWatch metrics: ``QueueDepth`` and ``OldestJobWaitSeconds``."""

    def __init__(self, database: Database, settings: Settings, client: Any = None) -> None:
        self.database = database
        self.settings = settings
        self.enabled = bool(settings.queue_metric_namespace)
        self._client = client
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Publish now (a batch was queued), not at the end of the period."""
        self._wake.set()

    def client(self) -> Any:
        if self._client is None:
            import boto3  # noqa: PLC0415 (only when metrics are configured)

            self._client = boto3.client("cloudwatch")
        return self._client

    async def measure(self) -> dict[str, float]:
        row = await self.database.fetch_one(sa.text(QUEUE_DEPTH_SQL))
        assert row is not None
        return {"QueueDepth": float(row["depth"]), "OldestJobWaitSeconds": float(row["oldest"])}

    async def publish(self) -> dict[str, float]:
        values = await self.measure()
        # Below a minute a period needs high-resolution data points (the local world's alarms).
        resolution = 1 if self.settings.queue_metric_seconds < 60 else 60
        dimensions = [{"Name": "Queue", "Value": self.settings.queue_metric_queue}]
        data = [
            {
                "MetricName": name,
                "Dimensions": dimensions,
                "Value": value,
                "Unit": "Count" if name == "QueueDepth" else "Seconds",
                "StorageResolution": resolution,
            }
            for name, value in values.items()
        ]
        client = self.client()
        await anyio.to_thread.run_sync(
            lambda: client.put_metric_data(Namespace=self.settings.queue_metric_namespace, MetricData=data)
        )
        return values

    async def run(self, stop: asyncio.Event) -> None:
        """Publish every ``queue_metric_seconds`` (and when woken) until ``stop`` is set."""
        while not stop.is_set():
            self._wake.clear()
            try:
                await self.publish()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a metric is not worth the worker: log and go on
                log.warning("queue metric not published: %s", type(exc).__name__)
            waiters = [asyncio.create_task(stop.wait()), asyncio.create_task(self._wake.wait())]
            try:
                await asyncio.wait(
                    waiters, timeout=self.settings.queue_metric_seconds, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                for waiter in waiters:
                    waiter.cancel()


def queue_changed(state: Any) -> None:
    """Tell the API's queue metric publisher (if any) that jobs were queued."""
    metrics = getattr(state, "queue_metrics", None)
    if metrics is not None:
        metrics.wake()


def start_worker(state: Any) -> asyncio.Task[None]:
    """Start a worker loop inside the API process (RUN_WORKER=true); cancel the task to stop it."""
    worker = Worker(state.database, state.storage, state.extractor, state.settings)
    return asyncio.create_task(worker.run(asyncio.Event()), name="batch-worker")


def start_queue_metrics(state: Any) -> asyncio.Task[None] | None:
    """The API's queue metric publisher (QUEUE_METRIC_NAMESPACE set); cancel the task to stop it."""
    metrics = QueueMetrics(state.database, state.settings)
    if not metrics.enabled:
        state.queue_metrics = None
        return None
    state.queue_metrics = metrics
    return asyncio.create_task(metrics.run(asyncio.Event()), name="queue-metrics")


async def run_forever(settings: Settings) -> None:
    """``python -m app worker``: a standalone worker until SIGTERM/SIGINT."""
    from app.db import make_database  # noqa: PLC0415
    from app.logs import configure_logging  # noqa: PLC0415
    from app.main import default_extractor  # noqa: PLC0415
    from app.storage import make_storage  # noqa: PLC0415

    configure_logging(settings.log_level)
    database = make_database(settings)
    await database.connect()
    extractor = default_extractor(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def stopping(sig: signal.Signals) -> None:
        log.info("received %s: stopping", sig.name)
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping, sig)
    try:
        await Worker(database, make_storage(settings), extractor, settings).run(stop)
    finally:
        await extractor.aclose()
        await database.disconnect()
