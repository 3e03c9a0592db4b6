"""Turning an uploaded file into an invoice: checks, extraction, storage, database.

Shared by the single upload endpoint and the batch worker. The order keeps nothing
half-written: the invoice rows and the stored file are written inside one database
transaction; if anything fails the transaction rolls back and the file is deleted.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
import unicodedata
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import IO, Any

import anyio.to_thread
import sqlalchemy as sa
from asyncpg.exceptions import UniqueViolationError
from databases import Database

from app import tables
from app.extraction import ExtractionError, ExtractionResult, media_type_for_filename, sniff_media_type
from app.responses import ApiError
from app.validation import as_date

log = logging.getLogger("app.ingest")

FILE_TYPES = {"application/pdf": "PDF", "text/html": "HTML", "image/png": "PNG", "image/jpeg": "JPEG"}
EXTENSIONS = {"PDF": "pdf", "HTML": "html", "PNG": "png", "JPEG": "jpg"}
MEDIA_TYPES = {v: k for k, v in FILE_TYPES.items()}
SNIFF_BYTES = 1024
_BAD_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


class DuplicateInvoice(ApiError):
    def __init__(self, existing_id: str, reason: str) -> None:
        message = (
            "This file was already uploaded"
            if reason == "file_hash"
            else "Invoice with this number already exists for this vendor"
        )
        super().__init__(409, message, field="invoice", duplicate_of=existing_id, reason=reason)


def check_filename(filename: str | None, field: str) -> str:
    """The client's file name, refused if it tries path tricks or is unusable."""
    if not filename or not filename.strip():
        raise ApiError(400, f"{field} must have a file name", field=field)
    name = unicodedata.normalize("NFC", filename.strip())
    if _BAD_NAME.search(name) or name in {".", ".."} or ".." in name or name.startswith("."):
        raise ApiError(400, f"{field} has an unsafe file name", field=field)
    if len(name) > 255:
        raise ApiError(400, f"{field} file name is longer than 255 characters", field=field)
    return name


def check_content(filename: str, head: bytes, field: str) -> str:
    """The media type, when the name's extension and the file's bytes agree on a supported one."""
    by_name = media_type_for_filename(filename)
    if by_name not in FILE_TYPES:
        raise ApiError(415, f"{field} must be a PDF, HTML, PNG or JPEG file", field=field)
    sniffed = sniff_media_type(head)
    if sniffed != by_name:
        raise ApiError(415, f"{field}: the file's content is not what its name says ({filename})", field=field)
    return by_name


def hash_file(fileobj: IO[bytes]) -> tuple[str, int]:
    """sha256 and size of a file object, read in chunks; leaves it rewound."""
    fileobj.seek(0)
    digest = hashlib.sha256()
    size = 0
    while chunk := fileobj.read(1024 * 1024):
        digest.update(chunk)
        size += len(chunk)
    fileobj.seek(0)
    return digest.hexdigest(), size


async def hash_file_async(fileobj: IO[bytes]) -> tuple[str, int]:
    return await anyio.to_thread.run_sync(hash_file, fileobj)


async def sha256_async(data: bytes | bytearray) -> str:
    return await anyio.to_thread.run_sync(lambda: hashlib.sha256(data).hexdigest())


def read_file(fileobj: IO[bytes], size: int) -> bytearray:
    """The whole file in one buffer of exactly ``size`` bytes; leaves it rewound.

    ``read()`` without a size collects chunks and joins them, so it briefly holds the
    file twice; ``readinto`` fills one pre-sized buffer (the extractors accept bytearray).
    """
    buffer = bytearray(size)
    view = memoryview(buffer)
    fileobj.seek(0)
    filled = 0
    try:
        while filled < size:
            count = fileobj.readinto(view[filled:])  # type: ignore[attr-defined]
            if not count:
                raise OSError(f"the uploaded file ended after {filled} of {size} bytes")
            filled += count
    finally:
        view.release()
    fileobj.seek(0)
    return buffer


async def read_file_async(fileobj: IO[bytes], size: int) -> bytearray:
    return await anyio.to_thread.run_sync(read_file, fileobj, size)


def storage_key(prefix: str, vendor_id: str, file_type: str) -> str:
    return f"{prefix}/{vendor_id}/{uuid.uuid4()}.{EXTENSIONS[file_type]}"


async def find_by_hash(database: Database, file_hash: str) -> str | None:
    value = await database.fetch_val(sa.select(tables.invoices.c.id).where(tables.invoices.c.file_hash == file_hash))
    return str(value) if value else None


async def vendor_prompt(database: Database, vendor: Any) -> str | None:
    """The vendor's active prompt text, or None (the extractor then uses its default)."""
    p = tables.extraction_prompts
    text = await database.fetch_val(
        sa.select(p.c.prompt_text).where(p.c.vendor_id == vendor["id"], p.c.is_active.is_(True)).limit(1)
    )
    return text


def normalise_name(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).lower()
    text = re.sub(r"[^\w\s&]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


async def match_customer(database: Database, name: str | None, account: str | None) -> str | None:
    if not name and not account:
        return None
    c = tables.customers
    conditions = []
    if name:
        normalised = normalise_name(name)
        conditions += [c.c.normalized_name == normalised, sa.literal(normalised) == sa.any_(c.c.aliases)]
    if account:
        conditions.append(sa.literal(account) == sa.any_(c.c.account_numbers))
    value = await database.fetch_val(sa.select(c.c.id).where(c.c.active.is_(True), sa.or_(*conditions)).limit(1))
    return str(value) if value else None


async def run_extraction(
    extractor: Any, content: bytes | bytearray, media_type: str, *, prompt: str | None, vendor_name: str | None
) -> tuple[ExtractionResult, int]:
    started = time.perf_counter()
    try:
        result = await extractor.extract(content, media_type, prompt=prompt, vendor_name=vendor_name)
    except ExtractionError as exc:
        raise ApiError(422, f"Extraction failed: {exc}", field="invoice") from None
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        log.exception("extractor error")
        raise ApiError(502, "AI processing failed. Please try again later.") from exc
    return result, int((time.perf_counter() - started) * 1000)


def _clean(kind: str, value: Any, column: str) -> Any:  # noqa: PLR0911 (one return per kind)
    """Coerce one extracted value into what the column holds (extraction output is not trusted)."""
    if value is None or value == "":
        return None
    if kind == "date":
        try:
            return as_date(value)
        except ValueError:
            return None
    if kind in {"money", "qty"}:
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            return None
        limit = Decimal("9999999999.99") if kind == "money" else Decimal("99999999.9999")
        if not number.is_finite() or abs(number) > limit:  # before quantize, which cannot hold 1e308
            return None
        number = number.quantize(Decimal("0.01") if kind == "money" else Decimal("0.0001"))
        return number if abs(number) <= limit else None
    if kind == "int":
        try:
            count = int(value)
        except (TypeError, ValueError, OverflowError):
            return None
        return count if 0 <= count <= 1_000_000 else None
    text = str(value).strip()
    if kind == "currency":
        return text.upper()[:10] or None
    max_chars = tables.STRING_LIMITS.get(column, 10_000)
    return text[:max_chars] or None


def invoice_values(result: ExtractionResult) -> dict[str, Any]:
    values = {col: _clean(kind, result.invoice.get(col), col) for col, kind in tables.INVOICE_HEADER_FIELDS.items()}
    values["currency"] = values["currency"] or "USD"
    return values


def line_item_values(result: ExtractionResult) -> list[dict[str, Any]]:
    items = []
    for index, item in enumerate(result.line_items, start=1):
        values = {col: _clean(kind, item.get(col), col) for col, kind in tables.LINE_ITEM_FIELDS.items()}
        values["line_number"] = values["line_number"] or index
        items.append(values)
    return items


@dataclass
class StoredFile:
    key: str
    file_type: str
    file_hash: str
    file_size: int
    original_filename: str


async def save_invoice(
    database: Database,
    *,
    vendor_id: str,
    result: ExtractionResult,
    stored: StoredFile,
    processing_ms: int,
    user_id: str | None,
    batch_id: str | None = None,
    write_file: Callable[[], Awaitable[None]] | None = None,
    delete_file: Callable[[], Awaitable[None]] | None = None,
    on_saved: Callable[[str], Awaitable[None]] | None = None,
) -> str:
    """Insert the invoice and its line items (and write the file) in one transaction.

    ``write_file`` runs inside the transaction, last; ``delete_file`` undoes it when the
    transaction does not commit. ``on_saved(invoice_id)`` runs inside the transaction too
    (the batch worker marks its file done there). Duplicates raise ``DuplicateInvoice``.
    """
    header = invoice_values(result)
    items = line_item_values(result)
    customer_id = await match_customer(database, header["customer_name"], header["customer_account_number"])
    row = {
        **header,
        **_provenance(result, stored, processing_ms),
        "vendor_id": vendor_id,
        "customer_id": customer_id,
        "batch_id": batch_id,
        "line_item_count": len(items),
        "uploaded_by": user_id,
    }
    written = False
    try:
        async with database.transaction():
            await _refuse_taken_number(database, vendor_id, header["invoice_number"])
            invoice_id = str(
                await database.execute(tables.invoices.insert().values(**row).returning(tables.invoices.c.id))
            )
            if items:
                await database.execute_many(
                    tables.line_items.insert(), [{**item, "invoice_id": invoice_id} for item in items]
                )
            if on_saved is not None:
                await on_saved(invoice_id)
            if write_file is not None:
                written = True
                await write_file()
    except UniqueViolationError as exc:
        if written and delete_file is not None:
            await delete_file()
        raise await _duplicate(database, exc, stored.file_hash) from None
    except BaseException:
        if written and delete_file is not None:
            await delete_file()
        raise
    return invoice_id


def _provenance(result: ExtractionResult, stored: StoredFile, processing_ms: int) -> dict[str, Any]:
    """The invoice's columns about its file and its extraction."""
    confidence = max(0.0, min(1.0, float(result.confidence or 0)))
    return {
        "file_path": stored.key,
        "file_type": stored.file_type,
        "file_hash": stored.file_hash,
        "file_size": stored.file_size,
        "original_filename": stored.original_filename,
        "processing_status": "processed",
        "confidence_score": Decimal(str(round(confidence, 2))),
        "extraction_warnings": [str(w) for w in result.warnings],
        "extraction_model": str(result.model)[:100],
        "input_tokens": int(result.input_tokens),
        "output_tokens": int(result.output_tokens),
        "extraction_cost_usd": Decimal(str(result.cost_usd)),
        "processing_time_ms": processing_ms,
        "processed_at": sa.func.now(),
    }


async def _refuse_taken_number(database: Database, vendor_id: str, invoice_number: str | None) -> None:
    if not invoice_number:
        return
    existing = await database.fetch_val(
        sa.select(tables.invoices.c.id).where(
            tables.invoices.c.vendor_id == vendor_id, tables.invoices.c.invoice_number == invoice_number
        )
    )
    if existing:
        raise DuplicateInvoice(str(existing), "invoice_number")


async def _duplicate(database: Database, exc: UniqueViolationError, file_hash: str) -> DuplicateInvoice:
    """The 409 for an insert a unique index refused (a concurrent upload of the same file or number)."""
    constraint = getattr(exc, "constraint_name", "") or ""
    reason = "file_hash" if "file_hash" in constraint else "invoice_number"
    existing = await find_by_hash(database, file_hash) if reason == "file_hash" else None
    return DuplicateInvoice(existing or "", reason)
