"""Extraction without Claude: text from the PDF/HTML, then rules.

Used when no API key is configured, so the local demo and the tests still extract
fields. The rules read labelled values ("Invoice Number:", "Due Date", "Bill To", ...),
dates in the formats ``parse_date`` knows, totals, currency, and table-like lines
(``description  quantity  [unit]  unit price  amount``). They are deliberately simple:
the confidence score and warnings tell a reviewer what to check.

Images need OCR, which is not available here: they come back with empty fields,
confidence 0 and a warning saying so.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from app.extraction import media
from app.extraction.base import ExtractionResult, Extractor, unsupported_media_type
from app.extraction.text import html_text, pdf_text
from app.extraction.validation import confidence, json_safe, normalise, parse_date, parse_decimal, validate

MODEL = "offline"

_AMOUNT = r"\(?-?(?:[A-Z]{3}\s?)?[$€£¥]?\s?-?\d[\d,.]*\d(?:\s?[A-Z]{3})?\)?|\(?[$€£¥]?\d\)?"
_DATE_VALUE = (
    r"\d{4}[-/]\d{1,2}[-/]\d{1,2}|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}"
    r"|[A-Za-z]{3,9}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}|\d{1,2}(?:st|nd|rd|th)?[\s-]+[A-Za-z]{3,9}\.?[\s,-]+\d{4}"
)
_SEP = r"\s*(?:[:#]|no\.?|number|num)?\s*[:#]?\s*"
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"(?:phone|tel|telephone)\.?\s*[:#]?\s*(\+?[\d\s().-]{7,20}\d)", re.I)
_CURRENCY_CODES = ("USD", "EUR", "GBP", "CAD", "AUD", "CHF", "JPY", "INR", "NZD", "SEK", "NOK", "DKK", "MXN")
_SYMBOLS = {"€": "EUR", "£": "GBP", "¥": "JPY", "$": "USD"}

# label patterns, most specific first; each matches at the start of a label
_LABELS: dict[str, list[str]] = {
    "invoice_number": [r"invoice\s*(?:number|no\.?|num|#|id)", r"inv\.?\s*(?:no\.?|#)", r"invoice"],
    "invoice_date": [r"invoice\s+date", r"date\s+of\s+issue", r"issue\s+date", r"billing\s+date", r"dated?"],
    "due_date": [r"payment\s+due(?:\s+date)?", r"due\s+date", r"due\s+by", r"pay\s+by", r"due"],
    "purchase_order_number": [r"purchase\s+order(?:\s*(?:number|no\.?|#))?", r"p\.?\s?o\.?\s*(?:number|no\.?|#)"],
    "customer_account_number": [r"account\s*(?:number|no\.?|#)", r"customer\s*(?:number|no\.?|id|#)", r"acct\.?\s*#?"],
    "payment_terms": [r"payment\s+terms", r"terms"],
    "customer_name": [r"bill(?:ed)?\s+to", r"sold\s+to", r"customer(?:\s+name)?", r"client"],
    "vendor_name": [r"from", r"vendor", r"seller", r"supplier"],
}
_TOTAL_LABELS: list[tuple[str, str]] = [
    ("subtotal", r"sub[\s-]?total"),
    ("total_taxes", r"(?:total\s+)?(?:sales\s+)?(?:tax(?:es)?|vat|gst|hst)(?:\s*\(?[\d.,]+\s*%\)?)?"),
    ("total_fees", r"(?:total\s+)?(?:fees?|surcharges?|shipping(?:\s+and\s+handling)?)"),
    ("amount_due", r"(?:total\s+)?(?:amount|balance)\s+due|total\s+due|please\s+pay"),
    ("total_amount", r"(?:invoice\s+|grand\s+)?total(?:\s+amount)?(?:\s*\([A-Z]{3}\))?"),
]
_SERVICE_PERIOD = re.compile(
    rf"(?:service|billing)\s+period\s*:?\s*({_DATE_VALUE})\s*(?:-|\u2013|to|through|thru)\s*({_DATE_VALUE})", re.I
)
_LINE_ITEM = re.compile(
    rf"^(?P<description>.*?[A-Za-z].*?)\s+(?P<quantity>\d{{1,3}}(?:,\d{{3}})+|\d+(?:[.,]\d+)?)"
    rf"(?:\s+(?P<unit>[A-Za-z]{{1,12}}\.?))?"
    rf"\s+(?P<unit_price>{_AMOUNT})\s+(?P<amount>{_AMOUNT})$"
)
_NOT_AN_ITEM = re.compile(
    r"^\s*(?:sub[\s-]?total|total|tax|vat|gst|amount|balance|description|item|qty|quantity|page|"
    r"invoice|due|date|terms)\b",
    re.I,
)


class OfflineExtractor(Extractor):
    """Rule-based extractor for PDFs and HTML; images get an honest empty result.

    ``prompt`` (a vendor's Claude instructions) is accepted for the protocol and ignored;
    ``vendor_name`` fills the vendor when the document does not name one.
    """

    model = MODEL

    async def aclose(self) -> None:
        return None

    async def _extract(
        self, content: bytes, media_type: str, prompt: str | None, vendor_name: str | None
    ) -> ExtractionResult:
        if media_type in (media.PNG, media.JPEG):
            invoice, _, _ = normalise({})
            if vendor_name:
                invoice["vendor_name"] = vendor_name
            return ExtractionResult(
                invoice=invoice,
                line_items=[],
                confidence=0.0,
                warnings=[
                    "offline extraction cannot read images (no OCR available); "
                    "enter the fields by hand or configure ANTHROPIC_API_KEY"
                ],
                model=MODEL,
                raw={},
            )
        if media_type == media.PDF:
            # pypdf is CPU-bound: keep the event loop free
            text = await asyncio.to_thread(pdf_text, content)
        elif media_type == media.HTML:
            text = await asyncio.to_thread(html_text, content)
        else:
            raise unsupported_media_type(media_type)
        return extract_from_text(text, vendor_name=vendor_name)


def extract_from_text(text: str, *, vendor_name: str | None = None) -> ExtractionResult:
    """Apply the rules to a document's text."""
    lines = [" ".join(line.replace("\t", "  ").split()) for line in text.splitlines()]
    cells = [_cells(line) for line in text.splitlines()]
    lines = [line for line in lines if line]
    cells = [c for c in cells if c]
    raw = rules(lines, cells)
    if vendor_name and not raw.get("vendor_name"):
        raw["vendor_name"] = vendor_name
    raw = json_safe(raw)
    invoice, line_items, warnings = normalise(raw)
    findings = validate(invoice, line_items)
    warnings = warnings + findings
    if not text.strip():
        warnings.insert(0, "the document has no text layer (a scanned PDF needs OCR, which is not available offline)")
    return ExtractionResult(
        invoice=invoice,
        line_items=line_items,
        confidence=confidence(invoice, line_items, findings) if text.strip() else 0.0,
        warnings=warnings,
        model=MODEL,
        raw=raw,
    )


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in re.split(r"\t|\s{2,}|\s\|\s", line) if cell.strip()]


def rules(lines: list[str], cells: list[list[str]]) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    for name in ("invoice_number", "purchase_order_number", "customer_account_number"):
        raw[name] = _labelled(lines, _LABELS[name], r"([A-Za-z0-9][A-Za-z0-9\-/_.]*)", need_digit=True)
    raw["payment_terms"] = _labelled(lines, _LABELS["payment_terms"], r"([A-Za-z0-9][A-Za-z0-9 ]*)", need_digit=False)
    for name in ("invoice_date", "due_date"):
        raw[name] = _labelled(lines, _LABELS[name], rf"({_DATE_VALUE})", need_digit=True, parser=parse_date)
    if raw["payment_terms"] is None:
        match = _search(lines, re.compile(r"\b(net\s*\d{1,3}|due\s+on\s+receipt)\b", re.I))
        raw["payment_terms"] = match.group(1) if match else None
    for line in lines:
        match = _SERVICE_PERIOD.search(line)
        if match:
            raw["service_period_start"], raw["service_period_end"] = match.group(1), match.group(2)
            break
    raw.update(_totals(lines))
    raw["currency"] = _currency(lines)
    raw["customer_name"] = _party(lines, _LABELS["customer_name"])
    raw["vendor_name"] = _party(lines, _LABELS["vendor_name"]) or _first_heading(lines)
    email = _search(lines, _EMAIL)
    raw["contact_email"] = email.group(0) if email else None
    phone = _search(lines, _PHONE)
    raw["contact_phone"] = " ".join(phone.group(1).split()) if phone else None
    raw["line_items"] = list(_line_items(cells))
    return raw


def _search(lines: Iterable[str], pattern: re.Pattern[str]) -> re.Match[str] | None:
    for line in lines:
        match = pattern.search(line)
        if match:
            return match
    return None


def _labelled(lines: list[str], labels: list[str], value: str, *, need_digit: bool, parser: Any = None) -> str | None:
    """The value after the first matching label, on the same line or the next one."""
    for label in labels:
        same_line = re.compile(rf"(?<![A-Za-z])(?:{label})(?![A-Za-z])\.?\s*[:#]?\s*{value}", re.I)
        alone = re.compile(rf"^\s*(?:{label})\s*[:#]?\s*$", re.I)
        next_value = re.compile(rf"^\s*{value}", re.I)
        for index, line in enumerate(lines):
            match = same_line.search(line)
            if not match and alone.match(line) and index + 1 < len(lines):
                match = next_value.match(lines[index + 1])
            if not match:
                continue
            found = match.group(1).strip().rstrip(".")
            found = re.split(r"\s{2,}|\s(?=[A-Z][a-z]+\s*:)", found)[0].strip()
            if need_digit and not re.search(r"\d", found):
                continue
            if parser is not None:
                try:
                    parser(found)
                except ValueError:
                    continue
            return found
    return None


def _totals(lines: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for line in lines:
        for name, label in _TOTAL_LABELS:
            if name in found:
                continue
            match = re.match(rf"^\s*(?:{label})\s*:?\s*({_AMOUNT})\s*$", line, re.I)
            if match:
                try:
                    parse_decimal(match.group(1))
                except ValueError:
                    continue
                found[name] = match.group(1)
                break
    return found


def _currency(lines: list[str]) -> str | None:
    text = "\n".join(lines)
    for code in _CURRENCY_CODES:
        if re.search(rf"\b{code}\b", text):
            return code
    for symbol, code in _SYMBOLS.items():
        if symbol in text:
            return code
    return None


def _party(lines: list[str], labels: list[str]) -> str | None:
    """A name after a label like "Bill To:" on the same line, or the next line."""
    for label in labels:
        pattern = re.compile(rf"^\s*(?:{label})\s*:\s*(.*)$", re.I)
        bare = re.compile(rf"^\s*(?:{label})\s*:?\s*$", re.I)
        for index, line in enumerate(lines):
            match = pattern.match(line)
            if match and match.group(1).strip():
                return match.group(1).strip()
            if (match or bare.match(line)) and index + 1 < len(lines):
                return lines[index + 1].strip()
    return None


def _first_heading(lines: list[str]) -> str | None:
    for line in lines[:5]:
        if re.search(r"[A-Za-z]{2}", line) and not re.match(r"^\s*(tax\s+)?invoice\b", line, re.I) and ":" not in line:
            return line
    return None


def _line_items(rows: list[list[str]]) -> Iterable[dict[str, Any]]:
    number = 0
    for cells in rows:
        line = " ".join(cells)
        if _NOT_AN_ITEM.match(line):
            continue
        match = _LINE_ITEM.match(line)
        if not match:
            continue
        try:
            quantity = parse_decimal(_quantity_text(match.group("quantity")), Decimal("0.0001"))
            unit_price = parse_decimal(match.group("unit_price"), Decimal("0.0001"))
            amount = parse_decimal(match.group("amount"))
        except ValueError:
            continue
        number += 1
        description = match.group("description").strip()
        description = re.sub(r"^\d{1,3}[.)]?\s+(?=\S)", "", description)  # a leading line number
        yield {
            "line_number": number,
            "description": description,
            "quantity": quantity,
            "unit_of_measure": match.group("unit"),
            "unit_price": unit_price,
            "subtotal": amount,
            "total_amount": amount,
        }


def _quantity_text(text: str) -> str:
    """ "1,250" is one thousand two hundred and fifty; "12,5" is twelve and a half."""
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+", text):
        return text.replace(",", "")
    return text.replace(",", ".")
