import { z } from 'zod';
import type { SqlDialect } from '../sql-dialect.js';
import { type QueryRunner, column, defineQuery, runQuery } from '../typed-query.js';

/**
 * The per-variant summaries an analysis needs, read from the warehouse with portable SQL (both
 * engines): exposed units, and what those units did AFTER their first exposure — orders (checkout
 * completion, AOV per currency), behaviour events (add to cart, bounce, errors) and payments
 * (failure rate). A unit seen in two variants is excluded and counted (`multi_variant_units`), as
 * GrowthBook does. Definitions: README.md in this folder.
 */

const params = z.object({ experimentId: z.string(), from: z.date(), to: z.date(), unitType: z.string() });
type Params = z.infer<typeof params>;

/** Which column of behaviour_events / orders holds the unit, by unit type; null: no metric beyond exposure counts. */
function unitColumns(unitType: string): { behaviour: string; orders: string } | null {
  if (unitType === 'session') return { behaviour: 'session_hash', orders: 'session_hash' };
  if (unitType === 'user' || unitType === 'customer') return { behaviour: 'user_hash', orders: 'customer_hash' };
  return null;
}

/** Units exposed in [from, to) to exactly one variant, with their first exposure. Parameters $1 experiment, $2 from, $3 to. */
function unitsCte(d: SqlDialect): string {
  return `units AS (
    SELECT unit_hash, min(variant) AS variant, min(event_time) AS exposed_at
    FROM experiment_exposures
    WHERE experiment_id = $1 AND event_time >= ${d.timestampParam(2)} AND event_time < ${d.timestampParam(3)} AND unit_hash IS NOT NULL
    GROUP BY unit_hash
    HAVING min(variant) = max(variant)
  )`;
}

const bind = (p: Params) => [p.experimentId, p.from, p.to];

const variantUnits = defineQuery({
  name: 'experiment_variant_units',
  params,
  row: z.object({ variant: column.text, units: column.integer }),
  sql: (d, p) => ({ sql: `WITH ${unitsCte(d)} SELECT variant, count(*) AS units FROM units GROUP BY variant`, params: bind(p) }),
});

const multiVariantUnits = defineQuery({
  name: 'experiment_multi_variant_units',
  params,
  row: z.object({ n: column.integer }),
  sql: (d, p) => ({
    sql: `SELECT count(*) AS n FROM (
      SELECT unit_hash FROM experiment_exposures
      WHERE experiment_id = $1 AND event_time >= ${d.timestampParam(2)} AND event_time < ${d.timestampParam(3)} AND unit_hash IS NOT NULL
      GROUP BY unit_hash HAVING min(variant) <> max(variant)) AS m`,
    params: bind(p),
  }),
});

/** AOV inputs per variant and currency: orders, their exact sum in minor units and the sample variance. */
const variantAov = defineQuery({
  name: 'experiment_variant_aov',
  params,
  row: z.object({
    variant: column.text,
    currency: column.text,
    orders: column.integer,
    sum_minor: column.integer,
    variance: column.nullableNumber,
  }),
  sql: (d, p) => {
    const c = unitColumns(p.unitType);
    return {
      sql: `WITH ${unitsCte(d)}
        SELECT u.variant AS variant, o.currency AS currency, count(*) AS orders, sum(o.total_minor)::BIGINT AS sum_minor,
               var_samp(o.total_minor) AS variance
        FROM units AS u JOIN orders AS o ON o.${c?.orders} = u.unit_hash
        WHERE o.placed_at >= u.exposed_at AND o.status <> 'cancelled' AND o.total_minor IS NOT NULL AND o.currency IS NOT NULL
        GROUP BY u.variant, o.currency`,
      params: bind(p),
    };
  },
});

/**
 * Everything but AOV in one statement (one pass over the units instead of six; BENCHMARKS.md
 * experiments:analysis): per unit, its behaviour after exposure (events, add-to-cart, error
 * events) and its orders after exposure (completed, payments, failed, technical failures), each
 * counted per variant and summed in one UNION ALL — no join of the per-unit rows back to every
 * unit. Error units are the distinct units of either kind of error.
 */
const variantMetrics = defineQuery({
  name: 'experiment_variant_metrics',
  params,
  row: z.object({
    variant: column.text,
    units: column.integer,
    converted_units: column.integer,
    cart_units: column.integer,
    engaged_units: column.integer,
    error_units: column.integer,
    payments: column.integer,
    failed: column.integer,
  }),
  sql: (d, p) => {
    const c = unitColumns(p.unitType);
    return {
      sql: `WITH ${unitsCte(d)},
        beh AS (
          SELECT u.variant AS variant, u.unit_hash AS unit_hash, count(*) AS events,
                 ${d.countIf("b.event_type = 'product.added_to_cart'")} AS carts,
                 ${d.countIf("b.event_type LIKE '%error%'")} AS errors
          FROM units AS u JOIN behaviour_events AS b ON b.${c?.behaviour} = u.unit_hash
          WHERE b.event_time >= u.exposed_at
          GROUP BY u.variant, u.unit_hash),
        ord AS (
          SELECT u.variant AS variant, u.unit_hash AS unit_hash,
                 ${d.countIf("o.status <> 'cancelled'")} AS completed,
                 ${d.countIf('pay.reference_number IS NOT NULL')} AS payments,
                 ${d.countIf("pay.status = 'failed'")} AS failed,
                 ${d.countIf("pay.status = 'failed' AND pay.failure_category IN ('issuer_unavailable', 'other')")} AS technical
          FROM units AS u JOIN orders AS o ON o.${c?.orders} = u.unit_hash
            LEFT JOIN payments AS pay ON pay.reference_number = o.reference_number
          WHERE o.placed_at >= u.exposed_at
          GROUP BY u.variant, u.unit_hash)
        SELECT variant, sum(units)::BIGINT AS units, sum(converted_units)::BIGINT AS converted_units, sum(cart_units)::BIGINT AS cart_units,
               sum(engaged_units)::BIGINT AS engaged_units, sum(error_units)::BIGINT AS error_units,
               sum(payments)::BIGINT AS payments, sum(failed)::BIGINT AS failed
        FROM (
          SELECT variant, count(*)::BIGINT AS units, 0::BIGINT AS converted_units, 0::BIGINT AS cart_units, 0::BIGINT AS engaged_units,
                 0::BIGINT AS error_units, 0::BIGINT AS payments, 0::BIGINT AS failed
          FROM units GROUP BY variant
          UNION ALL
          SELECT variant, 0::BIGINT, 0::BIGINT, (${d.countIf('carts > 0')})::BIGINT, (${d.countIf('events >= 2')})::BIGINT, 0::BIGINT, 0::BIGINT, 0::BIGINT
          FROM beh GROUP BY variant
          UNION ALL
          SELECT variant, 0::BIGINT, (${d.countIf('completed > 0')})::BIGINT, 0::BIGINT, 0::BIGINT, 0::BIGINT, sum(payments)::BIGINT, sum(failed)::BIGINT
          FROM ord GROUP BY variant
          UNION ALL
          SELECT variant, 0::BIGINT, 0::BIGINT, 0::BIGINT, 0::BIGINT, count(DISTINCT unit_hash)::BIGINT, 0::BIGINT, 0::BIGINT
          FROM (SELECT variant, unit_hash FROM beh WHERE errors > 0 UNION ALL SELECT variant, unit_hash FROM ord WHERE technical > 0) AS e
          GROUP BY variant
        ) AS parts
        GROUP BY variant`,
      params: bind(p),
    };
  },
});

export interface AovCell {
  currency: string;
  orders: number;
  sumMinor: number;
  variance: number | null;
}

export interface VariantSummary {
  variant: string;
  units: number;
  convertedUnits: number;
  cartUnits: number;
  /** Units with no more than one behaviour event after exposure. */
  bouncedUnits: number;
  /** Units with an error event or a technical payment failure after exposure. */
  errorUnits: number;
  payments: number;
  failedPayments: number;
  aov: AovCell[];
}

export interface ExperimentSummaries {
  variants: VariantSummary[];
  multiVariantUnits: number;
  /** False for unit types whose behaviour cannot be joined (device, merchant): only exposure counts. */
  metricsAvailable: boolean;
}

/** Reads every per-variant summary of one experiment over [from, to). Variants without exposures get zeros. */
export async function readExperimentSummaries(
  warehouse: QueryRunner,
  input: { experimentId: string; from: Date; to: Date; unitType: string; variants: readonly string[] },
): Promise<ExperimentSummaries> {
  const p: Params = { experimentId: input.experimentId, from: input.from, to: input.to, unitType: input.unitType };
  const metricsAvailable = unitColumns(input.unitType) !== null;
  const byVariant = new Map<string, VariantSummary>();
  const summaryOf = (variant: string): VariantSummary => {
    let s = byVariant.get(variant);
    if (!s) {
      s = { variant, units: 0, convertedUnits: 0, cartUnits: 0, bouncedUnits: 0, errorUnits: 0, payments: 0, failedPayments: 0, aov: [] };
      byVariant.set(variant, s);
    }
    return s;
  };
  for (const v of input.variants) summaryOf(v);
  const multi = await runQuery(warehouse, multiVariantUnits, p);
  if (metricsAvailable) {
    // One at a time: DuckDB runs a connection's statements in turn anyway, and ClickHouse is spared the burst.
    const metrics = await runQuery(warehouse, variantMetrics, p);
    const aov = await runQuery(warehouse, variantAov, p);
    for (const r of metrics) {
      const s = summaryOf(r.variant);
      s.units = r.units;
      s.convertedUnits = r.converted_units;
      s.cartUnits = r.cart_units;
      s.bouncedUnits = r.units - r.engaged_units;
      s.errorUnits = r.error_units;
      s.payments = r.payments;
      s.failedPayments = r.failed;
    }
    for (const r of aov)
      summaryOf(r.variant).aov.push({ currency: r.currency, orders: r.orders, sumMinor: r.sum_minor, variance: r.variance });
  } else {
    for (const r of await runQuery(warehouse, variantUnits, p)) summaryOf(r.variant).units = r.units;
  }
  for (const s of byVariant.values()) s.aov.sort((a, b) => a.currency.localeCompare(b.currency));
  return { variants: [...byVariant.values()], multiVariantUnits: multi[0]?.n ?? 0, metricsAvailable };
}
