"""Streaming export writers: XLSX (Invoices + Line Items sheets) and a zip of two CSV files.

Rows arrive as (async) iterables of mappings keyed by field key. They are taken in
chunks of ``CHUNK_ROWS`` and each chunk is written from a worker thread, so memory holds
at most one chunk whatever the row count and the event loop stays free while openpyxl or
the zip compressor work. openpyxl runs in ``write_only`` mode, which streams each sheet
to a temporary file; the zip is written entry by entry.

Values: numbers stay numbers (Decimal/int/float; numeric strings are converted), dates
and datetimes are real Excel dates with a number format in XLSX and ISO 8601 in CSV
(timezone-aware datetimes are converted to UTC; XLSX cannot store an offset). Text is
always written as text: in XLSX a value starting with "=" is never a formula; in CSV,
text starting with = + - @ or a tab/CR is prefixed with "'" so spreadsheet programs do
not evaluate it (CSV injection).
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import os
import zipfile
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

from app.exports.fields import ExportField
from app.validation import as_date

CHUNK_ROWS = 500
INVOICES_SHEET = "Invoices"
LINE_ITEMS_SHEET = "Line Items"
INVOICES_CSV = "invoices.csv"
LINE_ITEMS_CSV = "line_items.csv"
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

Rows = AsyncIterable[Mapping[str, Any]] | Iterable[Mapping[str, Any]]


async def _chunks(rows: Rows, size: int = CHUNK_ROWS) -> AsyncIterator[list[Mapping[str, Any]]]:
    chunk: list[Mapping[str, Any]] = []
    if isinstance(rows, AsyncIterable):
        async for row in rows:
            chunk.append(row)
            if len(chunk) >= size:
                yield chunk
                chunk = []
    else:
        for row in rows:
            chunk.append(row)
            if len(chunk) >= size:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def _split(fields: list[ExportField]) -> tuple[list[ExportField], list[ExportField]]:
    if not fields:
        raise ValueError("fields must name at least one field")
    invoice_fields = [f for f in fields if f.kind == "invoice"]
    line_fields = [f for f in fields if f.kind == "line_item"]
    return invoice_fields, line_fields


# -- value conversion ------------------------------------------------------------------------


def _number(value: Any, field: ExportField) -> Decimal | int | float:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float | Decimal):
        return value
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        raise ValueError(f"export field {field.key!r}: {value!r} is not a number")
    return number


def _date(value: Any, field: ExportField) -> dt.date:
    try:
        return as_date(value)
    except ValueError:
        raise ValueError(f"export field {field.key!r}: {value!r} is not a date") from None


def _datetime(value: Any, field: ExportField) -> dt.datetime:
    if isinstance(value, dt.datetime):
        result = value
    elif isinstance(value, dt.date):
        result = dt.datetime(value.year, value.month, value.day)
    else:
        try:
            result = dt.datetime.fromisoformat(str(value))
        except ValueError:
            raise ValueError(f"export field {field.key!r}: {value!r} is not a date and time") from None
    return result


def _boolean(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "t", "1", "yes", "y")
    return bool(value)


def _typed(value: Any, field: ExportField) -> Any:
    """``value`` as the Python type of ``field`` (None stays None)."""
    if value is None or value == "":
        return None
    if field.type == "number":
        return _number(value, field)
    if field.type == "date":
        return _date(value, field)
    if field.type == "datetime":
        return _datetime(value, field)
    if field.type == "boolean":
        return _boolean(value)
    return value if isinstance(value, str) else str(value)


# -- XLSX -----------------------------------------------------------------------------------


class _XlsxSheet:
    def __init__(self, workbook: Workbook, title: str, fields: list[ExportField]) -> None:
        self.sheet = workbook.create_sheet(title)
        self.fields = fields
        for index, field in enumerate(fields, start=1):
            self.sheet.column_dimensions[get_column_letter(index)].width = field.width
        if fields:
            self.sheet.freeze_panes = "A2"
        self.sheet.append([field.label for field in fields])
        self.rows = 0

    def write_rows(self, rows: list[Mapping[str, Any]]) -> None:
        for row in rows:
            self.sheet.append([self._cell(row.get(field.key), field) for field in self.fields])
        self.rows += len(rows)

    def _cell(self, value: Any, field: ExportField) -> Any:
        value = _typed(value, field)
        if value is None:
            return None
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
            if value.startswith("="):
                cell = WriteOnlyCell(self.sheet, value=value)
                cell.data_type = "s"  # text, never a formula
                return cell
            return value
        if field.number_format and not isinstance(value, bool):
            cell = WriteOnlyCell(self.sheet, value=value)
            cell.number_format = field.number_format
            return cell
        return value


async def write_xlsx(
    path: str | os.PathLike[str], invoices: Rows, line_items: Rows, fields: list[ExportField]
) -> dict[str, int]:
    """Write an XLSX workbook with sheets "Invoices" and "Line Items"; return the row counts."""
    invoice_fields, line_fields = _split(fields)
    workbook = Workbook(write_only=True)
    invoice_sheet = _XlsxSheet(workbook, INVOICES_SHEET, invoice_fields)
    line_sheet = _XlsxSheet(workbook, LINE_ITEMS_SHEET, line_fields)
    try:
        async for chunk in _chunks(invoices):
            await asyncio.to_thread(invoice_sheet.write_rows, chunk)
        async for chunk in _chunks(line_items):
            await asyncio.to_thread(line_sheet.write_rows, chunk)
        await asyncio.to_thread(workbook.save, os.fspath(path))
    except BaseException:
        await asyncio.to_thread(_discard, workbook)
        raise
    return {"invoices": invoice_sheet.rows, "line_items": line_sheet.rows}


def _discard(workbook: Workbook) -> None:
    """Finish and delete the sheets' temporary files of a workbook that will not be saved."""
    for sheet in workbook.worksheets:
        try:
            sheet.close()  # ends the sheet's XML stream while its file is still open
        except Exception:  # noqa: S110 (best effort: the export has already failed)
            pass
        writer = getattr(sheet, "_writer", None)
        if writer is not None:
            try:
                writer.cleanup()
            except (OSError, ValueError):
                pass


# -- CSV ------------------------------------------------------------------------------------


def _csv_value(value: Any, field: ExportField) -> str:  # noqa: PLR0911 (one return per type reads best)
    value = _typed(value, field)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, float | int):
        return repr(value)
    text = str(value)
    if text.startswith(_FORMULA_TRIGGERS):
        return "'" + text
    return text


class _CsvEntry:
    """One CSV file inside the zip, written row chunk by row chunk."""

    def __init__(self, archive: zipfile.ZipFile, name: str, fields: list[ExportField]) -> None:
        self.raw = archive.open(name, mode="w", force_zip64=True)
        # utf-8-sig: Excel opens UTF-8 CSV correctly only with the byte order mark
        self.text = io.TextIOWrapper(self.raw, encoding="utf-8-sig", newline="")
        self.writer = csv.writer(self.text)
        self.fields = fields
        self.writer.writerow([field.label for field in fields])
        self.rows = 0

    def write_rows(self, rows: list[Mapping[str, Any]]) -> None:
        self.writer.writerows([[_csv_value(row.get(f.key), f) for f in self.fields] for row in rows])
        self.rows += len(rows)

    def close(self) -> None:
        self.text.close()  # also closes the zip entry


async def _write_entry(
    archive: zipfile.ZipFile, name: str, fields: list[ExportField], rows: Rows, run: Callable[..., Any]
) -> int:
    entry = await run(_CsvEntry, archive, name, fields)
    try:
        async for chunk in _chunks(rows):
            await run(entry.write_rows, chunk)
    finally:
        await run(entry.close)
    return entry.rows


async def write_csv_zip(
    path: str | os.PathLike[str], invoices: Rows, line_items: Rows, fields: list[ExportField]
) -> dict[str, int]:
    """Write a zip holding invoices.csv and line_items.csv; return the row counts."""
    invoice_fields, line_fields = _split(fields)
    run = asyncio.to_thread
    archive = await run(zipfile.ZipFile, os.fspath(path), "w", zipfile.ZIP_DEFLATED)
    try:
        invoice_count = await _write_entry(archive, INVOICES_CSV, invoice_fields, invoices, run)
        line_count = await _write_entry(archive, LINE_ITEMS_CSV, line_fields, line_items, run)
    finally:
        await run(archive.close)
    return {"invoices": invoice_count, "line_items": line_count}
