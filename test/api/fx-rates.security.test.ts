import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeApiKey } from '../../src/api/access/api-keys.js';
import { type TestApp, startTestApp } from '../harness/app.js';

/**
 * Who may read and upload FX rates (src/api/README.md#access): analyst or finance read, only
 * finance uploads (admin both). A refused caller changes nothing, and no answer carries a stack
 * trace or a path of the server. One app for the file.
 */

const PATH = '/api/v1/fx-rates';
const CSV = 'date,base,quote,rate\n2026-11-07,USD,INR,83.2512\n';

interface Body {
  error?: { code: string; message: string; details?: unknown; request_id?: string; docs?: string };
  items?: unknown[];
  loaded?: number;
}

describe('FX rates access (security)', () => {
  let t: TestApp;
  const keys: Record<string, string> = {};
  beforeAll(async () => {
    t = await startTestApp('pglite');
    for (const role of ['ingest', 'analyst', 'finance'] as const) keys[role] = await t.createKey([role]);
    keys.admin = t.adminKey;
    keys.revoked = await t.createKey(['finance'], 'fx revoked');
    const { rows } = await t.app.store.query<{ id: number }>(`SELECT id FROM payment_service.api_keys WHERE name = 'fx revoked'`);
    expect(await revokeApiKey(t.app.store, rows[0]?.id as number)).toBe(true);
  });
  afterAll(() => t?.stop());

  const call = async (method: 'GET' | 'PUT', headers: Record<string, string> = {}, body = CSV) => {
    const res = await fetch(`${t.url}${PATH}`, {
      method,
      headers: { ...(method === 'PUT' ? { 'content-type': 'text/csv' } : {}), ...headers },
      ...(method === 'PUT' ? { body } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: JSON.parse(text) as Body, text, contentType: res.headers.get('content-type') };
  };
  const as = (who: string) => ({ authorization: `Bearer ${keys[who]}` });
  const stored = async () => (await call('GET', as('admin'))).body.items;

  it('answers 401 API_KEY_MISSING without a key, before reading the body', async () => {
    for (const [method, body] of [
      ['GET', CSV],
      ['PUT', CSV],
      ['PUT', 'not,a,csv'],
      ['PUT', `date,base,quote,rate\n${'2026-11-07,USD,INR,1\n'.repeat(50_000)}`],
    ] as const) {
      const res = await call(method, {}, body);
      expect(res.status, method).toBe(401);
      expect(res.body).toEqual({
        error: {
          code: 'API_KEY_MISSING',
          message: expect.stringContaining('Authorization: Bearer psk_'),
          request_id: expect.any(String),
          docs: '/docs/errors#api_key_missing',
        },
      });
    }
    expect(await stored()).toEqual([]);
  });

  it('answers 401 API_KEY_INVALID for a revoked, unknown or malformed key', async () => {
    const attempts: Record<string, string>[] = [
      as('revoked'),
      { 'x-api-key': keys.revoked as string },
      { authorization: `Bearer psk_${'F'.repeat(43)}` },
      { authorization: 'Bearer not-a-key' },
      { 'x-api-key': `${keys.finance}x` },
    ];
    for (const method of ['GET', 'PUT'] as const) {
      for (const headers of attempts) {
        const res = await call(method, headers);
        expect(res.status, `${method} ${JSON.stringify(headers)}`).toBe(401);
        expect(res.body.error?.code).toBe('API_KEY_INVALID');
      }
    }
    expect(await stored()).toEqual([]);
  });

  it('answers 403 ROLE_FORBIDDEN to an ingest key reading, and to analyst and ingest keys uploading, storing nothing', async () => {
    const read = await call('GET', as('ingest'));
    expect(read.status).toBe(403);
    expect(read.body.error).toMatchObject({ code: 'ROLE_FORBIDDEN', details: { required: ['analyst', 'finance'], roles: ['ingest'] } });
    for (const who of ['analyst', 'ingest']) {
      const res = await call('PUT', as(who));
      expect(res.status, who).toBe(403);
      expect(res.body.error, who).toMatchObject({
        code: 'ROLE_FORBIDDEN',
        message: `key 'test ${who}' has role(s) ${who}; this route needs finance or admin`,
        details: { required: ['finance'], roles: [who] },
        docs: '/docs/errors#role_forbidden',
      });
    }
    const analystAndIngest = await t.createKey(['analyst', 'ingest']);
    expect((await call('PUT', { 'x-api-key': analystAndIngest })).status).toBe(403);
    expect(await stored()).toEqual([]);
  });

  it('lets finance and admin upload, and analyst, finance and admin read', async () => {
    for (const who of ['finance', 'admin']) expect(await call('PUT', as(who))).toMatchObject({ status: 200, body: { loaded: 1 } });
    for (const who of ['analyst', 'finance', 'admin']) {
      expect(await call('GET', as(who))).toMatchObject({
        status: 200,
        body: { items: [{ date: '2026-11-07', base: 'USD', quote: 'INR', rate: '83.2512' }] },
      });
    }
  });

  it('refuses injected values as bad rows, echoes them only inside a JSON error, and leaves the table intact', async () => {
    const hostile = [
      "2026-11-08,USD,INR,1'); DROP TABLE fx_rates; --",
      "2026-11-08'; DELETE FROM fx_rates; --,USD,INR,1",
      '=HYPERLINK("http://evil.example"),USD,INR,1',
      '<script>alert(1)</script>,USD,INR,1',
      '2026-11-08,USD,INR,1\u0000',
      "2026-11-08,USD,INR,read_csv('/etc/passwd')",
    ];
    for (const line of hostile) {
      const res = await call('PUT', as('finance'), `date,base,quote,rate\n${line}\n`);
      expect(res.status, line).toBe(422);
      expect(res.contentType, line).toMatch(/^application\/json/);
      expect(res.body.error?.code).toBe('VALIDATION_FAILED');
    }
    expect(await stored()).toEqual([{ date: '2026-11-07', base: 'USD', quote: 'INR', rate: '83.2512' }]);
  });

  it('leaks no stack trace, server path or key in any refusal', async () => {
    const answers = [
      await call('PUT', {}),
      await call('PUT', as('revoked')),
      await call('PUT', as('analyst')),
      await call('PUT', as('finance'), 'date,base,quote,rate\n2026-02-30,USD,INR,1\n'),
      await call('PUT', { ...as('finance'), 'content-type': 'application/xml' }, '<rates/>'),
    ];
    for (const res of answers) {
      expect(res.text).not.toMatch(/\bat \S+ \(|node_modules|\/src\/|\/tmp\/|stack/i);
      expect(res.text).not.toContain(t.dataDir);
      for (const key of Object.values(keys)) expect(res.text).not.toContain(key);
    }
  });
});
