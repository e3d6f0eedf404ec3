import { GRAINS, ROLLUPS, type RollupName, TABLES, type TableName, rollupTable } from './tables.js';

/**
 * The documented views of the read-only SQL API (`POST /api/v1/sql`): the only relations a query
 * may name. Each exists twice, with the same name and columns: in schema `sql_full` (admins) and
 * in `sql_masked`, where every personal column (`*_hash`, a keyed HMAC of an identifier) reads
 * NULL. The sandbox points a connection at one of the two schemas; the guard refuses any schema
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

/** The DDL that (re)creates both schemas of views; idempotent, run when the warehouse opens. */
export function sqlViewStatements(): string[] {
  const statements: string[] = [];
  for (const schema of Object.values(SQL_VIEW_SCHEMAS)) {
    statements.push(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    for (const view of SQL_VIEWS) {
      const select = view.columns
        .map((c) => (c.personal && schema === SQL_VIEW_SCHEMAS.masked ? `CAST(NULL AS VARCHAR) AS ${c.name}` : c.name))
        .join(', ');
      statements.push(`CREATE OR REPLACE VIEW ${schema}.${view.name} AS SELECT ${select} FROM main.${view.source}`);
    }
  }
  return statements;
}
