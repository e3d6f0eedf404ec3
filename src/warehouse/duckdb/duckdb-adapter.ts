import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { type DuckDBAppender, type DuckDBConnection, DuckDBInstance, DuckDBTimestampValue } from '@duckdb/node-api';
import type { Logger } from '../../core/logger.js';
import {
  type ColumnType,
  GRAINS,
  type Grain,
  ROLLUPS,
  type RollupDelta,
  type RollupName,
  TABLES,
  TABLE_NAMES,
  type TableName,
  UNKNOWN,
  rollupTable,
} from '../tables.js';
import { COLLECTED_STATUSES } from '../../contracts/payment-lifecycle.js';
import { exportDailyParquet } from '../parquet-export.js';
import { SQL_VIEW_NAMES, sqlViewStatements } from '../sql-views.js';
import type { ExportRequest, ExportResult, SandboxQuery, SandboxResult, Warehouse, WarehouseTx } from '../warehouse-port.js';
import { duckDbDialect, timestampText } from './duckdb-dialect.js';
import { createDuckDbPaymentReads } from './duckdb-payment-reads.js';
import { ALLOWED_TABLE_FUNCTIONS, checkSerializedSql } from './sql-guard.js';

/**
 * The DuckDB warehouse: one `DuckDBInstance` per file per process (two instances on one file
 * silently diverge — PLATFORM-NOTES), one connection for the single writer, a fresh connection per
 * read. Rows go in through Appenders inside the writer's transaction; rollups are upserted with
 * `INSERT … ON CONFLICT DO UPDATE` from a pre-aggregated temp table.
 */

export interface DuckDbWarehouseOptions {
  /** The database file, or `:memory:`. */
  path: string;
  logger: Logger;
  /** DuckDB memory limit, e.g. `2GB`; DuckDB's default (80 % of RAM) when absent. */
  memoryLimit?: string;
  /**
   * The one directory this instance may write (and read) files in: the Parquet export's output
   * (`payscope export --out`). Absent — the server — the instance can touch no file besides its
   * own database, and no network (docs/adr/0007-sql-sandbox.md).
   */
  exportDir?: string;
}

/**
 * 2: quarter-hour rollups (filled from the minute rollups when first created) and fx_rates.
 * 3: failure_category on payments and payment_status_history, and as a payments rollup dimension.
 * 4: the payment lifecycle (issue 10): authorized/captured/refunded/disputed amounts and
 *    ledger_version on payments; from/to status, applied and version on payment_status_history;
 *    authorized_payments, captured_minor and refunded_minor in the payments rollups.
 */
const SCHEMA_VERSION = 4;

const COLLECTED_SQL = COLLECTED_STATUSES.map((s) => `'${s}'`).join(', ');

/**
 * The value a rollup dimension added later takes in rows written before it existed: the value
 * `paymentContribution` gives such a payment, so a later update subtracts from the same cell.
 */
const ADDED_DIMENSION_BACKFILL: Readonly<Record<string, string>> = {
  failure_category: `CASE WHEN status = 'failed' THEN '${UNKNOWN}' ELSE '' END`,
};

/**
 * The same for a rollup measure added later, from the old cell's status and sums: what
 * `paymentContribution` gives the payments as `PAYMENT_AMOUNTS_BACKFILL` fills them in.
 */
const ADDED_MEASURE_BACKFILL: Readonly<Record<string, string>> = {
  authorized_payments: `CASE WHEN status IN ('authorized', ${COLLECTED_SQL}) THEN payments ELSE 0 END`,
  captured_minor: `CASE WHEN status IN (${COLLECTED_SQL}) THEN amount_minor ELSE 0 END`,
  refunded_minor: '0',
};

/**
 * Payments stored before version 4 had one amount: a collected payment captured (and authorised)
 * it, an authorised one authorised it; nothing was refunded or disputed through the ledger yet.
 */
const PAYMENT_AMOUNTS_BACKFILL = `UPDATE payments SET
  authorized_minor = CASE WHEN status IN ('authorized', ${COLLECTED_SQL}) THEN amount_minor END,
  captured_minor = CASE WHEN status IN (${COLLECTED_SQL}) THEN amount_minor END,
  refunded_minor = 0, disputed_minor = 0,
  ledger_version = CASE WHEN in_ledger THEN 1 END
  WHERE refunded_minor IS NULL`;
const open = new Set<string>();

/**
 * Opens the file's one instance for this process. A second open of the same file while the first
 * is open is refused: two instances on one file silently diverge (PLATFORM-NOTES).
 */
async function openInstance(path: string, options: Record<string, string>): Promise<{ instance: DuckDBInstance; release(): void }> {
  const key = path === ':memory:' ? null : resolve(path);
  if (key !== null && open.has(key)) throw new Error(`the warehouse ${path} is already open in this process; share that Warehouse`);
  if (key !== null) open.add(key);
  try {
    const instance = await DuckDBInstance.create(path, options);
    return {
      instance,
      release() {
        instance.closeSync();
        if (key !== null) open.delete(key);
      },
    };
  } catch (error) {
    if (key !== null) open.delete(key);
    throw error;
  }
}

export async function openDuckDbWarehouse(options: DuckDbWarehouseOptions): Promise<Warehouse> {
  const { path, logger } = options;
  const config: Record<string, string> = { autoinstall_known_extensions: 'false' };
  if (path !== ':memory:') {
    mkdirSync(dirname(resolve(path)), { recursive: true });
    // Never write to ~/.duckdb: extensions (none are downloaded here) live beside the file.
    config.extension_directory = join(dirname(resolve(path)), 'duckdb_extensions');
  }
  if (options.memoryLimit) config.memory_limit = options.memoryLimit;
  let opened: Awaited<ReturnType<typeof openInstance>>;
  try {
    opened = await openInstance(path, config);
  } catch (error) {
    const message = (error as Error).message;
    if (/lock/i.test(message)) {
      throw new Error(
        `the warehouse ${path} is open in another process (${message.split('\n')[0]}); one process at a time owns it — stop the other one, or ask it over the API`,
      );
    }
    throw error;
  }
  const { instance } = opened;
  const exportDir = options.exportDir === undefined ? null : `${resolve(options.exportDir)}/`;
  const writer = await instance.connect();
  try {
    await lockDown(writer, exportDir);
    await createSchema(writer);
  } catch (error) {
    writer.closeSync();
    opened.release();
    throw error;
  }
  logger.info({ warehouse: 'duckdb', path }, 'warehouse opened');

  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;
  const serialise = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };

  const read = async <R>(sql: string, params: readonly unknown[] = []): Promise<R[]> => {
    const connection = await instance.connect();
    try {
      const reader = await connection.runAndReadAll(sql, params.length > 0 ? (params.map(toDuckDbParam) as never) : undefined);
      return reader.getRowObjectsJS().map(toJsRow) as R[];
    } finally {
      connection.closeSync();
    }
  };
  // The relations the catalog holds, so the guard can tell a view from a base table (cached a minute).
  let relations: { at: number; names: Set<string> } | null = null;
  const catalogRelations = async (): Promise<Set<string>> => {
    if (relations && Date.now() - relations.at < 60_000) return relations.names;
    const rows = await read<{ name: string }>(
      'SELECT lower(table_name) AS name FROM duckdb_tables() UNION SELECT lower(view_name) FROM duckdb_views()',
    );
    relations = { at: Date.now(), names: new Set(rows.map((r) => r.name)) };
    return relations.names;
  };

  return {
    engine: 'duckdb',
    writable: true,
    dialect: duckDbDialect,
    sandboxTableFunctions: [...ALLOWED_TABLE_FUNCTIONS],
    async checkSandboxSql(sql) {
      const [serialized] = await read<{ tree: string }>('SELECT json_serialize_sql($1::VARCHAR) AS tree', [sql]);
      return checkSerializedSql(serialized?.tree ?? '', SQL_VIEW_NAMES, await catalogRelations());
    },
    transaction: (fn) =>
      serialise(async () => {
        if (closed) throw new Error('the warehouse is closed');
        await writer.run('BEGIN TRANSACTION');
        try {
          const result = await fn(transactionOn(writer));
          await writer.run('COMMIT');
          return result;
        } catch (error) {
          await writer.run('ROLLBACK').catch(() => undefined);
          throw error;
        }
      }),
    query: read,
    ...createDuckDbPaymentReads(instance, toJsRow),
    sandboxQuery: (request) => sandboxQuery(instance, request),
    exportParquet: async (request) => {
      if (exportDir === null || !`${resolve(request.dir)}/`.startsWith(exportDir)) {
        throw new Error(
          `this warehouse may not write to ${request.dir}: open it with exportDir set to that directory (payscope export --out does)`,
        );
      }
      return exportParquet(instance, request);
    },
    async close() {
      if (closed) return;
      await serialise(async () => {
        closed = true;
        await writer.run('CHECKPOINT').catch(() => undefined);
        writer.closeSync();
        opened.release();
      });
    },
  };
}

/**
 * Takes file and network access away from the whole instance, before anything else runs on it:
 * no `read_*`, `glob`, `COPY`, `ATTACH`, `INSTALL`/`LOAD`, or URL — except under `exportDir` — and
 * no later `SET` can give it back (`lock_configuration`; `enable_external_access` is one-way
 * anyway). DuckDB still reads and writes its own database, WAL and temp spill files. This is what
 * holds when the SQL guard misses something (docs/adr/0007-sql-sandbox.md).
 */
async function lockDown(db: DuckDBConnection, exportDir: string | null): Promise<void> {
  if (exportDir !== null) await db.run(`SET allowed_directories = ['${exportDir.replaceAll("'", "''")}']`);
  await db.run('SET enable_external_access = false');
  await db.run('SET lock_configuration = true');
}

// ── schema ────────────────────────────────────────────────────────────────────────────────────────

const DIMENSION_TYPE = 'VARCHAR';

async function createSchema(db: DuckDBConnection): Promise<void> {
  await db.run('CREATE TABLE IF NOT EXISTS warehouse_meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)');
  const found = (await db.runAndReadAll(`SELECT value FROM warehouse_meta WHERE key = 'schema_version'`)).getRowsJS()[0]?.[0];
  if (found !== undefined && Number(found) > SCHEMA_VERSION) {
    throw new Error(`the warehouse has schema version ${found}, newer than this Payscope (${SCHEMA_VERSION}); upgrade Payscope`);
  }
  const existing = new Set(
    (await db.runAndReadAll(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'`))
      .getRowsJS()
      .map((r) => String(r[0])),
  );
  const columnsOf = async (table: string) =>
    new Set(
      (await db.runAndReadAll(`SELECT column_name FROM information_schema.columns WHERE table_schema = 'main' AND table_name = '${table}'`))
        .getRowsJS()
        .map((r) => String(r[0])),
    );
  for (const name of TABLE_NAMES) {
    const columns = Object.entries(TABLES[name].columns).map(([c, t]) => `${c} ${t}`);
    await db.run(`CREATE TABLE IF NOT EXISTS ${name} (${columns.join(', ')})`);
    // A column added to tables.ts since this warehouse was created (nullable: old rows read NULL).
    if (existing.has(name)) {
      const have = await columnsOf(name);
      for (const [c, t] of Object.entries(TABLES[name].columns)) if (!have.has(c)) await db.run(`ALTER TABLE ${name} ADD COLUMN ${c} ${t}`);
      await keepColumnOrder(db, name);
    }
  }
  if (existing.has('payments') && found !== undefined && Number(found) < 4) await db.run(PAYMENT_AMOUNTS_BACKFILL);
  // A dimension or measure added to a rollup: the table is rebuilt (a dimension changes its primary
  // key) with the backfill value (ADDED_DIMENSION_BACKFILL, ADDED_MEASURE_BACKFILL) in the old rows.
  for (const [name, rollup] of Object.entries(ROLLUPS)) {
    for (const grain of GRAINS) {
      const table = rollupTable(name as RollupName, grain);
      if (!existing.has(table)) continue;
      const have = await columnsOf(table);
      const missing = rollup.dimensions.filter((d) => !have.has(d));
      const missingMeasures = (rollup.measures as readonly string[]).filter((m) => !have.has(m));
      if (missing.length === 0 && missingMeasures.length === 0) continue;
      const unknownBackfill = [
        ...missing.filter((d) => !ADDED_DIMENSION_BACKFILL[d]),
        ...missingMeasures.filter((m) => !ADDED_MEASURE_BACKFILL[m]),
      ];
      if (unknownBackfill.length > 0)
        throw new Error(`rollup ${table} lacks ${unknownBackfill.join(', ')} and no backfill is declared for it`);
      await db.run(`ALTER TABLE ${table} RENAME TO ${table}_old`);
      existing.delete(table);
      const dims = rollup.dimensions.map((d) => `${d} ${DIMENSION_TYPE} NOT NULL`);
      const measures = rollup.measures.map((m) => `${m} BIGINT NOT NULL`);
      await db.run(
        `CREATE TABLE ${table} (bucket TIMESTAMP NOT NULL, ${[...dims, ...measures].join(', ')}, PRIMARY KEY (bucket, ${rollup.dimensions.join(', ')}))`,
      );
      const select = rollup.dimensions.map((d) => (have.has(d) ? d : `${ADDED_DIMENSION_BACKFILL[d]} AS ${d}`));
      const sums = (rollup.measures as readonly string[]).map((m) => `sum(${have.has(m) ? m : ADDED_MEASURE_BACKFILL[m]})::BIGINT`);
      await db.run(`INSERT INTO ${table} SELECT bucket, ${select.join(', ')}, ${sums.join(', ')} FROM ${table}_old GROUP BY ALL`);
      await db.run(`DROP TABLE ${table}_old`);
      existing.add(table);
    }
  }
  for (const [name, rollup] of Object.entries(ROLLUPS)) {
    for (const grain of GRAINS) {
      const dims = rollup.dimensions.map((d) => `${d} ${DIMENSION_TYPE} NOT NULL`);
      const measures = rollup.measures.map((m) => `${m} BIGINT NOT NULL`);
      await db.run(
        `CREATE TABLE IF NOT EXISTS ${rollupTable(name as RollupName, grain)} (bucket TIMESTAMP NOT NULL, ${[...dims, ...measures].join(', ')},
         PRIMARY KEY (bucket, ${rollup.dimensions.join(', ')}))`,
      );
    }
    // A grain added to an existing warehouse starts from the minute rollup, which every coarser grain divides.
    for (const grain of GRAINS) {
      const table = rollupTable(name as RollupName, grain);
      if (grain === 'minute' || existing.has(table) || !existing.has(rollupTable(name as RollupName, 'minute'))) continue;
      await db.run(
        `INSERT INTO ${table} SELECT time_bucket(INTERVAL ${GRAIN_MS[grain] / 60_000} MINUTE, bucket) AS bucket, ${rollup.dimensions.join(', ')},
         ${rollup.measures.map((m) => `sum(${m})::BIGINT`).join(', ')} FROM ${rollupTable(name as RollupName, 'minute')} GROUP BY ALL`,
      );
    }
  }
  // The read-only SQL API's views (sql-views.ts); re-created on every open so they follow the tables.
  for (const statement of sqlViewStatements()) await db.run(statement);
  await db.run(`INSERT OR REPLACE INTO warehouse_meta VALUES ('schema_version', '${SCHEMA_VERSION}')`);
}

/**
 * ALTER TABLE ADD COLUMN puts a column last, but Appenders write columns by position in the order
 * of tables.ts: a table whose columns are in another order is rebuilt in that order.
 */
async function keepColumnOrder(db: DuckDBConnection, name: TableName): Promise<void> {
  const wanted = Object.keys(TABLES[name].columns);
  const have = (
    await db.runAndReadAll(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = 'main' AND table_name = '${name}' ORDER BY ordinal_position`,
    )
  )
    .getRowsJS()
    .map((r) => String(r[0]));
  if (have.join(',') === wanted.join(',')) return;
  const columns = Object.entries(TABLES[name].columns).map(([c, t]) => `${c} ${t}`);
  await db.run(`CREATE TABLE ${name}_reordered (${columns.join(', ')})`);
  await db.run(`INSERT INTO ${name}_reordered SELECT ${wanted.join(', ')} FROM ${name}`);
  await db.run(`DROP TABLE ${name}`);
  await db.run(`ALTER TABLE ${name}_reordered RENAME TO ${name}`);
}

// ── writes ────────────────────────────────────────────────────────────────────────────────────────

function transactionOn(db: DuckDBConnection): WarehouseTx {
  return {
    async findApplied(events) {
      if (events.length === 0) return new Set();
      await db.run('CREATE OR REPLACE TEMP TABLE probe_events (event_id VARCHAR, event_time TIMESTAMP)');
      await appendRows(db, { table: 'probe_events', temp: true }, { event_id: 'VARCHAR', event_time: 'TIMESTAMP' }, events, (e) => [
        e.id,
        e.time,
      ]);
      // A duplicate carries its original's time, so only applied rows within the batch's hours
      // can match; listing those hours lets DuckDB skip every other row group by its min/max.
      const hours = [...new Set(events.map((e) => Math.floor(e.time.getTime() / 3_600_000)))];
      const ranges = hours
        .map((h) => `(a.event_time >= '${timestampText(h * 3_600_000)}' AND a.event_time < '${timestampText((h + 1) * 3_600_000)}')`)
        .join(' OR ');
      const rows = (
        await db.runAndReadAll(
          `SELECT DISTINCT p.event_id FROM probe_events p
           SEMI JOIN (SELECT event_id, event_time FROM applied_events a WHERE ${ranges}) a
             ON a.event_id = p.event_id AND a.event_time = p.event_time`,
        )
      ).getRowsJS();
      return new Set(rows.map((r) => r[0] as string));
    },
    async load(table, keys) {
      if (keys.length === 0) return [];
      const key = (TABLES[table] as { key: string }).key;
      await loadKeys(db, keys);
      const reader = await db.runAndReadAll(`SELECT t.* FROM ${table} t SEMI JOIN probe_keys k ON t.${key} = k.k`);
      return reader.getRowObjectsJS().map(toJsRow) as never;
    },
    async replace(table, rows) {
      if (rows.length === 0) return;
      const key = (TABLES[table] as { key: string }).key;
      await loadKeys(
        db,
        rows.map((r) => (r as Record<string, unknown>)[key] as string),
      );
      await db.run(`DELETE FROM ${table} WHERE ${key} IN (SELECT k FROM probe_keys)`);
      await appendTable(db, table, rows as readonly Record<string, unknown>[]);
    },
    async append(table, rows) {
      await appendTable(db, table, rows as readonly Record<string, unknown>[]);
    },
    async backfillMerchants(merchantIds) {
      if (merchantIds.length === 0) return { payments_updated: 0, settlements_updated: 0 };
      await loadKeys(db, merchantIds);
      const changed = async (sql: string) => Number((await db.runAndReadAll(sql)).getRowsJS()[0]?.[0] ?? 0);
      return {
        payments_updated: await changed(
          `UPDATE payments p SET merchant_name = m.name, settlement_cycle = m.settlement_cycle FROM merchants m
           WHERE p.merchant_id = m.merchant_id AND m.merchant_id IN (SELECT k FROM probe_keys)`,
        ),
        settlements_updated: await changed(
          `UPDATE settlements s SET merchant_name = m.name, settlement_cycle = coalesce(s.settlement_cycle, m.settlement_cycle)
           FROM merchants m WHERE s.merchant_id = m.merchant_id AND m.merchant_id IN (SELECT k FROM probe_keys)`,
        ),
      };
    },
    async addToRollups(deltas) {
      for (const [name, rollup] of Object.entries(ROLLUPS) as [RollupName, (typeof ROLLUPS)[RollupName]][]) {
        const mine = deltas.filter((d) => d.rollup === name);
        if (mine.length === 0) continue;
        for (const grain of GRAINS) await upsertRollup(db, name, rollup, grain, mine);
      }
    },
  };
}

async function loadKeys(db: DuckDBConnection, keys: readonly string[]): Promise<void> {
  await db.run('CREATE OR REPLACE TEMP TABLE probe_keys (k VARCHAR)');
  await appendRows(db, { table: 'probe_keys', temp: true }, { k: 'VARCHAR' }, [...new Set(keys)], (k) => [k]);
}

async function upsertRollup(
  db: DuckDBConnection,
  name: RollupName,
  rollup: (typeof ROLLUPS)[RollupName],
  grain: Grain,
  deltas: readonly RollupDelta[],
): Promise<void> {
  const dims = rollup.dimensions as readonly string[];
  const measures = rollup.measures as readonly string[];
  // Pre-aggregate per cell: ON CONFLICT DO UPDATE may touch each row once per statement.
  const cells = new Map<string, { bucket: Date; dims: string[]; sums: number[] }>();
  for (const d of deltas) {
    const bucket = bucketOf(d.time, grain);
    const dimValues = dims.map((k) => (d.dimensions as Record<string, string>)[k] as string);
    const id = `${bucket.getTime()}\u0000${dimValues.join('\u0000')}`;
    let cell = cells.get(id);
    if (!cell) {
      cell = { bucket, dims: dimValues, sums: measures.map(() => 0) };
      cells.set(id, cell);
    }
    for (const [i, m] of measures.entries()) cell.sums[i] = (cell.sums[i] as number) + (d.measures as Record<string, number>)[m]!;
  }
  const staging = `rollup_delta_${name}`;
  const columns: Record<string, ColumnType> = { bucket: 'TIMESTAMP' };
  for (const d of dims) columns[d] = 'VARCHAR';
  for (const m of measures) columns[m] = 'BIGINT';
  await db.run(`CREATE OR REPLACE TEMP TABLE ${staging} (${Object.entries(columns).map(([c, t]) => `${c} ${t}`)})`);
  await appendRows(db, { table: staging, temp: true }, columns, [...cells.values()], (c) => [c.bucket, ...c.dims, ...c.sums]);
  const table = rollupTable(name, grain);
  await db.run(
    `INSERT INTO ${table} SELECT * FROM ${staging}
     ON CONFLICT (bucket, ${dims.join(', ')}) DO UPDATE SET ${measures.map((m) => `${m} = ${table}.${m} + EXCLUDED.${m}`).join(', ')}`,
  );
}

const GRAIN_MS: Readonly<Record<Grain, number>> = { minute: 60_000, quarter_hour: 900_000, hour: 3_600_000, day: 86_400_000 };

/** The UTC start of the grain's bucket holding `time`. */
export function bucketOf(time: Date, grain: Grain): Date {
  const ms = time.getTime();
  const size = GRAIN_MS[grain];
  return new Date(ms - (((ms % size) + size) % size));
}

async function appendTable(db: DuckDBConnection, table: TableName, rows: readonly Record<string, unknown>[]): Promise<void> {
  const columns = TABLES[table].columns as Record<string, ColumnType>;
  const names = Object.keys(columns);
  await appendRows(db, { table, temp: false }, columns, rows, (r) => names.map((n) => r[n]));
}

async function appendRows<T>(
  db: DuckDBConnection,
  target: { table: string; temp: boolean },
  columns: Record<string, ColumnType>,
  rows: readonly T[],
  valuesOf: (row: T) => unknown[],
): Promise<void> {
  if (rows.length === 0) return;
  const types = Object.values(columns);
  const names = Object.keys(columns);
  const appender = await db.createAppender(target.table, 'main', target.temp ? 'temp' : undefined);
  try {
    for (const row of rows) {
      const values = valuesOf(row);
      for (const [i, type] of types.entries()) appendValue(appender, type, values[i], target.table, names[i] as string);
      appender.endRow();
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}

function appendValue(appender: DuckDBAppender, type: ColumnType, value: unknown, table: string, column: string): void {
  if (value === null || value === undefined) {
    appender.appendNull();
    return;
  }
  switch (type) {
    case 'VARCHAR':
      appender.appendVarchar(String(value));
      break;
    case 'DATE':
      // Read back from DuckDB a DATE is a JS Date (UTC midnight); written, it is YYYY-MM-DD.
      appender.appendVarchar(value instanceof Date ? value.toISOString().slice(0, 10) : String(value));
      break;
    case 'JSON':
      appender.appendVarchar(typeof value === 'string' ? value : JSON.stringify(value));
      break;
    case 'BIGINT':
      if (!Number.isSafeInteger(value)) throw new Error(`${table}.${column}: ${String(value)} is not a safe integer`);
      appender.appendBigInt(BigInt(value as number));
      break;
    case 'INTEGER':
      appender.appendInteger(value as number);
      break;
    case 'BOOLEAN':
      appender.appendBoolean(value as boolean);
      break;
    case 'TIMESTAMP':
      appender.appendTimestamp(new DuckDBTimestampValue(BigInt((value as Date).getTime()) * 1000n));
      break;
  }
}

/** DuckDB's JS values made plain: BIGINT → number (throws beyond 2^53), DATE → `YYYY-MM-DD`. */
function toJsRow(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[k] = toJsValue(v, k);
  return out;
}

function toJsValue(v: unknown, column: string): unknown {
  if (typeof v === 'bigint') {
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new Error(`column ${column}: ${v} exceeds 2^53; cast it to VARCHAR in the query`);
    }
    return Number(v);
  }
  return v;
}

/**
 * A bound parameter as DuckDB takes it: the node API cannot bind a JS `Date` to an untyped `$n`, so
 * an instant goes in as its UTC `TIMESTAMP` text (`dialect.timestampParam` casts it back).
 */
function toDuckDbParam(v: unknown): unknown {
  return v instanceof Date ? timestampText(v.getTime()) : v;
}

// ── read-only SQL ─────────────────────────────────────────────────────────────────────────────────

const SCHEMA_NAME = /^[a-z_]+$/;
const ENGINE_REFUSAL =
  'SQL cannot read or write files, reach the network or change settings; select from the views of GET /api/v1/sql/views';

/** DuckDB has no statement timeout: a timer interrupts the connection instead. */
async function sandboxQuery(instance: DuckDBInstance, request: SandboxQuery): Promise<SandboxResult> {
  if (!SCHEMA_NAME.test(request.schema)) throw new Error(`bad sandbox schema ${request.schema}`);
  const connection = await instance.connect();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    connection.interrupt();
  }, request.timeoutMs);
  try {
    await connection.run(`SET search_path = '${request.schema}'`);
    const result = await connection.stream(request.sql, request.params.length > 0 ? (request.params as never) : undefined);
    const columns = result.columnNames().map((name, i) => ({ name, type: result.columnType(i).toString() }));
    const rows: unknown[][] = [];
    let truncated = false;
    for await (const chunk of result.yieldRowsJs()) {
      for (const row of chunk) {
        if (rows.length === request.maxRows) {
          truncated = true;
          break;
        }
        rows.push(row.map(toJsonSafe));
      }
      if (truncated || timedOut) break;
    }
    if (timedOut) return { ok: false, reason: 'timeout', message: `the query ran longer than ${request.timeoutMs} ms and was interrupted` };
    return { ok: true, columns, rows, truncated };
  } catch (error) {
    if (timedOut) return { ok: false, reason: 'timeout', message: `the query ran longer than ${request.timeoutMs} ms and was interrupted` };
    const message = (error as Error).message.split('\n')[0] ?? 'the query failed';
    // The engine's own refusal (lockDown): one message whatever the path, so it reveals nothing.
    if (/^Permission Error|disabled by configuration|configuration has been locked/i.test(message)) {
      return { ok: false, reason: 'not_allowed', message: ENGINE_REFUSAL };
    }
    return { ok: false, reason: 'invalid', message };
  } finally {
    clearTimeout(timer);
    connection.closeSync();
  }
}

function toJsonSafe(v: unknown): unknown {
  if (typeof v === 'bigint') return v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER) ? v.toString() : Number(v);
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (Array.isArray(v)) return v.map(toJsonSafe);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJsonSafe(x)]));
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return v;
}

// ── Parquet export ────────────────────────────────────────────────────────────────────────────────

async function exportParquet(instance: DuckDBInstance, request: ExportRequest): Promise<ExportResult> {
  const connection = await instance.connect();
  try {
    return await exportDailyParquet(request, {
      async countByDay(table, time, from, to) {
        const reader = await connection.runAndReadAll(
          `SELECT strftime(${time}, '%Y-%m-%d') AS d, count(*) AS n FROM ${table}
           WHERE ${time} >= $1::TIMESTAMP AND ${time} < $2::TIMESTAMP + INTERVAL 1 DAY GROUP BY 1`,
          [from, to],
        );
        return new Map(reader.getRowsJS().map((r) => [r[0] as string, Number(r[1])]));
      },
      async writeDay(table, time, day, path) {
        await connection.run(
          `COPY (SELECT * FROM ${table} WHERE ${time} >= '${day}'::TIMESTAMP AND ${time} < '${day}'::TIMESTAMP + INTERVAL 1 DAY
                 ORDER BY ${time}) TO '${path.replaceAll("'", "''")}' (FORMAT parquet, COMPRESSION zstd)`,
        );
      },
    });
  } finally {
    connection.closeSync();
  }
}
