import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, startTestApp } from '../harness/app.js';

/**
 * The browser's sign-in (`POST|GET|DELETE /api/v1/session`): an API key once, then an HttpOnly
 * session cookie that the dashboard's plain `fetch` and `EventSource` calls carry. One app for the
 * file, with a two-hour session lifetime.
 */

interface SessionBody {
  key: { id: number; name: string; roles: string[] };
  via: 'api-key' | 'session';
  expires_at: string | null;
}

describe('browser session (happy)', () => {
  let t: TestApp;
  let analyst: string;
  beforeAll(async () => {
    t = await startTestApp('pglite', { SESSION_TTL_HOURS: '2' });
    analyst = await t.createKey(['analyst', 'finance'], 'dashboard user');
  });
  afterAll(() => t?.stop());

  const call = async (method: string, path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${t.url}${path}`, { method, headers });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as SessionBody, cookie: res.headers.get('set-cookie') };
  };
  const signIn = async (headers: Record<string, string>) => {
    const res = await call('POST', '/api/v1/session', headers);
    expect(res.status).toBe(200);
    return { ...res, session: (res.cookie ?? '').split(';')[0] as string };
  };

  it('exchanges a key for a session cookie that lives SESSION_TTL_HOURS, and says who signed in', async () => {
    const before = Date.now();
    const res = await signIn({ authorization: `Bearer ${analyst}` });
    const { rows } = await t.app.store.query<{ id: number }>(`SELECT id FROM payment_service.api_keys WHERE name = 'dashboard user'`);
    expect(res.body).toEqual({
      key: { id: rows[0]?.id, name: 'dashboard user', roles: ['analyst', 'finance'] },
      via: 'session',
      expires_at: expect.any(String),
    });
    const expires = Date.parse(res.body.expires_at as string);
    expect(expires).toBeGreaterThanOrEqual(before + 2 * 3_600_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 2 * 3_600_000);
    expect(res.cookie).toMatch(/^payscope_session=[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=(7199|7200)$/);
  });

  it('takes the key as x-api-key too', async () => {
    const res = await signIn({ 'x-api-key': analyst });
    expect(res.body.key.name).toBe('dashboard user');
    expect(res.session).toMatch(/^payscope_session=\d+\.\d+\.[\w-]{22}\.[\w-]{43}$/);
  });

  it('authenticates API calls with the cookie alone, with the key’s roles', async () => {
    const { session } = await signIn({ authorization: `Bearer ${analyst}` });
    const who = await call('GET', '/api/v1/session', { cookie: session });
    expect(who).toMatchObject({ status: 200, body: { key: { name: 'dashboard user', roles: ['analyst', 'finance'] }, via: 'session' } });
    for (const path of ['/api/v1/fx-rates', '/api/v1/analytics/kpis', '/api/v1/settlement/tiles', '/api/v1/data-quality']) {
      expect((await call('GET', path, { cookie: session })).status, path).toBe(200);
    }
    // Among other cookies of the site, in any order.
    expect((await call('GET', '/api/v1/fx-rates', { cookie: `theme=dark; ${session}; lang=en` })).status).toBe(200);
  });

  it('opens the live feed with the cookie alone, as EventSource does', async () => {
    const { session } = await signIn({ authorization: `Bearer ${analyst}` });
    const controller = new AbortController();
    const res = await fetch(`${t.url}/api/v1/live`, {
      headers: { cookie: session, accept: 'text/event-stream' },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    controller.abort();
  });

  it('says who is calling with a key: via api-key, no expiry', async () => {
    const res = await call('GET', '/api/v1/session', { authorization: `Bearer ${analyst}` });
    expect(res).toMatchObject({ status: 200, body: { key: { name: 'dashboard user' }, via: 'api-key', expires_at: null } });
    expect(res.cookie).toBeNull();
  });

  it('signs out: DELETE clears the cookie with the same attributes, with or without a session', async () => {
    const { session } = await signIn({ authorization: `Bearer ${analyst}` });
    for (const headers of [{ cookie: session }, {}] as Record<string, string>[]) {
      const res = await call('DELETE', '/api/v1/session', headers);
      expect(res.status).toBe(204);
      expect(res.body).toBeNull();
      expect(res.cookie).toBe('payscope_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0');
    }
  });

  it('ends the session for good: a copy of the signed-out token is refused, another session of the key still works', async () => {
    const { session: first } = await signIn({ authorization: `Bearer ${analyst}` });
    const { session: second } = await signIn({ authorization: `Bearer ${analyst}` });
    expect((await call('GET', '/api/v1/session', { cookie: first })).status).toBe(200);
    expect((await call('DELETE', '/api/v1/session', { cookie: first })).status).toBe(204);
    const copied = await call('GET', '/api/v1/session', { cookie: first });
    expect(copied.status).toBe(401);
    expect((copied.body as unknown as { error: { code: string } }).error.code).toBe('API_KEY_INVALID');
    expect((await call('GET', '/api/v1/session', { cookie: second })).status).toBe(200);
    // Signing out twice is harmless.
    expect((await call('DELETE', '/api/v1/session', { cookie: first })).status).toBe(204);
  });
});
