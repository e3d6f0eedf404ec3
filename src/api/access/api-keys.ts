import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SqlExecutor } from '../../store/store-port.js';

/**
 * API keys: `psk_` + 32 random bytes (base64url). Only the SHA-256 of a key is stored — a key has
 * 256 bits of entropy, so a slow password hash would add cost without adding safety (ADR 0008).
 * Roles: `ingest` (send events), `analyst` (analytics, SQL, live), `finance` (settlement and
 * analytics), `admin` (everything, including personal columns and dead-letter payloads).
 */

export const ACCESS_ROLES = ['ingest', 'analyst', 'finance', 'admin'] as const;
export type AccessRole = (typeof ACCESS_ROLES)[number];

export const KEY_PREFIX = 'psk_';
const KEY_RE = /^psk_[A-Za-z0-9_-]{43}$/;

export interface ApiKey {
  id: number;
  name: string;
  key_prefix: string;
  roles: AccessRole[];
  created_at: Date;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

/** A key as the API and the CLI show it: dates as ISO strings, never the secret or its hash. */
export function apiKeyView(k: ApiKey) {
  return {
    id: k.id,
    name: k.name,
    key_prefix: k.key_prefix,
    roles: k.roles,
    created_at: k.created_at.toISOString(),
    last_used_at: k.last_used_at?.toISOString() ?? null,
    revoked_at: k.revoked_at?.toISOString() ?? null,
  };
}

export function generateApiKey(): string {
  return `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function looksLikeApiKey(key: string): boolean {
  return KEY_RE.test(key);
}

export function parseRoles(csv: string): { ok: true; roles: AccessRole[] } | { ok: false; message: string } {
  const roles = [...new Set(csv.split(',').map((r) => r.trim().toLowerCase()))].filter(Boolean);
  const unknown = roles.filter((r) => !(ACCESS_ROLES as readonly string[]).includes(r));
  if (roles.length === 0) return { ok: false, message: `name at least one role: ${ACCESS_ROLES.join(', ')}` };
  if (unknown.length > 0) return { ok: false, message: `unknown role(s) ${unknown.join(', ')}; choose from ${ACCESS_ROLES.join(', ')}` };
  return { ok: true, roles: roles as AccessRole[] };
}

const COLUMNS = 'id, name, key_prefix, roles, created_at, revoked_at, last_used_at';

/** Creates a key; the returned `key` is the only time the secret exists outside its holder. */
export async function createApiKey(
  db: SqlExecutor,
  input: { name: string; roles: readonly AccessRole[] },
): Promise<{ key: string; apiKey: ApiKey }> {
  const key = generateApiKey();
  const { rows } = await db.query<ApiKey>(
    `INSERT INTO payment_service.api_keys (name, key_prefix, key_hash, roles) VALUES ($1, $2, $3, $4::text[]) RETURNING ${COLUMNS}`,
    [input.name, key.slice(0, 12), hashApiKey(key), [...input.roles]],
  );
  return { key, apiKey: rows[0] as ApiKey };
}

export async function listApiKeys(db: SqlExecutor): Promise<ApiKey[]> {
  return (await db.query<ApiKey>(`SELECT ${COLUMNS} FROM payment_service.api_keys ORDER BY id`)).rows;
}

/** Revokes a key; false when there is no such key or it was already revoked. */
export async function revokeApiKey(db: SqlExecutor, id: number): Promise<boolean> {
  const { rows } = await db.query(
    'UPDATE payment_service.api_keys SET revoked_at = NOW() WHERE id = $1 AND revoked_at IS NULL RETURNING id',
    [id],
  );
  return rows.length > 0;
}

/** The active (not revoked) key with this secret, or null. */
export async function findActiveApiKey(db: SqlExecutor, key: string): Promise<ApiKey | null> {
  if (!looksLikeApiKey(key)) return null;
  const hash = hashApiKey(key);
  const { rows } = await db.query<ApiKey & { key_hash: string }>(
    `SELECT ${COLUMNS}, key_hash FROM payment_service.api_keys WHERE key_hash = $1 AND revoked_at IS NULL`,
    [hash],
  );
  const row = rows[0];
  // The lookup is by hash (an index probe); compare again in constant time for good measure.
  if (!row || !timingSafeEqual(Buffer.from(row.key_hash), Buffer.from(hash))) return null;
  const { key_hash: _hash, ...apiKey } = row;
  return apiKey;
}

export async function findApiKeyById(db: SqlExecutor, id: number): Promise<ApiKey | null> {
  const { rows } = await db.query<ApiKey>(`SELECT ${COLUMNS} FROM payment_service.api_keys WHERE id = $1 AND revoked_at IS NULL`, [id]);
  return rows[0] ?? null;
}

export const ADMIN_KEY_FILE = 'admin-api-key';

/**
 * The embedded default's first admin key: created when the store has no key at all, saved to
 * `DATA_DIR/admin-api-key` (mode 600) so `npm start` can show it again. Returns the key while that
 * file holds an active one, else null (deleted file, revoked key, or keys made by other means).
 */
export async function ensureBootstrapAdminKey(db: SqlExecutor, dataDir: string): Promise<{ key: string; created: boolean } | null> {
  const file = join(dataDir, ADMIN_KEY_FILE);
  if (existsSync(file)) {
    const key = readFileSync(file, 'utf8').trim();
    return (await findActiveApiKey(db, key)) ? { key, created: false } : null;
  }
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM payment_service.api_keys');
  if ((rows[0]?.n ?? 0) > 0) return null;
  const { key } = await createApiKey(db, { name: 'admin (generated on first start)', roles: ['admin'] });
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return { key, created: true };
}
