/**
 * Both event logs for the shared suite in `test/log/`: `describeEachLog` runs a suite against
 * the embedded log on PGlite, the embedded log on PostgreSQL and the Kafka log (librdkafka's mock
 * cluster, a PostgreSQL outbox — PGlite when PostgreSQL is unavailable). Each `create()` gives a
 * fresh migrated store and, for Kafka, a topic of its own.
 *
 * Also: `appendEvents` writes outbox rows the way the recorder does (so tests can put several
 * events on one payment), and `collect` gathers what a consumer receives.
 *
 * @example
 * describeEachLog('the event log', (kind) => {
 *   it('delivers', async () => {
 *     const t = await kind.create();
 *     try { ... t.log ... t.db.store ... } finally { await t.close(); }
 *   });
 * });
 */
import { randomUUID } from 'node:crypto';
import { describe } from 'vitest';
import { createLogger, type Logger } from '../../src/core/logger.js';
import { createEmbeddedEventLog } from '../../src/log/embedded-log-adapter.js';
import type { BatchHandler, EventLog, EventLogConsumer, LogRecord } from '../../src/log/event-log-port.js';
import { createKafkaEventLog } from '../../src/log/kafka-log-adapter.js';
import { migrate } from '../../src/store/migrator.js';
import { createPgPool, createPostgresStore } from '../../src/store/postgres-adapter.js';
import type { SqlExecutor } from '../../src/store/store-port.js';
import { createTestKafka, kafkaBrokers, uniqueName } from './kafka.js';
import { createPostgresDatabase, type StoreKind, storeKinds, type TestStore } from './stores.js';

export const testLogger: Logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');

/**
 * A fresh, migrated store of `kind` for the log tests. PostgreSQL stores are built here rather
 * than by `kind.create()`: stores.ts closes a store with `pool.end()`, which resolves before the
 * idle connections have closed, then `DROP DATABASE … WITH (FORCE)`, which can terminate one of
 * them — and a pool without an 'error' listener turns that into an uncaught exception (seen about
 * every other run of these tests, which keep up to ten connections busy). Here the pool has a
 * listener and the database is left to the harness's teardown (it removes its own cluster, or
 * drops the run's `test_<run>_*` databases on a server of yours).
 */
export async function createLogTestStore(kind: StoreKind): Promise<TestStore> {
  if (kind.name === 'pglite') return kind.create();
  const url = await createPostgresDatabase();
  const pool = createPgPool(url, { min: 0, max: 10 });
  pool.on('error', () => {}); // a connection the server ended after the test: nothing to do
  const store = createPostgresStore(pool);
  const result = await migrate(store);
  if (!result.ok) {
    await pool.end();
    throw new Error(`migration ${result.failed.version} failed: ${result.error.message}`, { cause: result.error });
  }
  let closing: Promise<void> | undefined;
  return { name: 'postgres', store, location: url, close: () => (closing ??= pool.end()) };
}

export interface TestLog {
  name: string;
  db: TestStore;
  log: EventLog;
  /** Another EventLog over the same store / broker and topic, as a restarted process would build. */
  reopen(): EventLog;
  close(): Promise<void>;
}

export interface LogKind {
  name: string;
  kind: 'embedded' | 'kafka';
  available: boolean;
  reason: string;
  create(): Promise<TestLog>;
}

/** Test-sized settings: short polls, leases and backoff so nothing waits for production timeouts. */
export const TEST_RETRY = { baseDelayMs: 50, maxDelayMs: 500 };

export function embeddedLogFor(db: TestStore): EventLog {
  return createEmbeddedEventLog({ store: db.store, logger: testLogger, pollIntervalMs: 20, leaseTtlMs: 5000, retry: TEST_RETRY });
}

export function kafkaLogFor(brokers: string[], topic: string, batchSize = 50): EventLog {
  return createKafkaEventLog({
    kafka: createTestKafka(brokers),
    topic,
    batchSize,
    logger: testLogger,
    consumer: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 500, maxWaitTimeMs: 50, rebalanceTimeoutMs: 10_000 },
    retry: TEST_RETRY,
  });
}

export function logKinds(): LogKind[] {
  const stores = storeKinds();
  const pglite = stores.find((s) => s.name === 'pglite')!;
  const postgres = stores.find((s) => s.name === 'postgres')!;
  const brokers = kafkaBrokers();
  const embedded = (store: StoreKind): LogKind => ({
    name: `embedded on ${store.name}`,
    kind: 'embedded',
    available: store.available,
    reason: 'PostgreSQL unavailable',
    async create() {
      const db = await createLogTestStore(store);
      const opened: EventLog[] = [];
      const open = () => {
        const log = embeddedLogFor(db);
        opened.push(log);
        return log;
      };
      const log = open();
      return { name: this.name, db, log, reopen: open, close: () => closeAll(opened, db) };
    },
  });
  const kafkaStore = postgres.available ? postgres : pglite;
  return [
    embedded(pglite),
    embedded(postgres),
    {
      name: 'kafka',
      kind: 'kafka',
      available: brokers !== undefined || process.env.CI === 'true',
      reason: 'Kafka (kcat) unavailable',
      async create() {
        if (!brokers) throw new Error('Kafka is required when CI=true, and the harness could not start it');
        const db = await createLogTestStore(kafkaStore);
        const topic = uniqueName('payment.events');
        const opened: EventLog[] = [];
        const open = () => {
          const log = kafkaLogFor(brokers, topic);
          opened.push(log);
          return log;
        };
        const log = open();
        return { name: 'kafka', db, log, reopen: open, close: () => closeAll(opened, db) };
      },
    },
  ];
}

async function closeAll(logs: EventLog[], db: TestStore): Promise<void> {
  await Promise.allSettled(logs.map((l) => l.close()));
  await db.close();
}

/** Declares `describe(title [log])` once per event log; an unavailable one is skipped, saying why. */
export function describeEachLog(title: string, fn: (kind: LogKind) => void): void {
  for (const kind of logKinds()) {
    if (kind.available) describe(`${title} [${kind.name}]`, () => fn(kind));
    else describe.skip(`${title} [${kind.name}] — SKIPPED: ${kind.reason}`, () => fn(kind));
  }
}

export interface AppendedEvent {
  id: string;
  key: string;
  seq: number;
}

/**
 * Writes one outbox row per event in one transaction, as the recorder does: a CloudEvent whose
 * `subject` is the key and whose `data.seq` numbers the key's events.
 */
export async function appendEvents(
  db: SqlExecutor,
  events: ReadonlyArray<{ key: string; seq: number; type?: string }>,
): Promise<AppendedEvent[]> {
  const rows = events.map((e) => {
    const id = randomUUID();
    const type = e.type ?? 'payment.updated';
    const payload = {
      specversion: '1.0',
      id,
      source: '/payscope/test',
      type,
      time: new Date().toISOString(),
      subject: e.key,
      datacontenttype: 'application/json',
      data: { seq: e.seq },
    };
    return { event_id: id, event_type: type, aggregate_id: e.key, payload };
  });
  await db.query(
    `INSERT INTO payment_service.outbox (event_id, event_type, aggregate_id, payload)
     SELECT x.event_id, x.event_type, x.aggregate_id, x.payload
     FROM json_to_recordset($1::json) AS x(event_id text, event_type text, aggregate_id text, payload json)`,
    [JSON.stringify(rows)],
  );
  return events.map((e, i) => ({ id: rows[i]!.event_id, key: e.key, seq: e.seq }));
}

/** `keys` payments × `perKey` events each, interleaved, in transactions of `perTransaction` events. */
export async function appendInterleaved(
  db: { transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> },
  options: { keys: number; perKey: number; perTransaction: number; prefix?: string },
): Promise<AppendedEvent[]> {
  const prefix = options.prefix ?? randomUUID().slice(0, 8);
  const all: Array<{ key: string; seq: number }> = [];
  for (let seq = 0; seq < options.perKey; seq++) {
    for (let k = 0; k < options.keys; k++) all.push({ key: `${prefix}-pay-${k}`, seq });
  }
  const appended: AppendedEvent[] = [];
  for (let i = 0; i < all.length; i += options.perTransaction) {
    const slice = all.slice(i, i + options.perTransaction);
    appended.push(...(await db.transaction((tx) => appendEvents(tx, slice))));
  }
  return appended;
}

/** What a consumer received, batch by batch. */
export interface Collected {
  records: LogRecord[];
  batches: LogRecord[][];
  handler: BatchHandler;
  /** Distinct event ids received. */
  ids(): Set<string>;
  /** Waits until `done()` holds, failing with `what` after `timeoutMs` (a deadline, not a timing assertion). */
  until(done: () => boolean, what: string, timeoutMs?: number): Promise<void>;
}

export function collect(): Collected {
  const records: LogRecord[] = [];
  const batches: LogRecord[][] = [];
  return {
    records,
    batches,
    handler: async (batch) => {
      batches.push([...batch]);
      records.push(...batch);
    },
    ids: () => new Set(records.map((r) => r.id)),
    until: (done, what, timeoutMs = 30_000) => waitFor(done, what, timeoutMs),
  };
}

export async function waitFor(done: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The `data.seq` values each key's events arrived with, first occurrence of each event id only. */
export function seqsByKey(records: readonly LogRecord[]): Map<string, number[]> {
  const seen = new Set<string>();
  const byKey = new Map<string, number[]>();
  for (const r of records) {
    if (seen.has(r.id)) continue;
    seen.add(r.id);
    const seq = (JSON.parse(r.value) as { data: { seq: number } }).data.seq;
    byKey.set(r.key, [...(byKey.get(r.key) ?? []), seq]);
  }
  return byKey;
}

export async function stopAll(consumers: EventLogConsumer[]): Promise<void> {
  await Promise.allSettled(consumers.map((c) => c.stop()));
}
