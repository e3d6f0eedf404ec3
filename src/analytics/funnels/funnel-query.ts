import { z } from 'zod';
import { type QueryRunner, column, defineQuery, runQuery } from '../../warehouse/typed-query.js';
import { divideHalfEven, formatDecimal } from '../decimal.js';
import { type FunnelBreakdown, type FunnelDefinition, funnelDefinitionSchema } from './funnel-definition.js';
import { funnelSql } from './funnel-sql.js';

/** Fixed precision of ratios (fractions 0…1, as decimal text) and of mean times (ms). */
export const RATIO_DECIMALS = 4;
export const MEAN_MS_DECIMALS = 1;

export interface FunnelStepResult {
  index: number;
  label: string;
  event: string;
  /** Units that reached this step. */
  entered: number;
  /** Units that went on to the next step (the last step: those that completed the funnel). */
  converted: number;
  /** entered / entered of the previous step, as a fraction with RATIO_DECIMALS decimals (half-even); null when nothing entered before. */
  conversion_from_previous: string | null;
  conversion_from_first: string | null;
  /** Units that reached the previous step but not this one (0 for the first step). */
  dropped_off: number;
  drop_off_rate: string | null;
  /** Time from the previous step, over the units that reached this one (ordered and strict funnels; null otherwise). */
  median_time_to_convert_ms: number | null;
  mean_time_to_convert_ms: string | null;
}

export interface FunnelCounts {
  units: number;
  steps: FunnelStepResult[];
}

export interface FunnelBreakdownRow extends FunnelCounts {
  /** The breakdown value; null: the unit's matched events carry none. */
  value: string | null;
}

/** `n / d` as a fraction with `decimals` decimals, half-even; null when d is 0. */
export function exactRatio(n: number, d: number, decimals = RATIO_DECIMALS): string | null {
  if (d === 0) return null;
  return formatDecimal(divideHalfEven(BigInt(n) * 10n ** BigInt(decimals), BigInt(d)), decimals);
}

function signedDecimal(n: bigint, d: bigint, decimals: number): string {
  const units = divideHalfEven(n * 10n ** BigInt(decimals), d);
  return units < 0n ? `-${formatDecimal(-units, decimals)}` : formatDecimal(units, decimals);
}

function rowSchema(def: FunnelDefinition) {
  const shape: Record<string, z.ZodType> = { bd: column.nullableText, units: column.integer };
  def.steps.forEach((_, i) => {
    shape[`entered_${i}`] = column.integer;
    if (i > 0 && def.mode !== 'any_order') {
      shape[`sum_ms_${i}`] = column.integer;
      shape[`median_ms_${i}`] = column.nullableNumber;
    }
  });
  return z.object(shape).passthrough() as unknown as z.ZodType<Record<string, unknown>>;
}

const rangeParams = z.object({ from: z.number().int(), to: z.number().int() });

/** Builds the step results from one row of the funnel SQL. */
export function stepsOf(def: FunnelDefinition, row: Record<string, unknown>): FunnelStepResult[] {
  const entered = def.steps.map((_, i) => row[`entered_${i}`] as number);
  const first = entered[0] ?? 0;
  return def.steps.map((s, i) => {
    const here = entered[i] ?? 0;
    const prev = i === 0 ? here : (entered[i - 1] ?? 0);
    const timed = i > 0 && def.mode !== 'any_order' && here > 0;
    return {
      index: i,
      label: s.label ?? s.event,
      event: s.event,
      entered: here,
      converted: i + 1 < entered.length ? (entered[i + 1] ?? 0) : here,
      conversion_from_previous: exactRatio(here, prev),
      conversion_from_first: exactRatio(here, first),
      dropped_off: prev - here,
      drop_off_rate: exactRatio(prev - here, prev),
      median_time_to_convert_ms: timed ? (row[`median_ms_${i}`] as number | null) : null,
      mean_time_to_convert_ms: timed ? signedDecimal(BigInt(row[`sum_ms_${i}`] as number), BigInt(here), MEAN_MS_DECIMALS) : null,
    };
  });
}

/** An empty funnel (no unit entered): every count 0, every ratio null. */
function emptyRow(def: FunnelDefinition): Record<string, unknown> {
  return Object.fromEntries(def.steps.flatMap((_, i) => [[`entered_${i}`, 0]]));
}

/**
 * The funnel over [from, to) (step 0 in the range, later steps until to + conversion window), as
 * totals and, with `breakdown`, per value of the breakdown.
 */
export async function runFunnel(
  warehouse: QueryRunner,
  definition: FunnelDefinition,
  range: { from: number; to: number },
  breakdown?: FunnelBreakdown,
): Promise<{ totals: FunnelCounts; breakdown: FunnelBreakdownRow[] | null }> {
  const def = funnelDefinitionSchema.parse(definition);
  const query = (by: FunnelBreakdown | undefined) =>
    defineQuery({
      name: by ? `funnel_by_${by}` : 'funnel',
      params: rangeParams,
      row: rowSchema(def),
      sql: (d, p) => funnelSql(d, def, { ...p, breakdown: by }),
    });
  const [total] = await runQuery(warehouse, query(undefined), range);
  const totals = { units: (total?.units as number | undefined) ?? 0, steps: stepsOf(def, total ?? emptyRow(def)) };
  if (!breakdown) return { totals, breakdown: null };
  const rows = await runQuery(warehouse, query(breakdown), range);
  const byValue = rows
    .map((r) => ({ value: r.bd as string | null, units: r.units as number, steps: stepsOf(def, r) }))
    .sort((a, b) => b.units - a.units || String(a.value).localeCompare(String(b.value)));
  return { totals, breakdown: byValue };
}
