"""SQLAlchemy Core tables on one ``MetaData``, mirroring ``app/migrations`` (the source of truth).

The migrations create the schema; these objects only build queries, so defaults live in
the database (``server_default`` semantics), never in Python.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

metadata = sa.MetaData()


def _uuid_pk() -> sa.Column:
    return sa.Column("id", UUID(as_uuid=False), primary_key=True, server_default=sa.text("gen_random_uuid()"))


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime, server_default=sa.func.now()),
    ]


def _fk(name: str, target: str) -> sa.Column:
    return sa.Column(name, UUID(as_uuid=False), sa.ForeignKey(target))


def _field(name: str, type_: sa.types.TypeEngine | type[sa.types.TypeEngine], kind: str | None = None) -> sa.Column:
    """A column the API and extraction fill from an invoice; ``kind`` (how its input is checked)
    follows from the type unless given: str | text | date | int | money | qty | currency."""
    return sa.Column(name, type_, info={"kind": kind or _kind(sa.types.to_instance(type_))})


def _kind(type_: sa.types.TypeEngine[object]) -> str:
    if isinstance(type_, sa.Numeric):
        return "money" if type_.scale == 2 else "qty"
    for sa_type, kind in ((sa.Date, "date"), (sa.Integer, "int"), (sa.Text, "text"), (sa.String, "str")):
        if isinstance(type_, sa_type):
            return kind
    raise TypeError(f"no field kind for {type_!r}")


users = sa.Table(
    "users",
    metadata,
    _uuid_pk(),
    sa.Column("email", sa.String(255), nullable=False),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("is_active", sa.Boolean, nullable=False),
    sa.Column("token_version", sa.Integer, nullable=False),
    sa.Column("last_login", sa.DateTime),
    *_timestamps(),
)

login_attempts = sa.Table(
    "login_attempts",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True),
    sa.Column("email", sa.String(255), nullable=False),
    sa.Column("ip_address", sa.String(64), nullable=False),
    sa.Column("succeeded", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.DateTime, server_default=sa.func.now()),
)

vendors = sa.Table(
    "vendors",
    metadata,
    _uuid_pk(),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("display_name", sa.String(255)),
    _fk("extraction_prompt_id", "extraction_prompts.id"),
    sa.Column("active", sa.Boolean, nullable=False),
    *_timestamps(),
)

customers = sa.Table(
    "customers",
    metadata,
    _uuid_pk(),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("normalized_name", sa.String(255), nullable=False),
    sa.Column("account_numbers", ARRAY(sa.Text)),
    sa.Column("aliases", ARRAY(sa.Text)),
    sa.Column("active", sa.Boolean, nullable=False),
    *_timestamps(),
)

extraction_prompts = sa.Table(
    "extraction_prompts",
    metadata,
    _uuid_pk(),
    _fk("vendor_id", "vendors.id"),
    sa.Column("prompt_name", sa.String(255), nullable=False),
    sa.Column("prompt_text", sa.Text, nullable=False),
    sa.Column("is_template", sa.Boolean, nullable=False),
    sa.Column("is_active", sa.Boolean, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    _fk("parent_prompt_id", "extraction_prompts.id"),
    sa.Column("invoice_type", sa.String(100)),
    sa.Column("created_by", sa.String(255)),
    sa.Column("test_results", JSONB),
    *_timestamps(),
)

prompt_test_files = sa.Table(
    "prompt_test_files",
    metadata,
    _uuid_pk(),
    _fk("prompt_id", "extraction_prompts.id"),
    _fk("user_id", "users.id"),
    sa.Column("storage_key", sa.String(1024), nullable=False),
    sa.Column("original_name", sa.String(255), nullable=False),
    sa.Column("content_type", sa.String(100), nullable=False),
    sa.Column("file_size", sa.BigInteger, nullable=False),
    sa.Column("created_at", sa.DateTime, server_default=sa.func.now()),
)

processing_batches = sa.Table(
    "processing_batches",
    metadata,
    _uuid_pk(),
    _fk("vendor_id", "vendors.id"),
    sa.Column("folder_path", sa.String(1024)),
    sa.Column("total_files", sa.Integer, nullable=False),
    sa.Column("processed_files", sa.Integer, nullable=False),
    sa.Column("failed_files", sa.Integer, nullable=False),
    sa.Column("status", sa.String(50), nullable=False),
    sa.Column("started_at", sa.DateTime),
    sa.Column("completed_at", sa.DateTime),
    sa.Column("error_message", sa.Text),
    _fk("created_by", "users.id"),
    sa.Column("created_at", sa.DateTime, server_default=sa.func.now()),
)

MONEY = sa.Numeric(12, 2)
QTY = sa.Numeric(12, 4)

invoices = sa.Table(
    "invoices",
    metadata,
    _uuid_pk(),
    _field("invoice_number", sa.String(255)),
    _fk("vendor_id", "vendors.id"),
    _fk("customer_id", "customers.id"),
    _fk("batch_id", "processing_batches.id"),
    _field("invoice_date", sa.Date),
    _field("due_date", sa.Date),
    _field("issue_date", sa.Date),
    _field("service_period_start", sa.Date),
    _field("service_period_end", sa.Date),
    _field("currency", sa.String(10), kind="currency"),
    _field("amount_due", MONEY),
    _field("total_amount", MONEY),
    _field("subtotal", MONEY),
    _field("total_taxes", MONEY),
    _field("total_fees", MONEY),
    _field("total_recurring", MONEY),
    _field("total_one_time", MONEY),
    _field("total_usage", MONEY),
    sa.Column("line_item_count", sa.Integer),
    _field("purchase_order_number", sa.String(255)),
    _field("payment_terms", sa.String(255)),
    _field("customer_name", sa.String(255)),
    _field("customer_account_number", sa.String(255)),
    _field("contact_email", sa.String(255)),
    _field("contact_phone", sa.String(50)),
    sa.Column("file_path", sa.String(1024), nullable=False),
    sa.Column("file_type", sa.String(10), nullable=False),
    sa.Column("file_hash", sa.String(64), nullable=False),
    sa.Column("file_size", sa.BigInteger, nullable=False),
    sa.Column("original_filename", sa.String(255)),
    sa.Column("processing_status", sa.String(50)),
    sa.Column("confidence_score", sa.Numeric(3, 2)),
    sa.Column("extraction_warnings", JSONB),
    sa.Column("extraction_model", sa.String(100)),
    sa.Column("input_tokens", sa.Integer),
    sa.Column("output_tokens", sa.Integer),
    sa.Column("extraction_cost_usd", sa.Numeric(12, 6)),
    sa.Column("processing_time_ms", sa.Integer),
    sa.Column("processed_at", sa.DateTime),
    sa.Column("approved_at", sa.DateTime),
    _fk("approved_by", "users.id"),
    sa.Column("rejected_at", sa.DateTime),
    _fk("rejected_by", "users.id"),
    sa.Column("rejection_reason", sa.Text),
    _fk("uploaded_by", "users.id"),
    sa.Column("is_duplicate", sa.Boolean),
    _fk("duplicate_of", "invoices.id"),
    *_timestamps(),
)

line_items = sa.Table(
    "line_items",
    metadata,
    _uuid_pk(),
    _fk("invoice_id", "invoices.id"),
    _field("line_number", sa.Integer),
    _field("description", sa.Text),
    _field("category", sa.String(255)),
    _field("charge_type", sa.String(100)),
    _field("service_period_start", sa.Date),
    _field("service_period_end", sa.Date),
    _field("quantity", QTY),
    _field("unit_of_measure", sa.String(50)),
    _field("unit_price", QTY),
    _field("subtotal", MONEY),
    _field("tax_amount", MONEY),
    _field("fee_amount", MONEY),
    _field("total_amount", MONEY),
    _field("sku", sa.String(255)),
    _field("product_code", sa.String(255)),
    *_timestamps(),
)

# column -> kind used to validate input (str | text | date | int | money | qty | currency), in column order
INVOICE_HEADER_FIELDS: dict[str, str] = {str(c.name): c.info["kind"] for c in invoices.c if "kind" in c.info}
LINE_ITEM_FIELDS: dict[str, str] = {str(c.name): c.info["kind"] for c in line_items.c if "kind" in c.info}
# the longest value each string field takes (its VARCHAR length)
STRING_LIMITS: dict[str, int] = {
    str(c.name): c.type.length
    for table in (invoices, line_items)
    for c in table.c
    if "kind" in c.info and isinstance(c.type, sa.String) and c.type.length is not None
}

batch_files = sa.Table(
    "batch_files",
    metadata,
    _uuid_pk(),
    _fk("batch_id", "processing_batches.id"),
    _fk("invoice_id", "invoices.id"),
    sa.Column("filename", sa.String(255), nullable=False),
    sa.Column("file_path", sa.String(1024), nullable=False),
    sa.Column("file_type", sa.String(10), nullable=False),
    sa.Column("file_size", sa.BigInteger),
    sa.Column("status", sa.String(50)),
    sa.Column("error_message", sa.Text),
    sa.Column("processing_time_ms", sa.Integer),
    sa.Column("created_at", sa.DateTime, server_default=sa.func.now()),
    sa.Column("processed_at", sa.DateTime),
)

batch_jobs = sa.Table(
    "batch_jobs",
    metadata,
    _uuid_pk(),
    _fk("batch_id", "processing_batches.id"),
    _fk("batch_file_id", "batch_files.id"),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("locked_by", sa.String(255)),
    sa.Column("lease_expires_at", sa.DateTime(timezone=True)),
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
    sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
)

export_templates = sa.Table(
    "export_templates",
    metadata,
    _uuid_pk(),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("description", sa.Text),
    _fk("user_id", "users.id"),
    sa.Column("is_public", sa.Boolean, nullable=False),
    sa.Column("invoice_fields", JSONB, nullable=False),
    sa.Column("line_item_fields", JSONB, nullable=False),
    sa.Column("usage_count", sa.Integer, nullable=False),
    sa.Column("last_used_at", sa.DateTime),
    *_timestamps(),
)

export_logs = sa.Table(
    "export_logs",
    metadata,
    _uuid_pk(),
    _fk("template_id", "export_templates.id"),
    _fk("user_id", "users.id"),
    sa.Column("export_format", sa.String(10), nullable=False),
    sa.Column("invoice_count", sa.Integer, nullable=False),
    sa.Column("line_item_count", sa.Integer, nullable=False),
    sa.Column("file_size", sa.BigInteger),
    sa.Column("filters_applied", JSONB),
    sa.Column("processing_time_ms", sa.Integer),
    sa.Column("success", sa.Boolean, nullable=False),
    sa.Column("error_message", sa.Text),
    sa.Column("user_agent", sa.Text),
    sa.Column("ip_address", sa.String(64)),
    sa.Column("storage_key", sa.String(1024)),
    sa.Column("created_at", sa.DateTime, server_default=sa.func.now()),
)

# Kept by triggers (migration 003): sum(n) is the number of invoices.
invoice_counts = sa.Table(
    "invoice_counts",
    metadata,
    sa.Column("shard", sa.SmallInteger, primary_key=True),
    sa.Column("n", sa.BigInteger, nullable=False),
)
