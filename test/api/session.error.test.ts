import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeApiKey } from '../../src/api/access/api-keys.js';
import { type TestApp, startTestApp } from '../harness/app.js';

/**
 * Sign-in attempts that fail: the standard error body with a stable code and what to do, and no
 * cookie set. A broken cookie is a 401, never a server error. One app for the file.
 */

interface ErrorBody {
  error: { code: string; message: string; details?: unknown; request_id: string; docs: string };
}

describe('browser session (errors)', () => {
  let t: TestApp;
  let analyst: string;
  let revoked: string;
  beforeAll(async () => {
    t = await startTestApp('pglite');
    analyst = await t.createKey(['analyst']);
    revoked = await t.createKey(['analyst'], 'session revoked');
    const { rows } = await t.app.store.query<{ id: number }>(`SELECT id FROM payment_service.api_keys WHERE name = 'session revoked'`);
    expect(await revokeApiKey(t.app.store, rows[0]?.id as number)).toBe(true);
  });
  afterAll(() => t?.stop());

  const call = async (method: string, headers: Record<string, string> = {}, body?: string) => {
    const res = await fetch(`${t.url}/api/v1/session`, { method, headers, ...(body === undefined ? {} : { body }) });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as ErrorBody, cookie: res.headers.get('set-cookie'), text };
  };
  const expectError = (res: Awaited<ReturnType<typeof call>>, status: number, code: string) => {
    expect(res.status, res.text).toBe(status);
    expect(res.body).toEqual({
      error: { code, message: expect.any(String), request_id: expect.any(String), docs: `/docs/errors#${code.toLowerCase()}` },
    });
    expect(res.cookie).toBeNull();
  };

  it('refuses to sign in or say who is calling without a key: 401 API_KEY_MISSING saying how to send one', async () => {
    for (const method of ['POST', 'GET']) {
      const res = await call(method);
      expectError(res, 401, 'API_KEY_MISSING');
      expect(res.body.error.message).toBe('this route needs an API key (any API key): send Authorization: Bearer psk_…');
    }
    // Another scheme, or an empty bearer, is no key at all.
    expectError(await call('POST', { authorization: `Basic ${Buffer.from(`u:${analyst}`).toString('base64')}` }), 401, 'API_KEY_MISSING');
    expectError(await call('POST', { authorization: 'Bearer ' }), 401, 'API_KEY_MISSING');
  });

  it('takes the key from the header only: one in the body is not a sign-in', async () => {
    const res = await call('POST', { 'content-type': 'application/json' }, JSON.stringify({ key: analyst, api_key: analyst }));
    expectError(res, 401, 'API_KEY_MISSING');
  });

  it('refuses an unknown, malformed or revoked key with 401 API_KEY_INVALID and sets no cookie', async () => {
    for (const headers of [
      { authorization: `Bearer psk_${'S'.repeat(43)}` },
      { authorization: 'Bearer psk_short' },
      { authorization: `Bearer ${analyst.slice(0, -1)}` },
      { authorization: `Bearer ${revoked}` },
      { 'x-api-key': revoked },
      { 'x-api-key': ` psk_${'S'.repeat(43)}` },
    ] as Record<string, string>[]) {
      const res = await call('POST', headers);
      expectError(res, 401, 'API_KEY_INVALID');
      expect(res.body.error.message).toBe('the API key or session is unknown, revoked or expired');
    }
  });

  it('needs no body, and answers a body that claims to be JSON but is not with 400 MALFORMED_JSON', async () => {
    const auth = { authorization: `Bearer ${analyst}` };
    expect((await call('POST', auth)).status).toBe(200);
    expect((await call('POST', { ...auth, 'content-type': 'application/json' }, '{}')).status).toBe(200);
    expectError(await call('POST', { ...auth, 'content-type': 'application/json' }, '{"key":'), 400, 'MALFORMED_JSON');
    expectError(await call('POST', { ...auth, 'content-type': 'application/json' }, ''), 400, 'MALFORMED_JSON');
  });

  it('refuses a broken session cookie with 401, never a server error', async () => {
    const cookies = [
      'payscope_session=%E0%A4%A',
      'payscope_session=%',
      'payscope_session=a.b.c',
      'payscope_session=1.2',
      `payscope_session=1.99999999999999.${'A'.repeat(43)}`,
      `payscope_session=${'9'.repeat(16)}.1.${'A'.repeat(43)}`,
      `payscope_session=1.2.${'A'.repeat(43)}.extra`,
      `payscope_session=${'x'.repeat(4000)}`,
      'payscope_session="1.2.3"',
    ];
    for (const cookie of cookies) {
      const res = await call('GET', { cookie });
      expect(res.status, cookie).toBe(401);
      expect(res.body.error.code, cookie).toBe('API_KEY_INVALID');
    }
    // An empty value is no session at all.
    expectError(await call('GET', { cookie: 'payscope_session=' }), 401, 'API_KEY_MISSING');
    expectError(await call('GET', { cookie: 'other=1' }), 401, 'API_KEY_MISSING');
  });

  it('answers a method the session does not have with 405 METHOD_NOT_ALLOWED', async () => {
    for (const method of ['PUT', 'PATCH'])
      expectError(await call(method, { authorization: `Bearer ${analyst}` }), 405, 'METHOD_NOT_ALLOWED');
  });
});
