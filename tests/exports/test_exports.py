"""Export catalogue and writers: round trips through openpyxl and csv, lazy consumption, bad input."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.worksheet import _writer as openpyxl_writer

from app.exports import (
    FIELD_CATALOGUE,
    FIELDS_BY_KEY,
    from_legacy_key,
    validate_fields,
    write_csv_zip,
    write_xlsx,
    writers,
)

pytestmark = pytest.mark.anyio

FIELD_KEYS = [
    "invoice.invoice_number",
    "vendor.name",
    "customer.name",
    "invoice.invoice_date",
    "invoice.total_amount",
    "invoice.confidence_score",
    "invoice.is_duplicate",
    "invoice.created_at",
    "line_item.invoice_number",
    "line_item.line_number",
    "line_item.description",
    "line_item.quantity",
    "line_item.unit_price",
    "line_item.total_amount",
    "line_item.service_period_start",
]

INVOICES = [
    {
        "invoice.invoice_number": "INV-1",
        "vendor.name": "Acme",
        "customer.name": "Globex, Inc.",  # a comma for CSV quoting
        "invoice.invoice_date": dt.date(2024, 3, 15),
        "invoice.total_amount": Decimal("1234.50"),
        "invoice.confidence_score": Decimal("0.95"),
        "invoice.is_duplicate": False,
        "invoice.created_at": dt.datetime(2024, 3, 16, 9, 30, tzinfo=dt.UTC),
    },
    {
        "invoice.invoice_number": '=HYPERLINK("http://evil.example")',  # must stay text
        "vendor.name": "Ünïcödé GmbH",
        "customer.name": None,
        "invoice.invoice_date": "2024-04-01",  # ISO string from JSON
        "invoice.total_amount": "99.10",  # numeric string
        "invoice.confidence_score": 0.5,
        "invoice.is_duplicate": True,
        # invoice.created_at missing -> empty
    },
]
LINE_ITEMS = [
    {
        "line_item.invoice_number": "INV-1",
        "line_item.line_number": 1,
        "line_item.description": "Widgets\nsecond line",
        "line_item.quantity": Decimal("2.5000"),
        "line_item.unit_price": Decimal("493.8000"),
        "line_item.total_amount": Decimal("1234.50"),
        "line_item.service_period_start": dt.date(2024, 3, 1),
    }
]


async def aiter(rows: list[dict[str, Any]]) -> AsyncIterator[dict[str, Any]]:
    for row in rows:
        yield row


def test_catalogue_keys_are_unique_and_well_formed() -> None:
    keys = [field.key for field in FIELD_CATALOGUE]
    assert len(keys) == len(set(keys))
    for field in FIELD_CATALOGUE:
        prefix = field.key.split(".")[0]
        assert prefix in ("invoice", "line_item", "vendor", "customer"), field.key
        assert field.kind == ("line_item" if prefix == "line_item" else "invoice")
        assert field.type in ("string", "number", "date", "datetime", "boolean")
    assert FIELDS_BY_KEY["vendor.name"].column == "name"
    # every money column of the schema is a number with a money format
    for key in ("invoice.total_amount", "invoice.total_taxes", "line_item.total_amount", "line_item.fee_amount"):
        assert FIELDS_BY_KEY[key].type == "number" and FIELDS_BY_KEY[key].number_format == "#,##0.00"


def test_validate_fields_keeps_order_and_names_unknown_keys() -> None:
    fields = validate_fields(["line_item.description", "invoice.invoice_number"])
    assert [f.key for f in fields] == ["line_item.description", "invoice.invoice_number"]
    with pytest.raises(ValueError, match=r"unknown export field\(s\): 'invoice.colour', 'vendor_name'"):
        validate_fields(["invoice.invoice_number", "invoice.colour", "vendor_name"])
    with pytest.raises(ValueError, match=r"more than once: 'invoice.invoice_number'"):
        validate_fields(["invoice.invoice_number", "invoice.invoice_number"])
    with pytest.raises(ValueError, match="at least one field"):
        validate_fields([])
    with pytest.raises(ValueError, match="list of field keys"):
        validate_fields("invoice.invoice_number")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "key", "expected"),
    [
        ("invoice", "vendor_name", "vendor.name"),
        ("invoice", "total_amount", "invoice.total_amount"),
        ("line_item", "line_total", "line_item.total_amount"),
        ("line_item", "invoice_number", "line_item.invoice_number"),
        ("invoice", "customer.name", "customer.name"),
    ],
)
def test_legacy_template_keys_map_onto_the_catalogue(kind: str, key: str, expected: str) -> None:
    assert from_legacy_key(kind, key) == expected  # type: ignore[arg-type]


def test_legacy_key_without_equivalent_is_named() -> None:
    with pytest.raises(ValueError, match="unknown line_item export field 'notes'"):
        from_legacy_key("line_item", "notes")


async def test_xlsx_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    fields = validate_fields(FIELD_KEYS)
    counts = await write_xlsx(path, aiter(INVOICES), aiter(LINE_ITEMS), fields)
    assert counts == {"invoices": 2, "line_items": 1}

    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["Invoices", "Line Items"]
    sheet = workbook["Invoices"]
    rows = list(sheet.iter_rows())
    assert [c.value for c in rows[0]] == [
        "Invoice #",
        "Vendor Name",
        "Customer Name",
        "Invoice Date",
        "Total Amount",
        "AI Confidence",
        "Is Duplicate",
        "Created At",
    ]
    first = rows[1]
    assert first[0].value == "INV-1"
    assert first[3].value == dt.datetime(2024, 3, 15) and first[3].is_date and first[3].number_format == "yyyy-mm-dd"
    assert first[4].value == 1234.5 and first[4].data_type == "n" and first[4].number_format == "#,##0.00"
    assert first[5].value == 0.95 and first[5].number_format == "0.0%"
    assert first[6].value is False
    assert first[7].value == dt.datetime(2024, 3, 16, 9, 30)  # UTC, naive (XLSX has no offsets)
    second = rows[2]
    assert second[0].value == '=HYPERLINK("http://evil.example")' and second[0].data_type == "s"
    assert second[1].value == "Ünïcödé GmbH"
    assert second[2].value is None
    assert second[3].value == dt.datetime(2024, 4, 1)
    assert second[4].value == 99.1 and second[4].data_type == "n"
    assert second[7].value is None

    lines = list(workbook["Line Items"].iter_rows(values_only=True))
    assert lines[0] == (
        "Invoice #",
        "Line #",
        "Description",
        "Quantity",
        "Unit Price",
        "Line Total",
        "Service Start",
    )
    assert lines[1] == ("INV-1", 1, "Widgets\nsecond line", 2.5, 493.8, 1234.5, dt.datetime(2024, 3, 1))


async def test_csv_zip_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    counts = await write_csv_zip(path, INVOICES, aiter(LINE_ITEMS), validate_fields(FIELD_KEYS))  # sync rows too
    assert counts == {"invoices": 2, "line_items": 1}

    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == ["invoices.csv", "line_items.csv"]
        invoices = list(csv.reader(io.TextIOWrapper(archive.open("invoices.csv"), encoding="utf-8-sig", newline="")))
        lines = list(csv.reader(io.TextIOWrapper(archive.open("line_items.csv"), encoding="utf-8-sig", newline="")))
    assert invoices[0][:3] == ["Invoice #", "Vendor Name", "Customer Name"]
    assert invoices[1] == [
        "INV-1",
        "Acme",
        "Globex, Inc.",
        "2024-03-15",
        "1234.50",
        "0.95",
        "false",
        "2024-03-16T09:30:00+00:00",
    ]
    assert invoices[2] == [
        '\'=HYPERLINK("http://evil.example")',
        "Ünïcödé GmbH",
        "",
        "2024-04-01",
        "99.10",
        "0.5",
        "true",
        "",
    ]
    assert lines[1] == ["INV-1", "1", "Widgets\nsecond line", "2.5000", "493.8000", "1234.50", "2024-03-01"]


@pytest.mark.parametrize("writer", [write_xlsx, write_csv_zip])
async def test_writers_consume_rows_lazily(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, writer: Any) -> None:
    """Never more than one chunk of rows is taken ahead of what has been written."""
    monkeypatch.setattr(writers, "CHUNK_ROWS", 10)
    monkeypatch.setattr(writers._chunks, "__defaults__", (10,))
    written = {"rows": 0}
    for sink in (writers._XlsxSheet, writers._CsvEntry):
        original = sink.write_rows

        def counting(self: Any, rows: list, original: Any = original) -> None:
            original(self, rows)
            written["rows"] += len(rows)

        monkeypatch.setattr(sink, "write_rows", counting)

    produced = {"rows": 0}

    async def invoices() -> AsyncIterator[dict[str, Any]]:
        for n in range(95):
            assert produced["rows"] - written["rows"] <= 10, "the writer drained the iterator ahead of writing"
            produced["rows"] += 1
            yield {"invoice.invoice_number": f"INV-{n}", "invoice.total_amount": n}

    counts = await writer(tmp_path / "out", invoices(), aiter([]), validate_fields(FIELD_KEYS))
    assert counts == {"invoices": 95, "line_items": 0}
    assert written["rows"] == 95


@pytest.mark.parametrize("writer", [write_xlsx, write_csv_zip])
async def test_a_failing_source_stops_the_export(tmp_path: Path, writer: Any) -> None:
    pulled = []

    async def broken() -> AsyncIterator[dict[str, Any]]:
        for n in range(3):
            pulled.append(n)
            yield {"invoice.invoice_number": str(n)}
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError, match="database went away"):
        await writer(tmp_path / "out", broken(), aiter([]), validate_fields(FIELD_KEYS))
    assert pulled == [0, 1, 2]
    assert openpyxl_writer.ALL_TEMP_FILES == []  # no sheet temp files left behind


@pytest.mark.parametrize("writer", [write_xlsx, write_csv_zip])
async def test_bad_values_are_named(tmp_path: Path, writer: Any) -> None:
    rows = [{"invoice.total_amount": "twelve"}]
    with pytest.raises(ValueError, match=re.escape("export field 'invoice.total_amount': 'twelve' is not a number")):
        await writer(tmp_path / "out", aiter(rows), aiter([]), validate_fields(["invoice.total_amount"]))
    rows = [{"invoice.invoice_date": "15/03/2024"}]
    with pytest.raises(ValueError, match=re.escape("export field 'invoice.invoice_date': '15/03/2024' is not a date")):
        await writer(tmp_path / "out", aiter(rows), aiter([]), validate_fields(["invoice.invoice_date"]))


async def test_only_line_item_fields_gives_an_empty_invoices_sheet(tmp_path: Path) -> None:
    path = tmp_path / "lines.xlsx"
    fields = validate_fields(["line_item.description"])
    counts = await write_xlsx(path, aiter(INVOICES), aiter(LINE_ITEMS), fields)
    assert counts == {"invoices": 2, "line_items": 1}
    workbook = openpyxl.load_workbook(path)
    assert [list(r) for r in workbook["Invoices"].iter_rows(values_only=True)] in ([], [[None]], [[], [], []])
    assert list(workbook["Line Items"].iter_rows(values_only=True))[1] == ("Widgets\nsecond line",)
