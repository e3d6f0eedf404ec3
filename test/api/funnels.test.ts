import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { materialiseStandardFunnel } from '../../src/analytics/funnels/funnel-report.js';
import type { FunnelReportResponse, SavedFunnel } from '../../src/api/contracts/responses.js';
import { funnelReportResponse } from '../../src/api/routes/funnels-route.js';
import { createFunnelSnapshotJob } from '../../src/jobs/funnel-snapshot-job.js';
import { type RowOf, TABLES, type TableName } from '../../src/warehouse/tables.js';
import type { Warehouse } from '../../src/warehouse/warehouse-port.js';
import { seeded } from '../harness/analytics-data.js';
import { type TestApp, startTestApp } from '../harness/app.js';

/**
 * `/api/v1/analytics/funnels` over the real app: sessions built with a known depth in the standard
 * funnel (landing … order confirmed, the last two from orders, payments and their status history),
 * so every count is known before the API is asked; saved definitions; drop-off reasons; bad input
 * (generated) answered with stable codes, never a 500; roles.
 */

const DAY = 86_400_000;
const MIN = 60_000;
const D1 = Date.UTC(2026, 10, 10);
const D2 = D1 + 7 * DAY;
const DEVICES = ['mobile', 'desktop', 'tablet'];
const CATEGORIES = ['insufficient_funds', 'authentication', null];

const empty = <T extends TableName>(table: T) => Object.fromEntries(Object.keys(TABLES[table].columns).map((c) => [c, null])) as RowOf<T>;

interface Session {
  id: string;
  device: string;
  /** 1 landing … 6 order confirmed. */
  depth: number;
  failure: string | null;
  abandonedAt: string | null;
}

function build(day: number, count: number, seed: number) {
  const rnd = seeded(seed);
  const sessions: Session[] = [];
  const events: RowOf<'behaviour_events'>[] = [];
  const orders: RowOf<'orders'>[] = [];
  const payments: RowOf<'payments'>[] = [];
  const history: RowOf<'payment_status_history'>[] = [];
  for (let i = 0; i < count; i++) {
    const id = `S${seed}-${i}`;
    const start = day + i * 7 * MIN;
    const device = DEVICES[i % 3] as string;
    const depth = 1 + Math.floor(rnd() * 6);
    const at = (m: number) => new Date(start + m * MIN);
    const ev = (type: string, m: number, extra: Partial<RowOf<'behaviour_events'>> = {}) =>
      events.push({
        ...empty('behaviour_events'),
        event_id: `${id}-${type}-${m}`,
        event_type: type,
        event_time: at(m),
        session_hash: id,
        user_hash: `U${i % 5}`,
        device_type: device,
        traffic_source: 'google',
        customer_segment: 'new',
        category: type.startsWith('product.') ? 'shoes' : null,
        ...extra,
      });
    // Landing: the first event, a search.
    ev('search.query', 0);
    if (depth >= 2) ev('product.viewed', 1);
    if (depth >= 3) ev('product.added_to_cart', 2);
    if (depth >= 4) ev('checkout.started', 3, { checkout_id: `co-${id}` });
    let failure: string | null = null;
    let abandonedAt: string | null = null;
    if (depth === 4) {
      abandonedAt = ['shipping', 'payment'][i % 2] as string;
      ev('checkout.abandoned', 4, { properties: { last_step: abandonedAt } });
    }
    if (depth >= 5) {
      const ref = `R-${id}`;
      orders.push({
        ...empty('orders'),
        order_id: `O-${id}`,
        // Half the orders name their payment (reference_number, as the shop sends them), half the payments their order (order_id).
        reference_number: i % 2 === 0 ? ref : null,
        status: 'placed',
        session_hash: id,
        customer_hash: `U${i % 5}`,
        placed_at: at(3.5),
      });
      const confirmed = depth === 6;
      failure = confirmed ? null : (CATEGORIES[i % 3] as string | null);
      payments.push({
        ...empty('payments'),
        reference_number: ref,
        order_id: i % 2 === 0 ? null : `O-${id}`,
        amount_minor: 1000,
        currency: 'INR',
        status: confirmed ? 'succeeded' : 'failed',
        failure_code: confirmed ? null : 'E1',
        failure_category: failure,
        payment_time: at(4),
        status_time: at(5),
      });
      history.push({
        ...empty('payment_status_history'),
        event_id: `h1-${id}`,
        reference_number: ref,
        status: 'pending',
        event_time: at(4),
      });
      history.push({
        ...empty('payment_status_history'),
        event_id: `h2-${id}`,
        reference_number: ref,
        status: confirmed ? 'succeeded' : 'failed',
        event_time: at(5),
      });
    }
    sessions.push({ id, device, depth, failure, abandonedAt });
  }
  return { sessions, events, orders, payments, history };
}

const week1 = build(D1, 120, 1);
const week2 = build(D2, 90, 2);

let t: TestApp;
let analyst: string;
let ingest: string;
beforeAll(async () => {
  t = await startTestApp('pglite');
  const wh = t.app.warehouse as Warehouse;
  await wh.transaction(async (tx) => {
    for (const w of [week1, week2]) {
      await tx.append('behaviour_events', w.events);
      await tx.replace('orders', w.orders);
      await tx.replace('payments', w.payments);
      await tx.append('payment_status_history', w.history);
    }
  });
  analyst = await t.createKey(['analyst']);
  ingest = await t.createKey(['ingest']);
}, 120_000);
afterAll(() => t?.stop());

const call = async (method: string, path: string, body?: unknown, key = analyst) => {
  const res = await fetch(`${t.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

const enteredOf = (sessions: Session[]) => [1, 2, 3, 4, 5, 6].map((k) => sessions.filter((s) => s.depth >= k).length);
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

describe('funnels API (happy)', () => {
  it('serves the standard funnel with counts, ratios, times, breakdown by device and a compared range', async () => {
    const q = `from=${day(D1)}&to=${day(D1)}&tz=UTC&breakdown=device&compare_from=${day(D2)}&compare_to=${day(D2)}`;
    const res = await call('GET', `/api/v1/analytics/funnels?${q}`);
    expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(200);
    // The answer is what the OpenAPI document promises.
    const body = funnelReportResponse.parse(res.body);
    const expected = enteredOf(week1.sessions);
    expect(body.totals.steps.map((s) => s.entered)).toEqual(expected);
    expect(body.totals.steps.map((s) => s.event)).toEqual([
      'session.landed',
      'product.viewed',
      'product.added_to_cart',
      'checkout.started',
      'payment.initiated',
      'order.confirmed',
    ]);
    const [first, second] = expected as [number, number];
    expect(body.totals.steps[1]).toMatchObject({
      dropped_off: first - second,
      conversion_from_previous: (second / first).toFixed(4),
      // Each step one minute after the previous one; order confirmed two (payment 4 min, success 5 min).
      median_time_to_convert_ms: MIN,
      mean_time_to_convert_ms: '60000.0',
    });
    expect(body.totals.steps[5]?.median_time_to_convert_ms ?? null).toBe(expected[5] ? MIN : null);
    expect(body.totals.steps[5]?.conversion_from_first).toBe(((expected[5] as number) / first).toFixed(4));
    for (const device of DEVICES) {
      const row = body.breakdown?.find((b) => b.value === device);
      expect(row?.steps.map((s) => s.entered)).toEqual(enteredOf(week1.sessions.filter((s) => s.device === device)));
    }
    expect(body.compare?.totals.steps.map((s) => s.entered)).toEqual(enteredOf(week2.sessions));
    expect(body.compare?.range.from).toBe(`${day(D2)}T00:00:00+00:00`);
  });

  it('is in the OpenAPI document: GET and POST, the saved definitions, who may call them', async () => {
    const doc = (await (await fetch(`${t.url}/docs/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { 'x-payscope-access': unknown; parameters?: { name: string }[] }>>;
    };
    const funnels = doc.paths['/api/v1/analytics/funnels'];
    expect(funnels?.get?.['x-payscope-access']).toEqual(['analyst', 'finance']);
    expect(funnels?.get?.parameters?.map((p) => p.name)).toEqual(
      expect.arrayContaining(['funnel', 'from', 'to', 'tz', 'breakdown', 'compare_from']),
    );
    expect(funnels?.post).toBeDefined();
    expect(doc.paths['/api/v1/analytics/funnels/definitions/{id}']?.delete?.['x-payscope-access']).toEqual(['analyst']);
  });

  it('lists drop-off reasons of sessions that started checkout without a confirmed order', async () => {
    const res = await call('GET', `/api/v1/analytics/funnels?from=${day(D1)}&to=${day(D1)}`);
    const body = res.body as unknown as FunnelReportResponse;
    const dropped = week1.sessions.filter((s) => s.depth === 4 || s.depth === 5);
    expect(body.dropoff_reasons?.sessions).toBe(dropped.length);
    const expected = new Map<string, number>();
    for (const s of dropped) {
      const key = s.depth === 5 ? `payment_failed:${s.failure ?? 'other'}` : `checkout_abandoned:${s.abandonedAt}`;
      expected.set(key, (expected.get(key) ?? 0) + 1);
    }
    const got = new Map(body.dropoff_reasons?.reasons.map((r) => [`${r.kind}:${r.reason}`, r.sessions]));
    expect(got).toEqual(expected);
  });

  it('saves, lists, runs and deletes a user-defined funnel (per user, any order)', async () => {
    const definition = {
      unit: 'user',
      mode: 'any_order',
      conversion_window_ms: 3_600_000,
      steps: [
        { event: 'product.added_to_cart' },
        { event: 'checkout.started', filters: [{ property: 'device_type', op: 'eq', value: 'mobile' }] },
      ],
    };
    const saved = await call('POST', '/api/v1/analytics/funnels/definitions', { name: 'cart to mobile checkout', definition });
    expect(saved.status).toBe(201);
    const id = (saved.body as unknown as SavedFunnel).id;
    expect(
      (await call('POST', '/api/v1/analytics/funnels/definitions', { name: 'cart to mobile checkout', definition })).body,
    ).toMatchObject({
      error: { code: 'FUNNEL_NAME_TAKEN' },
    });
    const list = await call('GET', '/api/v1/analytics/funnels/definitions');
    expect((list.body.items as SavedFunnel[]).map((f) => f.id)).toContain(id);
    const run = await call('GET', `/api/v1/analytics/funnels?funnel=${id}&from=${day(D1)}&to=${day(D1)}&dropoff_reasons=false`);
    const body = run.body as unknown as FunnelReportResponse;
    // Users U0…U4: within an hour of an add to cart, a checkout on mobile (sessions are 7 min apart).
    const users = new Set(week1.sessions.filter((s) => s.depth >= 3).map((s) => `U${Number(s.id.split('-')[1]) % 5}`));
    expect(body.totals.units).toBe(users.size);
    expect(body.dropoff_reasons).toBeNull();
    expect((await call('DELETE', `/api/v1/analytics/funnels/definitions/${id}`)).status).toBe(200);
    expect((await call('GET', `/api/v1/analytics/funnels?funnel=${id}`)).body).toMatchObject({ error: { code: 'FUNNEL_NOT_FOUND' } });
  });

  it('runs an ad-hoc definition posted with the request', async () => {
    const res = await call('POST', '/api/v1/analytics/funnels', {
      from: day(D1),
      to: day(D1),
      definition: { steps: [{ event: 'product.viewed' }, { event: 'payment.initiated' }] },
    });
    expect(res.status).toBe(200);
    const body = res.body as unknown as FunnelReportResponse;
    expect(body.totals.steps.map((s) => s.entered)).toEqual([
      week1.sessions.filter((s) => s.depth >= 2).length,
      week1.sessions.filter((s) => s.depth >= 5).length,
    ]);
  });
});

describe('funnel snapshot job', () => {
  it('stores the last 24 h against the 7 days before and shows the cart → checkout alert in the response', async () => {
    // A clock one day after week 2 began: week 2 is the last 24 h, week 1 inside the 7-day baseline.
    const later = createFunnelSnapshotJob({
      store: t.app.store,
      logger: t.app.logger,
      materialise: (now) => materialiseStandardFunnel(t.app.warehouse as Warehouse, now),
      now: () => D2 + DAY + 30 * MIN,
    });
    await later.run();
    const dropOff = (sessions: Session[]) => {
      const of = sessions.filter((s) => s.depth >= 3).length;
      return { dropped: sessions.filter((s) => s.depth === 3).length, of };
    };
    const cur = dropOff(week2.sessions);
    const base = dropOff(week1.sessions);
    const points = (cur.dropped / cur.of - base.dropped / base.of) * 100;
    const res = await call('GET', `/api/v1/analytics/funnels?from=${day(D2)}&to=${day(D2)}`);
    const alert = (res.body as unknown as FunnelReportResponse).alert;
    expect(alert?.computed_at).toBe(new Date(D2 + DAY + 30 * MIN).toISOString());
    expect(alert?.range).toEqual({ from: new Date(D2).toISOString(), to: new Date(D2 + DAY).toISOString() });
    expect(alert?.drop_off).toBe((cur.dropped / cur.of).toFixed(4));
    expect(alert?.baseline).toBe((base.dropped / base.of).toFixed(4));
    expect(Number(alert?.points_above_baseline)).toBeCloseTo(points, 2);
    expect(alert?.flagged).toBe(points > 5);
  });
});

describe('funnels API (errors and access)', () => {
  it('answers bad definitions and parameters with VALIDATION_FAILED, never a 500 (generated input)', async () => {
    const dateish = fc.oneof(
      fc.string(),
      fc.constantFrom('', '0000-01-01', '1969-12-31', '9999-12-31', '2026-13-01', '2026-02-30', '2026-11-10T10:00:00+05:30', '2026-11-10'),
    );
    const junk = fc.oneof(
      fc.anything(),
      fc.record(
        {
          steps: fc.array(fc.record({ event: fc.string(), filters: fc.anything(), window_ms: fc.anything() }, { requiredKeys: [] }), {
            maxLength: 12,
          }),
          mode: fc.string(),
          unit: fc.anything(),
          conversion_window_ms: fc.oneof(fc.integer(), fc.double(), fc.string()),
          exclusions: fc.anything(),
        },
        { requiredKeys: [] },
      ),
    );
    await fc.assert(
      fc.asyncProperty(junk, async (definition) => {
        const res = await call('POST', '/api/v1/analytics/funnels', { from: day(D1), to: day(D1), definition });
        expect(res.status).toBeLessThan(500);
        if (res.status !== 200) expect((res.body.error as { code: string }).code).toBe('VALIDATION_FAILED');
      }),
      { numRuns: 60 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            funnel: fc.string(),
            from: dateish,
            to: dateish,
            tz: fc.string(),
            breakdown: fc.string(),
            compare_from: dateish,
            compare_to: dateish,
          },
          { requiredKeys: [] },
        ),
        async (params) => {
          const res = await call('GET', `/api/v1/analytics/funnels?${new URLSearchParams(params as Record<string, string>)}`);
          expect(res.status).toBeLessThan(500);
          if (res.status !== 200) expect(['VALIDATION_FAILED', 'FUNNEL_NOT_FOUND']).toContain((res.body.error as { code: string }).code);
        },
      ),
      { numRuns: 60 },
    );
  }, 120_000);

  it('says what to fix', async () => {
    const res = await call('POST', '/api/v1/analytics/funnels', {
      definition: { mode: 'any_order', steps: [{ event: 'product.viewed' }, { event: 'checkout.started', window_ms: 1000 }] },
    });
    expect(res.status).toBe(422);
    expect((res.body.error as { message: string }).message).toContain(
      'definition.steps.1.window_ms: per-step windows need an ordered or strict funnel',
    );
    const bad = await call('POST', '/api/v1/analytics/funnels', '{"definition":');
    expect(bad.status).toBe(400);
  });

  it('is for analysts and finance: an ingest key is refused, no key is 401', async () => {
    expect((await call('GET', '/api/v1/analytics/funnels', undefined, ingest)).body).toMatchObject({ error: { code: 'ROLE_FORBIDDEN' } });
    expect((await fetch(`${t.url}/api/v1/analytics/funnels`)).status).toBe(401);
  });
});
