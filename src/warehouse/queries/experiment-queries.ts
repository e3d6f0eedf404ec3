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
    HAVING count(DISTINCT variant) = 1
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
      GROUP BY unit_hash HAVING count(DISTINCT variant) > 1) AS m`,
    params: bind(p),
  }),
});

/** Completed checkouts: units with an order placed after exposure and not cancelled. */
const variantOrders = defineQuery({
  name: 'experiment_variant_orders',
  params,
  row: z.object({ variant: column.text, converted_units: column.integer }),
  sql: (d, p) => {
    const c = unitColumns(p.unitType);
    return {
      sql: `WITH ${unitsCte(d)}
        SELECT u.variant AS variant, count(DISTINCT u.unit_hash) AS converted_units
        FROM units AS u JOIN orders AS o ON o.${c?.orders} = u.unit_hash
        WHERE o.placed_at >= u.exposed_at AND o.status <> 'cancelled'
        GROUP BY u.variant`,
      params: bind(p),
    };
  },
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

/** Behaviour after exposure: units that added to cart, units with ≥ 2 events (not bounced), units with an error event. */
const variantBehaviour = defineQuery({
  name: 'experiment_variant_behaviour',
  params,
  row: z.object({ variant: column.text, cart_units: column.integer, engaged_units: column.integer, error_event_units: column.integer }),
  sql: (d, p) => {
    const c = unitColumns(p.unitType);
    return {
      sql: `WITH ${unitsCte(d)}, per_unit AS (
          SELECT u.variant AS variant, u.unit_hash AS unit_hash, count(*) AS events,
                 ${d.countIf("b.event_type = 'product.added_to_cart'")} AS carts,
                 ${d.countIf("b.event_type LIKE '%error%'")} AS errors
          FROM units AS u JOIN behaviour_events AS b ON b.${c?.behaviour} = u.unit_hash
          WHERE b.event_time >= u.exposed_at
          GROUP BY u.variant, u.unit_hash)
        SELECT variant, ${d.countIf('carts > 0')} AS cart_units, ${d.countIf('events >= 2')} AS engaged_units,
               ${d.countIf('errors > 0')} AS error_event_units
        FROM per_unit GROUP BY variant`,
      params: bind(p),
    };
  },
});

/** Payments of the units' orders after exposure: attempts, failures, and units with a technical failure. */
const variantPayments = defineQuery({
  name: 'experiment_variant_payments',
  params,
  row: z.object({ variant: column.text, payments: column.integer, failed: column.integer }),
  sql: (d, p) => {
    const c = unitColumns(p.unitType);
    return {
      sql: `WITH ${unitsCte(d)}
        SELECT u.variant AS variant, count(*) AS payments, ${d.countIf("pay.status = 'failed'")} AS failed
        FROM units AS u JOIN orders AS o ON o.${c?.orders} = u.unit_hash
          JOIN payments AS pay ON pay.reference_number = o.reference_number
        WHERE o.placed_at >= u.exposed_at
        GROUP BY u.variant`,
      params: bind(p),
    };
  },
});

/** Units whose orders had a technical payment failure (issuer unavailable or other): the payment side of the error rate. */
const variantPaymentErrorUnits = defineQuery({
  name: 'experiment_variant_payment_error_units',
  params,
  row: z.object({ variant: column.text, unit_hash: column.text }),
  sql: (d, p) => {
    const c = unitColumns(p.unitType);
    return {
      sql: `WITH ${unitsCte(d)}
        SELECT DISTINCT u.variant AS variant, u.unit_hash AS unit_hash
        FROM units AS u JOIN orders AS o ON o.${c?.orders} = u.unit_hash
          JOIN payments AS pay ON pay.reference_number = o.reference_number
        WHERE o.placed_at >= u.exposed_at AND pay.status = 'failed' AND pay.failure_category IN ('issuer_unavailable', 'other')`,
      params: bind(p),
    };
  },
});

/** Units that saw an error event after exposure (joined with the payment errors in TypeScript, deduplicated by unit). */
const variantErrorEventUnits = defineQuery({
  name: 'experiment_variant_error_event_units',
  params,
  row: z.object({ variant: column.text, unit_hash: column.text }),
  sql: (d, p) => {
    const c = unitColumns(p.unitType);
    return {
      sql: `WITH ${unitsCte(d)}
        SELECT DISTINCT u.variant AS variant, u.unit_hash AS unit_hash
        FROM units AS u JOIN behaviour_events AS b ON b.${c?.behaviour} = u.unit_hash
        WHERE b.event_time >= u.exposed_at AND b.event_type LIKE '%error%'`,
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
  const [units, multi] = await Promise.all([runQuery(warehouse, variantUnits, p), runQuery(warehouse, multiVariantUnits, p)]);
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
  for (const r of units) summaryOf(r.variant).units = r.units;
  if (metricsAvailable) {
    // One at a time: DuckDB runs a connection's statements in turn anyway, and ClickHouse is spared the burst.
    const orders = await runQuery(warehouse, variantOrders, p);
    const aov = await runQuery(warehouse, variantAov, p);
    const behaviour = await runQuery(warehouse, variantBehaviour, p);
    const payments = await runQuery(warehouse, variantPayments, p);
    const paymentErrors = await runQuery(warehouse, variantPaymentErrorUnits, p);
    const eventErrors = await runQuery(warehouse, variantErrorEventUnits, p);
    for (const r of orders) summaryOf(r.variant).convertedUnits = r.converted_units;
    for (const r of aov)
      summaryOf(r.variant).aov.push({ currency: r.currency, orders: r.orders, sumMinor: r.sum_minor, variance: r.variance });
    for (const r of behaviour) {
      const s = summaryOf(r.variant);
      s.cartUnits = r.cart_units;
      s.bouncedUnits = -r.engaged_units; // completed below, once every variant's units are known
    }
    for (const r of payments) {
      const s = summaryOf(r.variant);
      s.payments = r.payments;
      s.failedPayments = r.failed;
    }
    const errorUnits = new Map<string, Set<string>>();
    for (const r of [...paymentErrors, ...eventErrors]) {
      const set = errorUnits.get(r.variant) ?? new Set<string>();
      set.add(r.unit_hash);
      errorUnits.set(r.variant, set);
    }
    for (const [variant, set] of errorUnits) summaryOf(variant).errorUnits = set.size;
    for (const s of byVariant.values()) s.bouncedUnits = s.units + s.bouncedUnits;
  }
  for (const s of byVariant.values()) s.aov.sort((a, b) => a.currency.localeCompare(b.currency));
  return { variants: [...byVariant.values()], multiVariantUnits: multi[0]?.n ?? 0, metricsAvailable };
}
