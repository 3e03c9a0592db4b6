"""Invoice exports: the field catalogue and streaming XLSX / CSV-zip writers.

    fields = validate_fields(["invoice.invoice_number", "vendor.name", "invoice.total_amount",
                              "line_item.invoice_number", "line_item.description", "line_item.total_amount"])
    counts = await write_xlsx(tmp_path, invoice_rows, line_item_rows, fields)

Invoice fields (kind "invoice", including "vendor.name" and "customer.name") go to the
Invoices sheet / invoices.csv, line item fields to Line Items / line_items.csv. Rows are
mappings keyed by field key; missing keys are empty cells.
"""

from app.exports.fields import FIELD_CATALOGUE, FIELDS_BY_KEY, ExportField, from_legacy_key, validate_fields
from app.exports.writers import write_csv_zip, write_xlsx

__all__ = [
    "FIELDS_BY_KEY",
    "FIELD_CATALOGUE",
    "ExportField",
    "from_legacy_key",
    "validate_fields",
    "write_csv_zip",
    "write_xlsx",
]
