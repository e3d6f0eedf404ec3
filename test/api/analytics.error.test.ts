import { afterAll, beforeAll, expect, it } from 'vitest';
import { type TestApp, startTestApp } from '../harness/app.js';
import { postEvents } from '../harness/event-capture.js';
import { waitFor } from '../harness/event-logs.js';
import { cloudEvent } from '../harness/events.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp('pglite');
  const res = await postEvents(t.url, [
    cloudEvent(
      'payment.succeeded',
      { reference_number: 'ERR-1', amount: { amount_minor: 1000, currency: 'EUR' }, fee: { amount_minor: 10, currency: 'EUR' } },
      { time: '2026-11-10T10:00:00Z' },
    ),
  ]);
  expect(res.body.rejected).toBe(0);
  await waitFor(
    async () => (await t.app.warehouse?.query<{ n: number }>('SELECT count(*)::INT AS n FROM payments'))?.[0]?.n === 1,
    'payment',
  );
}, 60_000);
afterAll(() => t?.stop());

async function error(path: string, init: RequestInit = {}): Promise<{ status: number; code: string; message: string }> {
  const res = await fetch(`${t.url}${path}`, { ...init, headers: { ...t.auth, ...(init.headers as Record<string, string>) } });
  const body = (await res.json()) as { error: { code: string; message: string } };
  return { status: res.status, code: body.error?.code, message: body.error?.message };
}

it('rejects an unknown time zone with VALIDATION_FAILED naming tz', async () => {
  const e = await error('/api/v1/analytics/kpis?tz=Mars/Olympus_Mons');
  expect(e).toMatchObject({ status: 422, code: 'VALIDATION_FAILED' });
  expect(e.message).toMatch(
    /^tz: 'Mars\/Olympus_Mons' is not a time zone this server knows; use an IANA zone name such as UTC, Asia\/Kolkata/,
  );
});

it('refuses abbreviations and mis-cased names, which the runtime would silently map to one guess', async () => {
  // IST is India, Israel or Ireland (Node picks India); EST is fixed −05:00 (Node picks Panama, no summer time).
  for (const tz of ['IST', 'EST', 'CET', 'EST5EDT']) {
    const e = await error(`/api/v1/analytics/kpis?tz=${tz}`);
    expect(e, tz).toMatchObject({ status: 422, code: 'VALIDATION_FAILED' });
    expect(e.message).toMatch(new RegExp(`^tz: '${tz}' is an abbreviation, not a zone`));
  }
  const lower = await error('/api/v1/analytics/kpis?tz=asia/kolkata');
  expect(lower.message).toMatch(/^tz: 'asia\/kolkata' is not an IANA zone name \(Area\/Location, case as in the tz database\)/);
  const live = await error('/api/v1/live?tz=IST');
  expect(live).toMatchObject({ status: 422, code: 'VALIDATION_FAILED' });
  for (const tz of ['Etc/GMT+5', 'America/Argentina/Buenos_Aires', 'America/Port-au-Prince', 'US/Eastern']) {
    const res = await fetch(`${t.url}/api/v1/analytics/kpis?tz=${encodeURIComponent(tz)}`, { headers: t.auth });
    expect(res.status, tz).toBe(200);
  }
});

it('rejects from after to, and a malformed time', async () => {
  const e = await error('/api/v1/analytics/kpis?from=2026-11-10&to=2026-11-01');
  expect(e).toMatchObject({ status: 422, code: 'VALIDATION_FAILED' });
  expect(e.message).toMatch(/from .* must be before to/);
  expect(await error('/api/v1/analytics/kpis?from=yesterday')).toMatchObject({
    code: 'VALIDATION_FAILED',
    message: expect.stringMatching(/^from: expected an RFC 3339/),
  });
});

it('rejects an unknown breakdown dimension and granularity, listing the accepted ones', async () => {
  const e = await error('/api/v1/analytics/breakdown?dimension=colour');
  expect(e).toMatchObject({ status: 422, code: 'VALIDATION_FAILED' });
  expect(e.message).toContain('dimension: expected one of gateway, payment_method, region, merchant, currency, status');
  expect(await error('/api/v1/analytics/breakdown')).toMatchObject({ code: 'VALIDATION_FAILED' });
  expect((await error('/api/v1/analytics/timeseries?granularity=fortnight')).message).toContain('granularity: expected one of minute');
  expect((await error('/api/v1/analytics/top?n=0')).message).toMatch(/^n:/);
});

it('refuses a time series with too many points with TOO_MANY_POINTS', async () => {
  const e = await error('/api/v1/analytics/timeseries?granularity=minute&from=2026-01-01&to=2026-03-01');
  expect(e).toMatchObject({ status: 422, code: 'TOO_MANY_POINTS' });
  expect(e.message).toMatch(/more than 5000 minute buckets/);
  expect(await error('/api/v1/settlement/tiles?from=2026-01-01&to=2026-03-01')).toMatchObject({ code: 'TOO_MANY_POINTS' });
});

it('refuses a report currency without a rate with FX_RATE_MISSING, naming the pair', async () => {
  const e = await error('/api/v1/analytics/kpis?from=2026-11-01&to=2026-11-30&report_currency=INR');
  expect(e).toMatchObject({ status: 422, code: 'FX_RATE_MISSING' });
  expect(e.message).toContain('EUR into INR on or before 2026-11-30');
  expect(await error('/api/v1/analytics/kpis?report_currency=XYZ')).toMatchObject({ code: 'VALIDATION_FAILED' });
});

it('refuses an FX-rate upload with a bad row, storing none of it', async () => {
  const csv = 'date,base,quote,rate\n2026-11-01,EUR,INR,90.5\n2026-11-02,EUR,INR,1e3\n';
  const e = await error('/api/v1/fx-rates', { method: 'PUT', headers: { 'content-type': 'text/csv' }, body: csv });
  expect(e).toMatchObject({ status: 422, code: 'VALIDATION_FAILED' });
  expect(e.message).toContain('line 3');
  const list = await fetch(`${t.url}/api/v1/fx-rates`, { headers: t.auth }).then((r) => r.json());
  expect(list).toEqual({ items: [] });
});
