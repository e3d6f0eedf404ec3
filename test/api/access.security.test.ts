import { afterAll, beforeAll, expect, it } from 'vitest';
import { revokeApiKey } from '../../src/api/access/api-keys.js';
import { TEST_SECRETS, type TestApp, startTestApp } from '../harness/app.js';
import { captureEvent, postEvents } from '../harness/event-capture.js';
import { describeEachStore } from '../harness/stores.js';
import { seedBody, sendWebhook } from '../harness/webhook-client.js';

/** API keys and roles against the real server: who may call what (the matrix in src/api/README.md). */
describeEachStore('access (security)', (kind) => {
  let t: TestApp;
  const keys: Record<string, string> = {};
  beforeAll(async () => {
    t = await startTestApp(kind.name);
    for (const role of ['ingest', 'analyst', 'finance'] as const) keys[role] = await t.createKey([role]);
    keys.admin = t.adminKey;
  });
  afterAll(() => t?.stop());

  const call = async (method: string, path: string, headers: Record<string, string> = {}, body?: unknown) => {
    const res = await fetch(`${t.url}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return {
      status: res.status,
      body: (text ? JSON.parse(text) : null) as { error?: { code: string; message: string; details?: unknown } },
      headers: res.headers,
    };
  };
  const as = (role: string) => ({ authorization: `Bearer ${keys[role]}` });

  it('answers 401 API_KEY_MISSING without a key, with the standard error body', async () => {
    const res = await call('GET', '/api/v1/data-quality');
    expect(res.status).toBe(401);
    expect(res.body.error).toMatchObject({ code: 'API_KEY_MISSING', docs: '/docs/errors#api_key_missing' });
  });

  it('answers 401 API_KEY_INVALID for an unknown, malformed or wrong-scheme key', async () => {
    const attempts: Record<string, string>[] = [
      { authorization: `Bearer psk_${'A'.repeat(43)}` },
      { authorization: 'Bearer not-a-key' },
      { 'x-api-key': `${keys.admin}x` },
      { cookie: 'payscope_session=1.99999999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
    ];
    for (const headers of attempts) {
      const res = await call('GET', '/api/v1/data-quality', headers);
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(res.body.error?.code).toBe('API_KEY_INVALID');
    }
  });

  it('answers 403 ROLE_FORBIDDEN naming the roles needed and held', async () => {
    const res = await call('GET', '/api/v1/data-quality', as('ingest'));
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ code: 'ROLE_FORBIDDEN', details: { required: ['analyst', 'finance'], roles: ['ingest'] } });
  });

  it('applies the matrix: events need ingest, SQL analyst, dead letters admin; admin may do everything', async () => {
    const matrix: [string, string, string, number][] = [
      ['POST', '/api/v1/events', 'ingest', 200],
      ['POST', '/api/v1/events', 'analyst', 403],
      ['POST', '/api/v1/events', 'admin', 200],
      ['POST', '/api/v1/sql', 'analyst', 200],
      ['POST', '/api/v1/sql', 'finance', 403],
      ['POST', '/api/v1/sql', 'ingest', 403],
      ['GET', '/api/v1/data-quality', 'finance', 200],
      ['GET', '/api/v1/data-quality', 'analyst', 200],
      ['GET', '/api/v1/dead-letters', 'analyst', 403],
      ['GET', '/api/v1/dead-letters', 'admin', 200],
      ['GET', '/api/v1/merchants', 'analyst', 200],
      ['PUT', '/api/v1/merchants', 'analyst', 403],
    ];
    for (const [method, path, role, status] of matrix) {
      const body =
        path === '/api/v1/events'
          ? [captureEvent('product.viewed')]
          : path === '/api/v1/sql'
            ? { sql: 'SELECT 1 AS x' }
            : method === 'PUT'
              ? []
              : undefined;
      const res = await call(method, path, as(role), body);
      expect(res.status, `${method} ${path} as ${role}: ${JSON.stringify(res.body)}`).toBe(status);
    }
  });

  it('accepts the key as x-api-key too', async () => {
    expect((await call('GET', '/api/v1/data-quality', { 'x-api-key': keys.analyst as string })).status).toBe(200);
  });

  it('keeps webhooks (signature), health, metrics, schemas and docs open', async () => {
    expect((await sendWebhook(t.url, seedBody('ACCESS-1'), { secret: TEST_SECRETS.default })).status).toBe(201);
    for (const path of ['/health', '/metrics', '/api/v1/schemas', '/docs', '/docs/openapi.json']) {
      expect((await fetch(`${t.url}${path}`)).status, path).toBe(200);
    }
  });

  it('refuses a revoked key at once (it was never cached as valid)', async () => {
    const key = await t.createKey(['analyst'], 'to revoke');
    const { rows } = await t.app.store.query<{ id: number }>(`SELECT id FROM payment_service.api_keys WHERE name = 'to revoke'`);
    expect(await revokeApiKey(t.app.store, rows[0]?.id as number)).toBe(true);
    const res = await call('GET', '/api/v1/data-quality', { authorization: `Bearer ${key}` });
    expect(res.body.error?.code).toBe('API_KEY_INVALID');
  });

  it('signs a browser in: POST /api/v1/session sets an HttpOnly SameSite=Strict cookie that then authenticates', async () => {
    const res = await call('POST', '/api/v1/session', as('analyst'));
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^payscope_session=[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+/);
    const session = cookie.split(';')[0] as string;
    expect((await call('GET', '/api/v1/data-quality', { cookie: session })).status).toBe(200);
    expect((await call('GET', '/api/v1/session', { cookie: session })).body).toMatchObject({ key: { roles: ['analyst'] }, via: 'session' });
    // A session carries its key's roles, no more.
    expect((await call('GET', '/api/v1/dead-letters', { cookie: session })).status).toBe(403);
    // A tampered session is refused.
    expect((await call('GET', '/api/v1/data-quality', { cookie: session.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')) })).status).toBe(401);
  });

  it('stores only a hash of each key', async () => {
    const { rows } = await t.app.store.query<{ key_hash: string; key_prefix: string }>(
      'SELECT key_hash, key_prefix FROM payment_service.api_keys',
    );
    for (const r of rows) {
      expect(r.key_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(Object.values(keys)).not.toContain(r.key_hash);
    }
    expect(JSON.stringify(rows)).not.toContain(keys.admin);
  });

  it('audits dead-letter reads with their row count', async () => {
    await call('GET', '/api/v1/dead-letters?limit=5', as('admin'));
    for (let i = 0; i < 50; i++) {
      const { rows } = await t.app.store.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM payment_service.audit_log WHERE path = '/api/v1/dead-letters' AND query = 'limit=5' AND rows = 0`,
      );
      if ((rows[0]?.n ?? 0) > 0) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('no audit row for the dead-letter read');
  });

  it('sends the harness admin key with postEvents, and refuses it without one', async () => {
    expect((await postEvents(t.url, [captureEvent('product.viewed')], { key: null })).status).toBe(401);
  });
});
