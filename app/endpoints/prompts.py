from __future__ import annotations

import asyncio
import datetime as dt
import html
import json
from typing import Any

import sqlalchemy as sa
from databases import Database
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from app import ingest, tables
from app.auth import current_user, requires
from app.endpoints.common import db, extractor, fetch_by_id, fetch_found, get_one, row_dict, settings, storage
from app.endpoints.invoices import file_headers
from app.extraction import ExtractionResult
from app.extraction.base import ExtractionError
from app.extraction.text import document_text
from app.responses import JSON, ApiError, bad_request, unique_or_409
from app.storage import StorageError
from app.validation import MAX_OFFSET, boolean, json_body, path_id, query_int, string, uuid_value

JSON_COLUMNS = ("test_results",)
MAX_PROMPT = 100_000
MAX_DOCUMENT = 200_000
TEST_FILE_TTL = dt.timedelta(hours=1)
MAX_EXTRACTED_TEXT = 200_000  # characters of a test file's text the upload returns
KEEP_TEST_RESULTS = 20


async def activate_for_vendor(database: Database, vendor_id: str, prompt_id: str | None) -> None:
    """Make ``prompt_id`` the vendor's one active prompt (None: none), and keep vendors.extraction_prompt_id in step.

    Call inside a transaction.
    """
    await database.execute(
        tables.extraction_prompts.update()
        .where(tables.extraction_prompts.c.vendor_id == vendor_id, tables.extraction_prompts.c.is_active.is_(True))
        .values(is_active=False)
    )
    if prompt_id is not None:
        await database.execute(
            tables.extraction_prompts.update().where(tables.extraction_prompts.c.id == prompt_id).values(is_active=True)
        )
    await database.execute(
        tables.vendors.update().where(tables.vendors.c.id == vendor_id).values(extraction_prompt_id=prompt_id)
    )


def _prompt_query() -> sa.Select:
    parent = tables.extraction_prompts.alias("parent")
    return sa.select(
        tables.extraction_prompts,
        tables.vendors.c.name.label("vendor_name"),
        tables.vendors.c.display_name.label("vendor_display_name"),
        parent.c.prompt_name.label("parent_prompt_name"),
        parent.c.version.label("parent_version"),
    ).select_from(
        tables.extraction_prompts.outerjoin(
            tables.vendors, tables.extraction_prompts.c.vendor_id == tables.vendors.c.id
        ).outerjoin(parent, tables.extraction_prompts.c.parent_prompt_id == parent.c.id)
    )


async def _load(request: Request, prompt_id: str) -> dict[str, Any]:
    row = await fetch_found(db(request), _prompt_query().where(tables.extraction_prompts.c.id == prompt_id), "Prompt")
    return row_dict(row, JSON_COLUMNS)


async def list_prompts(request: Request) -> JSON:
    """
    summary: List prompts
    parameters:
      - {name: vendor_id, in: query, schema: {type: string, format: uuid}}
      - {name: is_active, in: query, schema: {type: boolean}}
      - {name: is_template, in: query, schema: {type: boolean}}
      - {name: limit, in: query, schema: {type: integer, default: 50, minimum: 1, maximum: 500}}
      - {name: offset, in: query, schema: {type: integer, default: 0, minimum: 0, maximum: 10000000}}
    responses:
      200: {description: "{prompts, total, limit, offset}"}
    """
    q = request.query_params
    where = []
    if vendor_id := uuid_value(q.get("vendor_id"), "vendor_id", required=False):
        where.append(tables.extraction_prompts.c.vendor_id == vendor_id)
    if (active := boolean(q.get("is_active"), "is_active")) is not None:
        where.append(tables.extraction_prompts.c.is_active.is_(active))
    if (template := boolean(q.get("is_template"), "is_template")) is not None:
        where.append(tables.extraction_prompts.c.is_template.is_(template))
    limit = query_int(request, "limit", 50, minimum=1, maximum=500)
    offset = query_int(request, "offset", 0, minimum=0, maximum=MAX_OFFSET)
    child = tables.extraction_prompts.alias("child")
    child_count = (
        sa.select(sa.func.count()).where(child.c.parent_prompt_id == tables.extraction_prompts.c.id).scalar_subquery()
    )
    query = (
        _prompt_query()
        .add_columns(child_count.label("child_count"))
        .where(*where)
        .order_by(tables.extraction_prompts.c.created_at.desc())
    )
    database = db(request)
    records = await database.fetch_all(query.limit(limit).offset(offset))
    total = await database.fetch_val(sa.select(sa.func.count()).select_from(tables.extraction_prompts).where(*where))
    return JSON(
        {"prompts": [row_dict(r, JSON_COLUMNS) for r in records], "total": total, "limit": limit, "offset": offset}
    )


async def vendor_prompts(request: Request) -> JSON:
    """
    summary: A vendor's prompts, active first
    responses:
      200: {description: "{prompts}"}
    """
    vendor_id = path_id(request, "vendorId")
    records = await db(request).fetch_all(
        _prompt_query()
        .where(tables.extraction_prompts.c.vendor_id == vendor_id)
        .order_by(
            tables.extraction_prompts.c.is_active.desc(),
            tables.extraction_prompts.c.version.desc(),
            tables.extraction_prompts.c.created_at.desc(),
        )
    )
    return JSON({"prompts": [row_dict(r, JSON_COLUMNS) for r in records]})


get_prompt = get_one("prompt", _load, "One prompt")


async def _check_vendor(database: Database, vendor_id: str | None) -> None:
    if vendor_id and not await database.fetch_val(
        sa.select(tables.vendors.c.id).where(tables.vendors.c.id == vendor_id)
    ):
        raise ApiError(404, "Vendor not found", field="vendor_id")


@requires("admin")
async def create_prompt(request: Request) -> JSON:
    """
    summary: Create a prompt, or a new version of one (parent_prompt_id) (admin)
    requestBody:
      content:
        application/json:
          schema:
            type: object
            required: [prompt_name, prompt_text]
            properties:
              prompt_name: {type: string}
              prompt_text: {type: string}
              vendor_id: {type: string, format: uuid}
              is_template: {type: boolean}
              is_active: {type: boolean}
              parent_prompt_id: {type: string, format: uuid}
    responses:
      201: {description: "{message, prompt}"}
      409: {description: Same name and version exist for this vendor}
    """
    body = await json_body(request)
    name = string(body.get("prompt_name"), "prompt_name", required=True, max_length=255)
    text = string(body.get("prompt_text"), "prompt_text", required=True, max_length=MAX_PROMPT)
    vendor_id = uuid_value(body.get("vendor_id"), "vendor_id", required=False)
    parent_id = uuid_value(body.get("parent_prompt_id"), "parent_prompt_id", required=False)
    is_template = boolean(body.get("is_template"), "is_template", default=False)
    is_active = boolean(body.get("is_active"), "is_active", default=False)
    if is_active and not vendor_id:
        raise bad_request("is_active", "only a vendor's prompt can be active (set vendor_id)")
    database = db(request)
    await _check_vendor(database, vendor_id)
    with unique_or_409("A prompt with this name and version already exists for this vendor", "prompt_name"):
        async with database.transaction():
            version = 1
            if parent_id:
                parent = await database.fetch_one(
                    sa.select(tables.extraction_prompts.c.id, tables.extraction_prompts.c.parent_prompt_id).where(
                        tables.extraction_prompts.c.id == parent_id
                    )
                )
                if parent is None:
                    raise ApiError(404, "Parent prompt not found", field="parent_prompt_id")
                root = parent["parent_prompt_id"] or parent["id"]
                parent_id = str(root)
                version = await database.fetch_val(
                    sa.select(sa.func.coalesce(sa.func.max(tables.extraction_prompts.c.version), 0) + 1).where(
                        sa.or_(
                            tables.extraction_prompts.c.id == root, tables.extraction_prompts.c.parent_prompt_id == root
                        )
                    )
                )
            prompt_id = await database.execute(
                tables.extraction_prompts.insert()
                .values(
                    prompt_name=name,
                    prompt_text=text,
                    vendor_id=vendor_id,
                    is_template=is_template,
                    is_active=False,
                    version=version,
                    parent_prompt_id=parent_id,
                    created_by=current_user(request).email or "system",
                )
                .returning(tables.extraction_prompts.c.id)
            )
            if is_active and vendor_id:
                await activate_for_vendor(database, vendor_id, str(prompt_id))
    return JSON(
        {"message": "Prompt created successfully", "prompt": await _load(request, str(prompt_id))}, status_code=201
    )


@requires("admin")
async def update_prompt(request: Request) -> JSON:
    """
    summary: Update a prompt (admin)
    responses:
      200: {description: "{message, prompt}"}
      404: {description: Unknown prompt}
    """
    prompt_id = path_id(request)
    body = await json_body(request)
    database = db(request)
    values: dict[str, Any] = {}
    if "prompt_name" in body:
        values["prompt_name"] = string(body["prompt_name"], "prompt_name", required=True, max_length=255)
    if "prompt_text" in body:
        values["prompt_text"] = string(body["prompt_text"], "prompt_text", required=True, max_length=MAX_PROMPT)
    if "vendor_id" in body:
        values["vendor_id"] = uuid_value(body["vendor_id"], "vendor_id", required=False)
        await _check_vendor(database, values["vendor_id"])
    if "is_template" in body:
        values["is_template"] = boolean(body["is_template"], "is_template", default=False)
    active = boolean(body.get("is_active"), "is_active") if "is_active" in body else None
    with unique_or_409("A prompt with this name and version already exists for this vendor", "prompt_name"):
        async with database.transaction():
            current = await fetch_by_id(database, tables.extraction_prompts, prompt_id, "Prompt", lock=True)
            old_vendor = current["vendor_id"]
            new_vendor = values.get("vendor_id", old_vendor)
            if current["is_active"] and old_vendor and (new_vendor != old_vendor or active is False):
                await activate_for_vendor(database, str(old_vendor), None)
            if values:
                await database.execute(
                    tables.extraction_prompts.update()
                    .where(tables.extraction_prompts.c.id == prompt_id)
                    .values(**values)
                )
            if active:
                if not new_vendor:
                    raise bad_request("is_active", "only a vendor's prompt can be active (set vendor_id)")
                await activate_for_vendor(database, str(new_vendor), prompt_id)
    return JSON({"message": "Prompt updated successfully", "prompt": await _load(request, prompt_id)})


@requires("admin")
async def activate_prompt(request: Request) -> JSON:
    """
    summary: Make this prompt its vendor's active prompt (admin)
    responses:
      200: {description: "{message, prompt_id}"}
      400: {description: The prompt has no vendor}
      404: {description: Unknown prompt}
    """
    prompt_id = path_id(request)
    database = db(request)
    async with database.transaction():
        prompt = await fetch_by_id(database, tables.extraction_prompts, prompt_id, "Prompt", "vendor_id")
        if not prompt["vendor_id"]:
            raise bad_request("id", "a template without vendor cannot be activated; create a vendor prompt from it")
        await activate_for_vendor(database, str(prompt["vendor_id"]), prompt_id)
    return JSON({"message": "Prompt activated successfully", "prompt_id": prompt_id})


async def prompt_history(request: Request) -> JSON:
    """
    summary: Every version in this prompt's family, oldest first
    responses:
      200: {description: "{versions}"}
      404: {description: Unknown prompt}
    """
    prompt_id = path_id(request)
    database = db(request)
    prompt = await fetch_by_id(database, tables.extraction_prompts, prompt_id, "Prompt", "id", "parent_prompt_id")
    root = prompt["parent_prompt_id"] or prompt["id"]
    records = await database.fetch_all(
        _prompt_query()
        .where(sa.or_(tables.extraction_prompts.c.id == root, tables.extraction_prompts.c.parent_prompt_id == root))
        .order_by(tables.extraction_prompts.c.version)
    )
    return JSON({"versions": [row_dict(r, JSON_COLUMNS) for r in records]})


@requires("admin")
async def delete_prompt(request: Request) -> JSON:
    """
    summary: Delete an inactive prompt without later versions (admin)
    responses:
      200: {description: "{message, deleted_prompt}"}
      400: {description: Active, or has versions}
      404: {description: Unknown prompt}
    """
    prompt_id = path_id(request)
    database = db(request)
    async with database.transaction():
        prompt = await fetch_by_id(database, tables.extraction_prompts, prompt_id, "Prompt", lock=True)
        if prompt["is_active"]:
            raise bad_request("id", "Cannot delete active prompt. Please activate another prompt first.")
        children = await database.fetch_val(
            sa.select(sa.func.count()).where(tables.extraction_prompts.c.parent_prompt_id == prompt_id)
        )
        if children:
            raise bad_request("id", "Cannot delete prompt with version history. Please delete child versions first.")
        await database.execute(tables.extraction_prompts.delete().where(tables.extraction_prompts.c.id == prompt_id))
    return JSON(
        {
            "message": "Prompt deleted successfully",
            "deleted_prompt": {"id": prompt_id, "prompt_name": prompt["prompt_name"], "version": prompt["version"]},
        }
    )


def extracted_data(result: Any) -> dict[str, Any]:
    return {
        "invoice_header": result.invoice,
        "line_items": result.line_items,
        "confidence_score": result.confidence,
        "warnings": result.warnings,
        "model": result.model,
        "usage": {
            "input_tokens": result.input_tokens,
            "output_tokens": result.output_tokens,
            "cost_usd": result.cost_usd,
        },
    }


async def _record_test(database: Database, prompt_id: str, entry: dict[str, Any]) -> None:
    from app.responses import dumps  # noqa: PLC0415

    current = await database.fetch_val(
        sa.select(tables.extraction_prompts.c.test_results).where(tables.extraction_prompts.c.id == prompt_id)
    )
    history = json.loads(current) if isinstance(current, str) else (current or [])
    history = [*history, json.loads(dumps(entry))][-KEEP_TEST_RESULTS:]
    await database.execute(
        tables.extraction_prompts.update()
        .where(tables.extraction_prompts.c.id == prompt_id)
        .values(test_results=history)
    )


async def _extract(
    request: Request, prompt: dict[str, Any], prompt_text: str | None, content: bytes | bytearray, media_type: str
) -> tuple[ExtractionResult, int]:
    """A sandbox run: ``content`` extracted with ``prompt_text`` for the vendor of ``prompt``; (result, ms)."""
    return await ingest.run_extraction(
        extractor(request),
        content,
        media_type,
        prompt=prompt_text,
        vendor_name=prompt.get("vendor_display_name") or prompt.get("vendor_name"),
    )


def _test_entry(document_type: str, document_length: int, elapsed: int) -> dict[str, Any]:
    """What every sandbox run reports of itself: when, on what, how long (the caller adds its own keys)."""
    return {
        "tested_at": dt.datetime.now(dt.UTC).isoformat(),
        "document_type": document_type,
        "success": True,
        "document_length": document_length,
        "processing_time_ms": elapsed,
    }


@requires("reviewer")
async def test_prompt(request: Request) -> JSON:
    """
    summary: Run a prompt on pasted document text
    requestBody:
      content:
        application/json:
          schema:
            type: object
            required: [document_content]
            properties:
              document_content: {type: string, maxLength: 200000}
    responses:
      200: {description: "{message, test_result, extracted_data}"}
      404: {description: Unknown prompt}
      422: {description: Extraction failed}
    """
    prompt_id = path_id(request)
    body = await json_body(request)
    document = string(body.get("document_content"), "document_content", required=True, max_length=MAX_DOCUMENT)
    assert document is not None
    prompt = await _load(request, prompt_id)
    markup = (
        document
        if document.lstrip().startswith("<")
        else f"<html><body><pre>{html.escape(document)}</pre></body></html>"
    )
    result, elapsed = await _extract(request, prompt, prompt["prompt_text"], markup.encode(), "text/html")
    entry = {
        **_test_entry("text", len(document), elapsed),
        "confidence": result.confidence,
        "warnings": result.warnings,
    }
    await _record_test(db(request), prompt_id, entry)
    return JSON(
        {"message": "Prompt tested successfully", "test_result": entry, "extracted_data": extracted_data(result)}
    )


def _test_files_cutoff() -> dt.datetime:
    """Sandbox files created before this have expired (TEST_FILE_TTL; naive UTC, as the column)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None) - TEST_FILE_TTL


async def _cleanup_expired(request: Request) -> None:
    database = db(request)
    expired = await database.fetch_all(
        tables.prompt_test_files.delete()
        .where(tables.prompt_test_files.c.created_at < _test_files_cutoff())
        .returning(tables.prompt_test_files.c.storage_key)
    )
    for row in expired:
        await storage(request).delete(row["storage_key"])


@requires("reviewer")
async def test_upload(request: Request) -> JSON:
    """
    summary: Upload a sample file for the prompt sandbox (kept in storage for an hour)
    requestBody:
      content:
        multipart/form-data:
          schema:
            type: object
            required: [testFile]
            properties:
              testFile: {type: string, format: binary}
    responses:
      200:
        description: >
          {message, tempFileId, originalName, contentType, size, expiresInSeconds, extractedText,
          extractedTextNote}: extractedText is the text extraction reads from the file (PDF, HTML;
          at most 200,000 characters), null for an image or an unreadable file, with
          extractedTextNote saying why (or that the text was cut)
      404: {description: Unknown prompt}
      413: {description: File too large}
      415: {description: Unsupported file type or content does not match the name}
    """
    prompt_id = path_id(request)
    await _load(request, prompt_id)
    conf = settings(request)
    async with request.form(max_files=1, max_fields=5, max_part_size=64 * 1024) as form:
        upload = form.get("testFile")
        if not isinstance(upload, UploadFile):
            raise bad_request("testFile", "testFile is required")
        filename = ingest.check_filename(upload.filename, "testFile")
        _, size = await ingest.hash_file_async(upload.file)
        if size == 0:
            raise bad_request("testFile", "testFile is empty")
        if size > conf.max_upload_bytes:
            raise ApiError(413, f"testFile is larger than {conf.max_upload_bytes} bytes", field="testFile")
        media_type = ingest.check_content(filename, await upload.read(ingest.SNIFF_BYTES), "testFile")
        await upload.seek(0)
        extracted = await _extracted_text(bytes(await ingest.read_file_async(upload.file, size)), media_type)
        await upload.seek(0)
        key = ingest.storage_key("prompt-tests", prompt_id, ingest.FILE_TYPES[media_type])
        store = storage(request)
        database = db(request)
        try:
            async with database.transaction():
                temp_id = await database.execute(
                    tables.prompt_test_files.insert()
                    .values(
                        prompt_id=prompt_id,
                        user_id=current_user(request).id,
                        storage_key=key,
                        original_name=filename,
                        content_type=media_type,
                        file_size=size,
                    )
                    .returning(tables.prompt_test_files.c.id)
                )
                await store.put_file(key, upload.file, media_type)
        except BaseException:
            await store.delete(key)
            raise
    await _cleanup_expired(request)
    return JSON(
        {
            "message": "Test file uploaded successfully",
            "tempFileId": str(temp_id),
            "originalName": filename,
            "contentType": media_type,
            "size": size,
            "expiresInSeconds": int(TEST_FILE_TTL.total_seconds()),
            **extracted,
        }
    )


async def _extracted_text(content: bytes, media_type: str) -> dict[str, str | None]:
    """The file's text as extraction reads it, for the workbench to show beside the document."""
    try:
        text = await asyncio.to_thread(document_text, content, media_type)  # pypdf and html.parser are CPU-bound
    except ExtractionError as exc:
        return {"extractedText": None, "extractedTextNote": f"No text could be read: {exc}"}
    if text is None:
        note = "An image has no text layer: no text is read here (Claude reads the image itself)"
        return {"extractedText": None, "extractedTextNote": note}
    if len(text) > MAX_EXTRACTED_TEXT:
        note = f"The first {MAX_EXTRACTED_TEXT:,} of {len(text):,} characters"
        return {"extractedText": text[:MAX_EXTRACTED_TEXT], "extractedTextNote": note}
    return {"extractedText": text, "extractedTextNote": None}


async def _test_file(request: Request, temp_id: str) -> Any:
    row = await db(request).fetch_one(
        tables.prompt_test_files.select().where(
            tables.prompt_test_files.c.id == temp_id, tables.prompt_test_files.c.created_at >= _test_files_cutoff()
        )
    )
    user = current_user(request)
    if row is None or (str(row["user_id"]) != user.id and not user.has_role("admin")):
        raise ApiError(404, "Test file not found or expired", field="tempFileId")
    return row


async def test_file(request: Request) -> Response:
    """
    summary: Stream a sandbox file (the token in the Authorization header, as everywhere)
    responses:
      200: {description: The file}
      404: {description: Unknown or expired}
    """
    row = await _test_file(request, path_id(request, "tempFileId"))
    stream = storage(request).stream(row["storage_key"])
    try:
        first = await anext(stream)
    except (StorageError, StopAsyncIteration):
        raise ApiError(404, "Test file no longer exists", field="tempFileId") from None

    async def body() -> Any:
        yield first
        async for chunk in stream:
            yield chunk

    return StreamingResponse(
        body(), media_type=row["content_type"], headers=file_headers(request, row["original_name"], row["content_type"])
    )


@requires("reviewer")
async def test_run(request: Request) -> JSON:
    """
    summary: Run a prompt text on an uploaded sandbox file
    requestBody:
      content:
        application/json:
          schema:
            type: object
            required: [tempFileId, promptText]
            properties:
              tempFileId: {type: string, format: uuid}
              promptText: {type: string}
    responses:
      200: {description: "{message, success, test_result, extracted_data, processing_time_ms}"}
      404: {description: Unknown prompt or test file}
      422: {description: Extraction failed}
    """
    prompt_id = path_id(request)
    body = await json_body(request)
    temp_id = uuid_value(body.get("tempFileId"), "tempFileId")
    prompt_text = string(body.get("promptText"), "promptText", required=True, max_length=MAX_PROMPT)
    prompt = await _load(request, prompt_id)
    row = await _test_file(request, str(temp_id))
    try:
        content = await storage(request).get_bytes(row["storage_key"])
    except StorageError:
        raise ApiError(404, "Test file no longer exists", field="tempFileId") from None
    result, elapsed = await _extract(request, prompt, prompt_text, content, row["content_type"])
    entry = {
        **_test_entry(row["content_type"], row["file_size"], elapsed),
        "custom_prompt_used": prompt_text != prompt["prompt_text"],
    }
    return JSON(
        {
            "message": "Prompt test completed successfully",
            "success": True,
            "test_result": entry,
            "extracted_data": extracted_data(result),
            "processing_time_ms": elapsed,
        }
    )


@requires("reviewer")
async def test_cleanup(request: Request) -> JSON:
    """
    summary: Delete a sandbox file now
    responses:
      200: {description: "{message, tempFileId}"}
      404: {description: Unknown or expired}
    """
    temp_id = path_id(request, "tempFileId")
    row = await _test_file(request, temp_id)
    await db(request).execute(tables.prompt_test_files.delete().where(tables.prompt_test_files.c.id == temp_id))
    await storage(request).delete(row["storage_key"])
    return JSON({"message": "Test file cleaned up successfully", "tempFileId": temp_id})
