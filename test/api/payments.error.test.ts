import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCursor } from '../../src/api/routes/payments-explorer-route.js';
import { type TestApp, startTestApp } from '../harness/app.js';
import { warehousePayment, writePayments } from '../harness/warehouse-payments.js';

/** The payments explorer refuses what it cannot answer with a clear 4xx (docs/errors.md). */

let t: TestApp;
let analyst: string;
beforeAll(async () => {
  t = await startTestApp('pglite');
  analyst = await t.createKey(['analyst']);
  if (!t.app.warehouse) throw new Error('no warehouse');
  await writePayments(t.app.warehouse, [warehousePayment('ERR-1'), warehousePayment('ERR-2')]);
});
afterAll(() => t?.stop());

const get = async (path: string) => {
  const res = await fetch(`${t.url}${path}`, { headers: { authorization: `Bearer ${analyst}` } });
  return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string; docs: string } } };
};

describe('payments explorer errors', () => {
  it('answers 400 INVALID_CURSOR for a cursor it did not issue', async () => {
    const forged = Buffer.from(JSON.stringify({ v: 2, t: 'x', r: '' })).toString('base64url');
    for (const cursor of ['garbage!', 'eyJ2IjoxfQ', forged, 'AAAA', encodeCursor({ timeMicros: 1n, reference: 'R' }).slice(0, -3)]) {
      const res = await get(`/api/v1/payments?cursor=${encodeURIComponent(cursor)}`);
      expect(res.status, cursor).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'INVALID_CURSOR', docs: '/docs/errors#invalid_cursor' });
    }
  });

  it('answers 422 VALIDATION_FAILED for a limit above the maximum, a bad zone, or from after to — naming the field', async () => {
    const cases: [string, string][] = [
      ['limit=501', 'limit'],
      ['limit=0', 'limit'],
      ['tz=IST', 'tz'],
      ['from=2026-11-10&to=2026-11-01', 'from'],
      ['from=yesterday', 'from'],
    ];
    for (const [query, field] of cases) {
      const res = await get(`/api/v1/payments?${query}`);
      expect(res.status, query).toBe(422);
      expect(res.body.error?.code).toBe('VALIDATION_FAILED');
      expect(res.body.error?.message, query).toContain(field);
    }
    const csv = await get('/api/v1/payments/export?tz=Nowhere/Else');
    expect(csv.status).toBe(422);
  });

  it('says From after To once, in the chosen zone’s local time, not as a UTC instant', async () => {
    const res = await get('/api/v1/payments?from=2026-11-10&to=2026-11-01&tz=Asia/Kolkata');
    expect(res.status).toBe(422);
    expect(res.body.error?.message).toBe(
      'from (2026-11-10T00:00:00+05:30 in Asia/Kolkata) must be before to (2026-11-02T00:00:00+05:30, the end of the to date)',
    );
  });

  it('answers 404 NOT_FOUND for an unknown payment id', async () => {
    const res = await get('/api/v1/payments/no-such-payment');
    expect(res.status).toBe(404);
    expect(res.body.error?.code).toBe('NOT_FOUND');
    expect(res.body.error?.message).toContain('no-such-payment');
  });
});
