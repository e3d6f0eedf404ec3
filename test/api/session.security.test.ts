import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeApiKey } from '../../src/api/access/api-keys.js';
import { type TestApp, startTestApp } from '../harness/app.js';

/**
 * The session cookie is a credential: it cannot be read by scripts or sent cross-site, carries no
 * key, grants its key's roles and no more, cannot be forged, extended or reused after the key is
 * revoked or the session expired. One app for the file.
 */

describe('browser session (security)', () => {
  let t: TestApp;
  let analyst: string;
  const ids: Record<string, number> = {};
  beforeAll(async () => {
    t = await startTestApp('pglite');
    analyst = await t.createKey(['analyst'], 'session analyst');
    const { rows } = await t.app.store.query<{ id: number; name: string }>('SELECT id, name FROM payment_service.api_keys');
    for (const r of rows) ids[r.name] = r.id;
  });
  afterAll(() => t?.stop());

  const call = async (method: string, path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${t.url}${path}`, { method, headers });
    const text = await res.text();
    return {
      status: res.status,
      text,
      cookie: res.headers.get('set-cookie'),
      body: (text ? JSON.parse(text) : null) as { error?: { code: string } },
    };
  };
  const signIn = async (key: string) => {
    const res = await call('POST', '/api/v1/session', { authorization: `Bearer ${key}` });
    expect(res.status).toBe(200);
    return { setCookie: res.cookie as string, token: (res.cookie as string).split(';')[0]?.split('=')[1] as string, text: res.text };
  };
  /** A token signed with the store's real session secret: only the server should be able to make one. */
  const signWithServerSecret = async (keyId: number, expiresAt: number) => {
    const { rows } = await t.app.store.query<{ value: string }>(`SELECT value FROM payment_service.meta WHERE key = 'session_secret'`);
    const body = `${keyId}.${expiresAt}.${'n'.repeat(22)}`;
    return `${body}.${createHmac('sha256', Buffer.from(rows[0]?.value ?? '', 'base64'))
      .update(body)
      .digest('base64url')}`;
  };
  const asSession = (token: string) => ({ cookie: `payscope_session=${token}` });

  it('sets the cookie HttpOnly, SameSite=Strict, host-only on Path=/, and puts no key in it or in the answer', async () => {
    const { setCookie, token, text } = await signIn(analyst);
    const attributes = setCookie.split(';').map((a) => a.trim().split('=')[0]?.toLowerCase());
    expect(attributes).toEqual(expect.arrayContaining(['httponly', 'samesite', 'path', 'max-age']));
    expect(setCookie).toContain('SameSite=Strict');
    expect(attributes).not.toContain('domain');
    for (const secret of [analyst, analyst.slice(0, 12), t.adminKey]) {
      expect(setCookie).not.toContain(secret);
      expect(text).not.toContain(secret);
    }
    expect(token).toMatch(/^\d+\.\d+\.[\w-]{22}\.[\w-]{43}$/);
  });

  it('grants the roles of its key and no more', async () => {
    const { token } = await signIn(analyst);
    expect((await call('GET', '/api/v1/analytics/kpis', asSession(token))).status).toBe(200);
    for (const [method, path] of [
      ['GET', '/api/v1/dead-letters'],
      ['PUT', '/api/v1/fx-rates'],
      ['GET', '/api/v1/settlement/tiles'],
      ['POST', '/api/v1/events'],
    ] as const) {
      const res = await call(method, path, asSession(token));
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body.error?.code).toBe('ROLE_FORBIDDEN');
    }
  });

  it('refuses forged tokens: another key id, a later expiry, another secret', async () => {
    const { token } = await signIn(analyst);
    const [id, exp, nonce, sig] = token.split('.') as [string, string, string, string];
    const adminId = ids['test admin'] as number;
    const forged = [
      `${adminId}.${exp}.${nonce}.${sig}`,
      `${id}.${Number(exp) + 86_400_000}.${nonce}.${sig}`,
      `${id}.${exp}.${'x'.repeat(22)}.${sig}`,
      `${id}.${exp}.${sig}`,
      `${id}.${exp}.${nonce}.${createHmac('sha256', 'not the secret').update(`${id}.${exp}.${nonce}`).digest('base64url')}`,
      `${adminId}.${exp}.${nonce}.${createHmac('sha256', 'not the secret').update(`${adminId}.${exp}.${nonce}`).digest('base64url')}`,
    ];
    for (const f of forged) {
      const res = await call('GET', '/api/v1/session', asSession(f));
      expect(res.status, f).toBe(401);
      expect(res.body.error?.code).toBe('API_KEY_INVALID');
    }
  });

  it('refuses an expired session and one for a key that does not exist, even when correctly signed', async () => {
    const valid = await signWithServerSecret(ids['session analyst'] as number, Date.now() + 60_000);
    expect((await call('GET', '/api/v1/session', asSession(valid))).status).toBe(200);
    for (const token of [
      await signWithServerSecret(ids['session analyst'] as number, Date.now() - 1000),
      await signWithServerSecret(999_999, Date.now() + 60_000),
    ]) {
      const res = await call('GET', '/api/v1/session', asSession(token));
      expect(res.status).toBe(401);
      expect(res.body.error?.code).toBe('API_KEY_INVALID');
    }
  });

  it('ends every session of a key when the key is revoked, at once', async () => {
    const key = await t.createKey(['analyst', 'finance'], 'session to revoke');
    const { token } = await signIn(key);
    expect((await call('GET', '/api/v1/fx-rates', asSession(token))).status).toBe(200);
    const { rows } = await t.app.store.query<{ id: number }>(`SELECT id FROM payment_service.api_keys WHERE name = 'session to revoke'`);
    expect(await revokeApiKey(t.app.store, rows[0]?.id as number)).toBe(true);
    for (const path of ['/api/v1/fx-rates', '/api/v1/session']) {
      const res = await call('GET', path, asSession(token));
      expect(res.status, path).toBe(401);
      expect(res.body.error?.code).toBe('API_KEY_INVALID');
    }
  });

  it('lets anyone sign out (clears the cookie; ends a session only with its valid token), and grants nothing with it', async () => {
    const res = await call('DELETE', '/api/v1/session');
    expect(res.status).toBe(204);
    expect(res.cookie).toMatch(/^payscope_session=; /);
    expect((await call('GET', '/api/v1/session', { cookie: 'payscope_session=' })).status).toBe(401);
  });
});
