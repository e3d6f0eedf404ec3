/**
 * Event capture: events from other services go into the outbox beside Payscope's own, and events
 * that cannot be used go to a dead-letter table instead of stopping a stream.
 *
 * - `outbox.event_id` becomes text: CloudEvent ids from other services are any string of up to 255
 *   characters (`evt_123`, `orders-42-7`), not always UUIDs. Still UNIQUE: it is the capture's
 *   dedup key. `aggregate_id` (the log's ordering and partition key) widens to 1024 characters,
 *   the longest `subject` the envelope allows.
 * - `dead_letters`: one row per event that could not be captured (stage `capture`) or applied by a
 *   consumer (stage `analytics`), with the raw payload and the error. `dedup_key` (computed by
 *   `src/store/dead-letter-table.ts`: stage|origin|id:<event id>, or stage|origin|at:<partition>:<offset>
 *   when the event has no id) makes writing the same dead letter again — a redelivered batch —
 *   count an attempt instead of adding a row.
 */
export const up = `
ALTER TABLE payment_service.outbox ALTER COLUMN event_id TYPE VARCHAR(255);
ALTER TABLE payment_service.outbox ALTER COLUMN aggregate_id TYPE VARCHAR(1024);

CREATE TABLE payment_service.dead_letters (
  id BIGSERIAL PRIMARY KEY,
  stage VARCHAR(20) NOT NULL CHECK (stage IN ('capture', 'analytics')),
  -- where the event came from: 'kafka:orders.events', 'consumer:analytics'
  origin VARCHAR(255) NOT NULL,
  event_id VARCHAR(255),
  event_type VARCHAR(255),
  log_partition INT,
  log_offset BIGINT,
  -- the bytes as received (NUL characters, which PostgreSQL text cannot hold, as U+FFFD)
  payload TEXT NOT NULL,
  error_code VARCHAR(100) NOT NULL,
  error_message TEXT NOT NULL,
  details JSONB,
  attempts INT NOT NULL DEFAULT 1,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  last_attempt_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  replayed_at TIMESTAMPTZ,
  dedup_key VARCHAR(600) NOT NULL UNIQUE
);
CREATE INDEX idx_dead_letters_open ON payment_service.dead_letters (stage, id) WHERE replayed_at IS NULL;
`;
