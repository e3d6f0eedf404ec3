import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CohortResponse, RfmCustomersResponse, RfmResponse } from '../../src/api/contracts/responses.js';
import { type TestApp, startTestApp } from '../harness/app.js';
import { behaviourEvent, paymentRow, writeRows } from '../analytics/cohort-rows.js';

/**
 * `GET /api/v1/analytics/cohorts`, `/rfm` and `/rfm/customers` over HTTP on one app: figures for a
 * small hand-built set of customers (the numbers below are counted from the rows written here),
 * masking, roles, and bad input — including fast-check generated query strings — never a 500.
 */

const DAY = 86_400_000;
/** The first instant of the UTC month `back` months before now's. */
const monthStart = (back: number) => {
  const d = new Date();
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - back, 1);
};

describe('product analytics API', () => {
  let t: TestApp;
  const keys: Record<string, string> = {};
  beforeAll(async () => {
    t = await startTestApp('pglite');
    keys.analyst = await t.createKey(['analyst']);
    keys.ingest = await t.createKey(['ingest']);
    const warehouse = t.app.warehouse;
    if (!warehouse) throw new Error('no warehouse');
    const a = monthStart(3); // cohort A: three customers
    const b = monthStart(2); // cohort B: one customer
    const buy = (customer: string, time: number, amount: number, currency = 'INR', status = 'captured') =>
      paymentRow({ customer, time, status, currency, amount, captured: null });
    await writeRows(warehouse, {
      events: [
        behaviourEvent('user.registered', 'a1', new Date(a + 1 * DAY)),
        behaviourEvent('user.registered', 'a2', new Date(a + 2 * DAY)),
        behaviourEvent('user.registered', 'a3', new Date(a + 3 * DAY)),
        behaviourEvent('user.registered', 'b1', new Date(b + 5 * DAY)),
        behaviourEvent('user.logged_in', 'a3', new Date(monthStart(1) + DAY)),
      ],
      payments: [
        buy('a1', a + 2 * DAY, 1000), // A, M0
        buy('a1', monthStart(2) + DAY, 3000), // A, M1
        buy('a2', a + 4 * DAY, 500), // A, M0
        buy('a2', monthStart(1) + DAY, 700, 'USD'), // A, M2, USD
        buy('a3', a + 5 * DAY, 9999, 'INR', 'failed'), // not a purchase
        buy('b1', b + 6 * DAY, 2000), // B, M0
      ],
    });
  });
  afterAll(() => t?.stop());

  const get = async <T>(path: string, key = t.adminKey) => {
    const res = await fetch(`${t.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
    return { status: res.status, body: (await res.json()) as T & { error?: { code: string; message: string } } };
  };

  it('answers the retention matrix of the last twelve months with counts, rates and revenue per currency', async () => {
    const { status, body } = await get<CohortResponse>('/api/v1/analytics/cohorts?tz=UTC');
    expect(status).toBe(200);
    expect(body.cohorts).toHaveLength(12);
    const byStart = new Map(body.cohorts.map((c) => [c.start.slice(0, 10), c]));
    const cohortA = byStart.get(new Date(monthStart(3)).toISOString().slice(0, 10));
    expect(cohortA?.size).toBe(3);
    expect(cohortA?.customers.slice(0, 4)).toEqual([2, 1, 1, 0]);
    expect(cohortA?.customers.slice(4)).toEqual(Array(9).fill(null));
    expect(cohortA?.rates.slice(0, 3)).toEqual([0.666667, 0.333333, 0.333333]);
    expect(cohortA?.revenue).toEqual([
      {
        currency: 'INR',
        amounts_minor: [1500, 3000, 0, 0, ...Array(9).fill(null)],
        paying_customers: [2, 1, 0, 0, ...Array(9).fill(null)],
        rates: [1, 2, 0, 0, ...Array(9).fill(null)],
      },
      {
        currency: 'USD',
        amounts_minor: [0, 0, 700, 0, ...Array(9).fill(null)],
        paying_customers: [0, 0, 1, 0, ...Array(9).fill(null)],
        rates: [null, null, null, null, ...Array(9).fill(null)],
      },
    ]);
    // M1 has ended for the ten cohorts before last month's (A and B among them, the others empty): (1 + 0) / (3 + 1).
    expect(body.summary.find((s) => s.offset === 1)).toMatchObject({ cohorts: 10, cohort_customers: 4, active_customers: 1, rate: 0.25 });
  });

  it('counts a chosen event type as activity', async () => {
    const { body } = await get<CohortResponse>('/api/v1/analytics/cohorts?tz=UTC&activity=user.logged_in');
    const cohortA = body.cohorts.find((c) => c.start.startsWith(new Date(monthStart(3)).toISOString().slice(0, 10)));
    expect(cohortA?.customers.slice(0, 4)).toEqual([0, 0, 1, 0]);
  });

  it('scores RFM segments that add up to the customers with an order, with a week-over-week movement', async () => {
    const { status, body } = await get<RfmResponse>('/api/v1/analytics/rfm?tz=UTC');
    expect(status).toBe(200);
    // INR orders in the last 365 days: a1, a2, b1 (a2's USD order and a3's failed one do not count).
    expect(body.customers).toBe(3);
    expect(body.segments.reduce((s, x) => s + x.customers, 0)).toBe(3);
    expect(body.movement.items.reduce((s, x) => s + x.customers, 0)).toBeGreaterThanOrEqual(3);
  });

  it('lists a segment’s customers with the customer id masked unless admin', async () => {
    const { body: sizes } = await get<RfmResponse>('/api/v1/analytics/rfm?tz=UTC');
    const segment = sizes.segments.find((s) => s.customers > 0)?.segment as string;
    const admin = await get<RfmCustomersResponse>(`/api/v1/analytics/rfm/customers?segment=${segment}`);
    const analyst = await get<RfmCustomersResponse>(`/api/v1/analytics/rfm/customers?segment=${segment}`, keys.analyst);
    expect(admin.status).toBe(200);
    expect(analyst.status).toBe(200);
    expect(admin.body.masked).toEqual([]);
    expect(admin.body.items.every((c) => typeof c.customer === 'string')).toBe(true);
    expect(analyst.body.masked).toEqual(['customer']);
    expect(analyst.body.items.every((c) => c.customer === null)).toBe(true);
    expect(analyst.body.items.map((c) => c.monetary_minor)).toEqual(admin.body.items.map((c) => c.monetary_minor));
  });

  it('refuses a key without the analyst or finance role', async () => {
    for (const path of ['/api/v1/analytics/cohorts', '/api/v1/analytics/rfm', '/api/v1/analytics/rfm/customers?segment=new']) {
      expect((await get(path, keys.ingest)).status, path).toBe(403);
    }
  });

  it('rejects bad parameters with VALIDATION_FAILED naming the parameter', async () => {
    const cases: [string, RegExp][] = [
      ['/api/v1/analytics/cohorts?period=day', /^period: expected month or week/],
      ['/api/v1/analytics/cohorts?cohort=signup', /^cohort: expected one of registration, first_purchase/],
      ['/api/v1/analytics/cohorts?activity=order.placed', /^activity: expected purchase or a behaviour event type/],
      ['/api/v1/analytics/cohorts?tz=IST', /^tz: 'IST' is an abbreviation/],
      ['/api/v1/analytics/cohorts?from=2026-13-01', /^from: expected an RFC 3339 time/],
      ['/api/v1/analytics/rfm?as_of=2999-01-01', /^as_of: must not be in the future/],
      ['/api/v1/analytics/rfm?currency=XYZ', /^currency: expected an ISO 4217 currency code/],
      ['/api/v1/analytics/rfm?currency=INR&report_currency=USD', /^currency, report_currency: give one/],
      ['/api/v1/analytics/rfm/customers', /^segment: expected one of champions/],
      ['/api/v1/analytics/rfm/customers?segment=new&limit=0', /^limit: /],
    ];
    for (const [path, message] of cases) {
      const { status, body } = await get(path);
      expect({ path, status, code: body.error?.code }).toEqual({ path, status: 422, code: 'VALIDATION_FAILED' });
      expect(body.error?.message, path).toMatch(message);
    }
    const tooMany = await get('/api/v1/analytics/cohorts?period=week&from=2020-01-01&to=2026-01-01');
    expect({ status: tooMany.status, code: tooMany.body.error?.code }).toEqual({ status: 422, code: 'TOO_MANY_POINTS' });
    const fx = await get('/api/v1/analytics/rfm?report_currency=EUR');
    expect({ status: fx.status, code: fx.body.error?.code }).toEqual({ status: 422, code: 'FX_RATE_MISSING' });
  });

  it('never answers generated bad input with a 500', async () => {
    const value = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom('month', 'week', 'day', 'registration', 'first_purchase', 'purchase', 'user.logged_in', 'new', 'lost'),
      fc.constantFrom('UTC', 'Asia/Kolkata', 'IST', '2026-02-30', '2026-01-01', '1970-01-01', '0001-01-01', '9999-12-31T00:00:00Z'),
      fc.integer({ min: -5, max: 1_000_000_000 }).map(String),
      fc.constantFrom('INR', 'usd', 'XXX', ''),
    );
    const keysOf = [
      'from',
      'to',
      'tz',
      'period',
      'cohort',
      'activity',
      'as_of',
      'currency',
      'report_currency',
      'segment',
      'limit',
      'offset',
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/api/v1/analytics/cohorts', '/api/v1/analytics/rfm', '/api/v1/analytics/rfm/customers'),
        fc.dictionary(fc.constantFrom(...keysOf), value, { maxKeys: 5 }),
        async (path, params) => {
          const { status, body } = await get(`${path}?${new URLSearchParams(params).toString()}`);
          expect(status, `${path} ${JSON.stringify(params)} → ${JSON.stringify(body)}`).toBeLessThan(500);
          if (status >= 400) expect(['VALIDATION_FAILED', 'TOO_MANY_POINTS', 'FX_RATE_MISSING']).toContain(body.error?.code);
        },
      ),
      { numRuns: 60 },
    );
  });
});
