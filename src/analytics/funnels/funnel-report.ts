import type { QueryRunner } from '../../warehouse/typed-query.js';
import { type DropOffReason, queryDropOffReasons } from './funnel-dropoff.js';
import { type FunnelBreakdown, type FunnelDefinition, STANDARD_FUNNEL } from './funnel-definition.js';
import { type FunnelBreakdownRow, type FunnelCounts, exactRatio, runFunnel } from './funnel-query.js';

/** What `/api/v1/analytics/funnels` answers for one definition: the range, an optional second range, breakdown, drop-off reasons. */
export interface FunnelReport {
  totals: FunnelCounts;
  breakdown: FunnelBreakdownRow[] | null;
  compare: { from: number; to: number; totals: FunnelCounts; breakdown: FunnelBreakdownRow[] | null } | null;
  dropoff_reasons: { sessions: number; reasons: DropOffReason[] } | null;
}

export interface FunnelReportRequest {
  definition: FunnelDefinition;
  range: { from: number; to: number };
  compare?: { from: number; to: number } | undefined;
  breakdown?: FunnelBreakdown | undefined;
  /** Drop-off reasons of checkout (sessions only; they are about checkouts, whatever the funnel). */
  dropOffReasons: boolean;
}

export async function queryFunnelReport(warehouse: QueryRunner, req: FunnelReportRequest): Promise<FunnelReport> {
  const main = await runFunnel(warehouse, req.definition, req.range, req.breakdown);
  const compare = req.compare ? { ...req.compare, ...(await runFunnel(warehouse, req.definition, req.compare, req.breakdown)) } : null;
  const dropoff_reasons = req.dropOffReasons ? await queryDropOffReasons(warehouse, req.range, req.definition.conversion_window_ms) : null;
  return { totals: main.totals, breakdown: main.breakdown, compare, dropoff_reasons };
}

/** The standard funnel's cart → checkout step (checkout started, from added to cart). */
export const CART_TO_CHECKOUT_STEP = STANDARD_FUNNEL.steps.findIndex((s) => s.event === 'checkout.started');
/** The drop-off may exceed its baseline by this many percentage points before the flag goes up. */
export const DROP_OFF_ALERT_POINTS = 5;

export interface DropOffAlert {
  drop_off: string | null;
  baseline: string | null;
  /** drop_off − baseline in percentage points, 2 decimals; null when either is unknown. */
  points_above_baseline: string | null;
  flagged: boolean;
}

/**
 * Cart → checkout drop-off of `current` against `baseline` (the standard funnel over the 7 days
 * before): flagged when more than DROP_OFF_ALERT_POINTS points above, compared exactly on the counts.
 */
export function cartToCheckoutAlert(current: FunnelCounts, baseline: FunnelCounts): DropOffAlert {
  const frac = (c: FunnelCounts) => {
    const step = c.steps[CART_TO_CHECKOUT_STEP];
    return step ? { dropped: BigInt(step.dropped_off), of: BigInt(step.dropped_off + step.entered) } : null;
  };
  const cur = frac(current);
  const base = frac(baseline);
  const known = cur && base && cur.of > 0n && base.of > 0n;
  // cur.d/cur.of − base.d/base.of > 5/100  ⇔  100·(cur.d·base.of − base.d·cur.of) > 5·cur.of·base.of
  const diff = known ? cur.dropped * base.of - base.dropped * cur.of : 0n;
  const denom = known ? cur.of * base.of : 1n;
  const points = known ? exactSigned(diff * 100n, denom, 2) : null;
  return {
    drop_off: cur && cur.of > 0n ? exactRatio(Number(cur.dropped), Number(cur.of)) : null,
    baseline: base && base.of > 0n ? exactRatio(Number(base.dropped), Number(base.of)) : null,
    points_above_baseline: points,
    flagged: Boolean(known && 100n * diff > BigInt(DROP_OFF_ALERT_POINTS) * denom),
  };
}

function exactSigned(n: bigint, d: bigint, decimals: number): string {
  const negative = n < 0n;
  const text = exactRatio(Number(negative ? -n : n), Number(d), decimals) ?? '0';
  return negative ? `-${text}` : text;
}

export interface StandardFunnelSnapshot {
  from: number;
  to: number;
  totals: FunnelCounts;
  baseline: { from: number; to: number; totals: FunnelCounts };
  alert: DropOffAlert;
}

const HOUR = 3_600_000;

/**
 * The standard funnel over the 24 h before `now` (whole hours), and its baseline: the 7 days before
 * those 24 h. What the hourly job stores.
 */
export async function materialiseStandardFunnel(warehouse: QueryRunner, now: number): Promise<StandardFunnelSnapshot> {
  const to = Math.floor(now / HOUR) * HOUR;
  const from = to - 24 * HOUR;
  const baselineRange = { from: from - 7 * 24 * HOUR, to: from };
  const current = await runFunnel(warehouse, STANDARD_FUNNEL, { from, to });
  const baseline = await runFunnel(warehouse, STANDARD_FUNNEL, baselineRange);
  return {
    from,
    to,
    totals: current.totals,
    baseline: { ...baselineRange, totals: baseline.totals },
    alert: cartToCheckoutAlert(current.totals, baseline.totals),
  };
}
