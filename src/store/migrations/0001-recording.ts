/** The seed's recording schema with money in minor units, plus the outbox. */
export const up = `
CREATE SCHEMA IF NOT EXISTS payment_service;

-- Managed by the ETL in the seed; created here so a fresh install works. Columns after
-- 'created_at' are optional additions: the canonical payment's analytics fields and the
-- processor's per-row error.
CREATE TABLE IF NOT EXISTS payment_staging (
  id BIGSERIAL PRIMARY KEY,
  reference_number VARCHAR(255) NOT NULL,
  loan_account_number VARCHAR(20) NOT NULL,
  cif VARCHAR(20) NOT NULL,
  amount DECIMAL(15,2) NOT NULL,
  payment_date TIMESTAMP NOT NULL,
  payment_channel VARCHAR(100),
  metadata JSONB,
  processed BOOLEAN DEFAULT FALSE,
  processed_at TIMESTAMP,
  created_at TIMESTAMP DEFAULT NOW()
);
ALTER TABLE payment_staging
  ADD COLUMN IF NOT EXISTS currency VARCHAR(3),
  ADD COLUMN IF NOT EXISTS status VARCHAR(20),
  ADD COLUMN IF NOT EXISTS gateway VARCHAR(100),
  ADD COLUMN IF NOT EXISTS payment_method VARCHAR(100),
  ADD COLUMN IF NOT EXISTS merchant_id VARCHAR(100),
  ADD COLUMN IF NOT EXISTS order_id VARCHAR(255),
  ADD COLUMN IF NOT EXISTS customer_id VARCHAR(255),
  ADD COLUMN IF NOT EXISTS region VARCHAR(100),
  ADD COLUMN IF NOT EXISTS country VARCHAR(2),
  ADD COLUMN IF NOT EXISTS fee_amount NUMERIC(18,4),
  ADD COLUMN IF NOT EXISTS tax_amount NUMERIC(18,4),
  ADD COLUMN IF NOT EXISTS gateway_txn_id VARCHAR(255),
  ADD COLUMN IF NOT EXISTS failure_reason VARCHAR(500),
  ADD COLUMN IF NOT EXISTS error_code VARCHAR(50),
  ADD COLUMN IF NOT EXISTS error_message TEXT;
CREATE INDEX IF NOT EXISTS idx_payment_staging_unprocessed ON payment_staging (id) WHERE processed = FALSE;

CREATE TABLE payment_service.payments (
  id UUID NOT NULL,
  reference_number VARCHAR(255) NOT NULL,
  loan_account_number VARCHAR(20),
  cif VARCHAR(20),
  amount_minor BIGINT NOT NULL CHECK (amount_minor >= 0),
  currency CHAR(3) NOT NULL,
  payment_date TIMESTAMP NOT NULL,
  payment_channel VARCHAR(100),
  source VARCHAR(50) NOT NULL,
  status VARCHAR(20) NOT NULL,
  gateway VARCHAR(100),
  payment_method VARCHAR(100),
  merchant_id VARCHAR(100),
  order_id VARCHAR(255),
  customer_id VARCHAR(255),
  region VARCHAR(100),
  country CHAR(2),
  fee_minor BIGINT,
  tax_minor BIGINT,
  gateway_txn_id VARCHAR(255),
  failure_reason VARCHAR(500),
  metadata JSONB,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  PRIMARY KEY (id, payment_date)
) PARTITION BY RANGE (payment_date);
CREATE INDEX idx_payments_reference ON payment_service.payments (reference_number);
CREATE INDEX idx_payments_loan_account ON payment_service.payments (loan_account_number, payment_date DESC);
CREATE INDEX idx_payments_cif ON payment_service.payments (cif, payment_date DESC);
CREATE INDEX idx_payments_created_at ON payment_service.payments (created_at);
-- Payments whose month has no partition yet land here; the partition manager moves them out.
CREATE TABLE payment_service.payments_default PARTITION OF payment_service.payments DEFAULT;

-- The dedup truth: one row per reference, ever (until the optional cleanup job removes old ones).
CREATE TABLE payment_service.payment_references (
  reference_number VARCHAR(255) PRIMARY KEY,
  payment_id UUID NOT NULL,
  payment_date TIMESTAMP NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX idx_payment_refs_created ON payment_service.payment_references (created_at);

CREATE TABLE payment_service.staging_process_log (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  batch_start_id BIGINT NOT NULL,
  batch_end_id BIGINT NOT NULL,
  total_records INTEGER NOT NULL,
  processed_records INTEGER DEFAULT 0,
  duplicate_records INTEGER DEFAULT 0,
  error_records INTEGER DEFAULT 0,
  status VARCHAR(50) DEFAULT 'processing',
  started_at TIMESTAMPTZ DEFAULT NOW(),
  completed_at TIMESTAMPTZ,
  error_details JSONB,
  worker_id VARCHAR(100),
  attempts INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX idx_staging_log_started ON payment_service.staging_process_log (started_at DESC);

-- Transactional outbox: written in the same transaction as the fact it announces.
-- 'id' is the log offset the embedded event log reads by.
CREATE TABLE payment_service.outbox (
  id BIGSERIAL PRIMARY KEY,
  event_id UUID NOT NULL UNIQUE,
  event_type VARCHAR(100) NOT NULL,
  aggregate_id VARCHAR(255) NOT NULL,
  payload JSON NOT NULL, -- published verbatim; json keeps the bytes and skips jsonb conversion (+9 % staging, BENCHMARKS.md)
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  published_at TIMESTAMPTZ
);
CREATE INDEX idx_outbox_unpublished ON payment_service.outbox (id) WHERE published_at IS NULL;

-- Identifies this database, so caches outside it (Redis) never serve keys from another one.
CREATE TABLE payment_service.meta (key VARCHAR(100) PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO payment_service.meta (key, value) VALUES ('store_id', gen_random_uuid()::text);
`;
