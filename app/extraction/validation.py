"""Turn an extracted answer into typed invoice + line item dicts, check it, score it.

Both extractors (Claude and offline) produce a "raw" answer of the same shape: the
invoice fields at the top level and a ``line_items`` list, values as JSON gives them
(strings or numbers). ``normalise`` coerces them (dates -> ``datetime.date``, money ->
``Decimal``), ``validate`` checks the invoice is plausible and consistent, and
``confidence`` scores completeness and consistency. Every finding is a human-readable
warning naming the field and the values.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from app.extraction.base import (
    INVOICE_DATE_FIELDS,
    INVOICE_FIELDS,
    INVOICE_MONEY_FIELDS,
    LINE_DATE_FIELDS,
    LINE_ITEM_FIELDS,
    LINE_MONEY_FIELDS,
    LINE_PRECISE_FIELDS,
)

CENT = Decimal("0.01")
PRECISE = Decimal("0.0001")
TOLERANCE = Decimal("0.01")  # totals must agree within one cent
EARLIEST_PLAUSIBLE = dt.date(1990, 1, 1)
FUTURE_PLAUSIBLE_DAYS = 366  # an invoice dated more than a year ahead is a misread

# Money columns are DECIMAL(12,2): anything of 10**10 or more cannot be stored.
MONEY_LIMIT = Decimal("1e10")

_CURRENCY_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR"}
_CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATE_FORMATS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$"), "ymd"),  # ISO, maybe with a time
    (re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"), "ymd"),
    (re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})$"), "slash"),  # US month first unless day > 12
    (re.compile(r"^(\d{1,2})-(\d{1,2})-(\d{4})$"), "slash"),
    (re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$"), "dmy"),  # European dotted
    (re.compile(rf"^({_MONTH_NAMES})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})$", re.I), "mdy_name"),
    (re.compile(rf"^(\d{{1,2}})(?:st|nd|rd|th)?[\s-]+({_MONTH_NAMES})\.?[\s,-]+(\d{{4}})$", re.I), "dmy_name"),
]


def parse_date(value: Any) -> dt.date | None:
    """A date from ISO, US (MM/DD/YYYY), European (DD.MM.YYYY) or month-name forms.

    ``03/04/2024`` is read month first (US, as most invoices we see are); a first number
    above 12 makes it day first. Raises ValueError naming the value when it is not a date.
    """
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a date")
    text = value.strip()
    for pattern, kind in _DATE_FORMATS:
        match = pattern.match(text)
        if not match:
            continue
        try:
            return _date_from_parts(kind, *match.groups())
        except ValueError:
            raise ValueError(f"{value!r} is not a valid calendar date") from None
    raise ValueError(f"{value!r} is not a date in a known format")


def _date_from_parts(kind: str, a: str, b: str, c: str) -> dt.date:
    if kind == "ymd":
        year, month, day = int(a), int(b), int(c)
    elif kind == "dmy":
        year, month, day = int(c), int(b), int(a)
    elif kind == "mdy_name":
        year, month, day = int(c), _MONTHS[a.lower()], int(b)
    elif kind == "dmy_name":
        year, month, day = int(c), _MONTHS[b.lower()], int(a)
    else:  # "slash": month first unless the first number cannot be a month
        year = int(c) + (2000 if len(c) == 2 else 0)
        month, day = (int(b), int(a)) if int(a) > 12 else (int(a), int(b))
    return dt.date(year, month, day)


def parse_decimal(value: Any, places: Decimal = CENT) -> Decimal | None:
    """A Decimal from a number or a money string ("$1,234.50", "1.234,50 €", "(12.00)", "12.00-").

    Parentheses, a trailing minus and "CR" mean negative. With both "," and "." the last
    one is the decimal separator; a lone "," followed by one or two digits is a decimal
    comma. Raises ValueError naming the value when it is not a number.
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not an amount")
    if isinstance(value, int | Decimal):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, str):
        number = _parse_money_text(value)
    else:
        raise ValueError(f"{value!r} is not an amount")
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite amount")
    return number.quantize(places, rounding=ROUND_HALF_UP)


def _parse_money_text(value: str) -> Decimal:
    text = value.strip()
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1]
    if text.upper().endswith("CR"):
        negative, text = True, text[:-2]
    text = re.sub(r"^[A-Za-z]{3}\s*|\s*[A-Za-z]{3}$", "", text.strip())  # ISO code before or after
    text = text.strip().strip("".join(_CURRENCY_SYMBOLS)).strip()
    if text.endswith("-"):
        negative, text = True, text[:-1]
    if text.startswith("-"):
        negative, text = not negative, text[1:]
    text = text.strip().strip("".join(_CURRENCY_SYMBOLS)).replace(" ", "").replace("\u00a0", "")
    if "," in text and "." in text:
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    elif "," in text:
        head, _, tail = text.rpartition(",")
        text = f"{head.replace(',', '')}.{tail}" if len(tail) in (1, 2) else text.replace(",", "")
    if not re.fullmatch(r"\d+(\.\d+)?|\.\d+", text):
        raise ValueError(f"{value!r} is not an amount")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not an amount") from None
    return -number if negative else number


def parse_currency(value: Any) -> str | None:
    """An ISO 4217 code from a code or a symbol; None when unknown."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    if text in _CURRENCY_SYMBOLS:
        return _CURRENCY_SYMBOLS[text]
    code = text.upper()
    if _CURRENCY_CODE.match(code):
        return code
    raise ValueError(f"{value!r} is not a currency code")


def _text(value: Any, limit: int) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text[:limit] or None


# text columns and their VARCHAR sizes in the schema
_INVOICE_TEXT = {
    "invoice_number": 255,
    "vendor_name": 255,
    "customer_name": 255,
    "customer_account_number": 255,
    "purchase_order_number": 255,
    "payment_terms": 255,
    "contact_email": 255,
    "contact_phone": 50,
}
_LINE_TEXT = {
    "description": 4000,
    "category": 255,
    "charge_type": 100,
    "unit_of_measure": 50,
    "sku": 255,
    "product_code": 255,
}


def normalise(raw: Mapping[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]], list[str]]:
    """Coerce a raw answer into (invoice, line_items, warnings). Unreadable values become None + a warning."""
    warnings: list[str] = []
    invoice: dict[str, Any] = dict.fromkeys(INVOICE_FIELDS)

    def coerce(target: dict[str, Any], where: str, name: str, parser: Any, value: Any) -> None:
        try:
            target[name] = parser(value)
        except ValueError as exc:
            warnings.append(f"{where}{name}: {exc}; left empty")

    for name, limit in _INVOICE_TEXT.items():
        invoice[name] = _text(raw.get(name), limit)
    for name in INVOICE_DATE_FIELDS:
        coerce(invoice, "", name, parse_date, raw.get(name))
    for name in INVOICE_MONEY_FIELDS:
        coerce(invoice, "", name, parse_decimal, raw.get(name))
        _check_money_limit(invoice, "", name, warnings)
    coerce(invoice, "", "currency", parse_currency, raw.get("currency"))

    line_items: list[dict[str, Any]] = []
    raw_lines = raw.get("line_items") or []
    if not isinstance(raw_lines, list):
        warnings.append("line_items: not a list; ignored")
        raw_lines = []
    for index, raw_line in enumerate(raw_lines, start=1):
        if not isinstance(raw_line, Mapping):
            warnings.append(f"line {index}: not an object; ignored")
            continue
        line: dict[str, Any] = dict.fromkeys(LINE_ITEM_FIELDS)
        where = f"line {index} "
        for name, limit in _LINE_TEXT.items():
            line[name] = _text(raw_line.get(name), limit)
        for name in LINE_DATE_FIELDS:
            coerce(line, where, name, parse_date, raw_line.get(name))
        for name in LINE_MONEY_FIELDS:
            coerce(line, where, name, parse_decimal, raw_line.get(name))
            _check_money_limit(line, where, name, warnings)
        for name in LINE_PRECISE_FIELDS:
            coerce(line, where, name, lambda v: parse_decimal(v, PRECISE), raw_line.get(name))
            _check_money_limit(line, where, name, warnings, Decimal("1e8"))
        number = raw_line.get("line_number")
        line["line_number"] = number if isinstance(number, int) and not isinstance(number, bool) else index
        line_items.append(line)

    count = raw.get("line_item_count")
    if isinstance(count, int) and not isinstance(count, bool) and line_items and count != len(line_items):
        warnings.append(f"line_item_count {count} != {len(line_items)} line items found")
    invoice["line_item_count"] = len(line_items)
    if invoice["total_amount"] is None and invoice["amount_due"] is not None:
        invoice["total_amount"] = invoice["amount_due"]
    return invoice, line_items, warnings


def _check_money_limit(
    target: dict[str, Any], where: str, name: str, warnings: list[str], limit: Decimal = MONEY_LIMIT
) -> None:
    value = target.get(name)
    if value is not None and abs(value) >= limit:
        warnings.append(f"{where}{name}: {value} is too large to store; left empty")
        target[name] = None


def validate(
    invoice: Mapping[str, Any], line_items: Sequence[Mapping[str, Any]], *, today: dt.date | None = None
) -> list[str]:
    """Findings that make the extraction doubtful: implausible dates, totals that do not add up."""
    today = today or dt.date.today()
    latest = today + dt.timedelta(days=FUTURE_PLAUSIBLE_DAYS)
    warnings: list[str] = []

    for name in ("invoice_number", "invoice_date", "total_amount", "customer_name"):
        if invoice.get(name) in (None, ""):
            warnings.append(f"{name} missing")

    def check_dates(where: str, record: Mapping[str, Any], names: tuple[str, ...]) -> None:
        for name in names:
            value = record.get(name)
            if value is not None and not EARLIEST_PLAUSIBLE <= value <= latest:
                warnings.append(f"{where}{name} {value.isoformat()} is implausible")
        start, end = record.get("service_period_start"), record.get("service_period_end")
        if start is not None and end is not None and end < start:
            warnings.append(f"{where}service_period_end {end} is before service_period_start {start}")

    check_dates("", invoice, INVOICE_DATE_FIELDS)
    invoice_date, due_date = invoice.get("invoice_date"), invoice.get("due_date")
    if invoice_date is not None and due_date is not None and due_date < invoice_date:
        warnings.append(f"due_date {due_date} is before invoice_date {invoice_date}")

    for index, line in enumerate(line_items, start=1):
        check_dates(f"line {index} ", line, LINE_DATE_FIELDS)
    warnings.extend(_check_line_amounts(line_items))
    warnings.extend(_check_totals(invoice, line_items))
    return warnings


def _check_line_amounts(line_items: Sequence[Mapping[str, Any]]) -> list[str]:
    warnings = []
    for index, line in enumerate(line_items, start=1):
        quantity, unit_price = line.get("quantity"), line.get("unit_price")
        amount = line.get("subtotal") if line.get("subtotal") is not None else line.get("total_amount")
        if quantity is not None and unit_price is not None and amount is not None:
            expected = (quantity * unit_price).quantize(CENT, rounding=ROUND_HALF_UP)
            if abs(expected - amount) > TOLERANCE:
                warnings.append(
                    f"line {index} amount {amount} != quantity {_plain(quantity)} x unit_price {_plain(unit_price)} "
                    f"= {expected}"
                )
    return warnings


def _check_totals(invoice: Mapping[str, Any], line_items: Sequence[Mapping[str, Any]]) -> list[str]:
    warnings = []
    total = invoice.get("total_amount")
    subtotal = invoice.get("subtotal")
    taxes = invoice.get("total_taxes") or Decimal("0")
    fees = invoice.get("total_fees") or Decimal("0")
    amounts = [_line_amount(line) for line in line_items]
    known = [a for a in amounts if a is not None]
    if known and len(known) == len(amounts):
        line_sum = sum(known, Decimal("0"))
        # line amounts may be before or after tax: they must match the subtotal, the total,
        # or the total less taxes and fees
        candidates = [subtotal, total, total - taxes - fees if total is not None else None]
        if not any(v is not None and abs(v - line_sum) <= TOLERANCE for v in candidates):
            if subtotal is not None:
                warnings.append(f"subtotal {subtotal} != sum of line items {line_sum}")
            elif total is not None:
                warnings.append(f"total_amount {total} != sum of line items {line_sum}")
    if subtotal is not None and total is not None:
        computed = subtotal + taxes + fees
        if abs(computed - total) > TOLERANCE:
            warnings.append(
                f"total_amount {total} != subtotal {subtotal} + total_taxes {taxes} + total_fees {fees} = {computed}"
            )
    return warnings


def _line_amount(line: Mapping[str, Any]) -> Decimal | None:
    for name in ("total_amount", "subtotal"):
        if line.get(name) is not None:
            return line[name]
    return None


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


# Weights of the fields a reviewer needs; they sum to 1.
_COMPLETENESS = {
    "invoice_number": 0.2,
    "invoice_date": 0.15,
    "total_amount": 0.2,
    "vendor_name": 0.1,
    "customer_name": 0.1,
    "due_date": 0.05,
}
_LINE_ITEMS_WEIGHT = 0.2
_PENALTY_PER_FINDING = 0.85  # each consistency finding multiplies the score by this


def confidence(invoice: Mapping[str, Any], line_items: Sequence[Mapping[str, Any]], findings: list[str]) -> float:
    """0..1 from completeness (weighted key fields + line items) times a penalty per finding.

    "missing" findings are already counted by completeness and are not penalised twice.
    Rounded to two places (the column is DECIMAL(3,2)).
    """
    score = sum(weight for name, weight in _COMPLETENESS.items() if invoice.get(name) not in (None, ""))
    if line_items:
        score += _LINE_ITEMS_WEIGHT
    penalties = sum(1 for finding in findings if not finding.endswith(" missing"))
    score *= _PENALTY_PER_FINDING**penalties
    return round(max(0.0, min(1.0, score)), 2)


def json_safe(value: Any) -> Any:
    """A copy of ``value`` with dates and Decimals as strings (for ``ExtractionResult.raw``)."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return value
