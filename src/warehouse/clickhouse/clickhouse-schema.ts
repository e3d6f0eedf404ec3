import type { ClickHouseClient } from '@clickhouse/client';
import { GRAINS, ROLLUPS, type RollupName, TABLES, TABLE_NAMES, type TableName, rollupTable } from '../tables.js';
import { clickHouseType } from './clickhouse-values.js';

/**
 * The ClickHouse schema, from `tables.ts`: keyed tables are `ReplacingMergeTree(_version)` ordered
 * by their key (the newest version of a key wins; reads use FINAL; `_version` is MATERIALIZED so `SELECT *`
 * returns the columns of tables.ts alone, and inserts name it explicitly), append tables `MergeTree`,
 * rollups `SummingMergeTree` ordered by bucket and dimensions (reads `sum()` per group), plus the
 * write journal (`clickhouse-writes.ts`) and `warehouse_meta`. Every data table keeps the hashes
 * of its last inserted blocks (`non_replicated_deduplication_window`) so a journal replay that
 * repeats an insert with the same `insert_deduplication_token` is skipped.
 */

export const SCHEMA_VERSION = 4;

/** Blocks whose dedup token each table remembers: a replay only repeats the last unfinished batches. */
const DEDUP_WINDOW = 10_000;

/** Columns with few distinct values: stored as LowCardinality(String). */
const LOW_CARDINALITY = new Set([
  'currency',
  'status',
  'gateway',
  'payment_method',
  'payment_channel',
  'region',
  'country',
  'source',
  'event_type',
  'settlement_cycle',
  'failure_category',
  'settlement_status',
  'from_status',
  'to_status',
  'device_type',
  'os',
  'browser',
  'traffic_source',
  'traffic_medium',
  'customer_segment',
  'unit_type',
  'variant',
  'tax_type',
  'direction',
  'channel',
  'reason',
]);

export function isKeyed(table: TableName): boolean {
  return 'key' in TABLES[table];
}

function tableStatement(database: string, table: TableName): string {
  const def = TABLES[table];
  const key = 'key' in def ? (def.key as string) : null;
  const columns = Object.entries(def.columns).map(
    ([name, type]) => `\`${name}\` ${clickHouseType(type, { nullable: name !== key, lowCardinality: LOW_CARDINALITY.has(name) })}`,
  );
  const settings = `SETTINGS non_replicated_deduplication_window = ${DEDUP_WINDOW}, allow_nullable_key = 1`;
  if (key !== null) {
    return `CREATE TABLE IF NOT EXISTS ${database}.${table} (${columns.join(', ')}, _version UInt64 MATERIALIZED 0)
      ENGINE = ReplacingMergeTree(_version) ORDER BY ${key} ${settings}`;
  }
  const order = table === 'applied_events' ? `(${def.timeColumn}, event_id)` : def.timeColumn;
  return `CREATE TABLE IF NOT EXISTS ${database}.${table} (${columns.join(', ')}) ENGINE = MergeTree ORDER BY ${order} ${settings}`;
}

function rollupStatement(database: string, name: RollupName, grain: (typeof GRAINS)[number]): string {
  const rollup = ROLLUPS[name];
  const dims = rollup.dimensions.map((d) => `\`${d}\` LowCardinality(String)`);
  const measures = rollup.measures.map((m) => `\`${m}\` Int64`);
  return `CREATE TABLE IF NOT EXISTS ${database}.${rollupTable(name, grain)} (bucket DateTime64(3, 'UTC'), ${[...dims, ...measures].join(', ')})
    ENGINE = SummingMergeTree ORDER BY (bucket, ${rollup.dimensions.join(', ')})
    SETTINGS non_replicated_deduplication_window = ${DEDUP_WINDOW}`;
}

/**
 * Creates the database and every missing table; refuses a warehouse of a newer schema. Schema
 * changes after version 4 must add their own upgrade steps here (the DuckDB adapter's are for
 * files written before ClickHouse was supported).
 */
/**
 * For a reader (role `api` without `analytics`): the schema the writer created must be this
 * Payscope's version. A reader never creates or upgrades tables.
 */
export async function checkClickHouseSchema(client: ClickHouseClient, database: string): Promise<void> {
  const version = await schemaVersionOf(client, database).catch((error: unknown) => {
    throw new Error(
      `cannot read the ClickHouse warehouse ${database} (${error instanceof Error ? error.message.split('\n')[0] : String(error)}): start the process with role analytics once, which creates it`,
    );
  });
  if (version !== String(SCHEMA_VERSION)) {
    throw new Error(
      version === null
        ? `the ClickHouse warehouse ${database} has no schema yet: start the process with role analytics once, which creates it`
        : `the ClickHouse warehouse ${database} has schema version ${version}, this Payscope reads version ${SCHEMA_VERSION}; run the same Payscope version as the analytics process`,
    );
  }
}

async function schemaVersionOf(client: ClickHouseClient, database: string): Promise<string | null> {
  const found = await client.query({
    query: `SELECT value FROM ${database}.warehouse_meta FINAL WHERE key = 'schema_version'`,
    format: 'JSONEachRow',
  });
  const [row] = await found.json<{ value: string }>();
  return row?.value ?? null;
}

export async function createClickHouseSchema(client: ClickHouseClient, database: string): Promise<void> {
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${database}.warehouse_meta (key String, value String, version UInt64)
      ENGINE = ReplacingMergeTree(version) ORDER BY key`,
  });
  const version = await schemaVersionOf(client, database);
  if (version !== null && Number(version) > SCHEMA_VERSION) {
    throw new Error(`the warehouse has schema version ${version}, newer than this Payscope (${SCHEMA_VERSION}); upgrade Payscope`);
  }
  for (const table of TABLE_NAMES) await client.command({ query: tableStatement(database, table) });
  for (const name of Object.keys(ROLLUPS) as RollupName[]) {
    for (const grain of GRAINS) await client.command({ query: rollupStatement(database, name, grain) });
  }
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${database}.write_journal (batch UInt64, payload String, written_at DateTime64(3, 'UTC'))
      ENGINE = MergeTree ORDER BY batch`,
  });
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${database}.write_journal_done (batch UInt64, done_at DateTime64(3, 'UTC'))
      ENGINE = MergeTree ORDER BY batch`,
  });
  if (version !== String(SCHEMA_VERSION)) {
    await client.insert({
      table: `${database}.warehouse_meta`,
      values: [{ key: 'schema_version', value: String(SCHEMA_VERSION), version: Date.now() }],
      clickhouse_settings: { insert_deduplication_token: `schema:${Date.now()}` },
      format: 'JSONEachRow',
    });
  }
}
