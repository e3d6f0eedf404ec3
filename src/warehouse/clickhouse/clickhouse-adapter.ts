import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from '../../core/logger.js';
import { exportDailyParquet } from '../parquet-export.js';
import type { ExportRequest, ExportResult, Warehouse } from '../warehouse-port.js';
import { createClickHousePaymentReads } from './clickhouse-payment-reads.js';
import { clickHouseDialect } from './clickhouse-dialect.js';
import { createClickHouseSandbox } from './clickhouse-sandbox.js';
import { checkClickHouseSchema, createClickHouseSchema } from './clickhouse-schema.js';
import { bindParameters, decodeRows } from './clickhouse-values.js';
import { type ClickHouseWriter, type CommitStep, createClickHouseWriter } from './clickhouse-writes.js';

export interface ClickHouseWarehouseOptions {
  /**
   * An already-built client whose default database is `database` (`createClickHouseClient` builds
   * one from a URL): analytics name tables without their database.
   */
  client: ClickHouseClient;
  database: string;
  logger: Logger;
  /** The one directory the Parquet export may write to (`payscope export --out`); absent, it writes none. */
  exportDir?: string;
  /**
   * A reader in a process without the analytics consumer (role `api` against a ClickHouse server):
   * checks the schema the writer created instead of creating it, replays no journal, and refuses
   * `transaction`. Several readers and one writer may share a server.
   */
  readOnly?: boolean;
  /** Tests stop a commit between its steps with a throw here (a crash), then reopen. */
  onCommitStep?: (step: CommitStep, detail: { batch: number; table?: string; chunk?: number }) => void;
  /** Finished batches whose journal rows are kept (`ClickHouseWriterOptions.journalRetainBatches`). */
  journalRetainBatches?: number;
}

/**
 * Settings that make ClickHouse read portable SQL as DuckDB does: FINAL on every table of the
 * query (the newest row per key, the summed rollup cells); `sum(x) AS x … HAVING sum(x)` names
 * the column, not the alias (ClickHouse's aliases are otherwise visible everywhere and the HAVING
 * would nest aggregates); `NULL::VARCHAR` stays NULL instead of failing.
 */
const PORTABLE_READ_SETTINGS = { final: 1, prefer_column_name_to_alias: 1, cast_keep_nullable: 1 } as const;

/**
 * The ClickHouse warehouse (issue 11 §2) over the official `@clickhouse/client` — a server over
 * HTTP or chDB in this process. Writes go through the journal of `clickhouse-writes.ts` (atomic
 * and exact without transactions); every read runs with `final = 1`, so a keyed table shows the
 * newest version of each key and rollups their summed cells. Unfinished journalled batches are
 * replayed before the warehouse is returned.
 */
export async function openClickHouseWarehouse(options: ClickHouseWarehouseOptions): Promise<Warehouse> {
  const { client, database, logger } = options;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database)) throw new Error(`bad ClickHouse database name ${database}`);
  // The read-only SQL API: its views over the base tables, judged and run per clickhouse-sandbox.ts.
  const sandbox = createClickHouseSandbox({ client, database });
  let writer: ClickHouseWriter | null = null;
  if (options.readOnly) {
    await checkClickHouseSchema(client, database);
    logger.info({ warehouse: 'clickhouse', database, access: 'read-only' }, 'warehouse opened');
  } else {
    await createClickHouseSchema(client, database);
    await sandbox.createViews();
    writer = await createClickHouseWriter({
      client,
      database,
      logger,
      ...(options.onCommitStep ? { onCommitStep: options.onCommitStep } : {}),
      ...(options.journalRetainBatches ? { journalRetainBatches: options.journalRetainBatches } : {}),
    });
    const replayed = await writer.recover();
    logger.info({ warehouse: 'clickhouse', database, replayed_batches: replayed }, 'warehouse opened');
  }

  let closed = false;
  const query = async <R = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<R[]> => {
    if (closed) throw new Error('the warehouse is closed');
    const bound = bindParameters(sql, params);
    const result = await client.query({
      query: bound.sql,
      query_params: bound.params,
      format: 'JSON',
      clickhouse_settings: PORTABLE_READ_SETTINGS,
    });
    const body = await result.json<Record<string, unknown>>();
    return decodeRows(body.meta ?? [], body.data) as R[];
  };
  const exportDir = options.exportDir === undefined ? null : `${resolve(options.exportDir)}/`;

  return {
    engine: 'clickhouse',
    dialect: clickHouseDialect,
    writable: writer !== null,
    sandboxTableFunctions: sandbox.sandboxTableFunctions,
    checkSandboxSql: (sql) => sandbox.checkSandboxSql(sql),
    sandboxQuery: (request) => sandbox.sandboxQuery(request),
    transaction: (fn) => {
      if (closed) return Promise.reject(new Error('the warehouse is closed'));
      if (writer === null) {
        return Promise.reject(
          new Error('this process reads the warehouse only (opened read-only); writes belong to the process with role analytics'),
        );
      }
      return writer.transaction(fn);
    },
    query,
    ...createClickHousePaymentReads((sql, params) => query(sql, params)),
    exportParquet: async (request) => {
      if (exportDir === null || !`${resolve(request.dir)}/`.startsWith(exportDir)) {
        throw new Error(
          `this warehouse may not write to ${request.dir}: open it with exportDir set to that directory (payscope export --out does)`,
        );
      }
      return exportParquet(client, database, request);
    },
    async close() {
      if (closed) return;
      closed = true;
      // Let a commit in flight finish; a journalled batch that failed is finished by the next open.
      await writer?.idle();
      await client.close();
    },
  };
}

/**
 * The same Hive layout as DuckDB's export (`DIR/<table>/date=YYYY-MM-DD/part-0.parquet`), written
 * from `SELECT … FORMAT Parquet` streamed to the file; keyed tables read FINAL.
 */
function exportParquet(client: ClickHouseClient, database: string, request: ExportRequest): Promise<ExportResult> {
  return exportDailyParquet(request, {
    async countByDay(table, time, from, to) {
      const result = await client.query({
        query: `SELECT formatDateTime(${time}, '%Y-%m-%d', 'UTC') AS d, count() AS n FROM ${database}.${table}
                WHERE ${time} >= toDateTime64({from:String}, 3, 'UTC') AND ${time} < addDays(toDateTime64({to:String}, 3, 'UTC'), 1) GROUP BY d`,
        query_params: { from: `${from} 00:00:00`, to: `${to} 00:00:00` },
        format: 'JSONEachRow',
        clickhouse_settings: { final: 1 },
      });
      return new Map((await result.json<{ d: string; n: string }>()).map((r) => [r.d, Number(r.n)]));
    },
    async writeDay(table, time, day, path) {
      const out = await client.exec({
        query: `SELECT * FROM ${database}.${table} WHERE ${time} >= toDateTime64({day:String}, 3, 'UTC') AND ${time} < addDays(toDateTime64({day:String}, 3, 'UTC'), 1)
                ORDER BY ${time} FORMAT Parquet`,
        query_params: { day: `${day} 00:00:00` },
        clickhouse_settings: { final: 1, output_format_parquet_compression_method: 'zstd' },
      });
      const file = createWriteStream(path);
      await pipeline(out.stream, file);
      if (!file.closed) await once(file, 'close');
    },
  });
}
