import { afterAll, beforeAll, expect, it } from 'vitest';
import { analyseExperiment } from '../../src/analytics/experiments/analysis.js';
import { type ExperimentSummaries, type VariantSummary, readExperimentSummaries } from '../../src/warehouse/queries/experiment-queries.js';
import { experimentDefinitionSchema } from '../../src/contracts/experiment-definition.js';
import type { RowOf } from '../../src/warehouse/tables.js';
import { type TestWarehouse, describeEachWarehouse, openTestWarehouse } from '../harness/warehouses.js';
import { warehousePayment } from '../harness/warehouse-payments.js';
import { warehouseRow } from '../harness/warehouse-rows.js';

/**
 * The experiment summaries read from the warehouse (portable SQL, both engines) against a
 * brute-force computation over the same random rows in TypeScript: units per variant (units seen in
 * two variants excluded), conversions, add-to-cart, bounce, errors, payment failures and AOV per
 * currency — only what happened after each unit's first exposure, inside the window.
 */

const EXPERIMENT = 'exp_test_checkout';
const FROM = new Date('2026-11-01T00:00:00Z');
const TO = new Date('2026-11-15T00:00:00Z');
const MIN = 60_000;

/** mulberry32: a small seeded generator, so a failure reproduces. */
function rng(seed: number) {
  let a = seed;
  const next = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)), chance: (p: number) => next() < p };
}

interface World {
  exposures: RowOf<'experiment_exposures'>[];
  events: RowOf<'behaviour_events'>[];
  orders: RowOf<'orders'>[];
  payments: RowOf<'payments'>[];
}

function behaviour(id: string, type: string, session: string, at: Date): RowOf<'behaviour_events'> {
  return warehouseRow('behaviour_events', { event_id: id, event_type: type, event_time: at, session_hash: session });
}

function order(id: string, session: string, at: Date, status: string, currency: string, total: number, reference: string): RowOf<'orders'> {
  return {
    order_id: id,
    status,
    customer_hash: null,
    session_hash: session,
    merchant_id: null,
    seller_id: null,
    channel: null,
    currency,
    total_minor: total,
    subtotal_minor: null,
    discount_minor: null,
    shipping_minor: null,
    tax_minor: null,
    item_count: 1,
    items: null,
    reference_number: reference,
    coupon_code: null,
    country: null,
    region: null,
    cancel_reason: null,
    placed_at: at,
    completed_at: null,
    cancelled_at: null,
    status_time: at,
  };
}

function makeWorld(seed: number, sessions: number): World {
  const r = rng(seed);
  const w: World = { exposures: [], events: [], orders: [], payments: [] };
  let n = 0;
  const id = (p: string) => `${p}-${++n}`;
  for (let i = 0; i < sessions; i++) {
    const session = `sess-${i}`;
    const variant = r.chance(0.52) ? 'control' : 'one_tap';
    // Some exposures fall outside the window: they must not count.
    const exposedAt = new Date(FROM.getTime() + r.int(-2 * 1440, 15 * 1440) * MIN);
    w.exposures.push(exposure(id('x'), session, variant, exposedAt));
    if (r.chance(0.03))
      w.exposures.push(exposure(id('x'), session, variant === 'control' ? 'one_tap' : 'control', new Date(exposedAt.getTime() + 5 * MIN)));
    if (r.chance(0.1)) w.exposures.push(exposure(id('x'), session, variant, new Date(exposedAt.getTime() + 9 * MIN)));
    // Events before the exposure must not count; after it they do.
    if (r.chance(0.5)) w.events.push(behaviour(id('e'), 'product.added_to_cart', session, new Date(exposedAt.getTime() - 3 * MIN)));
    const after = r.int(0, 4);
    for (let k = 0; k < after; k++) {
      const type = r.chance(0.3) ? 'product.added_to_cart' : r.chance(0.05) ? 'checkout.error' : 'product.viewed';
      w.events.push(behaviour(id('e'), type, session, new Date(exposedAt.getTime() + (k + 1) * MIN)));
    }
    const orders = r.chance(variant === 'one_tap' ? 0.3 : 0.25) ? r.int(1, 2) : 0;
    for (let k = 0; k < orders; k++) {
      const before = r.chance(0.1);
      const at = new Date(exposedAt.getTime() + (before ? -10 : 10 + k) * MIN);
      const ref = id('ref');
      const failed = r.chance(0.12);
      const status = failed ? 'cancelled' : r.chance(0.5) ? 'completed' : 'placed';
      const currency = r.chance(0.8) ? 'INR' : 'USD';
      const total = r.int(100, 5_000_000);
      w.orders.push(order(id('o'), session, at, status, currency, total, ref));
      w.payments.push(
        warehousePayment(ref, {
          payment_time: at,
          amount_minor: total,
          currency,
          status: failed ? 'failed' : 'captured',
          failure_category: failed ? (r.chance(0.5) ? 'issuer_unavailable' : 'insufficient_funds') : null,
        }),
      );
    }
  }
  return w;
}

function exposure(id: string, session: string, variant: string, at: Date): RowOf<'experiment_exposures'> {
  return {
    event_id: id,
    event_time: at,
    experiment_id: EXPERIMENT,
    variant,
    unit_type: 'session',
    unit_hash: session,
    bucket: null,
    session_hash: session,
    user_hash: null,
    device_type: null,
    country: null,
  };
}

/** The reference: the definitions of README.md, applied row by row. */
function bruteForce(w: World): ExperimentSummaries {
  const inWindow = w.exposures.filter(
    (x) => x.experiment_id === EXPERIMENT && (x.event_time as Date) >= FROM && (x.event_time as Date) < TO,
  );
  const seen = new Map<string, { variants: Set<string>; first: Date }>();
  for (const x of inWindow) {
    const at = x.event_time as Date;
    const s = seen.get(x.unit_hash as string) ?? { variants: new Set<string>(), first: at };
    s.variants.add(x.variant as string);
    if (at < s.first) s.first = at;
    seen.set(x.unit_hash as string, s);
  }
  const out = new Map<string, VariantSummary>();
  let multi = 0;
  const aov = new Map<string, number[]>();
  for (const [unit, s] of seen) {
    if (s.variants.size > 1) {
      multi++;
      continue;
    }
    const variant = [...s.variants][0] as string;
    const v = out.get(variant) ?? {
      variant,
      units: 0,
      convertedUnits: 0,
      cartUnits: 0,
      bouncedUnits: 0,
      errorUnits: 0,
      payments: 0,
      failedPayments: 0,
      aov: [],
    };
    out.set(variant, v);
    v.units++;
    const events = w.events.filter((e) => e.session_hash === unit && (e.event_time as Date) >= s.first);
    if (events.some((e) => e.event_type === 'product.added_to_cart')) v.cartUnits++;
    if (events.length <= 1) v.bouncedUnits++;
    const orders = w.orders.filter((o) => o.session_hash === unit && (o.placed_at as Date) >= s.first);
    if (orders.some((o) => o.status !== 'cancelled')) v.convertedUnits++;
    let error = events.some((e) => (e.event_type as string).includes('error'));
    for (const o of orders) {
      const p = w.payments.find((x) => x.reference_number === o.reference_number);
      if (!p) continue;
      v.payments++;
      if (p.status === 'failed') {
        v.failedPayments++;
        if (p.failure_category === 'issuer_unavailable' || p.failure_category === 'other') error = true;
      }
      if (o.status !== 'cancelled') {
        const k = `${variant}|${o.currency}`;
        aov.set(k, [...(aov.get(k) ?? []), o.total_minor as number]);
      }
    }
    if (error) v.errorUnits++;
  }
  for (const [k, xs] of aov) {
    const [variant, currency] = k.split('|') as [string, string];
    const sum = xs.reduce((s, x) => s + x, 0);
    const mean = sum / xs.length;
    const variance = xs.length > 1 ? xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1) : null;
    out.get(variant)?.aov.push({ currency, orders: xs.length, sumMinor: sum, variance });
  }
  for (const v of out.values()) v.aov.sort((a, b) => a.currency.localeCompare(b.currency));
  return { variants: [...out.values()], multiVariantUnits: multi, metricsAvailable: true };
}

const byVariant = (s: ExperimentSummaries) => Object.fromEntries(s.variants.map((v) => [v.variant, v]));

describeEachWarehouse('experiment summaries from the warehouse', (engine) => {
  let w: TestWarehouse;
  const world = makeWorld(12, 1500);
  beforeAll(async () => {
    w = await openTestWarehouse(engine);
    await w.warehouse.transaction(async (tx) => {
      await tx.append('experiment_exposures', world.exposures);
      await tx.append('behaviour_events', world.events);
      await tx.replace('orders', world.orders);
      await tx.replace('payments', world.payments);
    });
  });
  afterAll(() => w?.close());

  it('match a brute-force computation over the same rows (counts exact, variances to 1e-9 relative)', async () => {
    const got = await readExperimentSummaries(w.warehouse, {
      experimentId: EXPERIMENT,
      from: FROM,
      to: TO,
      unitType: 'session',
      variants: ['control', 'one_tap'],
    });
    const want = bruteForce(world);
    expect(got.multiVariantUnits).toBe(want.multiVariantUnits);
    expect(want.multiVariantUnits).toBeGreaterThan(0);
    const g = byVariant(got);
    for (const v of want.variants) {
      const x = g[v.variant] as VariantSummary;
      const { aov: gotAov, ...gotCounts } = x;
      const { aov: wantAov, ...wantCounts } = v;
      expect(gotCounts).toEqual(wantCounts);
      expect(gotAov.map((a) => [a.currency, a.orders, a.sumMinor])).toEqual(wantAov.map((a) => [a.currency, a.orders, a.sumMinor]));
      for (const [i, a] of wantAov.entries()) {
        const b = gotAov[i];
        if (a.variance === null) expect(b?.variance).toBeNull();
        else expect(Math.abs((b?.variance as number) - a.variance) / a.variance).toBeLessThan(1e-9);
      }
    }
  });

  it('gives the same report as the brute-force summaries (SRM, z-test, Welch)', async () => {
    const definition = experimentDefinitionSchema.parse({
      key: EXPERIMENT,
      name: 'One-tap checkout',
      variants: [
        { key: 'control', weight: 5000 },
        { key: 'one_tap', weight: 5000 },
      ],
      min_sample_per_variant: 100,
    });
    const got = await readExperimentSummaries(w.warehouse, {
      experimentId: EXPERIMENT,
      from: FROM,
      to: TO,
      unitType: 'session',
      variants: ['control', 'one_tap'],
    });
    const a = analyseExperiment(definition, got, { from: FROM, to: TO });
    const b = analyseExperiment(definition, bruteForce(world), { from: FROM, to: TO });
    expect(a.srm.p_value).toBeCloseTo(b.srm.p_value, 12);
    const ta = a.variants[1]?.metrics.checkout_completion_rate.vs_control;
    const tb = b.variants[1]?.metrics.checkout_completion_rate.vs_control;
    expect(ta?.p_value).toBeCloseTo(tb?.p_value as number, 12);
    const inrA = a.variants[1]?.metrics.aov.find((x) => x.currency === 'INR');
    const inrB = b.variants[1]?.metrics.aov.find((x) => x.currency === 'INR');
    expect(inrA?.mean_minor).toBe(inrB?.mean_minor);
    expect(Math.abs((inrA?.vs_control?.p_value as number) - (inrB?.vs_control?.p_value as number))).toBeLessThan(1e-9);
    expect(a.verdict.decision).toBe(b.verdict.decision);
  });
});
