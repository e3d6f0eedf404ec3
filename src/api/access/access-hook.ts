import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { ErrorCode, failure } from '../../core/errors.js';
import type { SqlExecutor } from '../../store/store-port.js';
import { sendFailure } from '../http-errors.js';
import { type AccessRule, admittingRole, defaultAccessOf, describeRule } from './access-rules.js';
import { type AccessRole, type ApiKey, findActiveApiKey, findApiKeyById } from './api-keys.js';
import type { AuditLog } from './audit-log.js';

/** Who is calling: set on `request.access` for every route that needs a key. */
export interface AccessContext {
  keyId: number;
  keyName: string;
  roles: AccessRole[];
  /** The role that admitted this request (`any` on routes open to every key). */
  role: AccessRole | 'any';
  via: 'api-key' | 'session';
}

declare module 'fastify' {
  interface FastifyRequest {
    access: AccessContext | null;
    /** Rows of payment detail this response returned, for the audit log. */
    auditRows?: number;
  }
}

export const SESSION_COOKIE = 'payscope_session';

export interface AccessDeps {
  store: SqlExecutor;
  logger: Logger;
  audit: AuditLog;
  sessionTtlMs: number;
}

export interface Access {
  /** Mints a session cookie value for a key (`POST /api/v1/session`). */
  mintSession(keyId: number): Promise<{ token: string; expiresAt: Date }>;
  /** Whether the key still exists unrevoked (long-lived streams re-check their caller with it). */
  isActive(keyId: number): Promise<boolean>;
  /** Signs out the session in this Cookie header for good (a copy of the token stops working too); false when there is none. */
  endSession(cookieHeader: string | undefined): Promise<boolean>;
}

const CACHE_MS = 5_000;
const LAST_USED_EVERY_MS = 60_000;

/**
 * Installs authentication and authorisation on `app` (before any route is registered): an
 * `onRoute` hook fixes each route's access rule (declared, or the default of its path), an
 * `onRequest` hook resolves the caller — `Authorization: Bearer psk_…`, `x-api-key`, or the
 * dashboard's session cookie — and answers 401/403 with the standard error body; an `onResponse`
 * hook writes audited routes to the audit log.
 *
 * Valid keys are cached for 5 s, so a revoked key stops working within 5 s in every process.
 */
export function installAccess(app: FastifyInstance, deps: AccessDeps): Access {
  const cache = new Map<string, { key: ApiKey | null; until: number }>();
  const lastUsedWritten = new Map<number, number>();
  let secret: Promise<Buffer> | null = null;
  const sessionSecret = () => {
    secret ??= loadSessionSecret(deps.store).catch((error: unknown) => {
      secret = null;
      throw error;
    });
    return secret;
  };

  app.decorateRequest('access', null);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    route.config = { ...(route.config ?? {}), access: route.config?.access ?? defaultAccessOf(route.url, String(methods[0])) } as never;
  });

  const resolve = async (request: FastifyRequest): Promise<{ key: ApiKey; via: AccessContext['via'] } | 'missing' | 'invalid'> => {
    const header = request.headers.authorization;
    const bearer = typeof header === 'string' && /^bearer\s+/i.test(header) ? header.replace(/^bearer\s+/i, '').trim() : null;
    const given = bearer ?? (typeof request.headers['x-api-key'] === 'string' ? request.headers['x-api-key'].trim() : null);
    if (given) {
      const now = Date.now();
      const hit = cache.get(given);
      let key = hit && hit.until > now ? hit.key : undefined;
      if (key === undefined) {
        key = await findActiveApiKey(deps.store, given);
        if (cache.size > 10_000) cache.clear();
        cache.set(given, { key, until: now + CACHE_MS });
      }
      return key ? { key, via: 'api-key' } : 'invalid';
    }
    const token = cookieOf(request.headers.cookie, SESSION_COOKIE);
    if (token) {
      const session = verifySession(token, await sessionSecret());
      const key = session === null || (await sessionEnded(deps.store, token)) ? null : await findApiKeyById(deps.store, session.keyId);
      return key ? { key, via: 'session' } : 'invalid';
    }
    return 'missing';
  };

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const rule: AccessRule | undefined = request.routeOptions.config?.access;
    if (rule === undefined || rule === 'public') return; // no route matched (404), or an open one
    const found = await resolve(request);
    if (found === 'missing') {
      return sendFailure(
        reply,
        failure(ErrorCode.API_KEY_MISSING, `this route needs an API key (${describeRule(rule)}): send Authorization: Bearer psk_…`),
      );
    }
    if (found === 'invalid') {
      return sendFailure(reply, failure(ErrorCode.API_KEY_INVALID, 'the API key or session is unknown, revoked or expired'));
    }
    const role = admittingRole(rule, found.key.roles);
    if (role === null) {
      return sendFailure(
        reply,
        failure(
          ErrorCode.ROLE_FORBIDDEN,
          `key '${found.key.name}' has role(s) ${found.key.roles.join(', ')}; this route needs ${describeRule(rule)}`,
          {
            required: rule,
            roles: found.key.roles,
          },
        ),
      );
    }
    request.access = { keyId: found.key.id, keyName: found.key.name, roles: found.key.roles, role, via: found.via };
    const now = Date.now();
    if (now - (lastUsedWritten.get(found.key.id) ?? 0) > LAST_USED_EVERY_MS) {
      lastUsedWritten.set(found.key.id, now);
      deps.store
        .query('UPDATE payment_service.api_keys SET last_used_at = NOW() WHERE id = $1', [found.key.id])
        .catch((error: unknown) => deps.logger.warn({ err: error, key_id: found.key.id }, 'could not record the key last use'));
    }
  });

  app.addHook('onResponse', async (request, reply) => {
    if (!request.routeOptions.config?.audit && request.auditRows === undefined) return;
    const [path = '', query] = request.url.split(/\?(.*)/s);
    deps.audit.record({
      keyId: request.access?.keyId ?? null,
      keyName: request.access?.keyName ?? null,
      role: request.access?.role ?? null,
      method: request.method,
      path,
      query: query || null,
      status: reply.statusCode,
      rows: request.auditRows ?? null,
      requestId: request.id,
      ip: request.ip,
    });
  });

  return {
    isActive: async (keyId) => (await findApiKeyById(deps.store, keyId)) !== null,
    async endSession(cookieHeader) {
      const token = cookieOf(cookieHeader, SESSION_COOKIE);
      const session = token ? verifySession(token, await sessionSecret()) : null;
      if (!token || !session) return false;
      await deps.store.query('DELETE FROM payment_service.ended_sessions WHERE expires_at < NOW()');
      await deps.store.query(
        'INSERT INTO payment_service.ended_sessions (token_hash, expires_at) VALUES ($1, $2) ON CONFLICT (token_hash) DO NOTHING',
        [tokenHash(token), session.expiresAt],
      );
      return true;
    },
    async mintSession(keyId) {
      const expiresAt = new Date(Date.now() + deps.sessionTtlMs);
      // A nonce makes every session its own token, so signing one out ends only that one.
      const body = `${keyId}.${expiresAt.getTime()}.${randomBytes(16).toString('base64url')}`;
      return { token: `${body}.${sign(body, await sessionSecret())}`, expiresAt };
    },
  };
}

function sign(body: string, secret: Buffer): string {
  return createHmac('sha256', secret).update(body).digest('base64url');
}

/** The key id and expiry of a validly signed, unexpired session token; null otherwise (ended sessions are checked apart). */
function verifySession(token: string, secret: Buffer): { keyId: number; expiresAt: Date } | null {
  const m = /^(\d{1,15})\.(\d{1,15})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) return null;
  const [, id, exp, nonce, sig] = m as unknown as [string, string, string, string, string];
  const expected = Buffer.from(sign(`${id}.${exp}.${nonce}`, secret));
  if (!timingSafeEqual(expected, Buffer.from(sig))) return null;
  return Number(exp) > Date.now() ? { keyId: Number(id), expiresAt: new Date(Number(exp)) } : null;
}

const tokenHash = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

async function sessionEnded(store: SqlExecutor, token: string): Promise<boolean> {
  const { rows } = await store.query('SELECT 1 FROM payment_service.ended_sessions WHERE token_hash = $1', [tokenHash(token)]);
  return rows.length > 0;
}

function cookieOf(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k !== name) continue;
    // A value that is not valid percent-encoding is simply not a session of ours (401, never a 500).
    try {
      return decodeURIComponent(v.join('='));
    } catch {
      return v.join('=');
    }
  }
  return null;
}

/** One secret per store, shared by every process on it: a session minted by one is valid in all. */
async function loadSessionSecret(store: SqlExecutor): Promise<Buffer> {
  await store.query(`INSERT INTO payment_service.meta (key, value) VALUES ('session_secret', $1) ON CONFLICT (key) DO NOTHING`, [
    randomBytes(32).toString('base64'),
  ]);
  const { rows } = await store.query<{ value: string }>(`SELECT value FROM payment_service.meta WHERE key = 'session_secret'`);
  return Buffer.from(rows[0]?.value ?? '', 'base64');
}
