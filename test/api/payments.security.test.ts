import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, startTestApp } from '../harness/app.js';
import { warehousePayment, writePayments } from '../harness/warehouse-payments.js';

/** Row-level payment reads are for analysts (and admin); personal pseudonyms only for admin. */

const ROUTES = ['/api/v1/payments', '/api/v1/payments/export', '/api/v1/payments/SEC-1'];

describe('payments explorer access (security)', () => {
  let t: TestApp;
  const keys: Record<string, string> = {};
  beforeAll(async () => {
    t = await startTestApp('pglite');
    for (const role of ['ingest', 'analyst', 'finance'] as const) keys[role] = await t.createKey([role]);
    if (!t.app.warehouse) throw new Error('no warehouse');
    await writePayments(t.app.warehouse, [warehousePayment('SEC-1', { customer_hash: 'hash-secret-1', cif_hash: 'hash-secret-2' })]);
  });
  afterAll(() => t?.stop());

  const call = (path: string, headers: Record<string, string> = {}) => fetch(`${t.url}${path}`, { headers });

  it('answers 401 without a key and with an unknown key', async () => {
    for (const path of ROUTES) {
      const missing = await call(path);
      expect(missing.status, path).toBe(401);
      expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('API_KEY_MISSING');
      const unknown = await call(path, { authorization: `Bearer psk_${'Z'.repeat(43)}` });
      expect(unknown.status, path).toBe(401);
    }
  });

  it('answers 403 ROLE_FORBIDDEN to ingest and finance keys', async () => {
    for (const path of ROUTES) {
      for (const who of ['ingest', 'finance']) {
        const res = await call(path, { authorization: `Bearer ${keys[who]}` });
        expect(res.status, `${who} ${path}`).toBe(403);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('ROLE_FORBIDDEN');
      }
    }
  });

  it('never sends a personal pseudonym to an analyst, in JSON or CSV', async () => {
    for (const path of ROUTES) {
      const res = await call(path, { authorization: `Bearer ${keys.analyst}` });
      expect(res.status, path).toBe(200);
      const text = await res.text();
      expect(text, path).not.toContain('hash-secret');
    }
    const admin = await (await call('/api/v1/payments/export', t.auth)).text();
    expect(admin).toContain('hash-secret-1');
  });

  it('treats a search term as data, not SQL', async () => {
    const res = await call(`/api/v1/payments?q=${encodeURIComponent("' OR 1=1 --")}`, { authorization: `Bearer ${keys.analyst}` });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { total: number }).total).toBe(0);
  });
});
