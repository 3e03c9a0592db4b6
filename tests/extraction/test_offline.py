"""Offline extraction on the sample invoices (three layouts) and on edge cases."""

from __future__ import annotations

import io

import pypdf
import pytest

from app.extraction import ExtractionError, OfflineExtractor, build_extractor
from app.extraction.offline import extract_from_text
from plugins.module_utils.pdf import make_pdf
from tests.extraction.samples import EURO_LINES, FIXTURES, SAMPLES, sample_bytes

pytestmark = pytest.mark.anyio

TEXT_SAMPLES = [name for name, (_, expected) in SAMPLES.items() if expected]


def test_committed_samples_match_the_generator() -> None:
    for name in SAMPLES:
        path = FIXTURES / name
        assert path.read_bytes() == sample_bytes(name), f"{path} is stale: run python -m tests.extraction.samples"


def test_pdf_writer_output_is_read_by_pypdf() -> None:
    lines = [f"line {n} (with parentheses) and a backslash \\ and €" for n in range(130)]
    reader = pypdf.PdfReader(io.BytesIO(make_pdf(lines)))
    assert len(reader.pages) == 3  # 60 lines per page
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert [line for line in text.splitlines() if line] == lines


def test_pdf_writer_padding_grows_the_file_and_stays_valid() -> None:
    small = make_pdf(["x"])
    big = make_pdf(["x"], padding=200_000)
    assert len(big) - len(small) >= 200_000
    assert pypdf.PdfReader(io.BytesIO(big)).pages[0].extract_text().strip() == "x"


async def test_build_extractor_without_key_is_offline() -> None:
    for key in (None, ""):
        extractor = build_extractor(api_key=key, model="claude-sonnet-4-5")
        assert isinstance(extractor, OfflineExtractor)
        await extractor.aclose()


@pytest.mark.parametrize("name", TEXT_SAMPLES)
async def test_sample_fields_are_extracted(name: str) -> None:
    media_type, expected = SAMPLES[name]
    assert expected is not None
    result = await OfflineExtractor().extract(sample_bytes(name), media_type)

    for key, value in expected["invoice"].items():
        assert result.invoice[key] == value, key
    got = [(li["description"], li["quantity"], li["unit_price"], li["total_amount"]) for li in result.line_items]
    assert got == expected["line_items"]
    assert [li["line_number"] for li in result.line_items] == [1, 2, 3]
    assert result.warnings == []
    assert result.confidence == 1.0
    assert result.model == "offline"
    assert (result.input_tokens, result.output_tokens, str(result.cost_usd)) == (0, 0, "0")
    assert result.raw["invoice_number"] == expected["invoice"]["invoice_number"]  # JSON-safe copy
    assert isinstance(result.raw["line_items"][0]["total_amount"], str)


async def test_vendor_name_hint_fills_a_missing_vendor() -> None:
    text = "Invoice Number: 77-A\nInvoice Date: 2024-01-05\nTotal: 10.00"
    result = extract_from_text(text, vendor_name="Hinted Vendor Ltd")
    assert result.invoice["invoice_number"] == "77-A"
    assert result.invoice["vendor_name"] == "Hinted Vendor Ltd"


async def test_inconsistent_totals_lower_confidence_and_say_why() -> None:
    lines = [line.replace("4.638,50", "4.700,00") for line in EURO_LINES]
    result = await OfflineExtractor().extract(make_pdf(lines), "application/pdf")
    assert result.invoice["total_amount"] == pytest.approx(4700)
    assert "total_amount 4700.00 != subtotal 3897.90 + total_taxes 740.60 + total_fees 0 = 4638.50" in result.warnings
    assert result.confidence < 1.0


async def test_image_gets_an_honest_empty_result() -> None:
    result = await OfflineExtractor().extract(sample_bytes("scan.png"), "image/png", vendor_name="Acme")
    assert result.confidence == 0.0
    assert result.line_items == []
    assert result.invoice["invoice_number"] is None
    assert result.invoice["vendor_name"] == "Acme"
    assert any("no OCR" in warning for warning in result.warnings)


async def test_pdf_without_text_is_reported_not_faked() -> None:
    result = await OfflineExtractor().extract(make_pdf([]), "application/pdf")
    assert result.confidence == 0.0
    assert "no text layer" in result.warnings[0]
    assert result.invoice["total_amount"] is None


@pytest.mark.parametrize(
    ("content", "media_type", "message"),
    [
        (b"", "application/pdf", "the file is empty"),
        (b"%PDF-1.4\nthis is not really a pdf", "application/pdf", "the PDF could not be read"),
        (b"<html></html>", "application/msword", "unsupported media type 'application/msword'"),
    ],
)
async def test_unreadable_input_raises_a_safe_error(content: bytes, media_type: str, message: str) -> None:
    with pytest.raises(ExtractionError, match=message):
        await OfflineExtractor().extract(content, media_type)


async def test_html_ignores_scripts_and_styles() -> None:
    html = b"<html><head><style>.x{}</style><script>var invoice = 'Invoice # 999';</script></head>"
    html += b"<body><p>Invoice # A-1</p></body></html>"
    result = await OfflineExtractor().extract(html, "text/html")
    assert result.invoice["invoice_number"] == "A-1"


def test_pdf_text_does_not_copy_the_file() -> None:
    """pypdf sizes a BytesIO via getbuffer(), which copies it; pdf_text must avoid that (upload memory)."""
    import tracemalloc

    from app.extraction.text import pdf_text

    pdf = bytearray(make_pdf(["Invoice Number: BIG-1"], padding=4_000_000))
    tracemalloc.start()
    try:
        text = pdf_text(pdf)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "BIG-1" in text
    assert peak < 1_000_000, f"reading a {len(pdf)} byte PDF allocated {peak} bytes"


@pytest.mark.parametrize("wrap", [bytes, bytearray])
async def test_any_bytes_like_content_is_accepted(wrap: type) -> None:
    """The API may read an upload into a bytearray (readinto, one copy) and pass it as is."""
    result = await OfflineExtractor().extract(wrap(sample_bytes("acme_us.pdf")), "application/pdf")
    assert result.invoice["invoice_number"] == "INV-2024-0042"
    html = await OfflineExtractor().extract(wrap(sample_bytes("initrode_telecom.html")), "text/html")
    assert html.invoice["invoice_number"] == "TEL-88120"
