import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeApiKey } from '../../src/api/access/api-keys.js';
import { type TestApp, startTestApp } from '../harness/app.js';

/**
 * Who may call the pipeline routes (src/api/README.md#access): data quality, the data product and
 * the merchant list are for analyst or finance; dead letters (raw payloads) and loading merchants
 * are admin only. One app for the file.
 */

interface Call {
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  body?: unknown;
}
const READ: Call[] = [
  { method: 'GET', path: '/api/v1/data-quality' },
  { method: 'GET', path: '/api/v1/data-product' },
  { method: 'GET', path: '/api/v1/merchants' },
];
const ADMIN: Call[] = [
  { method: 'GET', path: '/api/v1/dead-letters' },
  { method: 'POST', path: '/api/v1/dead-letters/replay', body: { stage: 'analytics' } },
  { method: 'PUT', path: '/api/v1/merchants', body: [{ merchant_id: 'M-SEC', name: 'Security Test Merchant' }] },
];

interface Body {
  error?: { code: string; message: string; details?: unknown; docs?: string };
  items?: unknown[];
}

describe('pipeline routes access (security)', () => {
  let t: TestApp;
  const keys: Record<string, string> = {};
  beforeAll(async () => {
    t = await startTestApp('pglite');
    for (const role of ['ingest', 'analyst', 'finance'] as const) keys[role] = await t.createKey([role]);
    keys.admin = t.adminKey;
    keys.everyRole = await t.createKey(['ingest', 'analyst', 'finance'], 'pipeline all but admin');
    keys.revoked = await t.createKey(['admin'], 'pipeline revoked');
    const { rows } = await t.app.store.query<{ id: number }>(`SELECT id FROM payment_service.api_keys WHERE name = 'pipeline revoked'`);
    expect(await revokeApiKey(t.app.store, rows[0]?.id as number)).toBe(true);
  });
  afterAll(() => t?.stop());

  const call = async (c: Call, headers: Record<string, string> = {}) => {
    const res = await fetch(`${t.url}${c.path}`, {
      method: c.method,
      headers: { ...(c.body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(c.body === undefined ? {} : { body: JSON.stringify(c.body) }),
    });
    return { status: res.status, body: (await res.json()) as Body };
  };
  const as = (who: string) => ({ authorization: `Bearer ${keys[who]}` });
  const name = (c: Call) => `${c.method} ${c.path}`;

  it('answers 401 API_KEY_MISSING without a key', async () => {
    for (const c of [...READ, ...ADMIN]) {
      const res = await call(c);
      expect(res.status, name(c)).toBe(401);
      expect(res.body.error, name(c)).toMatchObject({ code: 'API_KEY_MISSING', docs: '/docs/errors#api_key_missing' });
    }
  });

  it('answers 401 API_KEY_INVALID for a revoked admin key and an unknown key', async () => {
    for (const c of [...READ, ...ADMIN]) {
      for (const headers of [as('revoked'), { 'x-api-key': `psk_${'D'.repeat(43)}` }]) {
        const res = await call(c, headers);
        expect(res.status, name(c)).toBe(401);
        expect(res.body.error?.code, name(c)).toBe('API_KEY_INVALID');
      }
    }
  });

  it('answers 403 ROLE_FORBIDDEN to an ingest key on the analyst/finance routes', async () => {
    for (const c of READ) {
      const res = await call(c, as('ingest'));
      expect(res.status, name(c)).toBe(403);
      expect(res.body.error, name(c)).toMatchObject({
        code: 'ROLE_FORBIDDEN',
        details: { required: ['analyst', 'finance'], roles: ['ingest'] },
      });
    }
  });

  it('answers 403 ROLE_FORBIDDEN to every non-admin key on dead letters and loading merchants', async () => {
    for (const who of ['ingest', 'analyst', 'finance', 'everyRole']) {
      for (const c of ADMIN) {
        const res = await call(c, as(who));
        expect(res.status, `${who} ${name(c)}`).toBe(403);
        expect(res.body.error, `${who} ${name(c)}`).toMatchObject({ code: 'ROLE_FORBIDDEN', details: { required: ['admin'] } });
      }
    }
    // Nothing was loaded by the refused calls.
    expect((await call({ method: 'GET', path: '/api/v1/merchants' }, as('analyst'))).body.items).toEqual([]);
  });

  it('answers 200 to analyst, finance and admin on the read routes, and to admin on the admin routes', async () => {
    for (const who of ['analyst', 'finance', 'admin']) {
      for (const c of READ) expect((await call(c, as(who))).status, `${who} ${name(c)}`).toBe(200);
    }
    for (const c of ADMIN) {
      const res = await call(c, as('admin'));
      expect(res.status, `${name(c)} ${JSON.stringify(res.body.error)}`).toBe(200);
    }
    const merchants = await call({ method: 'GET', path: '/api/v1/merchants' }, as('finance'));
    expect(merchants.body.items).toMatchObject([{ merchant_id: 'M-SEC', name: 'Security Test Merchant' }]);
  });
});
