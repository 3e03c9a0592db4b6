from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from starlette.datastructures import UploadFile
from starlette.requests import Request

from app import ingest, tables
from app.auth import current_user, requires
from app.endpoints.common import Paging, db, fetch_by_id, fetch_found, paged, settings, storage
from app.endpoints.invoices import batch_name_expr
from app.responses import JSON, ApiError, bad_request
from app.validation import boolean, json_body, page_offset, path_id, string, uuid_value
from app.worker import queue_changed

PAGING = Paging(default_limit=10, max_limit=100)  # batches per page
BATCH_STATUSES = ("pending", "processing", "completed", "failed", "partial")


def _counts() -> Any:
    return (
        sa.select(
            tables.batch_files.c.batch_id,
            sa.func.count().label("total_file_count"),
            sa.func.count().filter(tables.batch_files.c.status == "processed").label("processed_count"),
            sa.func.count().filter(tables.batch_files.c.status == "failed").label("failed_count"),
        )
        .group_by(tables.batch_files.c.batch_id)
        .subquery("counts")
    )


def _batch_select() -> sa.Select:
    counts = _counts()
    return sa.select(
        tables.processing_batches,
        tables.vendors.c.name.label("vendor_name"),
        tables.vendors.c.display_name.label("vendor_display_name"),
        batch_name_expr().label("batch_name"),
        sa.func.coalesce(counts.c.total_file_count, 0).label("total_file_count"),
        sa.func.coalesce(counts.c.processed_count, 0).label("processed_count"),
        sa.func.coalesce(counts.c.failed_count, 0).label("failed_count"),
    ).select_from(
        tables.processing_batches.outerjoin(
            tables.vendors, tables.processing_batches.c.vendor_id == tables.vendors.c.id
        ).outerjoin(counts, counts.c.batch_id == tables.processing_batches.c.id)
    )


async def _batch(request: Request, batch_id: str) -> dict[str, Any]:
    row = await fetch_found(db(request), _batch_select().where(tables.processing_batches.c.id == batch_id), "Batch")
    return dict(row._mapping)


@paged(PAGING)
async def list_batches(request: Request) -> JSON:
    """
    summary: List batches, newest first
    parameters:  # after page and limit (@paged)
      - {name: vendor_id, in: query, schema: {type: string, format: uuid}}
      - {name: status, in: query, schema: {type: string, enum: ['', pending, processing, completed, failed, partial]}}
    responses:
      200: {description: "{batches, pagination: {page, limit, total, pages}}"}
    """
    page, limit = PAGING.parse(request)
    where = []
    if vendor_id := uuid_value(request.query_params.get("vendor_id"), "vendor_id", required=False):
        where.append(tables.processing_batches.c.vendor_id == vendor_id)
    if status := request.query_params.get("status"):
        if status not in BATCH_STATUSES:
            raise bad_request("status", f"status must be one of {', '.join(BATCH_STATUSES)}")
        where.append(tables.processing_batches.c.status == status)
    database = db(request)
    records = await database.fetch_all(
        _batch_select()
        .where(*where)
        .order_by(tables.processing_batches.c.created_at.desc())
        .limit(limit)
        .offset(page_offset(page, limit))
    )
    total = await database.fetch_val(sa.select(sa.func.count()).select_from(tables.processing_batches).where(*where))
    return JSON(
        {
            "batches": [dict(r._mapping) for r in records],
            "pagination": PAGING.pagination(page, limit, total),
        }
    )


async def batch_names(request: Request) -> JSON:
    """
    summary: Batch names for the invoice filter ("Single Upload" first)
    responses:
      200: {description: "{batches: [{name}]}"}
    """
    records = await db(request).fetch_all(
        sa.select(batch_name_expr().label("name"))
        .select_from(tables.processing_batches)
        .where(tables.processing_batches.c.status.in_(("completed", "partial", "processing")))
        .order_by(tables.processing_batches.c.created_at.desc())
    )
    return JSON({"batches": [{"name": "Single Upload"}, *({"name": r["name"]} for r in records)]})


def _files_query(batch_id: str) -> sa.Select:
    return (
        sa.select(
            *[c for c in tables.batch_files.c if c.name != "file_path"],
            tables.invoices.c.invoice_number,
            tables.invoices.c.customer_name,
            tables.invoices.c.total_amount,
        )
        .select_from(
            tables.batch_files.outerjoin(tables.invoices, tables.batch_files.c.invoice_id == tables.invoices.c.id)
        )
        .where(tables.batch_files.c.batch_id == batch_id)
        .order_by(tables.batch_files.c.created_at, tables.batch_files.c.filename)
    )


async def get_batch(request: Request) -> JSON:
    """
    summary: One batch with its files
    responses:
      200: {description: "{batch, files}"}
      404: {description: Unknown batch}
    """
    batch_id = path_id(request)
    batch = await _batch(request, batch_id)
    files = await db(request).fetch_all(_files_query(batch_id))
    return JSON({"batch": batch, "files": [dict(r._mapping) for r in files]})


@requires("reviewer")
async def init_batch(request: Request) -> JSON:
    """
    summary: Start a new (pending) batch for a vendor
    requestBody:
      content:
        application/json:
          schema:
            type: object
            required: [vendor_id]
            properties:
              vendor_id: {type: string, format: uuid}
              folder_path: {type: string, description: "a label only; nothing is read from the server's disk"}
    responses:
      201: {description: "{batch, message}"}
      404: {description: Unknown vendor}
    """
    body = await json_body(request)
    vendor_id = uuid_value(body.get("vendor_id"), "vendor_id")
    folder = string(body.get("folder_path"), "folder_path", max_length=1024)
    database = db(request)
    if not await database.fetch_val(
        sa.select(tables.vendors.c.id).where(tables.vendors.c.id == vendor_id, tables.vendors.c.active.is_(True))
    ):
        raise ApiError(404, "Vendor not found or inactive", field="vendor_id")
    batch_id = await database.execute(
        tables.processing_batches.insert()
        .values(vendor_id=vendor_id, folder_path=folder, status="pending", created_by=current_user(request).id)
        .returning(tables.processing_batches.c.id)
    )
    return JSON(
        {"batch": await _batch(request, str(batch_id)), "message": "Batch initialized successfully"}, status_code=201
    )


@requires("reviewer")
async def add_files(request: Request) -> JSON:
    """
    summary: Add files to a pending batch (multipart, field `files`, repeated)
    description: All files are checked first; if one is bad nothing is stored.
    requestBody:
      content:
        multipart/form-data:
          schema:
            type: object
            required: [files]
            properties:
              files: {type: array, items: {type: string, format: binary}}
    responses:
      201: {description: "{message, files}"}
      400: {description: No files, or the batch is not pending}
      404: {description: Unknown batch}
      413: {description: A file is too large, or too many files}
      415: {description: A file is not a PDF/HTML/PNG/JPEG or does not match its name}
    """
    batch_id = path_id(request)
    conf = settings(request)
    database = db(request)
    batch = await fetch_by_id(database, tables.processing_batches, batch_id, "Batch", "status", "vendor_id")
    if batch["status"] != "pending":
        raise bad_request("id", "Cannot add files to batch that is not in pending status")
    async with request.form(max_files=conf.max_batch_files, max_fields=5, max_part_size=64 * 1024) as form:
        uploads = [f for f in form.getlist("files") if isinstance(f, UploadFile)]
        if not uploads:
            raise bad_request("files", "No files provided")
        checked = []
        for index, upload in enumerate(uploads):
            field = f"files[{index}]"
            name = ingest.check_filename(upload.filename, field)
            _, size = await ingest.hash_file_async(upload.file)
            if size == 0:
                raise bad_request(field, f"{field} ({name}) is empty")
            if size > conf.max_upload_bytes:
                raise ApiError(413, f"{field} ({name}) is larger than {conf.max_upload_bytes} bytes", field=field)
            media_type = ingest.check_content(name, await upload.read(ingest.SNIFF_BYTES), field)
            await upload.seek(0)
            file_type = ingest.FILE_TYPES[media_type]
            checked.append(
                (upload, name, size, media_type, file_type, ingest.storage_key("batches", batch_id, file_type))
            )
        store = storage(request)
        written: list[str] = []
        try:
            async with database.transaction():
                locked = await database.fetch_val(
                    sa.select(tables.processing_batches.c.status)
                    .where(tables.processing_batches.c.id == batch_id)
                    .with_for_update()
                )
                if locked != "pending":
                    raise bad_request("id", "Cannot add files to batch that is not in pending status")
                ids = []
                for upload, name, size, media_type, file_type, key in checked:
                    ids.append(
                        await database.execute(
                            tables.batch_files.insert()
                            .values(
                                batch_id=batch_id,
                                filename=name,
                                file_path=key,
                                file_type=file_type,
                                file_size=size,
                                status="pending",
                            )
                            .returning(tables.batch_files.c.id)
                        )
                    )
                    written.append(key)
                    await store.put_file(key, upload.file, media_type)
                await database.execute(
                    tables.processing_batches.update()
                    .where(tables.processing_batches.c.id == batch_id)
                    .values(total_files=tables.processing_batches.c.total_files + len(checked))
                )
        except BaseException:
            for key in written:
                await store.delete(key)
            raise
    files = await database.fetch_all(_files_query(batch_id).where(tables.batch_files.c.id.in_([str(x) for x in ids])))
    return JSON(
        {"message": f"{len(checked)} files added to batch successfully", "files": [dict(r._mapping) for r in files]},
        status_code=201,
    )


async def _queue(request: Request, batch_id: str, from_statuses: tuple[str, ...], message: str) -> JSON:
    database = db(request)
    async with database.transaction():
        batch = await fetch_by_id(database, tables.processing_batches, batch_id, "Batch", "status", lock=True)
        if batch["status"] not in from_statuses:
            raise ApiError(409, f"Batch is {batch['status']}; this needs {' or '.join(from_statuses)}", field="id")
        if "pending" in from_statuses:
            files = await database.fetch_val(
                sa.select(sa.func.count())
                .select_from(tables.batch_files)
                .where(tables.batch_files.c.batch_id == batch_id)
            )
            if not files:
                raise bad_request("id", "Batch has no files; add files first")
        else:
            await database.execute(
                tables.batch_files.update()
                .where(tables.batch_files.c.batch_id == batch_id, tables.batch_files.c.status == "failed")
                .values(status="pending", error_message=None)
            )
        await database.execute(
            sa.text(
                "INSERT INTO batch_jobs (batch_id, batch_file_id) "
                "SELECT f.batch_id, f.id FROM batch_files f WHERE f.batch_id = :batch_id AND f.status = 'pending' "
                "AND NOT EXISTS (SELECT 1 FROM batch_jobs j "
                "WHERE j.batch_file_id = f.id AND j.status IN ('queued', 'running'))"
            ).bindparams(batch_id=batch_id)
        )
        await database.execute(
            tables.processing_batches.update()
            .where(tables.processing_batches.c.id == batch_id)
            .values(status="processing", started_at=sa.func.now(), completed_at=None, error_message=None)
        )
    queue_changed(request.state)  # the queue depth metric at once: the worker tier may be at zero
    return JSON({"message": message, "batchId": batch_id, "status": "processing"}, status_code=202)


@requires("reviewer")
async def process_batch(request: Request) -> JSON:
    """
    summary: Queue a pending batch for background processing
    description: Any instance's worker picks the files up (jobs live in the database).
    responses:
      202: {description: "{message, batchId, status}"}
      404: {description: Unknown batch}
      409: {description: The batch is not pending}
    """
    return await _queue(request, path_id(request), ("pending",), "Batch processing started")


@requires("reviewer")
async def resume_batch(request: Request) -> JSON:
    """
    summary: Queue a failed or partial batch's failed files again
    responses:
      202: {description: "{message, batchId, status}"}
      404: {description: Unknown batch}
      409: {description: The batch is not failed or partial}
    """
    return await _queue(request, path_id(request), ("failed", "partial"), "Batch processing resumed")


@requires("reviewer")
async def delete_batch(request: Request) -> JSON:
    """
    summary: Delete a batch that is not processing; invoices made from it stay
    responses:
      200: {description: "{message}"}
      404: {description: Unknown batch}
      409: {description: The batch is processing}
    """
    batch_id = path_id(request)
    database = db(request)
    async with database.transaction():
        batch = await fetch_by_id(database, tables.processing_batches, batch_id, "Batch", "status", lock=True)
        if batch["status"] == "processing":
            raise ApiError(409, "Batch is processing; wait for it to finish", field="id")
        orphan_keys = await database.fetch_all(
            sa.select(tables.batch_files.c.file_path).where(
                tables.batch_files.c.batch_id == batch_id,
                ~sa.exists(
                    sa.select(tables.invoices.c.id).where(tables.invoices.c.file_path == tables.batch_files.c.file_path)
                ),
            )
        )
        await database.execute(tables.processing_batches.delete().where(tables.processing_batches.c.id == batch_id))
    for row in orphan_keys:
        await storage(request).delete(row["file_path"])
    return JSON({"message": "Batch deleted successfully"})


async def batch_progress(request: Request) -> JSON:
    """
    summary: Progress of a batch (optionally with files)
    parameters:
      - {name: includeFiles, in: query, schema: {type: boolean}}
    responses:
      200:
        description: >
          {batchId, status, totalFiles, processedFiles, failedFiles, pendingFiles,
          processingFiles, skippedFiles, completionPercentage, startedAt, completedAt, errorMessage}
      404: {description: Unknown batch}
    """
    batch_id = path_id(request)
    include = boolean(request.query_params.get("includeFiles"), "includeFiles", default=False)
    database = db(request)
    row = await fetch_found(
        database,
        sa.select(
            tables.processing_batches.c.status,
            tables.processing_batches.c.started_at,
            tables.processing_batches.c.completed_at,
            tables.processing_batches.c.error_message,
            sa.select(sa.func.count())
            .where(tables.batch_files.c.batch_id == tables.processing_batches.c.id)
            .scalar_subquery()
            .label("total"),
            *[
                sa.select(sa.func.count())
                .where(
                    tables.batch_files.c.batch_id == tables.processing_batches.c.id, tables.batch_files.c.status == s
                )
                .scalar_subquery()
                .label(s)
                for s in ("processed", "failed", "pending", "processing", "skipped")
            ],
        ).where(tables.processing_batches.c.id == batch_id),
        "Batch",
    )
    total = row["total"]
    done = row["processed"] + row["failed"] + row["skipped"]
    body: dict[str, Any] = {
        "batchId": batch_id,
        "status": row["status"],
        "totalFiles": total,
        "processedFiles": row["processed"],
        "failedFiles": row["failed"],
        "pendingFiles": row["pending"],
        "processingFiles": row["processing"],
        "skippedFiles": row["skipped"],
        "completionPercentage": round(done * 100 / total) if total else 0,
        "startedAt": row["started_at"],
        "completedAt": row["completed_at"],
        "errorMessage": row["error_message"],
    }
    if include:
        files = await database.fetch_all(_files_query(batch_id))
        body["files"] = [dict(r._mapping) for r in files]
    return JSON(body)
