// The invoice's editable columns (app/tables.py INVOICE_HEADER_FIELDS / LINE_ITEM_FIELDS).

export type Kind = "str" | "text" | "date" | "money" | "qty" | "int" | "currency";

export const HEADER_FIELDS: { name: string; label: string; kind: Kind }[] = [
  { name: "invoice_number", label: "Invoice number", kind: "str" },
  { name: "invoice_date", label: "Invoice date", kind: "date" },
  { name: "due_date", label: "Due date", kind: "date" },
  { name: "issue_date", label: "Issue date", kind: "date" },
  { name: "service_period_start", label: "Service period start", kind: "date" },
  { name: "service_period_end", label: "Service period end", kind: "date" },
  { name: "customer_name", label: "Customer name", kind: "str" },
  { name: "customer_account_number", label: "Customer account number", kind: "str" },
  { name: "purchase_order_number", label: "PO number", kind: "str" },
  { name: "payment_terms", label: "Payment terms", kind: "str" },
  { name: "contact_email", label: "Contact email", kind: "str" },
  { name: "contact_phone", label: "Contact phone", kind: "str" },
  { name: "currency", label: "Currency", kind: "currency" },
  { name: "subtotal", label: "Subtotal", kind: "money" },
  { name: "total_taxes", label: "Total taxes", kind: "money" },
  { name: "total_fees", label: "Total fees", kind: "money" },
  { name: "total_recurring", label: "Total recurring", kind: "money" },
  { name: "total_one_time", label: "Total one-time", kind: "money" },
  { name: "total_usage", label: "Total usage", kind: "money" },
  { name: "amount_due", label: "Amount due", kind: "money" },
  { name: "total_amount", label: "Total amount", kind: "money" },
];

/** Every column of a line item: a replaced item without one would lose it. */
export const LINE_ITEM_FIELDS = [
  "line_number",
  "description",
  "category",
  "charge_type",
  "service_period_start",
  "service_period_end",
  "quantity",
  "unit_of_measure",
  "unit_price",
  "subtotal",
  "tax_amount",
  "fee_amount",
  "total_amount",
  "sku",
  "product_code",
] as const;

/** The columns the review table edits. */
export const LINE_COLUMNS: { name: (typeof LINE_ITEM_FIELDS)[number]; label: string; numeric: boolean }[] = [
  { name: "description", label: "Description", numeric: false },
  { name: "quantity", label: "Quantity", numeric: true },
  { name: "unit_price", label: "Unit price", numeric: true },
  // quantity x unit price is checked against the subtotal when a line has one (as the API does)
  { name: "subtotal", label: "Subtotal", numeric: true },
  { name: "tax_amount", label: "Tax", numeric: true },
  { name: "total_amount", label: "Line total", numeric: true },
];
