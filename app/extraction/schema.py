"""The tool Claude must call to hand back an invoice, and the base prompt."""

from __future__ import annotations

from typing import Any

TOOL_NAME = "record_invoice"

_DATE = {"type": ["string", "null"], "description": "ISO 8601 date, YYYY-MM-DD; null when absent"}
_MONEY = {
    "type": ["number", "string", "null"],
    "description": "Amount as printed, as a plain number without currency symbol (e.g. 1234.50); null when absent",
}
_TEXT = {"type": ["string", "null"]}


def _text(description: str) -> dict[str, Any]:
    return {**_TEXT, "description": description}


LINE_ITEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "line_number": {"type": ["integer", "null"], "description": "Position on the invoice, from 1"},
        "description": _text("Description of the charge"),
        "category": _text("Category or section heading the line belongs to"),
        "charge_type": {
            "type": ["string", "null"],
            "enum": ["recurring", "one_time", "usage", "tax", "fee", "credit", "other", None],
        },
        "service_period_start": _DATE,
        "service_period_end": _DATE,
        "quantity": {"type": ["number", "string", "null"]},
        "unit_of_measure": _text("Unit, e.g. hours, each, GB"),
        "unit_price": _MONEY,
        "subtotal": {**_MONEY, "description": "Amount before tax and fees"},
        "tax_amount": _MONEY,
        "fee_amount": _MONEY,
        "total_amount": {**_MONEY, "description": "Line total as printed"},
        "sku": _TEXT,
        "product_code": _TEXT,
    },
    "required": ["description", "total_amount"],
}

INVOICE_TOOL: dict[str, Any] = {
    "name": TOOL_NAME,
    "description": "Record the fields of one invoice exactly as they appear in the document.",
    "input_schema": {
        "type": "object",
        "properties": {
            "invoice_number": _text("Invoice number or identifier"),
            "vendor_name": _text("Company that issued the invoice"),
            "customer_name": _text("Company or person billed"),
            "customer_account_number": _TEXT,
            "invoice_date": _DATE,
            "due_date": _DATE,
            "issue_date": _DATE,
            "service_period_start": _DATE,
            "service_period_end": _DATE,
            "currency": _text("ISO 4217 code, e.g. USD"),
            "amount_due": _MONEY,
            "total_amount": _MONEY,
            "subtotal": _MONEY,
            "total_taxes": _MONEY,
            "total_fees": _MONEY,
            "total_recurring": _MONEY,
            "total_one_time": _MONEY,
            "total_usage": _MONEY,
            "purchase_order_number": _TEXT,
            "payment_terms": _text("e.g. Net 30"),
            "contact_email": _TEXT,
            "contact_phone": _TEXT,
            "line_items": {"type": "array", "items": LINE_ITEM_SCHEMA},
            "notes": _text("Anything uncertain or unreadable, in one or two sentences"),
        },
        "required": ["invoice_number", "invoice_date", "total_amount", "customer_name", "line_items"],
    },
}

BASE_PROMPT = """\
You read invoices for an accounts payable team. Extract this invoice by calling the \
record_invoice tool exactly once.

Rules:
- Copy values as printed; do not invent, estimate or compute values that are not on the document.
- Use null for anything that is not on the document.
- Dates as YYYY-MM-DD. Amounts as plain numbers without currency symbols or thousands separators; \
credits are negative.
- One line_items entry per charge line, in document order; do not include subtotal, tax or total \
summary rows as line items.
- If something is unreadable or ambiguous, say so in notes."""


def user_instructions(prompt: str | None, vendor_name: str | None) -> str:
    """The user turn's text: the vendor's name and the vendor's own prompt if any (BASE_PROMPT is the system)."""
    parts = ["Extract this invoice with the record_invoice tool."]
    if vendor_name:
        parts.append(f"The invoice is expected to be from the vendor {vendor_name!r}.")
    if prompt and prompt.strip():
        parts.append("Vendor-specific instructions:\n" + prompt.strip())
    return "\n\n".join(parts)
