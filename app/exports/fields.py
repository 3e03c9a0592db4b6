"""The export field catalogue: every column an export template may choose.

It mirrors the original application's list of available export fields (GET
/api/exports/fields and the field mappings of its export service): the invoice header
columns, the vendor and customer names, and the line item columns. Keys are
"invoice.<column>", "line_item.<column>", "vendor.name" and "customer.name". The
original's "currency" and "percentage" types are numbers here, with an Excel number
format that shows them as such.

The original's template JSON used bare keys ("vendor_name", "line_total"): ``from_legacy_key``
maps them onto this catalogue, so stored templates keep working.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["invoice", "line_item"]
FieldType = Literal["string", "number", "date", "datetime", "boolean"]

MONEY_FORMAT = "#,##0.00"
PRECISE_FORMAT = "#,##0.00##"  # quantity / unit price: 2 to 4 decimals
PERCENT_FORMAT = "0.0%"
INTEGER_FORMAT = "0"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"


@dataclass(frozen=True)
class ExportField:
    key: str
    label: str
    kind: Kind
    type: FieldType
    number_format: str | None = None  # Excel number format for XLSX cells
    width: int = 15  # column width in characters (XLSX)

    @property
    def column(self) -> str:
        """The column name after the prefix ("invoice.total_amount" -> "total_amount")."""
        return self.key.split(".", 1)[1]


def _f(key: str, label: str, kind: Kind, type_: FieldType, fmt: str | None = None, width: int = 15) -> ExportField:  # noqa: PLR0917
    if fmt is None:
        fmt = {"date": DATE_FORMAT, "datetime": DATETIME_FORMAT}.get(type_)
    return ExportField(key, label, kind, type_, fmt, width)


def _money(key: str, label: str, kind: Kind) -> ExportField:
    return _f(key, label, kind, "number", MONEY_FORMAT, 14)


FIELD_CATALOGUE: list[ExportField] = [
    # invoice: identification
    _f("invoice.id", "Invoice ID", "invoice", "string", width=38),
    _f("invoice.invoice_number", "Invoice #", "invoice", "string", width=18),
    _f("invoice.vendor_id", "Vendor ID", "invoice", "string", width=38),
    _f("vendor.name", "Vendor Name", "invoice", "string", width=28),
    _f("invoice.customer_id", "Customer ID", "invoice", "string", width=38),
    _f("customer.name", "Customer Name", "invoice", "string", width=28),
    _f("invoice.customer_name", "Customer Name (as printed)", "invoice", "string", width=28),
    _f("invoice.customer_account_number", "Account Number", "invoice", "string"),
    # invoice: dates
    _f("invoice.invoice_date", "Invoice Date", "invoice", "date", width=12),
    _f("invoice.due_date", "Due Date", "invoice", "date", width=12),
    _f("invoice.issue_date", "Issue Date", "invoice", "date", width=12),
    _f("invoice.service_period_start", "Service Start", "invoice", "date", width=12),
    _f("invoice.service_period_end", "Service End", "invoice", "date", width=12),
    # invoice: amounts
    _f("invoice.currency", "Currency", "invoice", "string", width=8),
    _money("invoice.amount_due", "Amount Due", "invoice"),
    _money("invoice.total_amount", "Total Amount", "invoice"),
    _money("invoice.subtotal", "Subtotal", "invoice"),
    _money("invoice.total_taxes", "Total Taxes", "invoice"),
    _money("invoice.total_fees", "Total Fees", "invoice"),
    _money("invoice.total_recurring", "Recurring Charges", "invoice"),
    _money("invoice.total_one_time", "One-Time Charges", "invoice"),
    _money("invoice.total_usage", "Usage Charges", "invoice"),
    # invoice: order details
    _f("invoice.line_item_count", "Line Items Count", "invoice", "number", INTEGER_FORMAT, 10),
    _f("invoice.purchase_order_number", "PO Number", "invoice", "string", width=20),
    _f("invoice.payment_terms", "Payment Terms", "invoice", "string"),
    _f("invoice.contact_email", "Contact Email", "invoice", "string", width=28),
    _f("invoice.contact_phone", "Contact Phone", "invoice", "string"),
    # invoice: processing
    _f("invoice.processing_status", "Status", "invoice", "string", width=12),
    _f("invoice.confidence_score", "AI Confidence", "invoice", "number", PERCENT_FORMAT, 12),
    _f("invoice.file_type", "File Type", "invoice", "string", width=10),
    _f("invoice.original_filename", "Original Filename", "invoice", "string", width=30),
    _f("invoice.processed_at", "Processed At", "invoice", "datetime", width=20),
    _f("invoice.approved_at", "Approved At", "invoice", "datetime", width=20),
    _f("invoice.is_duplicate", "Is Duplicate", "invoice", "boolean", width=12),
    _f("invoice.batch_name", "Batch Name", "invoice", "string", width=24),
    _f("invoice.created_at", "Created At", "invoice", "datetime", width=20),
    _f("invoice.updated_at", "Updated At", "invoice", "datetime", width=20),
    # line items: identification (invoice_number is the parent invoice's, to join the two sheets)
    _f("line_item.id", "Line Item ID", "line_item", "string", width=38),
    _f("line_item.invoice_id", "Invoice ID", "line_item", "string", width=38),
    _f("line_item.invoice_number", "Invoice #", "line_item", "string", width=18),
    _f("line_item.line_number", "Line #", "line_item", "number", INTEGER_FORMAT, 8),
    # line items: product
    _f("line_item.description", "Description", "line_item", "string", width=40),
    _f("line_item.category", "Category", "line_item", "string", width=20),
    _f("line_item.charge_type", "Charge Type", "line_item", "string"),
    _f("line_item.sku", "SKU", "line_item", "string"),
    _f("line_item.product_code", "Product Code", "line_item", "string"),
    # line items: service period
    _f("line_item.service_period_start", "Service Start", "line_item", "date", width=12),
    _f("line_item.service_period_end", "Service End", "line_item", "date", width=12),
    # line items: quantities and amounts
    _f("line_item.quantity", "Quantity", "line_item", "number", PRECISE_FORMAT, 10),
    _f("line_item.unit_of_measure", "Unit of Measure", "line_item", "string", width=10),
    _f("line_item.unit_price", "Unit Price", "line_item", "number", PRECISE_FORMAT, 12),
    _money("line_item.subtotal", "Subtotal", "line_item"),
    _money("line_item.tax_amount", "Tax Amount", "line_item"),
    _money("line_item.fee_amount", "Fee Amount", "line_item"),
    _money("line_item.total_amount", "Line Total", "line_item"),
    _f("line_item.created_at", "Created At", "line_item", "datetime", width=20),
    _f("line_item.updated_at", "Updated At", "line_item", "datetime", width=20),
]

FIELDS_BY_KEY: dict[str, ExportField] = {field.key: field for field in FIELD_CATALOGUE}

# The original's bare template keys that do not map to "<kind>.<key>" directly.
_LEGACY_ALIASES = {
    ("invoice", "vendor_name"): "vendor.name",
    ("line_item", "line_total"): "line_item.total_amount",
}


def validate_fields(keys: list[str]) -> list[ExportField]:
    """The catalogue entries for ``keys``, in the order given; ValueError naming every unknown or repeated key."""
    if not isinstance(keys, list) or not all(isinstance(key, str) for key in keys):
        raise ValueError("fields must be a list of field keys (strings)")
    if not keys:
        raise ValueError("fields must name at least one field")
    unknown = [key for key in keys if key not in FIELDS_BY_KEY]
    if unknown:
        raise ValueError(f"unknown export field(s): {', '.join(repr(key) for key in unknown)}")
    seen: set[str] = set()
    repeated = [key for key in keys if key in seen or seen.add(key)]  # type: ignore[func-returns-value]
    if repeated:
        raise ValueError(f"export field(s) given more than once: {', '.join(repr(key) for key in repeated)}")
    return [FIELDS_BY_KEY[key] for key in keys]


def from_legacy_key(kind: Kind, key: str) -> str:
    """The catalogue key for a bare key of the original's templates ("vendor_name" -> "vendor.name").

    Raises ValueError naming the key when it has no equivalent.
    """
    if "." in key and key in FIELDS_BY_KEY:
        return key
    candidate = _LEGACY_ALIASES.get((kind, key), f"{kind}.{key}")
    if candidate not in FIELDS_BY_KEY:
        raise ValueError(f"unknown {kind} export field {key!r}")
    return candidate
