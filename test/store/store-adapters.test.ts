import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate, migrations } from '../../src/store/migrator.js';
import { createPgPool, createPostgresStore } from '../../src/store/postgres-adapter.js';
import type { OperationalStore, SqlExecutor } from '../../src/store/store-port.js';
import { createPostgresDatabase, describeEachStore, storeKinds, type TestStore } from '../harness/stores.js';

async function insertPayment(db: SqlExecutor, fields: { paymentDate: string; amountMinor?: number; reference?: string }): Promise<string> {
  const id = randomUUID();
  await db.query(
    `INSERT INTO payment_service.payments (id, reference_number, amount_minor, currency, payment_date, source, status)
     VALUES ($1, $2, $3, 'USD', $4, 'test', 'succeeded')`,
    [id, fields.reference ?? `ref-${id}`, fields.amountMinor ?? 1000, fields.paymentDate],
  );
  return id;
}

describeEachStore('operational store adapter', (kind) => {
  let db: TestStore;
  let store: OperationalStore;

  beforeEach(async () => {
    db = await kind.create();
    store = db.store;
  });
  afterEach(async () => {
    await db?.close();
  });

  it('records every migration once on a fresh database', async () => {
    const { rows } = await store.query<{ version: number; name: string }>('SELECT version, name FROM payscope_migrations ORDER BY version');
    expect(rows).toEqual(migrations.map(({ version, name }) => ({ version, name })));
    const tables = await store.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'payment_service' ORDER BY table_name`,
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining(['meta', 'outbox', 'payment_references', 'payments', 'payments_default', 'staging_process_log']),
    );
  });

  it('applies nothing when migrate runs again on a migrated database', async () => {
    const storeId = await store.query<{ value: string }>(`SELECT value FROM payment_service.meta WHERE key = 'store_id'`);

    const again = await migrate(store);

    expect(again).toEqual({ ok: true, applied: [] });
    const after = await store.query<{ value: string }>(`SELECT value FROM payment_service.meta WHERE key = 'store_id'`);
    expect(after.rows).toEqual(storeId.rows);
    const count = await store.query<{ n: number }>('SELECT COUNT(*) AS n FROM payscope_migrations');
    expect(count.rows[0]?.n).toBe(migrations.length);
  });

  it('puts a payment whose month has no partition into the default partition', async () => {
    const id = await insertPayment(store, { paymentDate: '2031-07-15T10:00:00.000Z' });

    const { rows } = await store.query<{ partition: string }>(
      'SELECT tableoid::regclass::text AS partition FROM payment_service.payments WHERE id = $1',
      [id],
    );

    expect(rows).toEqual([{ partition: 'payment_service.payments_default' }]);
  });

  it('rolls a transaction back when its function throws, and rethrows the error', async () => {
    const failure = new Error('boom');

    await expect(
      store.transaction(async (tx) => {
        await insertPayment(tx, { paymentDate: '2025-01-01T00:00:00.000Z', reference: 'rolled-back' });
        throw failure;
      }),
    ).rejects.toBe(failure);

    const { rows } = await store.query(`SELECT 1 FROM payment_service.payments WHERE reference_number = 'rolled-back'`);
    expect(rows).toHaveLength(0);
  });

  it('commits a transaction whose function resolves and returns its value', async () => {
    const id = await store.transaction(async (tx) =>
      insertPayment(tx, { paymentDate: '2025-01-01T00:00:00.000Z', reference: 'committed' }),
    );

    const { rows } = await store.query<{ id: string }>(`SELECT id FROM payment_service.payments WHERE reference_number = 'committed'`);
    expect(rows).toEqual([{ id }]);
  });

  it('returns int8 columns as numbers, including values above 2^31', async () => {
    const amountMinor = 9_007_199_254_740; // well above 2^31, still a safe integer
    const id = await insertPayment(store, { paymentDate: '2025-02-01T00:00:00.000Z', amountMinor });

    const { rows } = await store.query<{ amount_minor: unknown; n: unknown }>(
      'SELECT amount_minor, (SELECT COUNT(*) FROM payment_service.payments) AS n FROM payment_service.payments WHERE id = $1',
      [id],
    );

    expect(rows).toEqual([{ amount_minor: amountMinor, n: 1 }]);
  });

  it('returns a TIMESTAMP as the same UTC instant that was written', async () => {
    const written = '2024-03-10T23:30:05.123Z'; // late evening UTC: any local-time shift changes the day
    const id = await insertPayment(store, { paymentDate: written });

    const { rows } = await store.query<{ payment_date: Date; as_text: string }>(
      `SELECT payment_date, to_char(payment_date, 'YYYY-MM-DD"T"HH24:MI:SS.MS') AS as_text FROM payment_service.payments WHERE id = $1`,
      [id],
    );

    expect(rows[0]?.payment_date).toBeInstanceOf(Date);
    expect(rows[0]?.payment_date.toISOString()).toBe(written);
    expect(rows[0]?.as_text).toBe('2024-03-10T23:30:05.123'); // stored as the UTC wall-clock time
  });
});

const postgresKind = storeKinds().find((k) => k.name === 'postgres');

describe.skipIf(!postgresKind?.available)('migrations on PostgreSQL with several processes starting at once', () => {
  const stores: OperationalStore[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });

  it('lets two concurrent migrate calls on a fresh database both succeed and applies each migration once', async () => {
    const url = await createPostgresDatabase();
    const [a, b] = [createPostgresStore(createPgPool(url, { min: 0, max: 2 })), createPostgresStore(createPgPool(url, { min: 0, max: 2 }))];
    stores.push(a, b);
    // Open the connections first so both migrators reach the database at the same moment.
    await Promise.all([a.query('SELECT 1'), b.query('SELECT 1')]);

    const [first, second] = await Promise.all([migrate(a), migrate(b)]);

    expect(first.ok && second.ok, JSON.stringify({ first, second })).toBe(true);
    const appliedVersions = [...first.applied, ...second.applied].map((m) => m.version).sort((x, y) => x - y);
    expect(appliedVersions).toEqual(migrations.map((m) => m.version));
    const { rows } = await a.query<{ version: number }>('SELECT version FROM payscope_migrations ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual(migrations.map((m) => m.version));
  });
});
