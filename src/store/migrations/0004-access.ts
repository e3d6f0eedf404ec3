/**
 * Access: API keys with roles, and the audit log of requests that returned row-level payment
 * detail.
 *
 * - `api_keys`: only the SHA-256 of a key is stored (keys are 32 random bytes, so a fast hash is
 *   enough — there is nothing to brute-force; see docs/adr/0008-api-keys-audit-and-openapi.md).
 *   `key_prefix` (`psk_` and the next 8 characters) lets a person tell keys apart in lists and
 *   logs without the secret. `roles` is a text array of `ingest`, `analyst`, `finance`, `admin`.
 * - `audit_log`: one row per audited request — who (key id and name, the role that admitted it),
 *   what (method, path, query string), the outcome (status, rows returned) and where from.
 */
export const up = `
CREATE TABLE payment_service.api_keys (
  id BIGSERIAL PRIMARY KEY,
  name VARCHAR(200) NOT NULL,
  key_prefix VARCHAR(32) NOT NULL,
  key_hash CHAR(64) NOT NULL UNIQUE,
  roles TEXT[] NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  revoked_at TIMESTAMPTZ,
  last_used_at TIMESTAMPTZ
);

CREATE TABLE payment_service.audit_log (
  id BIGSERIAL PRIMARY KEY,
  at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  key_id BIGINT,
  key_name VARCHAR(200),
  role VARCHAR(20),
  method VARCHAR(10) NOT NULL,
  path VARCHAR(2048) NOT NULL,
  query TEXT,
  status INT NOT NULL,
  rows INT,
  request_id VARCHAR(128),
  ip VARCHAR(64)
);
CREATE INDEX idx_audit_log_at ON payment_service.audit_log (at);
CREATE INDEX idx_audit_log_key ON payment_service.audit_log (key_id, at);
`;
