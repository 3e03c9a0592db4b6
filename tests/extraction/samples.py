"""Sample invoices in three layouts (two PDFs, one HTML page) plus an image, and what they contain.

``python -m tests.extraction.samples`` (re)writes the generated ones to tests/fixtures/invoices/
(the HTML page is read from there: it is written by hand); a test checks the committed files are
exactly what this module generates, so the two cannot drift.
Other areas (API tests, the benchmark, the demo) may use the files.
"""

from __future__ import annotations

import datetime as dt
import struct
import sys
import zlib
from decimal import Decimal
from pathlib import Path

from plugins.module_utils.pdf import make_pdf

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "invoices"

ACME_US_LINES = [
    "ACME Cloud Services Inc.",
    "100 Market Street, San Francisco, CA 94105",
    "Phone: (415) 555-0100     billing@acme-cloud.example",
    "",
    "INVOICE",
    "Invoice Number: INV-2024-0042",
    "Invoice Date: 03/15/2024",
    "Due Date: 04/14/2024",
    "PO Number: PO-7781",
    "Account Number: GX-1001",
    "Terms: Net 30",
    "",
    "Bill To:",
    "Globex Corporation",
    "42 Elm Street, Springfield",
    "",
    "Service Period: 03/01/2024 - 03/31/2024",
    "",
    "Description                       Qty     Unit Price      Amount",
    "Compute instances (hours)         720     0.0960          69.12",
    "Object storage GB-month           250     0.0230          5.75",
    "Support plan                      1       100.00          100.00",
    "",
    "Subtotal: $174.87",
    "Sales Tax (8.5%): $14.86",
    "Total: $189.73",
    "Amount Due: $189.73",
    "All amounts in USD.",
]

ACME_US_EXPECTED = {
    "invoice": {
        "invoice_number": "INV-2024-0042",
        "vendor_name": "ACME Cloud Services Inc.",
        "customer_name": "Globex Corporation",
        "customer_account_number": "GX-1001",
        "purchase_order_number": "PO-7781",
        "payment_terms": "Net 30",
        "invoice_date": dt.date(2024, 3, 15),
        "due_date": dt.date(2024, 4, 14),
        "service_period_start": dt.date(2024, 3, 1),
        "service_period_end": dt.date(2024, 3, 31),
        "currency": "USD",
        "subtotal": Decimal("174.87"),
        "total_taxes": Decimal("14.86"),
        "total_amount": Decimal("189.73"),
        "amount_due": Decimal("189.73"),
        "contact_email": "billing@acme-cloud.example",
        "contact_phone": "(415) 555-0100",
        "line_item_count": 3,
    },
    "line_items": [
        ("Compute instances (hours)", Decimal("720"), Decimal("0.0960"), Decimal("69.12")),
        ("Object storage GB-month", Decimal("250"), Decimal("0.0230"), Decimal("5.75")),
        ("Support plan", Decimal("1"), Decimal("100.00"), Decimal("100.00")),
    ],
}

EURO_LINES = [
    "TAX INVOICE",
    "Nordlicht Consulting GmbH",
    "Hauptstrasse 5, 10115 Berlin",
    "VAT ID DE123456789",
    "",
    "Invoice No. 2024/118",
    "Date of issue: 15 March 2024",
    "Payment due: 14 April 2024",
    "Customer: Initech GmbH",
    "Customer No. C-5531",
    "Purchase Order No. 4500012345",
    "Payment terms: 30 days net",
    "",
    "Pos  Description                 Qty    Unit     Price        Amount",
    "1    Architecture workshop       2      days     1.200,00     2.400,00",
    "2    Implementation support      12,5   hours    95,00        1.187,50",
    "3    Travel expenses             1      lump     310,40       310,40",
    "",
    "Subtotal          3.897,90 EUR",
    "VAT 19%           740,60 EUR",
    "Total             4.638,50 EUR",
]

EURO_EXPECTED = {
    "invoice": {
        "invoice_number": "2024/118",
        "vendor_name": "Nordlicht Consulting GmbH",
        "customer_name": "Initech GmbH",
        "customer_account_number": "C-5531",
        "purchase_order_number": "4500012345",
        "payment_terms": "30 days net",
        "invoice_date": dt.date(2024, 3, 15),
        "due_date": dt.date(2024, 4, 14),
        "currency": "EUR",
        "subtotal": Decimal("3897.90"),
        "total_taxes": Decimal("740.60"),
        "total_amount": Decimal("4638.50"),
        "line_item_count": 3,
    },
    "line_items": [
        ("Architecture workshop", Decimal("2"), Decimal("1200.00"), Decimal("2400.00")),
        ("Implementation support", Decimal("12.5"), Decimal("95.00"), Decimal("1187.50")),
        ("Travel expenses", Decimal("1"), Decimal("310.40"), Decimal("310.40")),
    ],
}

# The HTML page is written by hand: tests/fixtures/invoices/initrode_telecom.html is its only copy.
TELECOM_HTML = (FIXTURES / "initrode_telecom.html").read_text(encoding="utf-8")

TELECOM_EXPECTED = {
    "invoice": {
        "invoice_number": "TEL-88120",
        "vendor_name": "Initrode Telecom",
        "customer_name": "Vandelay Industries",
        "customer_account_number": "ACC-000314",
        "invoice_date": dt.date(2024, 4, 1),
        "due_date": dt.date(2024, 4, 21),
        "service_period_start": dt.date(2024, 3, 1),
        "service_period_end": dt.date(2024, 3, 31),
        "currency": "USD",
        "subtotal": Decimal("500.00"),
        "total_taxes": Decimal("41.25"),
        "total_fees": Decimal("3.50"),
        "total_amount": Decimal("544.75"),
        "amount_due": Decimal("544.75"),
        "contact_email": "billing@initrode.example",
        "contact_phone": "+1 512 555 0199",
        "line_item_count": 3,
    },
    "line_items": [
        ("Business fiber 1 Gbps", Decimal("1"), Decimal("450.00"), Decimal("450.00")),
        ("Static IP block /29", Decimal("1"), Decimal("25.00"), Decimal("25.00")),
        ("Long distance minutes", Decimal("1250"), Decimal("0.02"), Decimal("25.00")),
    ],
}


def make_png(width: int = 8, height: int = 8) -> bytes:
    """A small valid grey PNG (a stand-in for a scanned invoice)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    pixels = b"".join(b"\x00" + bytes([200]) * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(pixels, 9)) + chunk(b"IEND", b"")
    )


SAMPLES: dict[str, tuple[str, dict | None]] = {
    "acme_us.pdf": ("application/pdf", ACME_US_EXPECTED),
    "nordlicht_eu.pdf": ("application/pdf", EURO_EXPECTED),
    "initrode_telecom.html": ("text/html", TELECOM_EXPECTED),
    "scan.png": ("image/png", None),
}


def sample_bytes(name: str) -> bytes:
    if name == "acme_us.pdf":
        return make_pdf(ACME_US_LINES)
    if name == "nordlicht_eu.pdf":
        return make_pdf(EURO_LINES)
    if name == "initrode_telecom.html":
        return TELECOM_HTML.encode("utf-8")
    if name == "scan.png":
        return make_png()
    raise KeyError(name)


def write_samples(directory: Path = FIXTURES) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name in SAMPLES:
        path = directory / name
        path.write_bytes(sample_bytes(name))
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in write_samples(Path(sys.argv[1]) if len(sys.argv) > 1 else FIXTURES):
        print(written_path)
