/**
 * The payment lifecycle (issue 10, docs/payment-lifecycle.md): a payment's amounts and state
 * version on its ledger row, every delivery that changed it in `payment_status_history`, and the
 * ledger's own dead-letter stage for deliveries kept for review (AMOUNT_CONFLICT…).
 *
 * Existing payments get the amounts their one status implies and a history row (version 1), so a
 * later delivery for them folds from the same starting point as for a payment recorded today.
 */
export const up = `
ALTER TABLE payment_service.payments
  ADD COLUMN authorized_minor BIGINT,
  ADD COLUMN captured_minor BIGINT,
  ADD COLUMN refunded_minor BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN disputed_minor BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN status_time TIMESTAMP, -- the recorder always sets it; NULL (rows written by hand) reads as payment_date
  ADD COLUMN version INTEGER NOT NULL DEFAULT 1,
  ADD COLUMN updated_at TIMESTAMPTZ;
UPDATE payment_service.payments SET
  status_time = payment_date,
  authorized_minor = CASE WHEN status IN ('pending', 'failed', 'cancelled') THEN NULL ELSE amount_minor END,
  captured_minor = CASE WHEN status IN ('pending', 'failed', 'cancelled', 'authorized') THEN NULL ELSE amount_minor END,
  refunded_minor = CASE WHEN status = 'refunded' THEN amount_minor ELSE 0 END;

-- One row per delivery that reached a recorded payment (version 1: the recording itself), in
-- arrival order. The state is the fold of these rows in event time (src/contracts/payment-lifecycle.ts);
-- 'applied' and from/to say what this delivery did when it arrived. 'dedup_key' makes an exact
-- redelivery (same status and amount, same refund id, same dispute step) a duplicate.
CREATE TABLE payment_service.payment_status_history (
  id BIGSERIAL PRIMARY KEY,
  payment_id UUID NOT NULL,
  reference_number VARCHAR(255) NOT NULL,
  version INTEGER NOT NULL,
  change VARCHAR(10) NOT NULL CHECK (change IN ('recorded', 'status', 'refund', 'dispute')),
  dedup_key VARCHAR(600) NOT NULL,
  reported_status VARCHAR(20) NOT NULL,
  from_status VARCHAR(20),
  to_status VARCHAR(20) NOT NULL,
  applied BOOLEAN NOT NULL,
  amount_minor BIGINT NOT NULL CHECK (amount_minor >= 0),
  currency CHAR(3) NOT NULL,
  event_time TIMESTAMP NOT NULL,
  gateway_event_id VARCHAR(255),
  refund_id VARCHAR(255),
  dispute_id VARCHAR(255),
  dispute_status VARCHAR(20),
  source VARCHAR(50) NOT NULL,
  failure_code VARCHAR(100),
  failure_reason VARCHAR(500),
  recorded_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  UNIQUE (payment_id, dedup_key),
  UNIQUE (payment_id, version)
);
CREATE INDEX idx_status_history_recorded ON payment_service.payment_status_history (recorded_at);

INSERT INTO payment_service.payment_status_history
  (payment_id, reference_number, version, change, dedup_key, reported_status, from_status, to_status, applied,
   amount_minor, currency, event_time, source, failure_code, failure_reason, recorded_at)
SELECT id, reference_number, 1, 'recorded', 'status:' || status || ':' || amount_minor || ':' || currency, status, NULL, status, TRUE,
       amount_minor, currency, payment_date, source, failure_code, failure_reason, created_at
FROM payment_service.payments;

ALTER TABLE payment_service.dead_letters DROP CONSTRAINT IF EXISTS dead_letters_stage_check;
ALTER TABLE payment_service.dead_letters ADD CONSTRAINT dead_letters_stage_check CHECK (stage IN ('capture', 'analytics', 'ledger'));
`;
