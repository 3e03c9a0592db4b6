-- 001: the original schema (database/schema.sql + backend/migrations), with fixes:
-- roles on users, audit columns (who approved/rejected and why), file hashes for
-- duplicate detection, token usage per invoice, a database-backed job queue for batches,
-- login attempts for rate limiting, and prompt sandbox files kept in storage.

CREATE OR REPLACE FUNCTION update_updated_at_column() RETURNS trigger AS $$
BEGIN
    NEW.updated_at = CURRENT_TIMESTAMP;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TABLE users (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    email VARCHAR(255) NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    name VARCHAR(255) NOT NULL,
    role VARCHAR(20) NOT NULL DEFAULT 'viewer' CHECK (role IN ('admin', 'reviewer', 'viewer')),
    is_active BOOLEAN NOT NULL DEFAULT true,
    token_version INTEGER NOT NULL DEFAULT 0,
    last_login TIMESTAMP,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE UNIQUE INDEX idx_users_email ON users (lower(email));

CREATE TABLE login_attempts (
    id BIGSERIAL PRIMARY KEY,
    email VARCHAR(255) NOT NULL,
    ip_address VARCHAR(64) NOT NULL,
    succeeded BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_login_attempts_email ON login_attempts (email, created_at);
CREATE INDEX idx_login_attempts_ip ON login_attempts (ip_address, created_at);

CREATE TABLE vendors (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    name VARCHAR(255) NOT NULL,
    display_name VARCHAR(255),
    extraction_prompt_id UUID,
    active BOOLEAN NOT NULL DEFAULT true,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE UNIQUE INDEX idx_vendors_name ON vendors (lower(name));
CREATE INDEX idx_vendors_active ON vendors (active);

CREATE TABLE customers (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    name VARCHAR(255) NOT NULL,
    normalized_name VARCHAR(255) NOT NULL UNIQUE,
    account_numbers TEXT[] NOT NULL DEFAULT '{}',
    aliases TEXT[] NOT NULL DEFAULT '{}',
    active BOOLEAN NOT NULL DEFAULT true,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_customers_active ON customers (active);
CREATE INDEX idx_customers_aliases ON customers USING gin (aliases);

CREATE TABLE extraction_prompts (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    vendor_id UUID REFERENCES vendors (id) ON DELETE CASCADE,
    prompt_name VARCHAR(255) NOT NULL,
    prompt_text TEXT NOT NULL,
    is_template BOOLEAN NOT NULL DEFAULT false,
    is_active BOOLEAN NOT NULL DEFAULT false,
    version INTEGER NOT NULL DEFAULT 1,
    parent_prompt_id UUID REFERENCES extraction_prompts (id),
    invoice_type VARCHAR(100),
    created_by VARCHAR(255),
    test_results JSONB,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (vendor_id, prompt_name, version)
);
CREATE INDEX idx_prompts_vendor ON extraction_prompts (vendor_id);
CREATE INDEX idx_prompts_parent ON extraction_prompts (parent_prompt_id);
-- One active prompt per vendor, enforced by the database.
CREATE UNIQUE INDEX idx_prompts_one_active ON extraction_prompts (vendor_id) WHERE is_active AND vendor_id IS NOT NULL;

ALTER TABLE vendors ADD CONSTRAINT fk_vendors_extraction_prompt
    FOREIGN KEY (extraction_prompt_id) REFERENCES extraction_prompts (id) ON DELETE SET NULL;

CREATE TABLE prompt_test_files (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    prompt_id UUID NOT NULL REFERENCES extraction_prompts (id) ON DELETE CASCADE,
    user_id UUID REFERENCES users (id) ON DELETE CASCADE,
    storage_key VARCHAR(1024) NOT NULL,
    original_name VARCHAR(255) NOT NULL,
    content_type VARCHAR(100) NOT NULL,
    file_size BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_prompt_test_files_created ON prompt_test_files (created_at);

CREATE TABLE processing_batches (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    vendor_id UUID NOT NULL REFERENCES vendors (id),
    folder_path VARCHAR(1024),
    total_files INTEGER NOT NULL DEFAULT 0,
    processed_files INTEGER NOT NULL DEFAULT 0,
    failed_files INTEGER NOT NULL DEFAULT 0,
    status VARCHAR(50) NOT NULL DEFAULT 'pending',
    started_at TIMESTAMP,
    completed_at TIMESTAMP,
    error_message TEXT,
    created_by UUID REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_batches_vendor ON processing_batches (vendor_id);
CREATE INDEX idx_batches_status ON processing_batches (status);
CREATE INDEX idx_batches_created ON processing_batches (created_at);

CREATE TABLE invoices (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    invoice_number VARCHAR(255),
    vendor_id UUID NOT NULL REFERENCES vendors (id),
    customer_id UUID REFERENCES customers (id) ON DELETE SET NULL,
    batch_id UUID REFERENCES processing_batches (id) ON DELETE SET NULL,
    invoice_date DATE,
    due_date DATE,
    issue_date DATE,
    service_period_start DATE,
    service_period_end DATE,
    currency VARCHAR(10) NOT NULL DEFAULT 'USD',
    amount_due NUMERIC(12, 2),
    total_amount NUMERIC(12, 2),
    subtotal NUMERIC(12, 2),
    total_taxes NUMERIC(12, 2),
    total_fees NUMERIC(12, 2),
    total_recurring NUMERIC(12, 2),
    total_one_time NUMERIC(12, 2),
    total_usage NUMERIC(12, 2),
    line_item_count INTEGER NOT NULL DEFAULT 0,
    purchase_order_number VARCHAR(255),
    payment_terms VARCHAR(255),
    customer_name VARCHAR(255),
    customer_account_number VARCHAR(255),
    contact_email VARCHAR(255),
    contact_phone VARCHAR(50),
    file_path VARCHAR(1024) NOT NULL,
    file_type VARCHAR(10) NOT NULL,
    file_hash CHAR(64) NOT NULL,
    file_size BIGINT NOT NULL,
    original_filename VARCHAR(255),
    processing_status VARCHAR(50) NOT NULL DEFAULT 'processed',
    confidence_score NUMERIC(3, 2),
    extraction_warnings JSONB NOT NULL DEFAULT '[]',
    extraction_model VARCHAR(100),
    input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    extraction_cost_usd NUMERIC(12, 6) NOT NULL DEFAULT 0,
    processing_time_ms INTEGER,
    processed_at TIMESTAMP,
    approved_at TIMESTAMP,
    approved_by UUID REFERENCES users (id) ON DELETE SET NULL,
    rejected_at TIMESTAMP,
    rejected_by UUID REFERENCES users (id) ON DELETE SET NULL,
    rejection_reason TEXT,
    uploaded_by UUID REFERENCES users (id) ON DELETE SET NULL,
    is_duplicate BOOLEAN NOT NULL DEFAULT false,
    duplicate_of UUID REFERENCES invoices (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE UNIQUE INDEX idx_invoices_number_vendor ON invoices (vendor_id, invoice_number);
CREATE UNIQUE INDEX idx_invoices_file_hash ON invoices (file_hash);
CREATE INDEX idx_invoices_created ON invoices (created_at DESC, id DESC);
CREATE INDEX idx_invoices_vendor_created ON invoices (vendor_id, created_at DESC);
CREATE INDEX idx_invoices_status_created ON invoices (processing_status, created_at DESC);
CREATE INDEX idx_invoices_customer ON invoices (customer_id);
CREATE INDEX idx_invoices_batch ON invoices (batch_id);
CREATE INDEX idx_invoices_date ON invoices (invoice_date);

CREATE TABLE line_items (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    invoice_id UUID NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    line_number INTEGER,
    description TEXT,
    category VARCHAR(255),
    charge_type VARCHAR(100),
    service_period_start DATE,
    service_period_end DATE,
    quantity NUMERIC(12, 4),
    unit_of_measure VARCHAR(50),
    unit_price NUMERIC(12, 4),
    subtotal NUMERIC(12, 2),
    tax_amount NUMERIC(12, 2),
    fee_amount NUMERIC(12, 2),
    total_amount NUMERIC(12, 2),
    sku VARCHAR(255),
    product_code VARCHAR(255),
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_line_items_invoice ON line_items (invoice_id, line_number);

CREATE TABLE batch_files (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    batch_id UUID NOT NULL REFERENCES processing_batches (id) ON DELETE CASCADE,
    invoice_id UUID REFERENCES invoices (id) ON DELETE SET NULL,
    filename VARCHAR(255) NOT NULL,
    file_path VARCHAR(1024) NOT NULL,
    file_type VARCHAR(10) NOT NULL,
    file_size BIGINT NOT NULL DEFAULT 0,
    status VARCHAR(50) NOT NULL DEFAULT 'pending',
    error_message TEXT,
    processing_time_ms INTEGER,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    processed_at TIMESTAMP
);
CREATE INDEX idx_batch_files_batch ON batch_files (batch_id, status);

-- The work queue: one row per file to process; any instance claims rows with
-- FOR UPDATE SKIP LOCKED and holds a lease it renews while it works.
CREATE TABLE batch_jobs (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    batch_id UUID NOT NULL REFERENCES processing_batches (id) ON DELETE CASCADE,
    batch_file_id UUID NOT NULL REFERENCES batch_files (id) ON DELETE CASCADE,
    status VARCHAR(20) NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    locked_by VARCHAR(255),
    lease_expires_at TIMESTAMPTZ,
    last_error TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_batch_jobs_claim ON batch_jobs (status, created_at) WHERE status IN ('queued', 'running');
CREATE INDEX idx_batch_jobs_batch ON batch_jobs (batch_id);

CREATE TABLE export_templates (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    name VARCHAR(255) NOT NULL,
    description TEXT,
    user_id UUID REFERENCES users (id) ON DELETE CASCADE,
    is_public BOOLEAN NOT NULL DEFAULT false,
    invoice_fields JSONB NOT NULL,
    line_item_fields JSONB NOT NULL,
    usage_count INTEGER NOT NULL DEFAULT 0,
    last_used_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_export_templates_public ON export_templates (is_public);
CREATE INDEX idx_export_templates_user_id ON export_templates (user_id);

CREATE TABLE export_logs (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    template_id UUID REFERENCES export_templates (id) ON DELETE SET NULL,
    user_id UUID REFERENCES users (id) ON DELETE SET NULL,
    export_format VARCHAR(10) NOT NULL,
    invoice_count INTEGER NOT NULL DEFAULT 0,
    line_item_count INTEGER NOT NULL DEFAULT 0,
    file_size BIGINT,
    filters_applied JSONB,
    processing_time_ms INTEGER,
    success BOOLEAN NOT NULL DEFAULT true,
    error_message TEXT,
    user_agent TEXT,
    ip_address VARCHAR(64),
    storage_key VARCHAR(1024),
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_export_logs_user_created ON export_logs (user_id, created_at DESC);
CREATE INDEX idx_export_logs_created_at ON export_logs (created_at);

CREATE TRIGGER update_users_updated_at BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_vendors_updated_at BEFORE UPDATE ON vendors FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_customers_updated_at BEFORE UPDATE ON customers FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_prompts_updated_at BEFORE UPDATE ON extraction_prompts FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_invoices_updated_at BEFORE UPDATE ON invoices FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_line_items_updated_at BEFORE UPDATE ON line_items FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE TRIGGER update_export_templates_updated_at BEFORE UPDATE ON export_templates FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
