/**
 * Sessions ended by signing out. A session token is a signed `key id . expiry`, valid in every
 * process on the store without a lookup; signing out records the token's SHA-256 here until it
 * would have expired anyway, so a copied token stops working too (not only the browser's cookie).
 */
export const up = `
CREATE TABLE payment_service.ended_sessions (
  token_hash CHAR(64) PRIMARY KEY,
  expires_at TIMESTAMPTZ NOT NULL,
  ended_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX idx_ended_sessions_expires ON payment_service.ended_sessions (expires_at);
`;
