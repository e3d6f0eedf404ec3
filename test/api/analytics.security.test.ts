import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeApiKey } from '../../src/api/access/api-keys.js';
import { type TestApp, startTestApp } from '../harness/app.js';

/**
 * Who may call the analytics routes and the FX rates (src/api/README.md#access): analyst or
 * finance (or admin) read; only finance uploads rates. One app for the file.
 */

const ANALYTICS = [
  '/api/v1/analytics/kpis',
  '/api/v1/analytics/breakdown?dimension=gateway',
  '/api/v1/analytics/timeseries',
  '/api/v1/analytics/failure-reasons',
  '/api/v1/analytics/refund-reasons',
  '/api/v1/analytics/top',
  '/api/v1/fx-rates',
];
const CSV = 'date,base,quote,rate\n2026-11-07,USD,INR,83.2512\n';

interface ErrorBody {
  error?: { code: string; message: string; details?: unknown; request_id?: string; docs?: string };
}

describe('analytics and FX-rate access (security)', () => {
  let t: TestApp;
  const keys: Record<string, string> = {};
  beforeAll(async () => {
    t = await startTestApp('pglite');
    for (const role of ['ingest', 'analyst', 'finance'] as const) keys[role] = await t.createKey([role]);
    keys.admin = t.adminKey;
    keys.revoked = await t.createKey(['analyst', 'finance'], 'analytics revoked');
    const { rows } = await t.app.store.query<{ id: number }>(`SELECT id FROM payment_service.api_keys WHERE name = 'analytics revoked'`);
    expect(await revokeApiKey(t.app.store, rows[0]?.id as number)).toBe(true);
  });
  afterAll(() => t?.stop());

  const call = async (path: string, headers: Record<string, string> = {}, init: RequestInit = {}) => {
    const res = await fetch(`${t.url}${path}`, { ...init, headers: { ...(init.headers as Record<string, string>), ...headers } });
    return { status: res.status, body: (await res.json()) as ErrorBody };
  };
  const as = (who: string) => ({ authorization: `Bearer ${keys[who]}` });
  const putCsv = (headers: Record<string, string>) =>
    call('/api/v1/fx-rates', headers, { method: 'PUT', headers: { 'content-type': 'text/csv' }, body: CSV });

  it('answers 401 API_KEY_MISSING without a key, before looking at the query', async () => {
    for (const path of [...ANALYTICS, '/api/v1/analytics/kpis?tz=Mars/Olympus_Mons']) {
      const res = await call(path);
      expect(res.status, path).toBe(401);
      expect(res.body.error, path).toMatchObject({ code: 'API_KEY_MISSING', docs: '/docs/errors#api_key_missing' });
    }
    expect((await putCsv({})).body.error?.code).toBe('API_KEY_MISSING');
  });

  it('answers 401 API_KEY_INVALID for a revoked, unknown or malformed key', async () => {
    const attempts: Record<string, string>[] = [
      as('revoked'),
      { 'x-api-key': keys.revoked as string },
      { authorization: `Bearer psk_${'B'.repeat(43)}` },
      { authorization: 'Bearer not-a-key' },
      { 'x-api-key': `${keys.analyst}x` },
    ];
    for (const path of ANALYTICS) {
      for (const headers of attempts) {
        const res = await call(path, headers);
        expect(res.status, `${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(res.body.error?.code).toBe('API_KEY_INVALID');
      }
    }
    expect((await putCsv(as('revoked'))).body.error?.code).toBe('API_KEY_INVALID');
  });

  it('answers 403 ROLE_FORBIDDEN to an ingest key, naming the roles needed and held', async () => {
    for (const path of ANALYTICS) {
      const res = await call(path, as('ingest'));
      expect(res.status, path).toBe(403);
      expect(res.body.error, path).toMatchObject({
        code: 'ROLE_FORBIDDEN',
        details: { required: ['analyst', 'finance'], roles: ['ingest'] },
      });
    }
  });

  it('lets analyst, finance and admin read every analytics route', async () => {
    for (const who of ['analyst', 'finance', 'admin']) {
      for (const path of ANALYTICS) {
        const res = await call(path, as(who));
        expect(res.status, `${who} ${path} ${JSON.stringify(res.body.error)}`).toBe(200);
      }
    }
  });

  it('lets only finance (and admin) upload FX rates', async () => {
    for (const who of ['analyst', 'ingest']) {
      const res = await putCsv(as(who));
      expect(res.status, who).toBe(403);
      expect(res.body.error).toMatchObject({ code: 'ROLE_FORBIDDEN', details: { required: ['finance'] } });
    }
    expect(await call('/api/v1/fx-rates', as('analyst'))).toMatchObject({ status: 200, body: { items: [] } });
    for (const who of ['finance', 'admin']) expect(await putCsv(as(who))).toMatchObject({ status: 200, body: { loaded: 1 } });
    const list = await call('/api/v1/fx-rates', as('analyst'));
    expect(list.body).toEqual({ items: [{ date: '2026-11-07', base: 'USD', quote: 'INR', rate: '83.2512' }] });
  });
});
