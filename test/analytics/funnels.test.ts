import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type FunnelBreakdown,
  type FunnelDefinition,
  type FunnelDefinitionInput,
  funnelDefinitionSchema,
} from '../../src/analytics/funnels/funnel-definition.js';
import { runFunnel, stepsOf } from '../../src/analytics/funnels/funnel-query.js';
import { funnelBaseSql } from '../../src/analytics/funnels/funnel-sql.js';
import { type RowOf, TABLES } from '../../src/warehouse/tables.js';
import { type TestWarehouse, describeEachWarehouse, openTestWarehouse } from '../harness/warehouses.js';
import { type RefRow, referenceFunnel } from './funnel-reference.js';

/**
 * The funnel SQL against a brute-force reference (funnel-reference.ts) over random event streams,
 * on both engines: ties inside one millisecond, repeated steps, events exactly on the window's
 * edge, sessions that began before the range, every mode, per-step windows, exclusions and
 * breakdowns. On ClickHouse, ordered funnels are also checked against its own `windowFunnel`.
 */

const DAY = 86_400_000;
const BASE = Date.UTC(2026, 5, 1);
const SEC = 1000;

type Behaviour = RowOf<'behaviour_events'> & { event_id: string; event_time: Date; event_type: string };
const EMPTY = Object.fromEntries(Object.keys(TABLES.behaviour_events.columns).map((c) => [c, null])) as unknown as Behaviour;

interface Case {
  index: number;
  def: FunnelDefinition;
  from: number;
  to: number;
  breakdown: FunnelBreakdown | undefined;
  events: Behaviour[];
}

const EVENTS = ['product.viewed', 'product.added_to_cart', 'checkout.started', 'search.query'] as const;
const filterArb = fc.constantFrom(
  [],
  [],
  [{ property: 'category', op: 'eq', value: 'c1' }],
  [{ property: 'properties.list_name', op: 'eq', value: 'home' }],
  [{ property: 'device_type', op: 'neq', value: 'mobile' }],
  [{ property: 'category', op: 'is_set' }],
  [{ property: 'amount_minor', op: 'gte', value: 500 }],
  [{ property: 'properties.position', op: 'in', value: [3, '4'] }],
);

function definitionArb(distinctSteps: boolean): fc.Arbitrary<FunnelDefinitionInput> {
  const stepEvents = distinctSteps
    ? fc.shuffledSubarray([...EVENTS], { minLength: 2, maxLength: 4 })
    : fc.array(fc.constantFrom('session.landed', ...EVENTS), { minLength: 2, maxLength: 4 });
  return fc
    .record({
      events: stepEvents,
      filters: fc.array(filterArb, { minLength: 4, maxLength: 4 }),
      windows: fc.array(fc.option(fc.constantFrom(2 * SEC, 4 * SEC, 8 * SEC), { nil: undefined }), { minLength: 4, maxLength: 4 }),
      unit: fc.constantFrom('session', 'user') as fc.Arbitrary<'session' | 'user'>,
      mode: fc.constantFrom('ordered', 'ordered', 'strict', 'any_order') as fc.Arbitrary<'ordered' | 'strict' | 'any_order'>,
      window: fc.constantFrom(2 * SEC, 5 * SEC, 10 * SEC, 60 * SEC),
      exclusion: fc.option(fc.record({ event: fc.constantFrom(...EVENTS), a: fc.nat(2), span: fc.integer({ min: 1, max: 3 }) }), {
        nil: undefined,
      }),
    })
    .map((r) => {
      const n = r.events.length;
      const plain = distinctSteps;
      return {
        unit: r.unit,
        mode: plain ? 'ordered' : r.mode,
        conversion_window_ms: r.window,
        steps: r.events.map((event, i) => ({
          event,
          filters: plain ? [] : r.filters[i],
          ...(i > 0 && !plain && r.mode !== 'any_order' && r.windows[i] !== undefined ? { window_ms: r.windows[i] } : {}),
        })),
        exclusions:
          r.exclusion && !plain && r.mode !== 'any_order' && r.exclusion.a < n - 1
            ? [{ event: r.exclusion.event, from_step: r.exclusion.a, to_step: Math.min(n - 1, r.exclusion.a + r.exclusion.span) }]
            : [],
      } as FunnelDefinitionInput;
    });
}

/** Events of a few sessions; times on whole seconds from −2 s to 15 s (ties and window edges), `to` at +10 s. */
function eventsArb(distinctTimes: boolean): fc.Arbitrary<Behaviour[]> {
  const session = fc.record({
    user: fc.constantFrom('u1', 'u2', 'u3', null),
    events: fc.array(
      fc.record({
        type: fc.constantFrom(...EVENTS),
        at: fc.integer({ min: -2, max: 12 }),
        ms: fc.constantFrom(0, 0, 0, 1),
        category: fc.constantFrom('c1', 'c2', null),
        device: fc.constantFrom('mobile', 'desktop', null),
        listName: fc.constantFrom('home', 'search', null),
        position: fc.constantFrom(3, 4, 7, null),
        amount: fc.constantFrom(100, 500, 900, null),
      }),
      { minLength: 2, maxLength: distinctTimes ? 10 : 12 },
    ),
  });
  return fc.array(session, { minLength: 1, maxLength: 6 }).map((sessions) =>
    sessions.flatMap((s, si) => {
      const seen = new Set<number>();
      return s.events.flatMap((e) => {
        const t = e.at * SEC + e.ms;
        if (distinctTimes && seen.has(t)) return [];
        seen.add(t);
        const properties: Record<string, unknown> = {};
        if (e.listName) properties.list_name = e.listName;
        if (e.position !== null) properties.position = e.position;
        return [
          {
            ...EMPTY,
            event_type: e.type,
            event_time: new Date(t),
            session_hash: `s${si}`,
            user_hash: s.user,
            device_type: e.device,
            traffic_source: e.device === 'mobile' ? 'instagram' : 'google',
            customer_segment: s.user ? 'returning' : 'anonymous',
            category: e.category,
            amount_minor: e.amount,
            currency: e.amount === null ? null : 'INR',
            properties: Object.keys(properties).length > 0 ? properties : null,
          },
        ];
      });
    }),
  );
}

function casesOf(count: number, seed: number, distinct: boolean, offset: number): Case[] {
  const arb = fc.record({
    def: definitionArb(distinct),
    events: eventsArb(distinct),
    breakdown: fc.option(fc.constantFrom('device', 'traffic_source', 'customer_segment', 'category') as fc.Arbitrary<FunnelBreakdown>, {
      nil: undefined,
    }),
  });
  return fc.sample(arb, { numRuns: count, seed }).map((c, i) => {
    const index = offset + i;
    const from = BASE + index * 10 * DAY;
    return {
      index,
      def: funnelDefinitionSchema.parse(c.def),
      from,
      to: from + 10 * SEC,
      breakdown: c.breakdown,
      // Each case in its own ten days, sessions and ids unique per case.
      events: c.events.map((e, j) => ({
        ...e,
        event_id: `e${String(index).padStart(3, '0')}_${String(j).padStart(3, '0')}`,
        event_time: new Date(from + e.event_time.getTime()),
        session_hash: `c${index}_${e.session_hash}`,
        user_hash: e.user_hash === null ? null : `c${index}_${e.user_hash}`,
      })),
    };
  });
}

/** The funnel's rows as the definition describes them: events in range, and each session's landing. */
function referenceRows(c: Case): RefRow[] {
  const end = c.to + c.def.conversion_window_ms;
  const unitOf = (e: Behaviour) => (c.def.unit === 'session' ? e.session_hash : e.user_hash);
  const inWindow = c.events.filter((e) => e.event_time.getTime() < end);
  const rows: RefRow[] = inWindow
    .filter((e) => e.event_time.getTime() >= c.from && unitOf(e) !== null)
    .map((e) => ({ ...e, unit: unitOf(e) as string, t: e.event_time.getTime(), k: e.event_id, event_type: e.event_type }));
  const sessions = new Map<string, Behaviour[]>();
  for (const e of inWindow) sessions.set(e.session_hash as string, [...(sessions.get(e.session_hash as string) ?? []), e]);
  const max = (xs: (string | null)[]) =>
    xs
      .filter((x): x is string => x !== null)
      .sort()
      .at(-1) ?? null;
  for (const [session, es] of sessions) {
    const t = Math.min(...es.map((e) => e.event_time.getTime()));
    const unit = c.def.unit === 'session' ? session : max(es.map((e) => e.user_hash));
    if (t < c.from || unit === null) continue;
    rows.push({
      unit,
      t,
      k: '',
      event_type: 'session.landed',
      device_type: max(es.map((e) => e.device_type)),
      traffic_source: max(es.map((e) => e.traffic_source)),
      customer_segment: max(es.map((e) => e.customer_segment)),
      category: null,
      properties: null,
      amount_minor: null,
    });
  }
  return rows;
}

const randomCases = casesOf(70, 20261203, false, 0);
const windowFunnelCases = casesOf(30, 1203, true, 100);

describeEachWarehouse('funnels against a brute-force reference', (engine) => {
  let w: TestWarehouse;
  beforeAll(async () => {
    w = await openTestWarehouse(engine);
    const all = [...randomCases, ...windowFunnelCases].flatMap((c) => c.events);
    await w.warehouse.transaction((tx) => tx.append('behaviour_events', all));
  }, 60_000);
  afterAll(() => w.close());

  it('counts entered units, times between steps and breakdowns as the reference does, in every mode', async () => {
    let converted = 0;
    let dropped = 0;
    for (const c of randomCases) {
      const got = await runFunnel(w.warehouse, c.def, { from: c.from, to: c.to }, c.breakdown);
      if ((got.totals.steps.at(-1)?.entered ?? 0) > 0) converted++;
      if (got.totals.steps.some((s) => s.dropped_off > 0)) dropped++;
      const ref = referenceFunnel(c.def, referenceRows(c), { from: c.from, to: c.to });
      const refTotal = ref.get(null);
      const context = `case ${c.index}: ${JSON.stringify(c.def)}`;
      expect(got.totals.steps, context).toEqual(
        stepsOf(c.def, refTotal ?? Object.fromEntries(c.def.steps.map((_, i) => [`entered_${i}`, 0]))),
      );
      expect(got.totals.units, context).toBe(refTotal?.units ?? 0);
      if (c.breakdown) {
        const refBy = referenceFunnel(c.def, referenceRows(c), { from: c.from, to: c.to }, c.breakdown);
        const expected = [...refBy.values()].map((r) => ({
          value: r.bd as string | null,
          units: r.units as number,
          steps: stepsOf(c.def, r),
        }));
        const key = (x: { value: string | null }) => String(x.value);
        expect(
          [...(got.breakdown ?? [])].sort((a, b) => key(a).localeCompare(key(b))),
          `${context} by ${c.breakdown}`,
        ).toEqual(expected.sort((a, b) => key(a).localeCompare(key(b))));
      }
    }
    // The sample is not degenerate: many funnels complete, many lose units on the way.
    expect(converted).toBeGreaterThan(10);
    expect(dropped).toBeGreaterThan(10);
  }, 120_000);

  it('finds the sample exercising ties, repeats, exclusions, per-step windows and every mode', () => {
    const modes = new Set(randomCases.map((c) => c.def.mode));
    expect([...modes].sort()).toEqual(['any_order', 'ordered', 'strict']);
    expect(randomCases.some((c) => c.def.exclusions.length > 0)).toBe(true);
    expect(randomCases.some((c) => c.def.steps.some((s) => s.window_ms !== undefined))).toBe(true);
    expect(randomCases.some((c) => new Set(c.def.steps.map((s) => s.event)).size < c.def.steps.length)).toBe(true);
    const ties = randomCases.some((c) => new Set(c.events.map((e) => `${e.session_hash}${e.event_time.getTime()}`)).size < c.events.length);
    expect(ties).toBe(true);
  });

  if (engine === 'clickhouse') {
    it("reaches the same step as ClickHouse's windowFunnel for ordered funnels", async () => {
      for (const c of windowFunnelCases) {
        const base = funnelBaseSql(w.warehouse.dialect, c.def, { from: c.from, to: c.to });
        const conds = c.def.steps.map((_, i) => (i === 0 ? `m0 = 1 AND t >= ${c.from} AND t < ${c.to}` : `m${i} = 1`));
        const levels = await w.warehouse.query<{ level: number; units: number }>(
          `SELECT level, count() AS units FROM (
             SELECT unit, windowFunnel(${c.def.conversion_window_ms})(toUInt64(t), ${conds.map((x) => `toUInt8(${x})`).join(', ')}) AS level
             FROM (${base.sql}) b GROUP BY unit) WHERE level > 0 GROUP BY level`,
          base.params,
        );
        const got = await runFunnel(w.warehouse, c.def, { from: c.from, to: c.to });
        const entered = c.def.steps.map((_, i) => levels.filter((l) => Number(l.level) > i).reduce((a, l) => a + Number(l.units), 0));
        expect(
          got.totals.steps.map((s) => s.entered),
          `case ${c.index}: ${JSON.stringify(c.def)}`,
        ).toEqual(entered);
      }
    }, 120_000);
  }
});
