/**
 * Funnels (issue 12 §1): the definitions users save, and the standard funnel materialised every
 * hour for the last 24 h with its cart → checkout drop-off against the 7-day baseline
 * (src/jobs/funnel-snapshot-job.ts). Definitions and results are JSON as the API validated and
 * produced them (src/analytics/funnels).
 */
export const up = `
CREATE TABLE payment_service.funnel_definitions (
  id UUID PRIMARY KEY,
  name VARCHAR(100) NOT NULL UNIQUE,
  definition JSONB NOT NULL,
  created_by VARCHAR(100),
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE TABLE payment_service.funnel_snapshots (
  id BIGSERIAL PRIMARY KEY,
  computed_at TIMESTAMPTZ NOT NULL,
  range_from TIMESTAMPTZ NOT NULL,
  range_to TIMESTAMPTZ NOT NULL,
  result JSONB NOT NULL,
  -- Fractions as exact decimal text (4 places); NULL when no session added to cart.
  cart_checkout_drop_off VARCHAR(12),
  baseline_drop_off VARCHAR(12),
  flagged BOOLEAN NOT NULL
);
CREATE INDEX idx_funnel_snapshots_computed ON payment_service.funnel_snapshots (computed_at DESC);
`;
