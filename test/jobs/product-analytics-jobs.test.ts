import { afterAll, beforeAll, expect, it } from 'vitest';
import { queryCohortMatrix } from '../../src/analytics/cohorts/cohort-matrix.js';
import { computeRfm } from '../../src/analytics/rfm/rfm.js';
import { startOfLocalDate } from '../../src/analytics/time-zones.js';
import { validateEvent } from '../../src/contracts/index.js';
import { createCohortMatrixJob } from '../../src/jobs/cohort-matrix-job.js';
import { createRfmSegmentJob } from '../../src/jobs/rfm-segment-job.js';
import { testLogger } from '../harness/event-logs.js';
import { type TestStore, describeEachStore } from '../harness/stores.js';
import { type TestWarehouse, openTestWarehouse } from '../harness/warehouses.js';
import { type TestPurchase, behaviourEvent, paymentRow, writeRows } from '../analytics/cohort-rows.js';

/**
 * The weekly RFM job and the monthly cohort job on both operational stores, scoring a real DuckDB
 * warehouse: segments stored, one `customer.segment_changed` per changed customer in the outbox
 * (valid against its contract), nothing published by a run that changes nothing.
 */

const DAY = 86_400_000;
const AS_OF = Date.UTC(2026, 10, 30);

describeEachStore('product analytics jobs', (kind) => {
  let db: TestStore;
  let w: TestWarehouse;
  let asOf = AS_OF;
  const purchases: TestPurchase[] = [];
  const buy = (customer: string, daysBefore: number, amount: number) =>
    purchases.push({ customer, time: AS_OF - daysBefore * DAY, status: 'captured', currency: 'INR', amount, captured: null });

  beforeAll(async () => {
    db = await kind.create();
    w = await openTestWarehouse('duckdb');
    // Ten customers with more orders and money the lower their number, spread over the year.
    for (let i = 0; i < 10; i++) for (let k = 0; k < 10 - i; k++) buy(`cust-${i}`, 5 + i * 30 + k, 1000 * (10 - i));
    await writeRows(w.warehouse, { payments: purchases.map(paymentRow) });
  });
  afterAll(async () => {
    await w?.close();
    await db?.close();
  });

  const job = () =>
    createRfmSegmentJob({
      store: db.store,
      logger: testLogger,
      now: () => new Date(asOf),
      async score(at) {
        const r = await computeRfm(w.warehouse, { asOf: at.getTime(), tz: 'UTC', money: { kind: 'currency', currency: 'INR' } });
        if (!r.ok) throw new Error(r.error.message);
        return { currency: r.value.currency, customers: r.value.customers };
      },
    });
  const outbox = async () =>
    (
      await db.store.query<{ payload: unknown }>(
        "SELECT payload FROM payment_service.outbox WHERE event_type = 'customer.segment_changed' ORDER BY id",
      )
    ).rows.map((r) => (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload));
  const stored = async () =>
    new Map(
      (
        await db.store.query<{ customer_hash: string; segment: string }>(
          'SELECT customer_hash, segment FROM payment_service.customer_segments',
        )
      ).rows.map((r) => [r.customer_hash, r.segment]),
    );
  const scored = async (at: number) => {
    const r = await computeRfm(w.warehouse, { asOf: at, tz: 'UTC', money: { kind: 'currency', currency: 'INR' } });
    if (!r.ok) throw new Error(r.error.message);
    return new Map(r.value.customers.map((c) => [c.customer, c.segment]));
  };

  it('stores every customer’s segment and publishes one valid customer.segment_changed per customer on the first run', async () => {
    const summary = await job().run();
    const expected = await scored(asOf);
    expect(await stored()).toEqual(expected);
    const events = await outbox();
    expect(summary).toMatchObject({ customers: 10, entered: 10, moved: 0, left: 0, published: 10 });
    expect(events).toHaveLength(10);
    for (const e of events) {
      const valid = validateEvent(e);
      expect(valid.ok, JSON.stringify(valid)).toBe(true);
      expect(e.data.previous_segment).toBeNull();
      expect(e.data.segment).toBe(expected.get(e.data.customer_hash));
    }
  });

  it('publishes nothing when a second run finds no change', async () => {
    const summary = await job().run();
    expect(summary).toMatchObject({ entered: 0, moved: 0, left: 0, published: 0 });
    expect(await outbox()).toHaveLength(10);
  });

  it('publishes exactly the customers whose segment changed a week later, and those who left', async () => {
    const before = await stored();
    asOf = AS_OF + 7 * DAY;
    // cust-9 bought once 275 days before AS_OF: still in. A new customer arrives; cust-5 buys a lot.
    const fresh: TestPurchase[] = [
      { customer: 'cust-new', time: AS_OF + DAY, status: 'captured', currency: 'INR', amount: 500, captured: null },
      ...Array.from({ length: 8 }, (_, k) => ({
        customer: 'cust-5',
        time: AS_OF + k * 3_600_000,
        status: 'captured',
        currency: 'INR',
        amount: 90_000,
        captured: null,
      })),
    ];
    await writeRows(w.warehouse, { payments: fresh.map(paymentRow) });
    const after = await scored(asOf);
    const changed = [...new Set([...before.keys(), ...after.keys()])].filter((c) => before.get(c) !== after.get(c)).sort();
    expect(changed.length).toBeGreaterThan(0);
    const count = (await outbox()).length;
    const summary = await job().run();
    const events = (await outbox()).slice(count);
    expect(events.map((e) => e.data.customer_hash).sort()).toEqual(changed);
    for (const e of events) {
      expect(e.data.previous_segment).toBe(before.get(e.data.customer_hash) ?? null);
      expect(e.data.segment).toBe(after.get(e.data.customer_hash) ?? null);
    }
    expect(summary.published).toBe(changed.length);
    expect(await stored()).toEqual(after);
  });

  it('stores the cohort matrix of the twelve months before the 1st, and a rerun replaces it', async () => {
    await writeRows(w.warehouse, {
      events: ['cust-0', 'cust-1', 'cust-2'].map((c, i) => behaviourEvent('user.registered', c, new Date(AS_OF - (40 + i * 31) * DAY))),
    });
    const definition = { tz: 'Asia/Kolkata', period: 'month' as const, basis: 'registration', activity: 'purchase' };
    const cohortJob = createCohortMatrixJob({
      store: db.store,
      logger: testLogger,
      definition,
      now: () => new Date(Date.UTC(2026, 11, 1, 3)),
      async compute(month, d) {
        const to = startOfLocalDate(d.tz, month);
        const from = startOfLocalDate(d.tz, `${Number(month.slice(0, 4)) - 1}${month.slice(4)}`);
        const r = await queryCohortMatrix(w.warehouse, {
          from,
          to,
          tz: d.tz,
          period: 'month',
          basis: 'registration',
          activity: 'purchase',
          now: to,
        });
        return r.ok ? { ok: true, matrix: r.value } : { ok: false, message: r.error.message };
      },
    });
    expect(await cohortJob.run()).toEqual({ month: '2026-12-01', stored: true });
    expect(await cohortJob.run()).toEqual({ month: '2026-12-01', stored: true });
    const { rows } = await db.store.query<{ month: string; matrix: { cohorts: { start: string; size: number }[] } | string }>(
      "SELECT month::text AS month, matrix FROM payment_service.cohort_matrices WHERE tz = 'Asia/Kolkata'",
    );
    expect(rows).toHaveLength(1);
    const matrix = typeof rows[0]?.matrix === 'string' ? JSON.parse(rows[0].matrix) : rows[0]?.matrix;
    expect(matrix.cohorts).toHaveLength(12);
    expect(matrix.cohorts[0].start).toBe('2025-12-01T00:00:00+05:30');
    expect(matrix.cohorts.reduce((s: number, c: { size: number }) => s + c.size, 0)).toBe(3);
  });
});
