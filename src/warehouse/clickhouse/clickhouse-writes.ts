import { gunzipSync, gzipSync } from 'node:zlib';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from '../../core/logger.js';
import {
  type AppendTable,
  GRAINS,
  type Grain,
  type KeyedTable,
  ROLLUPS,
  type RollupDelta,
  type RollupName,
  TABLES,
  type TableName,
  rollupTable,
} from '../tables.js';
import type { WarehouseTx } from '../warehouse-port.js';
import { clickHouseTime, decodeRows, encodeRow } from './clickhouse-values.js';

/**
 * Atomic, exact writes without transactions. ClickHouse has no multi-table transaction, so a
 * `transaction(fn)` buffers its writes (reads inside it see them) and commits in four steps:
 *
 * 1. the batch number: one more than any journalled batch (one writer: held in memory);
 * 2. ONE row into `write_journal` holding the whole write set as gzipped JSON — a single-row insert is
 *    atomic, so from here the batch will be applied in full;
 * 3. each table's rows, in chunks, each insert with `insert_deduplication_token = batch:table:chunk`
 *    (tables keep the tokens of their last blocks, so repeating an insert is skipped); keyed rows
 *    carry `_version = batch` (ReplacingMergeTree keeps the newest), rollup deltas go to
 *    SummingMergeTree tables;
 * 4. one row into `write_journal_done`.
 *
 * On open, and before the next transaction after a failed commit, every journalled batch without
 * a done row is replayed (step 3 again, then 4): a crash leaves either nothing (before 2) or a
 * batch that is completed before anything else is read or written.
 */

/** Rows per insert: a chunk's token must name the same rows when a replay repeats it. */
const CHUNK_ROWS = 20_000;

export type CommitStep = 'journaled' | 'chunk-written' | 'done';

export interface ClickHouseWriterOptions {
  client: ClickHouseClient;
  database: string;
  logger: Logger;
  /** Tests inject a failure here (a throw) to stop a commit between steps, as a crash would. */
  onCommitStep?: (step: CommitStep, detail: { batch: number; table?: string; chunk?: number }) => void;
  /**
   * Finished batches whose journal rows are kept (default 1,000): every that many batches, the
   * rows of batches older than that are deleted. Done rows stay (they carry the batch numbers).
   */
  journalRetainBatches?: number;
}

/** The write set as journalled: rows already in ClickHouse's JSONEachRow form, per table in insert order. */
interface JournalPayload {
  inserts: { table: string; rows: Record<string, unknown>[] }[];
}

export interface ClickHouseWriter {
  transaction<T>(fn: (tx: WarehouseTx) => Promise<T>): Promise<T>;
  /** Completes every journalled batch that has no done row (idempotent). */
  recover(): Promise<number>;
  /** Resolves when no commit is running (for close: an unfinished batch is left to the next open). */
  idle(): Promise<void>;
}

/** Most values bound in one array parameter: 1,000 ids of ~40 bytes stay far below the server's 128 KiB field limit. */
const PARAMETER_SLICE = 1_000;

/** Finished batches whose journal rows are kept by default. */
const JOURNAL_RETAIN_BATCHES = 1_000;

export async function createClickHouseWriter(options: ClickHouseWriterOptions): Promise<ClickHouseWriter> {
  const { client, database, logger } = options;
  const retain = options.journalRetainBatches ?? JOURNAL_RETAIN_BATCHES;
  if (!Number.isSafeInteger(retain) || retain < 1) throw new Error(`journalRetainBatches must be a positive integer, got ${retain}`);
  const q = (table: string) => `${database}.${table}`;

  const read = async (query: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>[]> => {
    const result = await client.query({ query, query_params: params, format: 'JSON', clickhouse_settings: { final: 0 } });
    const body = await result.json<Record<string, unknown>>();
    return decodeRows(body.meta ?? [], body.data);
  };

  const [last] = await read(
    `SELECT greatest((SELECT max(batch) FROM ${q('write_journal')}), (SELECT max(batch) FROM ${q('write_journal_done')})) AS batch`,
  );
  let lastBatch = Number(last?.batch ?? 0);
  let needsRecovery = true;

  // Columns named: a keyed table's MATERIALIZED _version is written only when listed.
  const insert = (table: string, rows: Record<string, unknown>[], token: string) =>
    client.insert({
      table: q(table),
      values: rows,
      columns: Object.keys(rows[0] ?? {}) as [string, ...string[]],
      format: 'JSONEachRow',
      clickhouse_settings: { insert_deduplication_token: token, insert_deduplicate: 1, insert_allow_materialized_columns: 1 },
    });

  const apply = async (batch: number, payload: JournalPayload) => {
    for (const { table, rows } of payload.inserts) {
      for (let chunk = 0; chunk * CHUNK_ROWS < rows.length; chunk++) {
        await insert(table, rows.slice(chunk * CHUNK_ROWS, (chunk + 1) * CHUNK_ROWS), `${batch}:${table}:${chunk}`);
        options.onCommitStep?.('chunk-written', { batch, table, chunk });
      }
    }
    await insert('write_journal_done', [{ batch, done_at: clickHouseTime(Date.now()) }], `done:${batch}`);
    options.onCommitStep?.('done', { batch });
  };

  const recover = async (): Promise<number> => {
    const pending = await read(
      `SELECT batch, payload FROM ${q('write_journal')}
       WHERE batch NOT IN (SELECT batch FROM ${q('write_journal_done')}) ORDER BY batch`,
    );
    for (const row of pending) {
      const batch = Number(row.batch);
      logger.warn({ warehouse: 'clickhouse', batch }, 'replaying a journalled warehouse batch that did not finish');
      await apply(batch, JSON.parse(gunzipSync(Buffer.from(row.payload as string, 'base64')).toString('utf8')) as JournalPayload);
    }
    needsRecovery = false;
    return pending.length;
  };

  /**
   * Deletes the journal rows of batches up to `upTo`. Safe: a transaction starts only after every
   * earlier batch is done (recover runs first), so all of them have their done row. A failure only
   * leaves the rows for the next prune.
   */
  const pruneJournal = async (upTo: number) => {
    if (upTo < 1) return;
    try {
      await client.command({
        query: `DELETE FROM ${q('write_journal')} WHERE batch <= {upTo:UInt64} AND batch IN (SELECT batch FROM ${q('write_journal_done')})`,
        query_params: { upTo },
      });
    } catch (error) {
      logger.warn({ warehouse: 'clickhouse', err: error, up_to_batch: upTo }, 'could not prune the write journal; the next prune retries');
    }
  };

  let queue: Promise<unknown> = Promise.resolve();
  const serialise = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };

  return {
    recover: () => serialise(recover),
    idle: () => serialise(async () => undefined),
    transaction: (fn) =>
      serialise(async () => {
        if (needsRecovery) await recover();
        const buffer = createBuffer();
        const result = await fn(bufferedTx(buffer, read, q));
        const payload = payloadOf(buffer, lastBatch + 1);
        if (payload.inserts.length === 0) return result;
        const batch = ++lastBatch;
        // Gzipped: the write set is as large as the batch's rows, and inserting text is what
        // costs in chDB (~2.5 MB/s of JSON measured on a busy machine); gzip makes it ~10× smaller.
        const journal = gzipSync(JSON.stringify(payload), { level: 1 }).toString('base64');
        await insert('write_journal', [{ batch, payload: journal, written_at: clickHouseTime(Date.now()) }], `journal:${batch}`);
        // From here the batch is committed: a failure below is finished by recover() before anything else runs.
        needsRecovery = true;
        options.onCommitStep?.('journaled', { batch });
        await apply(batch, payload);
        needsRecovery = false;
        if (batch % retain === 0) await pruneJournal(batch - retain);
        return result;
      }),
  };
}

// ── the buffered transaction ──────────────────────────────────────────────────────────────────────

interface Buffer {
  keyed: Map<KeyedTable, Map<string, Record<string, unknown>>>;
  appended: Map<AppendTable, Record<string, unknown>[]>;
  deltas: RollupDelta[];
}

function createBuffer(): Buffer {
  return { keyed: new Map(), appended: new Map(), deltas: [] };
}

const keyOf = (table: KeyedTable) => (TABLES[table] as { key: string }).key;

function bufferedTx(
  buffer: Buffer,
  read: (query: string, params?: Record<string, unknown>) => Promise<Record<string, unknown>[]>,
  q: (table: string) => string,
): WarehouseTx {
  const keyedRows = (table: KeyedTable) => {
    let rows = buffer.keyed.get(table);
    if (!rows) {
      rows = new Map();
      buffer.keyed.set(table, rows);
    }
    return rows;
  };
  /**
   * Reads `query` once per slice of `values`, bound as the parameter `name`: over HTTP the client
   * sends parameters as form fields, which the server caps (`http_max_field_value_size`, 128 KiB) —
   * 5,000 event ids in one field were refused.
   */
  const readInSlices = async <T>(values: readonly T[], read: (slice: readonly T[]) => Promise<Record<string, unknown>[]>) => {
    const rows: Record<string, unknown>[] = [];
    for (let i = 0; i < values.length; i += PARAMETER_SLICE) rows.push(...(await read(values.slice(i, i + PARAMETER_SLICE))));
    return rows;
  };

  const stored = async (table: KeyedTable, where: string, params: Record<string, unknown>) =>
    (await read(`SELECT * FROM ${q(table)} FINAL WHERE ${where}`, params)) as Record<string, unknown>[];

  const load = async (table: KeyedTable, keys: readonly string[]): Promise<Record<string, unknown>[]> => {
    if (keys.length === 0) return [];
    const key = keyOf(table);
    const wanted = [...new Set(keys)];
    const mine = keyedRows(table);
    const missing = wanted.filter((k) => !mine.has(k));
    const fromStore = await readInSlices(missing, (slice) => stored(table, `${key} IN {keys:Array(String)}`, { keys: slice }));
    const byKey = new Map(fromStore.map((r) => [r[key] as string, r]));
    for (const k of wanted) {
      const own = mine.get(k);
      if (own) byKey.set(k, { ...own });
    }
    return [...byKey.values()];
  };

  return {
    async findApplied(events) {
      if (events.length === 0) return new Set();
      const wanted = new Set(events.map((e) => `${e.id}\u0000${e.time.getTime()}`));
      const rows = await readInSlices(events, (slice) =>
        read(
          `SELECT event_id, event_time FROM ${q('applied_events')}
           WHERE event_time IN {times:Array(DateTime64(3, 'UTC'))} AND event_id IN {ids:Array(String)}`,
          { times: [...new Set(slice.map((e) => clickHouseTime(e.time)))], ids: [...new Set(slice.map((e) => e.id))] },
        ),
      );
      const applied = new Set<string>();
      const mark = (id: unknown, time: unknown) => {
        if (id !== null && time instanceof Date && wanted.has(`${String(id)}\u0000${time.getTime()}`)) applied.add(String(id));
      };
      for (const r of rows) mark(r.event_id, r.event_time);
      for (const r of buffer.appended.get('applied_events') ?? []) mark(r.event_id, r.event_time);
      return applied;
    },
    load: (table, keys) => load(table, keys) as never,
    async replace(table, rows) {
      const key = keyOf(table);
      const mine = keyedRows(table);
      for (const row of rows as readonly Record<string, unknown>[]) mine.set(row[key] as string, { ...row });
    },
    async append(table, rows) {
      if (rows.length === 0) return;
      const list = buffer.appended.get(table) ?? [];
      for (const row of rows as readonly Record<string, unknown>[]) list.push({ ...row });
      buffer.appended.set(table, list);
    },
    async backfillMerchants(merchantIds) {
      if (merchantIds.length === 0) return { payments_updated: 0, settlements_updated: 0 };
      const ids = [...new Set(merchantIds)];
      const merchants = new Map((await load('merchants', ids)).map((m) => [m.merchant_id as string, m]));
      const rowsOf = async (table: 'payments' | 'settlements') => {
        const key = keyOf(table);
        const found = new Map(
          (await stored(table, 'merchant_id IN {ids:Array(String)}', { ids })).map((r) => [r[key] as string, r] as const),
        );
        // Rows this transaction wrote win over the stored ones, including a merchant changed away.
        for (const [k, own] of keyedRows(table)) {
          if (ids.includes(own.merchant_id as string)) found.set(k, { ...own });
          else found.delete(k);
        }
        return [...found.values()].filter((r) => merchants.has(r.merchant_id as string));
      };
      const payments = await rowsOf('payments');
      for (const p of payments) {
        const m = merchants.get(p.merchant_id as string) as Record<string, unknown>;
        keyedRows('payments').set(p.reference_number as string, { ...p, merchant_name: m.name, settlement_cycle: m.settlement_cycle });
      }
      const settlements = await rowsOf('settlements');
      for (const s of settlements) {
        const m = merchants.get(s.merchant_id as string) as Record<string, unknown>;
        keyedRows('settlements').set(s.batch_id as string, {
          ...s,
          merchant_name: m.name,
          settlement_cycle: s.settlement_cycle ?? m.settlement_cycle,
        });
      }
      return { payments_updated: payments.length, settlements_updated: settlements.length };
    },
    async addToRollups(deltas) {
      buffer.deltas.push(...deltas);
    },
  };
}

function payloadOf(buffer: Buffer, batch: number): JournalPayload {
  const inserts: JournalPayload['inserts'] = [];
  for (const [table, rows] of buffer.keyed) {
    if (rows.size === 0) continue;
    const columns = TABLES[table].columns;
    inserts.push({ table, rows: [...rows.values()].map((r) => ({ ...encodeRow(columns, r, table), _version: batch })) });
  }
  for (const [table, rows] of buffer.appended) {
    if (rows.length === 0) continue;
    const columns = TABLES[table as TableName].columns;
    inserts.push({ table, rows: rows.map((r) => encodeRow(columns, r, table)) });
  }
  for (const name of Object.keys(ROLLUPS) as RollupName[]) {
    const mine = buffer.deltas.filter((d) => d.rollup === name);
    if (mine.length === 0) continue;
    for (const grain of GRAINS) {
      const rows = rollupCells(name, grain, mine);
      if (rows.length > 0) inserts.push({ table: rollupTable(name, grain), rows });
    }
  }
  return { inserts };
}

/** Deltas summed per cell of one grain; a cell whose sums are all zero changes nothing and is left out. */
function rollupCells(name: RollupName, grain: Grain, deltas: readonly RollupDelta[]): Record<string, unknown>[] {
  const rollup = ROLLUPS[name];
  const dims = rollup.dimensions as readonly string[];
  const measures = rollup.measures as readonly string[];
  const cells = new Map<string, Record<string, unknown>>();
  for (const d of deltas) {
    const bucket = clickHouseTime(bucketOf(d.time, grain));
    const values = dims.map((k) => (d.dimensions as Record<string, string>)[k] as string);
    const id = `${bucket}\u0000${values.join('\u0000')}`;
    let cell = cells.get(id);
    if (!cell) {
      cell = { bucket };
      for (const [i, k] of dims.entries()) cell[k] = values[i];
      for (const m of measures) cell[m] = 0;
      cells.set(id, cell);
    }
    for (const m of measures) {
      const add = (d.measures as Record<string, number>)[m] ?? 0;
      if (!Number.isSafeInteger(add)) throw new Error(`rollup ${name}.${m}: ${add} is not a safe integer`);
      cell[m] = (cell[m] as number) + add;
    }
  }
  return [...cells.values()].filter((c) => measures.some((m) => c[m] !== 0));
}

const GRAIN_MS: Readonly<Record<Grain, number>> = { minute: 60_000, quarter_hour: 900_000, hour: 3_600_000, day: 86_400_000 };

function bucketOf(time: Date, grain: Grain): Date {
  const ms = time.getTime();
  const size = GRAIN_MS[grain];
  return new Date(ms - (((ms % size) + size) % size));
}
