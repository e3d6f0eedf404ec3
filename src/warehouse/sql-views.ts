import { EVENT_CONTRACTS } from '../contracts/registry.js';
import { GRAINS, ROLLUPS, type RollupName, TABLES, type TableName, rollupTable } from './tables.js';

/**
 * The documented views of the read-only SQL API (`POST /api/v1/sql`): the only relations a query
 * may name. Each exists twice, with the same name and columns: in schema `sql_full` (admins) and
 * in `sql_masked`, where every personal column (`*_hash`, a keyed HMAC of an identifier) reads
 * NULL and every JSON column lacks the fields the data contracts list as personal (`piiFields`:
 * `email`, `phone`, `referral_code` in `properties`…). The sandbox points a connection at one of the two schemas; the guard refuses any schema
 * qualifier, so a caller cannot reach the other one — or a base table.
 */

export const SQL_VIEW_SCHEMAS = { full: 'sql_full', masked: 'sql_masked' } as const;
export type SqlViewSchema = (typeof SQL_VIEW_SCHEMAS)[keyof typeof SQL_VIEW_SCHEMAS];

export interface SqlViewDef {
  name: string;
  description: string;
  /** The relation it reads, in schema `main`. */
  source: string;
  columns: { name: string; type: string; personal: boolean }[];
}

const FACT_VIEWS: Record<string, TableName> = {
  v_payments: 'payments',
  v_payment_status_history: 'payment_status_history',
  v_refunds: 'refunds',
  v_disputes: 'disputes',
  v_settlements: 'settlements',
  v_orders: 'orders',
  v_behaviour_events: 'behaviour_events',
  v_experiment_exposures: 'experiment_exposures',
  v_escrow_releases: 'escrow_releases',
  v_tax_lines: 'tax_lines',
  v_merchants: 'merchants',
};

const ROLLUP_VIEW_PREFIX: Record<RollupName, string> = {
  payments: 'v_payment_rollup',
  refunds: 'v_refund_rollup',
  disputes: 'v_dispute_rollup',
};

const isPersonal = (column: string) => column.endsWith('_hash');

/** Every view of the SQL API, in catalogue order. */
export const SQL_VIEWS: readonly SqlViewDef[] = [
  ...Object.entries(FACT_VIEWS).map(([name, table]) => ({
    name,
    description: TABLES[table].description,
    source: table,
    columns: Object.entries(TABLES[table].columns).map(([c, t]) => ({ name: c, type: t, personal: isPersonal(c) })),
  })),
  ...(Object.keys(ROLLUPS) as RollupName[]).flatMap((rollup) =>
    GRAINS.map((grain) => ({
      name: `${ROLLUP_VIEW_PREFIX[rollup]}_${grain}`,
      description: `${ROLLUPS[rollup].description} One row per UTC ${grain} (bucket = its start) and dimension values; '(unknown)' where a dimension is not known.`,
      source: rollupTable(rollup, grain),
      columns: [
        { name: 'bucket', type: 'TIMESTAMP', personal: false },
        ...ROLLUPS[rollup].dimensions.map((d) => ({ name: d, type: 'VARCHAR', personal: false })),
        ...ROLLUPS[rollup].measures.map((m) => ({ name: m, type: 'BIGINT', personal: false })),
      ],
    })),
  ),
];

export const SQL_VIEW_NAMES: ReadonlySet<string> = new Set(SQL_VIEWS.map((v) => v.name));

/**
 * Every field some event contract lists as personal, as dotted paths into the event's data. A JSON
 * column (`behaviour_events.properties`) holds the rest of an event's data, so these paths apply
 * to it unchanged; the contracts promise they never cross an array.
 */
export const PERSONAL_JSON_PATHS: readonly string[] = [...new Set(EVENT_CONTRACTS.flatMap((c) => c.piiFields))].sort();

/**
 * A SQL expression: `column` without the personal fields (RFC 7396 merge patch with nulls). A
 * nested path is patched only where its parent object exists, so no empty parent appears.
 * @example maskedJson('properties') // json_merge_patch(properties, '{"email":null,…}') …
 */
export function maskedJson(column: string): string {
  const literal = (patch: unknown) => `'${JSON.stringify(patch).replaceAll("'", "''")}'`;
  const topLevel = PERSONAL_JSON_PATHS.filter((p) => !p.includes('.'));
  let expression = `json_merge_patch(${column}, ${literal(Object.fromEntries(topLevel.map((k) => [k, null])))})`;
  const byParent = new Map<string, string[]>();
  for (const path of PERSONAL_JSON_PATHS.filter((p) => p.includes('.'))) {
    const parent = path.slice(0, path.lastIndexOf('.'));
    byParent.set(parent, [...(byParent.get(parent) ?? []), path.slice(path.lastIndexOf('.') + 1)]);
  }
  for (const [parent, keys] of byParent) {
    const patch = parent
      .split('.')
      .reduceRight<unknown>((inner, key) => ({ [key]: inner }), Object.fromEntries(keys.map((k) => [k, null])));
    const jsonPath = `$.${parent
      .split('.')
      .map((k) => `"${k}"`)
      .join('.')}`;
    expression = `CASE WHEN json_type(${expression}, '${jsonPath}') = 'OBJECT' THEN json_merge_patch(${expression}, ${literal(patch)}) ELSE ${expression} END`;
  }
  return `CAST(${expression} AS JSON)`;
}

/** The DDL that (re)creates both schemas of views; idempotent, run when the warehouse opens. */
export function sqlViewStatements(): string[] {
  const statements: string[] = [];
  for (const schema of Object.values(SQL_VIEW_SCHEMAS)) {
    statements.push(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    for (const view of SQL_VIEWS) {
      const select = view.columns
        .map((c) => {
          if (schema !== SQL_VIEW_SCHEMAS.masked) return c.name;
          if (c.personal) return `CAST(NULL AS VARCHAR) AS ${c.name}`;
          return c.type === 'JSON' ? `${maskedJson(c.name)} AS ${c.name}` : c.name;
        })
        .join(', ');
      statements.push(`CREATE OR REPLACE VIEW ${schema}.${view.name} AS SELECT ${select} FROM main.${view.source}`);
    }
  }
  return statements;
}
