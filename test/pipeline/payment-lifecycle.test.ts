import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { queryKpis } from '../../src/analytics/analytics-queries.js';
import { querySettlementTiles } from '../../src/analytics/settlement-tiles.js';
import type { AnalyticsQuery } from '../../src/analytics/query-params.js';
import type { CloudEvent } from '../../src/contracts/index.js';
import { isCollected } from '../../src/contracts/payment-lifecycle.js';
import { type AnalyticsConsumer, createAnalyticsConsumer } from '../../src/pipeline/analytics-consumer.js';
import { createMerchantDirectory } from '../../src/pipeline/merchant-dimension.js';
import { createPseudonymiseStep } from '../../src/pipeline/pseudonymise-step.js';
import { listDeadLetters } from '../../src/store/dead-letter-table.js';
import { GRAINS, rollupTable } from '../../src/warehouse/tables.js';
import type { Warehouse } from '../../src/warehouse/warehouse-port.js';
import { seeded } from '../harness/analytics-data.js';
import { embeddedLogFor, testLogger } from '../harness/event-logs.js';
import { cloudEvent, logRecord, recordedEvent } from '../harness/events.js';
import { type Delivery, finalState, ledgerEvents } from '../harness/ledger-events.js';
import { type TestStore, storeKinds } from '../harness/stores.js';
import { type TestWarehouse, type WarehouseEngine, describeEachWarehouse, openTestWarehouse } from '../harness/warehouses.js';

/**
 * The payment lifecycle through the real consumer and each warehouse engine: the ledger's payment.recorded /
 * payment.status_changed / payment.refunded in any log order and batch split give the ledger's
 * final state; GMV counts captured amounts; a refund in another currency than its payment is a
 * dead letter whichever batch the payment came in; the lifecycle KPIs equal a recomputation from
 * the deliveries themselves.
 */

let db: TestStore;
let engine: WarehouseEngine;
let opened: TestWarehouse | undefined;
let warehouse: Warehouse;
let consumer: AnalyticsConsumer;

async function freshPipeline(): Promise<void> {
  await opened?.close();
  opened = await openTestWarehouse(engine);
  warehouse = opened.warehouse;
  await db.store.query('DELETE FROM payment_service.dead_letters');
  consumer = createAnalyticsConsumer({
    log: embeddedLogFor(db),
    warehouse,
    deadLetters: db.store,
    pseudonymiser: createPseudonymiseStep({ key: 'test-pii-key-0123456789' }),
    merchants: createMerchantDirectory(warehouse),
    logger: testLogger,
    maxBatchSize: 500,
  });
}

beforeAll(async () => {
  db = await (storeKinds()[0] as { create(): Promise<TestStore> }).create();
});
afterAll(async () => {
  await opened?.close();
  await db?.close();
});
beforeEach(freshPipeline);
/** Sets the engine the suite's `freshPipeline` opens (a describe's beforeAll runs before the file's beforeEach). */
const onEngine = (e: WarehouseEngine) =>
  beforeAll(() => {
    engine = e;
  });

const DAY = Date.UTC(2026, 10, 20);
const at = (minute: number) => new Date(DAY + minute * 60_000);
const apply = (events: readonly CloudEvent[]) => consumer.process(events.map((e) => logRecord(e)));
const query: AnalyticsQuery = { range: { from: DAY - 86_400_000, to: DAY + 2 * 86_400_000, tz: 'UTC' }, filters: {}, reportCurrency: null };
const kpis = async () => {
  const r = await queryKpis(warehouse, query);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

/** Every payments rollup grain equals the same sums computed from the payments facts. */
async function expectRollupsEqualFacts(): Promise<void> {
  const facts = await warehouse.query(
    `SELECT status, count(*)::BIGINT AS payments, sum(amount_minor)::BIGINT AS amount_minor,
            count(coalesce(authorized_minor, captured_minor))::BIGINT AS authorized_payments,
            coalesce(sum(CASE WHEN status IN ('captured', 'succeeded', 'partially_refunded', 'refunded', 'disputed', 'dispute_won', 'dispute_lost')
                              THEN coalesce(captured_minor, amount_minor) ELSE 0 END), 0)::BIGINT AS captured_minor,
            coalesce(sum(refunded_minor), 0)::BIGINT AS refunded_minor
     FROM payments GROUP BY status ORDER BY status`,
  );
  for (const grain of GRAINS) {
    const rollup = await warehouse.query(
      `SELECT status, sum(payments)::BIGINT AS payments, sum(amount_minor)::BIGINT AS amount_minor,
              sum(authorized_payments)::BIGINT AS authorized_payments, sum(captured_minor)::BIGINT AS captured_minor,
              sum(refunded_minor)::BIGINT AS refunded_minor
       FROM ${rollupTable('payments', grain)} GROUP BY status HAVING sum(payments) <> 0 ORDER BY status`,
    );
    expect(rollup, grain).toEqual(facts);
  }
}

/** Random lifecycles: a first status, then later statuses and refunds, no exact redelivery. */
function randomLifecycles(seed: number, count: number, currencies: readonly string[]) {
  const rnd = seeded(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)] as T;
  const out: { reference: string; currency: string; deliveries: Delivery[] }[] = [];
  for (let p = 0; p < count; p++) {
    const amount = 1_000 + Math.floor(rnd() * 50_000);
    const start = Math.floor(rnd() * 600);
    const deliveries: Delivery[] = [];
    const seen = new Set<string>();
    const steps = 1 + Math.floor(rnd() * 4);
    for (let i = 0; i < steps; i++) {
      const minute = start + Math.floor(rnd() * 120);
      if (i > 0 && rnd() < 0.25) {
        deliveries.push({
          kind: 'refund',
          refund_id: `rf-${seed}-${p}-${i}`,
          amount_minor: 1 + Math.floor(rnd() * amount),
          at: at(minute),
        });
        continue;
      }
      const status = pick(['pending', 'authorized', 'authorized', 'captured', 'succeeded', 'failed'] as const);
      // A capture is often partial: less than the authorised amount.
      const value = status === 'captured' && rnd() < 0.5 ? Math.floor(amount * 0.8) : amount;
      if (seen.has(`${status}:${value}`)) continue;
      seen.add(`${status}:${value}`);
      deliveries.push({ kind: 'status', status, amount_minor: value, at: at(minute) });
    }
    if (deliveries[0]?.kind !== 'status') continue;
    out.push({ reference: `LC-${seed}-${p}`, currency: pick(currencies), deliveries });
  }
  return out;
}

function shuffle<T>(xs: readonly T[], seed: number): T[] {
  const rnd = seeded(seed);
  return xs
    .map((x) => ({ x, k: rnd() }))
    .sort((a, b) => a.k - b.k)
    .map(({ x }) => x);
}

describeEachWarehouse('payment lifecycle through the consumer', (e) => {
  onEngine(e);
  it('counts a partial capture at its captured amount in GMV and in every rollup', async () => {
    const events = ledgerEvents('PC-1', [
      { kind: 'status', status: 'authorized', amount_minor: 10_000, at: at(1) },
      { kind: 'status', status: 'captured', amount_minor: 8_000, at: at(3) },
    ]);
    expect(await apply(events)).toMatchObject({ applied: 2, deadLettered: [] });
    const [row] = await warehouse.query('SELECT status, amount_minor, authorized_minor, captured_minor, ledger_version FROM payments');
    expect(row).toEqual({ status: 'captured', amount_minor: 10_000, authorized_minor: 10_000, captured_minor: 8_000, ledger_version: 2 });
    const [inr] = (await kpis()).currencies;
    expect(inr).toMatchObject({
      currency: 'INR',
      gmv_minor: 8_000,
      net_revenue_minor: 8_000,
      authorized_count: 1,
      authorization_rate: 1,
      capture_rate: 1,
    });
    await expectRollupsEqualFacts();
    // The settlement tiles' GMV (read from the payments facts, not the rollups) counts the same.
    const tiles = await querySettlementTiles(warehouse, query);
    if (!tiles.ok) throw new Error(tiles.error.message);
    const t = tiles.value.tiles as { gmv: unknown; gmv_by_payment_mode: { gmv_minor: number }[] };
    expect(t.gmv).toEqual([{ currency: 'INR', gmv_minor: 8_000 }]);
    expect(t.gmv_by_payment_mode.map((m) => m.gmv_minor)).toEqual([8_000]);
    const history = await warehouse.query(
      'SELECT event_type, status, from_status, to_status, applied, version, amount_minor FROM payment_status_history ORDER BY event_time',
    );
    expect(history).toEqual([
      {
        event_type: 'payment.recorded',
        status: 'authorized',
        from_status: null,
        to_status: 'authorized',
        applied: true,
        version: 1,
        amount_minor: 10_000,
      },
      {
        event_type: 'payment.status_changed',
        status: 'captured',
        from_status: 'authorized',
        to_status: 'captured',
        applied: true,
        version: 2,
        amount_minor: 8_000,
      },
    ]);
  });

  it('reaches the ledger’s final state whatever the log order and batch split, with rollups equal to the facts', async () => {
    const lifecycles = randomLifecycles(11, 40, ['INR']);
    const events = lifecycles.flatMap((l) => ledgerEvents(l.reference, l.deliveries, { currency: l.currency }));
    const snapshots: unknown[] = [];
    for (const [i, order] of [events, shuffle(events, 1), shuffle(events, 2)].entries()) {
      await freshPipeline();
      const size = [events.length, 7, 23][i] as number;
      for (let j = 0; j < order.length; j += size) expect((await apply(order.slice(j, j + size))).deadLettered).toEqual([]);
      const rows = await warehouse.query<Record<string, unknown>>(
        `SELECT reference_number, status, status_time, amount_minor, authorized_minor, captured_minor, refunded_minor, ledger_version, payment_time
         FROM payments ORDER BY reference_number`,
      );
      for (const l of lifecycles) {
        const want = finalState(l.deliveries, l.currency);
        expect(
          rows.find((r) => r.reference_number === l.reference),
          l.reference,
        ).toEqual({
          reference_number: l.reference,
          status: want.status,
          status_time: want.status_time,
          amount_minor: l.deliveries[0]?.amount_minor,
          authorized_minor: want.authorized_minor,
          captured_minor: want.captured_minor,
          refunded_minor: want.refunded_minor,
          ledger_version: l.deliveries.length,
          payment_time: l.deliveries[0]?.at,
        });
      }
      await expectRollupsEqualFacts();
      const [history] = await warehouse.query<{ n: number }>('SELECT count(*)::INT AS n FROM payment_status_history');
      expect(history?.n).toBe(lifecycles.reduce((n, l) => n + l.deliveries.length, 0));
      snapshots.push(rows);
    }
    expect(snapshots[1]).toEqual(snapshots[0]);
    expect(snapshots[2]).toEqual(snapshots[0]);
  });

  it('dead-letters a refund in another currency than its payment stored by an earlier batch (REFUND_CURRENCY_MISMATCH)', async () => {
    await apply([recordedEvent('RC-1', { amount_minor: 20_000, currency: 'USD', status: 'succeeded', payment_date: at(1) }, at(2))]);
    const before = (await kpis()).currencies;
    const eurRefund = cloudEvent(
      'payment.refunded',
      { refund_id: 'rf-eur', reference_number: 'RC-1', amount: { amount_minor: 1_000, currency: 'EUR' } },
      { time: at(5) },
    );
    const out = await apply([eurRefund]);
    expect(out.applied).toBe(0);
    expect(out.deadLettered.map((d) => d.code)).toEqual(['REFUND_CURRENCY_MISMATCH']);
    const [letter] = await listDeadLetters(db.store, { stage: 'analytics', limit: 10 });
    expect(letter).toMatchObject({ errorCode: 'REFUND_CURRENCY_MISMATCH', eventId: eurRefund.id });
    expect(letter?.errorMessage).toMatch(/RC-1 is in USD but this event says EUR/);
    expect(await warehouse.query('SELECT * FROM refunds')).toEqual([]);
    const after = (await kpis()).currencies;
    expect(after).toEqual(before);
    expect(after.map((k) => [k.currency, k.net_revenue_minor])).toEqual([['USD', 20_000]]);
    // A refund in the payment's currency still counts.
    const usdRefund = cloudEvent(
      'payment.refunded',
      { refund_id: 'rf-usd', reference_number: 'RC-1', amount: { amount_minor: 1_000, currency: 'USD' } },
      { time: at(6) },
    );
    expect(await apply([usdRefund])).toMatchObject({ applied: 1, deadLettered: [] });
    expect((await kpis()).currencies.map((k) => [k.currency, k.net_revenue_minor])).toEqual([['USD', 19_000]]);
  });
});

describeEachWarehouse('lifecycle KPIs equal a recomputation from the deliveries', (e) => {
  onEngine(e);
  it('authorization rate, capture rate, GMV, refund rate by amount, attempts and time to capture, per currency', async () => {
    const lifecycles = randomLifecycles(29, 120, ['INR', 'USD']);
    const events = lifecycles.flatMap((l) => ledgerEvents(l.reference, l.deliveries, { currency: l.currency }));
    for (let j = 0; j < events.length; j += 97) await apply(shuffle(events, 5).slice(j, j + 97));
    const body = await kpis();

    const want = new Map<
      string,
      {
        payments: number;
        authorized: number;
        collected: number;
        gmv: number;
        refunded: number;
        failed: number;
        succeeded: number;
        durations: number[];
      }
    >();
    for (const l of lifecycles) {
      const w = want.get(l.currency) ?? {
        payments: 0,
        authorized: 0,
        collected: 0,
        gmv: 0,
        refunded: 0,
        failed: 0,
        succeeded: 0,
        durations: [],
      };
      want.set(l.currency, w);
      const s = finalState(l.deliveries, l.currency);
      w.payments++;
      if (s.authorized_minor !== null) w.authorized++;
      if (s.status && isCollected(s.status)) {
        w.collected++;
        w.gmv += s.captured_minor ?? 0;
      }
      w.refunded += s.refunded_minor;
      const statuses = l.deliveries.filter((d) => d.kind === 'status');
      w.failed += statuses.filter((d) => d.status === 'failed').length;
      const first = (ss: string[]) => Math.min(...statuses.filter((d) => ss.includes(d.status)).map((d) => d.at.getTime()));
      const auth = first(['authorized']);
      const cap = first(['captured', 'succeeded']);
      if (Number.isFinite(cap)) w.succeeded++;
      if (Number.isFinite(auth) && Number.isFinite(cap) && cap >= auth) w.durations.push(cap - auth);
    }
    const rate = (n: number, d: number) => (d === 0 ? null : Math.round((n / d) * 1e6) / 1e6);
    const nearestRank = (xs: number[], pct: number) => {
      if (xs.length === 0) return null;
      const sorted = [...xs].sort((a, b) => a - b);
      return sorted[Math.ceil((pct * sorted.length) / 100) - 1] as number;
    };
    expect(body.currencies.map((k) => k.currency)).toEqual([...want.keys()].sort());
    for (const k of body.currencies) {
      const w = want.get(k.currency) as NonNullable<ReturnType<typeof want.get>>;
      expect(
        {
          payment_count: k.payment_count,
          authorized_count: k.authorized_count,
          successful_count: k.successful_count,
          gmv_minor: k.gmv_minor,
          refunded_minor: k.refunded_minor,
          authorization_rate: k.authorization_rate,
          capture_rate: k.capture_rate,
          refund_rate_by_amount: k.refund_rate_by_amount,
        },
        k.currency,
      ).toEqual({
        payment_count: w.payments,
        authorized_count: w.authorized,
        successful_count: w.collected,
        gmv_minor: w.gmv,
        refunded_minor: w.refunded,
        authorization_rate: rate(w.authorized, w.payments),
        capture_rate: rate(w.collected, w.authorized),
        refund_rate_by_amount: rate(w.refunded, w.gmv),
      });
      const successes = w.succeeded;
      expect(
        body.lifecycle.find((x) => x.currency === k.currency),
        k.currency,
      ).toEqual({
        currency: k.currency,
        attempt_count: w.failed + successes,
        failed_attempts: w.failed,
        attempt_success_rate: rate(successes, w.failed + successes),
        time_to_capture: { payments: w.durations.length, median_ms: nearestRank(w.durations, 50), p90_ms: nearestRank(w.durations, 90) },
      });
    }
    // The data exercise what is measured: partial captures, refunds, failures, timed captures.
    const all = [...want.values()];
    expect(all.every((w) => w.durations.length >= 3 && w.failed > 0 && w.refunded > 0 && w.authorized > w.collected)).toBe(true);
  });
});
