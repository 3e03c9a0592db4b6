"""Coercion (dates, money), validation findings, confidence, media types, pricing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from app.extraction import media_type_for_filename, sniff_media_type
from app.extraction.pricing import FALLBACK_PRICE, cost_usd, price_for
from app.extraction.validation import confidence, normalise, parse_date, parse_decimal, validate

TODAY = dt.date(2024, 6, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-15", dt.date(2024, 3, 15)),
        ("2024-03-15T10:00:00Z", dt.date(2024, 3, 15)),
        ("2024/03/15", dt.date(2024, 3, 15)),
        ("03/15/2024", dt.date(2024, 3, 15)),
        ("3/4/2024", dt.date(2024, 3, 4)),  # ambiguous: US month first
        ("15/03/2024", dt.date(2024, 3, 15)),  # first number > 12: day first
        ("03/15/24", dt.date(2024, 3, 15)),
        ("15.03.2024", dt.date(2024, 3, 15)),
        ("March 15, 2024", dt.date(2024, 3, 15)),
        ("Sept 1st 2024", dt.date(2024, 9, 1)),
        ("15 Mar 2024", dt.date(2024, 3, 15)),
        ("15-Mar-2024", dt.date(2024, 3, 15)),
        ("", None),
        (None, None),
    ],
)
def test_parse_date(text: str | None, expected: dt.date | None) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["2024-02-30", "13/13/2024", "yesterday", "15 Smarch 2024", "20240315"])
def test_parse_date_rejects_with_the_value_named(text: str) -> None:
    with pytest.raises(ValueError, match=repr(text).replace("/", "/")):
        parse_date(text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("$1,234.50", "1234.50"),
        ("1.234,50 €", "1234.50"),
        ("EUR 1.234,50", "1234.50"),
        ("1 234,5", "1234.50"),
        ("USD 99", "99.00"),
        ("(12.00)", "-12.00"),
        ("12.00-", "-12.00"),
        ("-$5.25", "-5.25"),
        ("45.00 CR", "-45.00"),
        ("1,234", "1234.00"),  # three digits after a lone comma: thousands
        ("0.005", "0.01"),  # rounded half up to cents
        (1234.5, "1234.50"),
        (7, "7.00"),
        (Decimal("2.345"), "2.35"),
    ],
)
def test_parse_decimal(value: object, expected: str) -> None:
    assert parse_decimal(value) == Decimal(expected)


@pytest.mark.parametrize("value", ["abc", "12.3.4,5,6x", "$", True, [1], "1e5", "NaN"])
def test_parse_decimal_rejects(value: object) -> None:
    with pytest.raises(ValueError, match="is not"):
        parse_decimal(value)


def test_normalise_coerces_and_warns_per_field() -> None:
    raw = {
        "invoice_number": "  INV  1 ",
        "invoice_date": "March 1, 2024",
        "due_date": "soon",
        "total_amount": "$1,100.00",
        "currency": "$",
        "line_item_count": 5,
        "line_items": [
            {"description": "A", "quantity": "2", "unit_price": "500", "total_amount": "1,000.00"},
            {"description": "B", "total_amount": "oops", "line_number": 7},
            "not an object",
        ],
    }
    invoice, lines, warnings = normalise(raw)
    assert invoice["invoice_number"] == "INV 1"
    assert invoice["invoice_date"] == dt.date(2024, 3, 1)
    assert invoice["due_date"] is None
    assert invoice["total_amount"] == Decimal("1100.00")
    assert invoice["currency"] == "USD"
    assert invoice["line_item_count"] == 2
    assert lines[0]["quantity"] == Decimal("2.0000") and lines[0]["unit_price"] == Decimal("500.0000")
    assert lines[1]["total_amount"] is None and lines[1]["line_number"] == 7
    assert warnings == [
        "due_date: 'soon' is not a date in a known format; left empty",
        "line 2 total_amount: 'oops' is not an amount; left empty",
        "line 3: not an object; ignored",
        "line_item_count 5 != 2 line items found",
    ]


def test_normalise_refuses_amounts_too_large_for_the_column() -> None:
    invoice, _, warnings = normalise({"total_amount": "12345678901.00"})
    assert invoice["total_amount"] is None
    assert warnings == ["total_amount: 12345678901.00 is too large to store; left empty"]


def _invoice(**overrides: object) -> dict:
    base = {
        "invoice_number": "INV-1",
        "vendor_name": "Vendor",
        "customer_name": "Customer",
        "invoice_date": dt.date(2024, 3, 1),
        "due_date": dt.date(2024, 3, 31),
        "subtotal": Decimal("100.00"),
        "total_taxes": Decimal("10.00"),
        "total_fees": None,
        "total_amount": Decimal("110.00"),
    }
    base.update(overrides)
    return base


def _line(amount: str, quantity: str | None = None, unit_price: str | None = None) -> dict:
    return {
        "total_amount": Decimal(amount),
        "subtotal": None,
        "quantity": Decimal(quantity) if quantity else None,
        "unit_price": Decimal(unit_price) if unit_price else None,
    }


@pytest.mark.parametrize(
    ("invoice", "lines", "expected"),
    [
        (_invoice(), [_line("60.00", "2", "30"), _line("40.00")], []),
        # line items after tax match the total instead of the subtotal: fine
        (_invoice(), [_line("110.00")], []),
        # within one cent
        (_invoice(), [_line("99.995")], []),
        (_invoice(), [_line("90.00")], ["subtotal 100.00 != sum of line items 90.00"]),
        (
            _invoice(subtotal=None),
            [_line("100.00")],
            [],
        ),
        (
            _invoice(subtotal=None, total_amount=Decimal("120.00")),
            [_line("100.00")],
            ["total_amount 120.00 != sum of line items 100.00"],
        ),
        (
            _invoice(total_amount=Decimal("115.00")),
            [],
            ["total_amount 115.00 != subtotal 100.00 + total_taxes 10.00 + total_fees 0 = 110.00"],
        ),
        (_invoice(due_date=dt.date(2024, 2, 1)), [], ["due_date 2024-02-01 is before invoice_date 2024-03-01"]),
        (
            _invoice(invoice_date=dt.date(1970, 1, 1), due_date=None),
            [],
            ["invoice_date 1970-01-01 is implausible"],
        ),
        (_invoice(due_date=dt.date(2030, 1, 1)), [], ["due_date 2030-01-01 is implausible"]),
        (
            _invoice(service_period_start=dt.date(2024, 3, 31), service_period_end=dt.date(2024, 3, 1)),
            [],
            ["service_period_end 2024-03-01 is before service_period_start 2024-03-31"],
        ),
        (
            _invoice(),
            [_line("100.00", "3", "30")],
            ["line 1 amount 100.00 != quantity 3 x unit_price 30 = 90.00"],
        ),
        (
            _invoice(invoice_number=None, total_amount=None, subtotal=None),
            [],
            ["invoice_number missing", "total_amount missing"],
        ),
    ],
)
def test_validate(invoice: dict, lines: list[dict], expected: list[str]) -> None:
    assert validate(invoice, lines, today=TODAY) == expected


def test_confidence_reflects_completeness_and_findings() -> None:
    full = _invoice()
    lines = [_line("100.00")]
    assert confidence(full, lines, []) == 1.0
    assert confidence(full, [], []) == 0.8  # no line items
    assert confidence({**full, "invoice_number": None}, lines, ["invoice_number missing"]) == 0.8  # not twice
    assert confidence(full, lines, ["subtotal 1 != sum of line items 2"]) == 0.85
    assert confidence(full, lines, ["a", "b"]) == 0.72
    assert confidence({}, [], []) == 0.0


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"%PDF-1.7\n...", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"<!DOCTYPE html><html>", "text/html"),
        (b"\xef\xbb\xbf  <html lang=en>", "text/html"),
        (b"\n<TABLE>", "text/html"),
        (b"PK\x03\x04", None),
        (b"plain text invoice", None),
        (b"", None),
    ],
)
def test_sniff_media_type(head: bytes, expected: str | None) -> None:
    assert sniff_media_type(head) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.pdf", "application/pdf"),
        ("A.PDF", "application/pdf"),
        ("scan.JPG", "image/jpeg"),
        ("x.jpeg", "image/jpeg"),
        ("x.png", "image/png"),
        ("page.htm", "text/html"),
        ("page.html", "text/html"),
        ("x.pdf.exe", None),
        ("noext", None),
    ],
)
def test_media_type_for_filename(name: str, expected: str | None) -> None:
    assert media_type_for_filename(name) == expected


def test_cost_for_known_models_and_dated_ids() -> None:
    assert price_for("claude-sonnet-4-5-20250929") == price_for("claude-sonnet-4-5")
    cost, warning = cost_usd("claude-sonnet-4-5-20250929", 1_000_000, 100_000)
    assert (cost, warning) == (Decimal("4.500000"), None)  # $3 + 0.1 x $15
    cost, _ = cost_usd("claude-haiku-4-5", 2000, 500, cache_read_input_tokens=1000)
    assert cost == Decimal("0.004600")  # (2000 x 1 + 1000 x 0.1 + 500 x 5) / 1e6


def test_unknown_model_uses_the_named_fallback_with_a_warning() -> None:
    cost, warning = cost_usd("claude-future-9", 1_000_000, 0)
    assert cost == FALLBACK_PRICE.input_per_mtok
    assert warning is not None and "claude-future-9" in warning and "fallback" in warning
