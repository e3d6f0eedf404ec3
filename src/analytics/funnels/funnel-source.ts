import { COLLECTED_STATUSES } from '../../contracts/index.js';
import type { SqlDialect } from '../../warehouse/sql-dialect.js';
import { FILTER_COLUMNS, type FunnelDefinition, type PropertyFilter, VIRTUAL_EVENTS } from './funnel-definition.js';

/**
 * The rows a funnel matches, as one SQL relation: behavioural events plus the virtual events the
 * purchase funnel needs (see README.md, "Steps and stored data"). Columns: `unit`, `t` (epoch ms),
 * `k` (the tie-break inside one millisecond: '' for a landing, the event id otherwise), `event_type`,
 * the filter columns and `properties` (JSON text).
 */

/** Collects `$n` parameters while SQL is being built. */
export class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** How far before `from` a session's first event is looked for (a landing before the range is not counted). */
export const LANDING_LOOKBACK_MS = 86_400_000;

const COLUMNS = [...FILTER_COLUMNS, 'properties'] as const;

/** Columns of a virtual row: given ones as written, the rest NULL. */
function virtualColumns(given: Partial<Record<(typeof COLUMNS)[number], string>>): string {
  return COLUMNS.map((c) => `${given[c] ?? 'NULL'} AS ${c}`).join(', ');
}

/** Payment statuses that confirm an order: authorised, or money collected (COLLECTED_STATUSES). */
export const CONFIRMED_STATUSES: readonly string[] = ['authorized', ...COLLECTED_STATUSES];

/**
 * Payments with the session and customer of their order: orders name their payment by
 * reference_number (the shop's order.placed), payments may name their order by order_id (gateway
 * webhooks); either link counts, once. Columns: the payment's (`reference_number`, `payment_time`,
 * `status`, `failure_category`, `failure_code`, `merchant_id`, `country`, `currency`, `amount_minor`),
 * `session_hash`, `customer_hash`.
 */
export function orderPaymentsSql(where: string): string {
  const cols =
    'p.reference_number, p.payment_time, p.status, p.failure_category, p.failure_code, p.merchant_id, p.country, p.currency, p.amount_minor, o.session_hash, o.customer_hash';
  return `SELECT ${cols} FROM payments p JOIN orders o ON o.reference_number = p.reference_number WHERE ${where}
    UNION ALL
    SELECT ${cols} FROM payments p JOIN orders o ON o.order_id = p.order_id
    WHERE (o.reference_number IS NULL OR o.reference_number <> p.reference_number) AND ${where}`;
}

export interface SourceRange {
  /** Step 0 must happen in [from, to); later steps until `to + conversion window`. */
  from: number;
  to: number;
}

/** The event types a definition reads (steps and exclusions). */
export function usedEventTypes(def: FunnelDefinition): Set<string> {
  return new Set([...def.steps.map((s) => s.event), ...def.exclusions.map((x) => x.event)]);
}

export function funnelSourceSql(d: SqlDialect, def: FunnelDefinition, range: SourceRange, p: Params): string {
  const end = range.to + def.conversion_window_ms;
  const used = usedEventTypes(def);
  const unit = def.unit === 'session' ? 'session_hash' : 'user_hash';
  const parts: string[] = [];
  const behaviourTypes = [...used].filter((t) => !(Object.values(VIRTUAL_EVENTS) as string[]).includes(t));
  // A strict funnel needs every event of the unit (any other event breaks the sequence).
  const typeFilter = def.mode === 'strict' ? '' : `AND event_type IN (${behaviourTypes.map((t) => p.add(t)).join(', ') || 'NULL'})`;
  if (def.mode === 'strict' || behaviourTypes.length > 0) {
    parts.push(`SELECT ${unit} AS unit, ${d.epochMs('event_time')} AS t, event_id AS k, event_type, ${COLUMNS.join(', ')}
      FROM behaviour_events
      WHERE event_time >= ${d.timestamp(range.from)} AND event_time < ${d.timestamp(end)} AND ${unit} IS NOT NULL ${typeFilter}`);
  }
  if (used.has(VIRTUAL_EVENTS.landing)) {
    const sessionUnit = def.unit === 'session' ? 'session_hash' : 'max(user_hash)';
    parts.push(`SELECT * FROM (
        SELECT ${sessionUnit} AS unit, min(${d.epochMs('event_time')}) AS t, '' AS k, '${VIRTUAL_EVENTS.landing}' AS event_type,
          ${virtualColumns({
            device_type: 'max(device_type)',
            traffic_source: 'max(traffic_source)',
            customer_segment: 'max(customer_segment)',
            country: 'max(country)',
          })}
        FROM behaviour_events
        WHERE session_hash IS NOT NULL AND event_time >= ${d.timestamp(range.from - LANDING_LOOKBACK_MS)} AND event_time < ${d.timestamp(end)}
        GROUP BY session_hash
      ) landed WHERE unit IS NOT NULL AND t >= ${range.from}`);
  }
  const orderUnit = def.unit === 'session' ? 'op.session_hash' : 'op.customer_hash';
  const paymentColumns = virtualColumns({
    merchant_id: 'op.merchant_id',
    country: 'op.country',
    currency: 'op.currency',
    amount_minor: 'op.amount_minor',
  });
  const paid = (where: string) => `(${orderPaymentsSql(where)}) op`;
  if (used.has(VIRTUAL_EVENTS.paymentInitiated)) {
    parts.push(`SELECT ${orderUnit} AS unit, ${d.epochMs('op.payment_time')} AS t, 'payment:' || op.reference_number AS k,
        '${VIRTUAL_EVENTS.paymentInitiated}' AS event_type, ${paymentColumns}
      FROM ${paid(`p.payment_time >= ${d.timestamp(range.from)} AND p.payment_time < ${d.timestamp(end)}`)}
      WHERE ${orderUnit} IS NOT NULL`);
  }
  if (used.has(VIRTUAL_EVENTS.orderConfirmed)) {
    parts.push(`SELECT ${orderUnit} AS unit, ${d.epochMs('h.at')} AS t, 'order:' || op.reference_number AS k,
        '${VIRTUAL_EVENTS.orderConfirmed}' AS event_type, ${paymentColumns}
      FROM (SELECT reference_number, min(event_time) AS at FROM payment_status_history
            WHERE status IN (${CONFIRMED_STATUSES.map((s) => `'${s}'`).join(', ')})
              AND event_time >= ${d.timestamp(range.from)} AND event_time < ${d.timestamp(end)}
            GROUP BY reference_number) h
      JOIN ${paid(`p.payment_time < ${d.timestamp(end)}`)} ON op.reference_number = h.reference_number
      WHERE ${orderUnit} IS NOT NULL`);
  }
  return parts.join('\nUNION ALL\n');
}

/** A boolean SQL condition: the row is `event` and passes every filter. */
export function matchSql(d: SqlDialect, event: string, filters: readonly PropertyFilter[], p: Params): string {
  const conds = [`event_type = ${p.add(event)}`, ...filters.map((f) => filterSql(d, f, p))];
  return conds.map((c) => `(${c})`).join(' AND ');
}

function filterSql(d: SqlDialect, f: PropertyFilter, p: Params): string {
  const expr = f.property.startsWith('properties.') ? d.jsonText('properties', f.property.slice('properties.'.length)) : f.property;
  const numeric = f.property === 'amount_minor';
  // Values compare as text except on numeric columns, so `"5"` and `5` mean the same on a text property.
  const v = (x: string | number) => (numeric ? p.add(typeof x === 'number' ? x : Number(x)) : p.add(String(x)));
  const list = (xs: (string | number)[]) => xs.map(v).join(', ');
  const one = (x: unknown) => x as string | number;
  switch (f.op) {
    case 'eq':
      return `${expr} = ${v(one(f.value))}`;
    case 'neq':
      return `${expr} IS NULL OR ${expr} <> ${v(one(f.value))}`;
    case 'in':
      return `${expr} IN (${list(f.value as (string | number)[])})`;
    case 'not_in':
      return `${expr} IS NULL OR ${expr} NOT IN (${list(f.value as (string | number)[])})`;
    case 'gt':
      return `${expr} > ${v(one(f.value))}`;
    case 'gte':
      return `${expr} >= ${v(one(f.value))}`;
    case 'lt':
      return `${expr} < ${v(one(f.value))}`;
    case 'lte':
      return `${expr} <= ${v(one(f.value))}`;
    case 'is_set':
      return `${expr} IS NOT NULL`;
    case 'is_not_set':
      return `${expr} IS NULL`;
  }
}
