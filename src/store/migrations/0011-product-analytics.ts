/**
 * Product analytics (issue 12 §2–3): what the scheduled jobs keep in the operational store.
 *
 * - `customer_segments`: each customer's RFM segment at the last weekly run (keyed by the
 *   customer's pseudonym, never the id), so the next run knows who changed and publishes one
 *   `customer.segment_changed` per changed customer through the outbox in the same transaction.
 * - `cohort_matrices`: the monthly job's stored retention matrix, one per month it ran for and
 *   definition (zone, period, basis, activity); a rerun for the same month replaces it.
 */
export const up = `
CREATE TABLE payment_service.customer_segments (
  customer_hash VARCHAR(64) PRIMARY KEY,
  segment VARCHAR(30) NOT NULL,
  r SMALLINT NOT NULL CHECK (r BETWEEN 1 AND 5),
  f SMALLINT NOT NULL CHECK (f BETWEEN 1 AND 5),
  m SMALLINT NOT NULL CHECK (m BETWEEN 1 AND 5),
  recency_days INTEGER NOT NULL,
  orders INTEGER NOT NULL,
  monetary_minor BIGINT NOT NULL,
  currency CHAR(3) NOT NULL,
  as_of TIMESTAMPTZ NOT NULL,
  changed_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX idx_customer_segments_segment ON payment_service.customer_segments (segment);

CREATE TABLE payment_service.cohort_matrices (
  month DATE NOT NULL,
  tz VARCHAR(64) NOT NULL,
  period VARCHAR(10) NOT NULL,
  basis VARCHAR(20) NOT NULL,
  activity VARCHAR(60) NOT NULL,
  matrix JSONB NOT NULL,
  computed_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  PRIMARY KEY (month, tz, period, basis, activity)
);
`;
