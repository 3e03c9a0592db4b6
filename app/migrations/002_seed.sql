-- 002: the original's seed data: vendors, the base extraction prompt, a sample customer
-- and the built-in export templates. No users: the first admin is created with
-- `python -m app create-user`.

INSERT INTO vendors (name, display_name, active) VALUES
    ('genesys', 'Genesys', true),
    ('five9', 'Five9', true)
ON CONFLICT DO NOTHING;

INSERT INTO extraction_prompts (prompt_name, prompt_text, is_template, is_active, version, created_by)
VALUES (
    'Base Template',
    'You extract structured data from invoices. Read the attached invoice and answer with one JSON object.

Invoice header fields (null when absent): invoice_number, invoice_date, due_date, issue_date,
service_period_start, service_period_end (dates as YYYY-MM-DD), currency (ISO code such as USD),
amount_due, total_amount, subtotal, total_taxes, total_fees, total_recurring, total_one_time,
total_usage (decimal numbers), purchase_order_number, payment_terms, customer_name,
customer_account_number, contact_email, contact_phone.

Line items, one entry per charge, including taxes, fees and credits: line_number, description,
category (the vendor''s own category name, unchanged), charge_type (Recurring, One-Time, Usage,
Taxes, Fees or Credits), service_period_start, service_period_end, quantity, unit_of_measure,
unit_price, subtotal, tax_amount, fee_amount, total_amount, sku, product_code.

Rules: dates as YYYY-MM-DD; amounts with two decimals, quantities and unit prices with up to
four; customer_name is the end customer (look for Ship To, Sold To or End User), not the party
that issues the invoice; copy every line item; use null for anything the invoice does not show.

Shape: {"invoice_header": {...}, "line_items": [{...}], "confidence_notes": "optional"}',
    true,
    false,
    1,
    'system'
);

INSERT INTO customers (name, normalized_name, account_numbers, aliases) VALUES
    ('Christian Healthcare Ministries', 'christian healthcare ministries', ARRAY['171896'],
     ARRAY['chm', 'christian healthcare'])
ON CONFLICT DO NOTHING;

INSERT INTO export_templates (name, description, is_public, user_id, invoice_fields, line_item_fields) VALUES
(
    'Complete Invoice Export',
    'Full invoice and line item details for comprehensive reporting',
    true, NULL,
    '[{"key": "invoice_number", "label": "Invoice #", "type": "string", "width": 15, "required": true},
      {"key": "vendor_name", "label": "Vendor Name", "type": "string", "width": 25},
      {"key": "customer_name", "label": "Customer Name", "type": "string", "width": 25},
      {"key": "invoice_date", "label": "Invoice Date", "type": "date", "width": 12},
      {"key": "due_date", "label": "Due Date", "type": "date", "width": 12},
      {"key": "total_amount", "label": "Total Amount", "type": "currency", "width": 12},
      {"key": "total_taxes", "label": "Tax Amount", "type": "currency", "width": 12},
      {"key": "processing_status", "label": "Status", "type": "string", "width": 12},
      {"key": "confidence_score", "label": "AI Confidence", "type": "percentage", "width": 12},
      {"key": "purchase_order_number", "label": "PO Number", "type": "string", "width": 20}]',
    '[{"key": "invoice_number", "label": "Invoice #", "type": "string", "width": 15, "required": true},
      {"key": "line_number", "label": "Line #", "type": "number", "width": 8},
      {"key": "description", "label": "Description", "type": "string", "width": 40},
      {"key": "quantity", "label": "Quantity", "type": "number", "width": 10},
      {"key": "unit_price", "label": "Unit Price", "type": "currency", "width": 12},
      {"key": "total_amount", "label": "Line Total", "type": "currency", "width": 12},
      {"key": "product_code", "label": "Product Code", "type": "string", "width": 15},
      {"key": "category", "label": "Category", "type": "string", "width": 20}]'
),
(
    'Financial Summary Export',
    'Key financial data for accounting and analysis',
    true, NULL,
    '[{"key": "invoice_number", "label": "Invoice #", "type": "string", "width": 15, "required": true},
      {"key": "vendor_name", "label": "Vendor", "type": "string", "width": 25},
      {"key": "invoice_date", "label": "Date", "type": "date", "width": 12},
      {"key": "total_amount", "label": "Total", "type": "currency", "width": 12},
      {"key": "total_taxes", "label": "Tax", "type": "currency", "width": 12},
      {"key": "subtotal", "label": "Subtotal", "type": "currency", "width": 12},
      {"key": "total_fees", "label": "Fees", "type": "currency", "width": 12},
      {"key": "processing_status", "label": "Status", "type": "string", "width": 12}]',
    '[{"key": "invoice_number", "label": "Invoice #", "type": "string", "width": 15, "required": true},
      {"key": "description", "label": "Description", "type": "string", "width": 30},
      {"key": "total_amount", "label": "Amount", "type": "currency", "width": 12}]'
),
(
    'Audit Trail Export',
    'Complete audit trail with all available fields',
    true, NULL,
    '[{"key": "invoice_number", "label": "Invoice #", "type": "string", "width": 15, "required": true},
      {"key": "vendor_name", "label": "Vendor Name", "type": "string", "width": 25},
      {"key": "customer_name", "label": "Customer Name", "type": "string", "width": 25},
      {"key": "invoice_date", "label": "Invoice Date", "type": "date", "width": 12},
      {"key": "due_date", "label": "Due Date", "type": "date", "width": 12},
      {"key": "issue_date", "label": "Issue Date", "type": "date", "width": 12},
      {"key": "total_amount", "label": "Total Amount", "type": "currency", "width": 12},
      {"key": "total_taxes", "label": "Tax Amount", "type": "currency", "width": 12},
      {"key": "subtotal", "label": "Subtotal", "type": "currency", "width": 12},
      {"key": "total_fees", "label": "Fees", "type": "currency", "width": 12},
      {"key": "processing_status", "label": "Status", "type": "string", "width": 12},
      {"key": "confidence_score", "label": "AI Confidence", "type": "percentage", "width": 12},
      {"key": "purchase_order_number", "label": "PO Number", "type": "string", "width": 20},
      {"key": "payment_terms", "label": "Payment Terms", "type": "string", "width": 15},
      {"key": "contact_email", "label": "Contact Email", "type": "string", "width": 25},
      {"key": "original_filename", "label": "Original File", "type": "string", "width": 30},
      {"key": "created_at", "label": "Created At", "type": "datetime", "width": 18},
      {"key": "updated_at", "label": "Updated At", "type": "datetime", "width": 18}]',
    '[{"key": "invoice_number", "label": "Invoice #", "type": "string", "width": 15, "required": true},
      {"key": "line_number", "label": "Line #", "type": "number", "width": 8},
      {"key": "description", "label": "Description", "type": "string", "width": 40},
      {"key": "category", "label": "Category", "type": "string", "width": 20},
      {"key": "charge_type", "label": "Charge Type", "type": "string", "width": 15},
      {"key": "quantity", "label": "Quantity", "type": "number", "width": 10},
      {"key": "unit_of_measure", "label": "Unit", "type": "string", "width": 10},
      {"key": "unit_price", "label": "Unit Price", "type": "currency", "width": 12},
      {"key": "subtotal", "label": "Subtotal", "type": "currency", "width": 12},
      {"key": "tax_amount", "label": "Tax", "type": "currency", "width": 12},
      {"key": "fee_amount", "label": "Fees", "type": "currency", "width": 12},
      {"key": "total_amount", "label": "Line Total", "type": "currency", "width": 12},
      {"key": "sku", "label": "SKU", "type": "string", "width": 15},
      {"key": "product_code", "label": "Product Code", "type": "string", "width": 15},
      {"key": "service_period_start", "label": "Service Start", "type": "date", "width": 12},
      {"key": "service_period_end", "label": "Service End", "type": "date", "width": 12}]'
),
(
    'Comprehensive Export',
    'Complete export with all major invoice and line item fields',
    true, NULL,
    '[{"key": "invoice_number", "label": "Invoice #", "type": "string", "width": 15, "required": true},
      {"key": "vendor_name", "label": "Vendor Name", "type": "string", "width": 25},
      {"key": "customer_name", "label": "Customer Name", "type": "string", "width": 25},
      {"key": "customer_account_number", "label": "Account #", "type": "string", "width": 15},
      {"key": "invoice_date", "label": "Invoice Date", "type": "date", "width": 12},
      {"key": "due_date", "label": "Due Date", "type": "date", "width": 12},
      {"key": "issue_date", "label": "Issue Date", "type": "date", "width": 12},
      {"key": "service_period_start", "label": "Service Start", "type": "date", "width": 12},
      {"key": "service_period_end", "label": "Service End", "type": "date", "width": 12},
      {"key": "currency", "label": "Currency", "type": "string", "width": 8},
      {"key": "total_amount", "label": "Total Amount", "type": "currency", "width": 12},
      {"key": "subtotal", "label": "Subtotal", "type": "currency", "width": 12},
      {"key": "total_taxes", "label": "Total Taxes", "type": "currency", "width": 12},
      {"key": "total_fees", "label": "Total Fees", "type": "currency", "width": 12},
      {"key": "total_recurring", "label": "Recurring", "type": "currency", "width": 12},
      {"key": "total_one_time", "label": "One-Time", "type": "currency", "width": 12},
      {"key": "total_usage", "label": "Usage", "type": "currency", "width": 12},
      {"key": "purchase_order_number", "label": "PO Number", "type": "string", "width": 20},
      {"key": "payment_terms", "label": "Payment Terms", "type": "string", "width": 15},
      {"key": "contact_email", "label": "Contact Email", "type": "string", "width": 25},
      {"key": "contact_phone", "label": "Contact Phone", "type": "string", "width": 15},
      {"key": "processing_status", "label": "Status", "type": "string", "width": 12},
      {"key": "confidence_score", "label": "AI Confidence", "type": "percentage", "width": 12},
      {"key": "original_filename", "label": "Original File", "type": "string", "width": 30}]',
    '[{"key": "invoice_number", "label": "Invoice #", "type": "string", "width": 15, "required": true},
      {"key": "line_number", "label": "Line #", "type": "number", "width": 8},
      {"key": "description", "label": "Description", "type": "string", "width": 40},
      {"key": "category", "label": "Category", "type": "string", "width": 20},
      {"key": "charge_type", "label": "Charge Type", "type": "string", "width": 15},
      {"key": "sku", "label": "SKU", "type": "string", "width": 15},
      {"key": "product_code", "label": "Product Code", "type": "string", "width": 15},
      {"key": "service_period_start", "label": "Service Start", "type": "date", "width": 12},
      {"key": "service_period_end", "label": "Service End", "type": "date", "width": 12},
      {"key": "quantity", "label": "Quantity", "type": "number", "width": 10},
      {"key": "unit_of_measure", "label": "Unit", "type": "string", "width": 10},
      {"key": "unit_price", "label": "Unit Price", "type": "currency", "width": 12},
      {"key": "subtotal", "label": "Subtotal", "type": "currency", "width": 12},
      {"key": "tax_amount", "label": "Tax Amount", "type": "currency", "width": 12},
      {"key": "fee_amount", "label": "Fee Amount", "type": "currency", "width": 12},
      {"key": "total_amount", "label": "Line Total", "type": "currency", "width": 12}]'
);
