import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { createPartitionJob } from '../../src/jobs/partition-job.js';
import { createPartitionManager, type PartitionManager, partitionTableRows } from '../../src/store/partition-manager.js';
import type { OperationalStore, SqlExecutor } from '../../src/store/store-port.js';
import { describeEachStore } from '../harness/stores.js';

const NOW = new Date('2025-03-15T10:00:00Z');

/** Inserts one payment with the minimal columns; the date is a UTC TIMESTAMP literal. */
async function insertPayment(db: SqlExecutor, paymentDate: string, id: string = randomUUID()): Promise<string> {
  await db.query(
    `INSERT INTO payment_service.payments (id, reference_number, amount_minor, currency, payment_date, source, status)
     VALUES ($1, $2, 1250, 'INR', $3::timestamp, 'webhook', 'captured')`,
    [id, `ref-${id}`, paymentDate],
  );
  return id;
}

/** Inserts `n` payments spread over the 28 first days of the month starting at `monthStart`. */
async function insertMany(db: SqlExecutor, monthStart: string, n: number): Promise<void> {
  await db.query(
    `INSERT INTO payment_service.payments (id, reference_number, amount_minor, currency, payment_date, source, status)
     SELECT gen_random_uuid(), 'bulk-' || $1 || '-' || g, g, 'INR', $1::timestamp + (g % 28) * INTERVAL '1 day', 'staging', 'captured'
     FROM generate_series(1, $2::int) g`,
    [monthStart, n],
  );
}

/** The partition (table name without schema) that holds the payment, or null if the parent does not return it. */
async function partitionOf(db: SqlExecutor, id: string): Promise<string | null> {
  const res = await db.query<{ part: string }>(
    'SELECT c.relname AS part FROM payment_service.payments p JOIN pg_class c ON c.oid = p.tableoid WHERE p.id = $1',
    [id],
  );
  return res.rows[0]?.part ?? null;
}

async function count(db: SqlExecutor, table: string): Promise<number> {
  const res = await db.query<{ n: number }>(`SELECT count(*) AS n FROM ${table}`);
  return Number(res.rows[0]?.n);
}

async function tableExists(db: SqlExecutor, qualified: string): Promise<boolean> {
  const res = await db.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [qualified]);
  return res.rows[0]?.t != null;
}

/** The same store, but each transaction pauses after its first statement matching `pattern`. */
function pauseAfter(store: OperationalStore, pattern: RegExp, pause: () => Promise<void>): OperationalStore {
  return {
    ...store,
    transaction: (fn) =>
      store.transaction((tx) =>
        fn({
          async query<R>(sql: string, params?: readonly unknown[]) {
            const result = await tx.query<R>(sql, params);
            if (pattern.test(sql)) await pause();
            return result;
          },
        }),
      ),
  };
}

describeEachStore('partition manager', (kind) => {
  let store: OperationalStore;
  let close: () => Promise<void>;
  let manager: PartitionManager;

  // One database per store for the file (PGlite takes seconds to open); each test starts from
  // only the default partition, empty.
  beforeAll(async () => {
    ({ store, close } = await kind.create());
    manager = createPartitionManager({ store });
  });

  afterAll(async () => {
    await close();
  });

  beforeEach(async () => {
    for (const p of await manager.listPartitions()) {
      if (!p.isDefault) await store.query(`DROP TABLE payment_service.${p.name}`);
    }
    await store.query('DROP SCHEMA IF EXISTS payment_service_archive CASCADE');
    await store.query('TRUNCATE payment_service.payments');
  });

  it('starts with only the default partition', async () => {
    expect(await manager.listPartitions()).toEqual([{ name: 'payments_default', from: null, to: null, isDefault: true }]);
  });

  it('creates one partition per month from monthsBehind to monthsAhead with UTC month bounds', async () => {
    const result = await manager.ensurePartitions({ monthsAhead: 2, monthsBehind: 1, now: NOW });

    expect(result).toEqual({ created: ['payments_2025_02', 'payments_2025_03', 'payments_2025_04', 'payments_2025_05'], movedRows: 0 });
    const partitions = await manager.listPartitions();
    expect(partitions.map((p) => p.name)).toEqual([...result.created, 'payments_default']);
    expect(partitions[1]).toEqual({
      name: 'payments_2025_03',
      from: new Date('2025-03-01T00:00:00Z'),
      to: new Date('2025-04-01T00:00:00Z'),
      isDefault: false,
    });
  });

  it('creates nothing when run a second time', async () => {
    await manager.ensurePartitions({ monthsAhead: 3, now: NOW });
    const before = await manager.listPartitions();

    expect(await manager.ensurePartitions({ monthsAhead: 3, now: NOW })).toEqual({ created: [], movedRows: 0 });
    expect(await manager.listPartitions()).toEqual(before);
  });

  it('crosses a year boundary', async () => {
    const result = await manager.ensurePartitions({ monthsAhead: 1, monthsBehind: 1, now: new Date('2024-12-31T23:59:59Z') });

    expect(result.created).toEqual(['payments_2024_11', 'payments_2024_12', 'payments_2025_01']);
  });

  it('records a payment for a month without a partition in the default partition', async () => {
    const id = await insertPayment(store, '2023-07-04 12:00:00');

    expect(await partitionOf(store, id)).toBe('payments_default');
  });

  it('moves a payment out of the default partition into its new month partition, unchanged', async () => {
    const id = await insertPayment(store, '2023-07-31 23:59:59.999');
    const before = await store.query('SELECT * FROM payment_service.payments WHERE id = $1', [id]);

    const result = await manager.ensurePartitions({ monthsAhead: 0, now: NOW });

    expect(result).toEqual({ created: ['payments_2023_07', 'payments_2025_03'], movedRows: 1 });
    expect(await partitionOf(store, id)).toBe('payments_2023_07');
    expect((await store.query('SELECT * FROM payment_service.payments WHERE id = $1', [id])).rows).toEqual(before.rows);
    expect(await count(store, 'payment_service.payments')).toBe(1);
    expect(await count(store, 'payment_service.payments_default')).toBe(0);
  });

  it('moves many rows of several months without losing or duplicating any', async () => {
    await insertMany(store, '2024-01-01', 700);
    await insertMany(store, '2024-02-01', 500);
    await insertMany(store, '2025-03-01', 300); // the current month, not yet partitioned
    const ids = async () =>
      (await store.query<{ id: string }>('SELECT id FROM payment_service.payments ORDER BY id')).rows.map((r) => r.id);
    const idsBefore = await ids();

    const result = await manager.ensurePartitions({ monthsAhead: 1, now: NOW });

    expect(result.created).toEqual(['payments_2024_01', 'payments_2024_02', 'payments_2025_03', 'payments_2025_04']);
    expect(result.movedRows).toBe(1500);
    expect(await ids()).toEqual(idsBefore);
    expect(await count(store, 'payment_service.payments_default')).toBe(0);
    const rows = await manager.listPartitions({ countRows: true });
    expect(rows.map((p) => [p.name, p.rows])).toEqual([
      ['payments_2024_01', 700],
      ['payments_2024_02', 500],
      ['payments_2025_03', 300],
      ['payments_2025_04', 0],
      ['payments_default', 0],
    ]);
  });

  it('routes later payments for a moved month to its partition, and the primary key still holds', async () => {
    const id = await insertPayment(store, '2023-07-04 12:00:00');
    await manager.ensurePartitions({ monthsAhead: 0, now: NOW });

    const later = await insertPayment(store, '2023-07-20 08:00:00');

    expect(await partitionOf(store, later)).toBe('payments_2023_07');
    await expect(insertPayment(store, '2023-07-04 12:00:00', id)).rejects.toThrow(/duplicate key/);
  });

  it('lets two concurrent runs create each partition once', async () => {
    await insertMany(store, '2024-05-01', 200);

    const [a, b] = await Promise.all([
      manager.ensurePartitions({ monthsAhead: 2, now: NOW }),
      createPartitionManager({ store }).ensurePartitions({ monthsAhead: 2, now: NOW }),
    ]);

    expect([...a.created, ...b.created].sort()).toEqual(['payments_2024_05', 'payments_2025_03', 'payments_2025_04', 'payments_2025_05']);
    expect(a.movedRows + b.movedRows).toBe(200);
    expect(await count(store, 'payment_service.payments')).toBe(200);
  });

  // PGlite has one connection, so transactions cannot overlap there: these two run on PostgreSQL only.
  const concurrentIt = kind.name === 'postgres' ? it : () => undefined;

  concurrentIt('lets a payment inserted by an open transaction wait for the move and land in the new partition', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let inserted!: () => void;
    const insertedSignal = new Promise<void>((resolve) => {
      inserted = resolve;
    });
    const first = await insertPayment(store, '2023-09-01 00:00:00');
    let second = '';
    const writer = store.transaction(async (tx) => {
      second = await insertPayment(tx, '2023-09-15 00:00:00');
      inserted();
      await released;
    });
    await insertedSignal;

    const ensuring = manager.ensurePartitions({ monthsAhead: 0, now: NOW });
    await new Promise((resolve) => setTimeout(resolve, 200)); // ensurePartitions now waits for the writer's lock
    release();
    await writer;
    const result = await ensuring;

    expect(result.movedRows).toBe(2);
    expect(await partitionOf(store, first)).toBe('payments_2023_09');
    expect(await partitionOf(store, second)).toBe('payments_2023_09');
  });

  concurrentIt('makes a payment inserted while rows are being moved wait, then land in the new partition', async () => {
    const first = await insertPayment(store, '2023-10-01 00:00:00');
    let paused!: () => void;
    const pausedSignal = new Promise<void>((resolve) => {
      paused = resolve;
    });
    let resume!: () => void;
    const resumed = new Promise<void>((resolve) => {
      resume = resolve;
    });
    const pausing = pauseAfter(store, /DELETE FROM payment_service\.payments_default/, async () => {
      paused();
      await resumed;
    });
    const ensuring = createPartitionManager({ store: pausing }).ensurePartitions({ monthsAhead: 0, now: NOW });
    await pausedSignal;

    const inserting = insertPayment(store, '2023-10-20 00:00:00');
    await new Promise((resolve) => setTimeout(resolve, 200));
    resume();
    const [result, second] = await Promise.all([ensuring, inserting]);

    expect(result.movedRows).toBe(1);
    expect(await partitionOf(store, first)).toBe('payments_2023_10');
    expect(await partitionOf(store, second)).toBe('payments_2023_10');
  });

  it('prunes a one-month query to that month partition', async () => {
    await manager.ensurePartitions({ monthsAhead: 2, monthsBehind: 2, now: NOW });

    const plan = await store.query<{ 'QUERY PLAN': unknown }>(
      `EXPLAIN (FORMAT JSON) SELECT count(*) FROM payment_service.payments
       WHERE payment_date >= TIMESTAMP '2025-03-01' AND payment_date < TIMESTAMP '2025-04-01'`,
    );
    const json = JSON.stringify(plan.rows[0]?.['QUERY PLAN']);
    const scanned = new Set([...json.matchAll(/"Relation Name":"([^"]+)"/g)].map((m) => m[1]));

    expect([...scanned]).toEqual(['payments_2025_03']);
  });

  it('detaches only partitions that end before the retention cutoff and keeps their rows in the archive schema', async () => {
    await manager.ensurePartitions({ monthsAhead: 0, monthsBehind: 4, now: NOW }); // 2024-11 … 2025-03
    const old = await insertPayment(store, '2024-11-10 00:00:00');
    const kept = await insertPayment(store, '2025-01-10 00:00:00');

    // Cutoff = 2025-03-01 − 2 months = 2025-01-01: November and December end on or before it.
    const result = await manager.archivePartitions({ retentionMonths: 2, now: NOW, mode: 'detach' });

    expect(result).toEqual({ archived: ['payments_2024_11', 'payments_2024_12'] });
    expect((await manager.listPartitions()).map((p) => p.name)).toEqual([
      'payments_2025_01',
      'payments_2025_02',
      'payments_2025_03',
      'payments_default',
    ]);
    expect(await partitionOf(store, old)).toBeNull();
    expect(await partitionOf(store, kept)).toBe('payments_2025_01');
    const archived = await store.query<{ id: string }>('SELECT id FROM payment_service_archive.payments_2024_11');
    expect(archived.rows.map((r) => r.id)).toEqual([old]);
    expect(await tableExists(store, 'payment_service_archive.payments_2024_12')).toBe(true);
    expect(await manager.archivePartitions({ retentionMonths: 2, now: NOW, mode: 'detach' })).toEqual({ archived: [] });
  });

  it('drops old partitions in drop mode', async () => {
    await manager.ensurePartitions({ monthsAhead: 0, monthsBehind: 2, now: NOW });
    const old = await insertPayment(store, '2025-01-31 23:00:00');

    const result = await manager.archivePartitions({ retentionMonths: 1, now: NOW, mode: 'drop' });

    expect(result).toEqual({ archived: ['payments_2025_01'] });
    expect(await partitionOf(store, old)).toBeNull();
    expect(await tableExists(store, 'payment_service.payments_2025_01')).toBe(false);
    expect(await tableExists(store, 'payment_service_archive.payments_2025_01')).toBe(false);
    expect((await manager.listPartitions()).map((p) => p.name)).toEqual(['payments_2025_02', 'payments_2025_03', 'payments_default']);
  });

  it('never archives the default partition, even when it holds old rows', async () => {
    const old = await insertPayment(store, '2020-01-01 00:00:00');

    const result = await manager.archivePartitions({ retentionMonths: 1, now: NOW, mode: 'drop' });

    expect(result).toEqual({ archived: [] });
    expect(await partitionOf(store, old)).toBe('payments_default');
  });

  it('merges a late payment for an archived month into the archived table', async () => {
    await manager.ensurePartitions({ monthsAhead: 0, monthsBehind: 3, now: NOW });
    const first = await insertPayment(store, '2024-12-05 00:00:00');
    await manager.archivePartitions({ retentionMonths: 1, now: NOW, mode: 'detach' });
    const late = await insertPayment(store, '2024-12-24 00:00:00');

    expect(await partitionOf(store, late)).toBe('payments_default');
    expect((await manager.ensurePartitions({ monthsAhead: 0, now: NOW })).created).toEqual(['payments_2024_12']);
    expect(await manager.archivePartitions({ retentionMonths: 1, now: NOW, mode: 'detach' })).toEqual({ archived: ['payments_2024_12'] });

    const archived = await store.query<{ id: string }>('SELECT id FROM payment_service_archive.payments_2024_12 ORDER BY payment_date');
    expect(archived.rows.map((r) => r.id)).toEqual([first, late]);
  });

  it('runs the partition job: partitions ahead, then archive when enabled, with one summary log line', async () => {
    await manager.ensurePartitions({ monthsAhead: 0, monthsBehind: 3, now: NOW });
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const job = createPartitionJob({
      manager,
      monthsAhead: 2,
      retentionMonths: 1,
      archiveEnabled: true,
      logger: pino(sink),
      now: () => NOW,
    });

    const summary = await job.run();

    expect(job.name).toBe('partitions');
    expect(summary).toMatchObject({
      created: ['payments_2025_04', 'payments_2025_05'],
      movedRows: 0,
      archived: ['payments_2024_12', 'payments_2025_01'],
      archiveEnabled: true,
    });
    const logged = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'partition job finished');
    expect(logged).toMatchObject({ job: 'partitions', created_count: 2, archived_count: 2, moved_rows: 0 });
    const disabled = createPartitionJob({
      manager,
      monthsAhead: 2,
      retentionMonths: 0,
      archiveEnabled: false,
      logger: pino(sink),
      now: () => NOW,
    });
    expect(await disabled.run()).toMatchObject({ created: [], archived: [] });
  });

  it('rejects month counts that are negative, fractional or absurd', async () => {
    await expect(manager.ensurePartitions({ monthsAhead: -1, now: NOW })).rejects.toThrow(RangeError);
    await expect(manager.ensurePartitions({ monthsAhead: 1.5, now: NOW })).rejects.toThrow(RangeError);
    await expect(manager.ensurePartitions({ monthsAhead: 1, monthsBehind: 100_000, now: NOW })).rejects.toThrow(RangeError);
    await expect(manager.archivePartitions({ retentionMonths: -3, now: NOW, mode: 'drop' })).rejects.toThrow(RangeError);
    expect(await manager.listPartitions()).toHaveLength(1);
  });

  it('formats partitions as table rows for the command line', async () => {
    await manager.ensurePartitions({ monthsAhead: 0, now: NOW });
    await insertPayment(store, '2025-03-02 00:00:00');

    expect(partitionTableRows(await manager.listPartitions({ countRows: true }))).toEqual([
      { name: 'payments_2025_03', from: '2025-03-01', to: '2025-04-01', rows: '1' },
      { name: 'payments_default', from: 'DEFAULT', to: '', rows: '0' },
    ]);
  });
});
