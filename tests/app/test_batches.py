"""Batches: init, add files, queue, worker processing (two workers at once), progress, resume, delete."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from app.db import make_database
from app.storage import LocalStorage
from app.worker import Worker
from tests.app.conftest import html_invoice


class CountingExtractor:
    """Wraps the offline extractor, counts calls per content, can fail some files."""

    def __init__(self, fail_marker: bytes | None = None, delay: float = 0.0) -> None:
        from app.extraction import build_extractor

        self.inner = build_extractor(api_key=None, model="offline")
        self.calls: Counter[bytes] = Counter()
        self.fail_marker = fail_marker
        self.delay = delay

    async def extract(self, content, media_type, *, prompt=None, vendor_name=None):
        self.calls[content] += 1
        await asyncio.sleep(self.delay)
        if self.fail_marker and self.fail_marker in content:
            from app.extraction import ExtractionError

            raise ExtractionError("unreadable")
        return await self.inner.extract(content, media_type, prompt=prompt, vendor_name=vendor_name)

    async def aclose(self):
        await self.inner.aclose()


def queued_batch(client, headers, vendor_id, files):
    """A batch of ``files`` queued for the workers (POST /api/batches/{id}/process)."""
    batch_id = new_batch(client, headers, vendor_id, files)
    client.post(f"/api/batches/{batch_id}/process", headers=headers)
    return batch_id


def new_batch(client, headers, vendor_id, files):
    batch = client.post("/api/batches/init", headers=headers, json={"vendor_id": vendor_id, "folder_path": "march"})
    assert batch.status_code == 201, batch.text
    batch_id = batch.json()["batch"]["id"]
    for start in range(0, len(files), 5):  # the test settings allow 5 files per request
        chunk = files[start : start + 5]
        added = client.post(
            f"/api/batches/{batch_id}/files", headers=headers, files=[("files", (n, d, "text/html")) for n, d in chunk]
        )
        assert added.status_code == 201, added.text
    return batch_id


async def drain(settings, extractor, workers=1):
    async def one(n):
        database = make_database(settings)
        await database.connect()
        try:
            worker = Worker(database, LocalStorage(settings.storage_dir + "/files"), extractor, settings, f"w{n}")
            processed = 0
            while await worker.run_one():
                processed += 1
            return processed
        finally:
            await database.disconnect()

    return await asyncio.gather(*(one(n) for n in range(workers)))


def test_batch_lifecycle_with_a_failing_file(client, auth, vendor_id, settings, sql):
    h = auth["reviewer"]
    files = [(f"inv{n}.html", html_invoice(f"B-{n}")) for n in range(3)] + [
        ("bad.html", html_invoice("B-X", extra="<p>BROKEN</p>"))
    ]
    batch_id = new_batch(client, h, vendor_id, files)
    assert client.post(f"/api/batches/{batch_id}/files", headers=h, files=[]).status_code == 400
    started = client.post(f"/api/batches/{batch_id}/process", headers=h)
    assert started.status_code == 202 and started.json()["status"] == "processing"
    assert client.post(f"/api/batches/{batch_id}/process", headers=h).status_code == 409
    # adding files after processing started is refused
    late = client.post(
        f"/api/batches/{batch_id}/files", headers=h, files=[("files", ("z.html", html_invoice("Z"), "text/html"))]
    )
    assert late.status_code == 400
    extractor = CountingExtractor(fail_marker=b"BROKEN")
    assert sum(asyncio.run(drain(settings, extractor))) == 4
    progress = client.get(f"/api/batches/{batch_id}/progress?includeFiles=true", headers=auth["viewer"]).json()
    assert progress["status"] == "partial" and progress["processedFiles"] == 3 and progress["failedFiles"] == 1
    assert progress["completionPercentage"] == 100 and len(progress["files"]) == 4
    failed = [f for f in progress["files"] if f["status"] == "failed"]
    assert failed[0]["filename"] == "bad.html" and "unreadable" in failed[0]["error_message"]
    invoices = client.get("/api/invoices", headers=auth["viewer"]).json()
    assert invoices["total"] == 3 and all(i["batch_name"].startswith("Batch-") for i in invoices["invoices"])
    name = invoices["invoices"][0]["batch_name"]
    assert client.get(f"/api/invoices?batch_name={name}", headers=auth["viewer"]).json()["total"] == 3
    assert {"name": name} in client.get("/api/batches/names", headers=auth["viewer"]).json()["batches"]
    # resume: only the failed file runs again; it succeeds now
    resumed = client.post(f"/api/batches/{batch_id}/resume", headers=h)
    assert resumed.status_code == 202
    assert sum(asyncio.run(drain(settings, CountingExtractor()))) == 1
    progress = client.get(f"/api/batches/{batch_id}/progress", headers=auth["viewer"]).json()
    assert progress["status"] == "completed" and progress["processedFiles"] == 4
    listed = client.get("/api/batches", headers=auth["viewer"]).json()
    assert listed["pagination"]["total"] == 1 and listed["batches"][0]["processed_count"] == 4
    detail = client.get(f"/api/batches/{batch_id}", headers=auth["viewer"]).json()
    assert len(detail["files"]) == 4 and "file_path" not in detail["files"][0]
    assert client.delete(f"/api/batches/{batch_id}", headers=h).status_code == 200
    assert client.get(f"/api/batches/{batch_id}", headers=auth["viewer"]).status_code == 404
    # the invoices made from the batch stay, with their files
    assert sql("SELECT count(*) AS n FROM invoices")[0]["n"] == 4


def test_two_workers_never_process_a_file_twice(client, auth, vendor_id, settings, sql):
    files = [(f"inv{n}.html", html_invoice(f"C-{n}")) for n in range(12)]
    batch_id = queued_batch(client, auth["reviewer"], vendor_id, files)
    extractor = CountingExtractor(delay=0.02)
    counts = asyncio.run(drain(settings, extractor, workers=2))
    assert sum(counts) == 12 and all(c > 0 for c in counts), counts
    assert set(extractor.calls.values()) == {1} and len(extractor.calls) == 12
    assert sql("SELECT count(*) AS n FROM invoices WHERE batch_id = $1::uuid", batch_id)[0]["n"] == 12
    jobs = sql("SELECT status, attempts, locked_by FROM batch_jobs WHERE batch_id = $1::uuid", batch_id)
    assert {j["status"] for j in jobs} == {"done"} and {j["attempts"] for j in jobs} == {1}
    assert {j["locked_by"] for j in jobs} == {"w0", "w1"}
    assert client.get(f"/api/batches/{batch_id}/progress", headers=auth["viewer"]).json()["status"] == "completed"


def test_a_crashed_workers_job_is_claimed_again_after_its_lease(client, auth, vendor_id, settings, sql):
    batch_id = queued_batch(client, auth["reviewer"], vendor_id, [("a.html", html_invoice("D-1"))])
    short = settings.with_overrides(worker_lease_seconds=0.2)

    async def crash_then_recover():
        database = make_database(short)
        await database.connect()
        try:
            dead = Worker(database, LocalStorage(short.storage_dir + "/files"), CountingExtractor(), short, "dead")
            job = await dead.claim()  # claims and then "crashes": never finishes, never renews
            assert job is not None
            alive = Worker(database, LocalStorage(short.storage_dir + "/files"), CountingExtractor(), short, "alive")
            assert await alive.claim() is None  # the lease still holds
            await asyncio.sleep(0.4)
            assert await alive.run_one() is True
        finally:
            await database.disconnect()

    asyncio.run(crash_then_recover())
    job = sql("SELECT status, attempts, locked_by FROM batch_jobs WHERE batch_id = $1::uuid", batch_id)[0]
    assert (job["status"], job["attempts"], job["locked_by"]) == ("done", 2, "alive")
    assert sql("SELECT count(*) AS n FROM invoices")[0]["n"] == 1


def test_batch_duplicate_file_is_skipped_and_reported(client, auth, vendor_id, settings):
    content = html_invoice("E-1")
    client.post(
        "/api/invoices/upload",
        headers=auth["reviewer"],
        data={"vendor_id": vendor_id},
        files={"invoice": ("e.html", content)},
    )
    batch_id = queued_batch(
        client, auth["reviewer"], vendor_id, [("again.html", content), ("new.html", html_invoice("E-2"))]
    )
    asyncio.run(drain(settings, CountingExtractor()))
    progress = client.get(f"/api/batches/{batch_id}/progress?includeFiles=true", headers=auth["viewer"]).json()
    assert progress["processedFiles"] == 1 and progress["skippedFiles"] == 1 and progress["status"] == "completed"
    skipped = next(f for f in progress["files"] if f["status"] == "skipped")
    assert "duplicate" in skipped["error_message"]


@pytest.mark.parametrize(
    ("files", "status", "field"),
    [
        ([("ok.html", html_invoice("F-1")), ("bad.pdf", html_invoice("F-2"))], 415, "files[1]"),
        ([("../x.html", html_invoice("F-3"))], 400, "files[0]"),
    ],
)
def test_add_files_is_all_or_nothing(client, auth, vendor_id, settings, sql, files, status, field):  # noqa: PLR0917
    batch = client.post("/api/batches/init", headers=auth["reviewer"], json={"vendor_id": vendor_id}).json()["batch"]
    response = client.post(
        f"/api/batches/{batch['id']}/files",
        headers=auth["reviewer"],
        files=[("files", (n, d, "text/html")) for n, d in files],
    )
    assert response.status_code == status and response.json()["field"] == field
    assert sql("SELECT count(*) AS n FROM batch_files")[0]["n"] == 0
    from pathlib import Path

    root = Path(settings.storage_dir) / "files"
    assert not root.exists() or not [p for p in root.rglob("*") if p.is_file()]


def test_batch_input_errors(client, auth):
    h = auth["reviewer"]
    assert client.post("/api/batches/init", headers=h, json={}).json()["field"] == "vendor_id"
    missing = "00000000-0000-0000-0000-000000000000"
    assert client.post("/api/batches/init", headers=h, json={"vendor_id": missing}).status_code == 404
    assert client.post(f"/api/batches/{missing}/process", headers=h).status_code == 404
    assert client.get("/api/batches?status=nope", headers=h).json()["field"] == "status"
    assert client.get("/api/batches?limit=1000", headers=h).json()["field"] == "limit"
