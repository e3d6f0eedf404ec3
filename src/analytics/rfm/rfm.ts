import { type Result, ok } from '../../core/errors.js';
import { type QueryRunner, runQuery } from '../../warehouse/typed-query.js';
import { ratio } from '../decimal.js';
import { type UsedRate, convertMinor, ratesFor, ratesView } from '../fx-rates.js';
import { formatLocal, localDateOf } from '../time-zones.js';
import { addExact } from '../cohorts/cohort-matrix.js';
import { rfmMovement, rfmPerCustomer, rfmSegmentPage, rfmSegmentSizes } from './rfm-queries.js';
import { type RfmInput, type RfmScored, SEGMENTS, type Segment, scoreCustomers } from './rfm-scores.js';

/**
 * RFM of the customers with at least one order in the 365 days before `as_of` (README.md for the
 * definitions): one currency's orders, or every currency converted into a report currency.
 */

export const WINDOW_DAYS = 365;
const DAY = 86_400_000;

export type RfmMoney = { kind: 'currency'; currency: string } | { kind: 'report'; currency: string };

export interface RfmRequest {
  asOf: number;
  tz: string;
  money: RfmMoney;
}

export interface RfmResult {
  as_of: string;
  window: { from: string; to: string };
  /** The currency M is counted in. */
  currency: string;
  /** With a report currency: the FX rates used (the latest on or before the as-of local date). */
  rates?: ReturnType<typeof ratesView>;
  customers: RfmScored[];
}

/** Scores every customer of the window; FX_RATE_MISSING when a report currency lacks a rate. */
export async function computeRfm(warehouse: QueryRunner, r: RfmRequest): Promise<Result<RfmResult>> {
  const from = r.asOf - WINDOW_DAYS * DAY;
  const rows = await runQuery(warehouse, rfmPerCustomer, {
    from: new Date(from),
    to: new Date(r.asOf),
    currency: r.money.kind === 'currency' ? r.money.currency : null,
  });
  let rates: Map<string, UsedRate> | null = null;
  if (r.money.kind === 'report') {
    const found = await ratesFor(
      warehouse,
      rows.map((x) => x.currency),
      r.money.currency,
      localDateOf(r.tz, r.asOf - 1),
    );
    if (!found.ok) return found;
    rates = found.value;
  }
  const per = new Map<string, RfmInput & { last: number }>();
  for (const x of rows) {
    // Each (customer, currency) sum is converted once, half-even (fx-rates.ts), then added exactly.
    const amount = rates ? convertMinor(x.revenue_minor, rates.get(x.currency) as UsedRate) : x.revenue_minor;
    const c = per.get(x.customer);
    if (c) {
      c.orders += x.orders;
      c.monetary_minor = addExact(c.monetary_minor, amount);
      c.last = Math.max(c.last, x.last_ms);
    } else {
      per.set(x.customer, { customer: x.customer, orders: x.orders, monetary_minor: amount, recency_days: 0, last: x.last_ms });
    }
  }
  const inputs: RfmInput[] = [];
  for (const c of per.values()) {
    inputs.push({
      customer: c.customer,
      orders: c.orders,
      monetary_minor: c.monetary_minor,
      recency_days: Math.floor((r.asOf - c.last) / DAY),
    });
  }
  const out: RfmResult = {
    as_of: formatLocal(r.tz, r.asOf),
    window: { from: formatLocal(r.tz, from), to: formatLocal(r.tz, r.asOf) },
    currency: r.money.currency,
    customers: scoreCustomers(inputs),
  };
  if (rates) out.rates = ratesView(rates);
  return ok(out);
}

export interface SegmentSize {
  segment: Segment;
  customers: number;
  share: number | null;
  orders: number;
  monetary_minor: number;
}

/** Customers, orders and revenue per segment, in the precedence order. */
export function segmentSizes(customers: readonly RfmScored[]): SegmentSize[] {
  return SEGMENTS.map((segment) => {
    const members = customers.filter((c) => c.segment === segment);
    return {
      segment,
      customers: members.length,
      share: ratio(members.length, customers.length),
      orders: members.reduce((s, c) => s + c.orders, 0),
      monetary_minor: members.reduce((s, c) => addExact(s, c.monetary_minor), 0),
    };
  });
}

/** `none`: not a customer of the window at that time (no order in the 365 days before). */
export type SegmentOrNone = Segment | 'none';
export const SEGMENTS_OR_NONE: readonly SegmentOrNone[] = [...SEGMENTS, 'none'];

export interface Movement {
  from: SegmentOrNone;
  to: SegmentOrNone;
  customers: number;
}

/** How many customers moved from each segment a week ago to each segment now (cells with 0 left out). */
export function movementMatrix(before: readonly RfmScored[], after: readonly RfmScored[]): Movement[] {
  const was = new Map(before.map((c) => [c.customer, c.segment]));
  const now = new Map(after.map((c) => [c.customer, c.segment]));
  const counts = new Map<string, number>();
  for (const customer of new Set([...was.keys(), ...now.keys()])) {
    const key = `${was.get(customer) ?? 'none'}>${now.get(customer) ?? 'none'}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const out: Movement[] = [];
  for (const from of SEGMENTS_OR_NONE) {
    for (const to of SEGMENTS_OR_NONE) {
      const n = counts.get(`${from}>${to}`);
      if (n) out.push({ from, to, customers: n });
    }
  }
  return out;
}

/** The customers of a segment, best first (M, then F, then fewer days, then id), one page. */
export function segmentPage(customers: readonly RfmScored[], segment: Segment, limit: number, offset: number) {
  const members = customers
    .filter((c) => c.segment === segment)
    .sort(
      (a, b) =>
        b.monetary_minor - a.monetary_minor ||
        b.orders - a.orders ||
        a.recency_days - b.recency_days ||
        a.customer.localeCompare(b.customer),
    );
  return { total: members.length, items: members.slice(offset, offset + limit) };
}

/** The movement matrix compares with the scores one week earlier. */
export const WEEK_MS = 7 * DAY;

const segmentOrder = (s: string) => SEGMENTS_OR_NONE.indexOf(s as SegmentOrNone);

/**
 * What `GET /api/v1/analytics/rfm` answers. One currency: scored in SQL (`rfm-queries.ts`), only
 * aggregates read; a report currency: every customer read and converted (`computeRfm`).
 */
export async function rfmOverview(warehouse: QueryRunner, r: RfmRequest) {
  const head = {
    as_of: formatLocal(r.tz, r.asOf),
    window: { from: formatLocal(r.tz, r.asOf - WINDOW_DAYS * DAY), to: formatLocal(r.tz, r.asOf) },
    currency: r.money.currency,
  };
  const fromAsOf = formatLocal(r.tz, r.asOf - WEEK_MS);
  if (r.money.kind === 'currency') {
    const p = { asOfMs: r.asOf, currency: r.money.currency };
    const [sizes, moves] = await Promise.all([
      runQuery(warehouse, rfmSegmentSizes, p),
      runQuery(warehouse, rfmMovement, { ...p, beforeMs: r.asOf - WEEK_MS }),
    ]);
    const total = sizes.reduce((s, x) => s + x.customers, 0);
    const bySegment = new Map(sizes.map((x) => [x.segment, x]));
    return ok({
      ...head,
      customers: total,
      segments: SEGMENTS.map((segment) => {
        const x = bySegment.get(segment);
        return {
          segment,
          customers: x?.customers ?? 0,
          share: ratio(x?.customers ?? 0, total),
          orders: x?.orders ?? 0,
          monetary_minor: x?.monetary_minor ?? 0,
        };
      }),
      movement: {
        from_as_of: fromAsOf,
        items: moves
          .map((m) => ({ from: m.from_segment as SegmentOrNone, to: m.to_segment as SegmentOrNone, customers: m.customers }))
          .sort((a, b) => segmentOrder(a.from) - segmentOrder(b.from) || segmentOrder(a.to) - segmentOrder(b.to)),
      },
    });
  }
  const [now, before] = await Promise.all([computeRfm(warehouse, r), computeRfm(warehouse, { ...r, asOf: r.asOf - WEEK_MS })]);
  if (!now.ok) return now;
  if (!before.ok) return before;
  const { customers, ...rest } = now.value;
  return ok({
    ...rest,
    customers: customers.length,
    segments: segmentSizes(customers),
    movement: { from_as_of: before.value.as_of, items: movementMatrix(before.value.customers, customers) },
  });
}

/** What `GET /api/v1/analytics/rfm/customers` answers (customer ids unmasked: the route masks). */
export async function rfmSegmentCustomers(warehouse: QueryRunner, r: RfmRequest, segment: Segment, limit: number, offset: number) {
  if (r.money.kind === 'currency') {
    const p = { asOfMs: r.asOf, currency: r.money.currency };
    const [sizes, page] = await Promise.all([
      runQuery(warehouse, rfmSegmentSizes, p),
      runQuery(warehouse, rfmSegmentPage, { ...p, segment, limit, offset }),
    ]);
    return ok({
      as_of: formatLocal(r.tz, r.asOf),
      window: { from: formatLocal(r.tz, r.asOf - WINDOW_DAYS * DAY), to: formatLocal(r.tz, r.asOf) },
      currency: r.money.currency,
      total: sizes.find((x) => x.segment === segment)?.customers ?? 0,
      items: page.map((c) => ({ ...c, segment: c.segment as Segment })),
    });
  }
  const result = await computeRfm(warehouse, r);
  if (!result.ok) return result;
  const { customers, ...rest } = result.value;
  const page = segmentPage(customers, segment, limit, offset);
  return ok({ ...rest, total: page.total, items: page.items });
}
