/**
 * The embedded log reads the outbox by offset (its BIGSERIAL id). On PostgreSQL ids are drawn at
 * INSERT but become visible at COMMIT, so with two writers id N+2 can be visible before N+1 — and a
 * reader at offset N+2 would never see N+1. Migration 0002 serialises outbox inserts with a
 * transaction-level advisory lock. These tests provoke the overlap with two real transactions.
 * PGlite runs one transaction at a time, so the overlap cannot happen there.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogRecord } from '../../src/log/event-log-port.js';
import { readOutboxAfter } from '../../src/log/outbox-table.js';
import type { SqlExecutor } from '../../src/store/store-port.js';
import { appendEvents, collect, createLogTestStore, embeddedLogFor, stopAll, waitFor } from '../harness/event-logs.js';
import { storeKinds, type TestStore } from '../harness/stores.js';

const postgres = storeKinds().find((k) => k.name === 'postgres')!;
const describePostgres = postgres.available ? describe : describe.skip;

describePostgres(
  `outbox offsets under concurrent writers [postgres]${postgres.available ? '' : ' — SKIPPED: PostgreSQL unavailable'}`,
  () => {
    let db: TestStore;
    beforeEach(async () => {
      db = await createLogTestStore(postgres);
    });
    afterEach(() => db.close());

    /** Starts a transaction that writes one outbox row and stays open until `commit()` is called. */
    async function openWriter(key: string) {
      let commit!: () => void;
      const gate = new Promise<void>((resolve) => {
        commit = resolve;
      });
      let inserted!: () => void;
      const insertedPromise = new Promise<void>((resolve) => {
        inserted = resolve;
      });
      const done = db.store.transaction(async (tx: SqlExecutor) => {
        await appendEvents(tx, [{ key, seq: 0 }]);
        inserted();
        await gate;
      });
      await Promise.race([insertedPromise, done]);
      return { commit, done };
    }

    const waitingAdvisoryLocks = async () => {
      const { rows } = await db.store.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
      );
      return rows[0]?.n ?? 0;
    };

    it('shows the gap without the insert lock: a later id is visible while an earlier one is still uncommitted', async () => {
      await db.store.query('ALTER TABLE payment_service.outbox DISABLE TRIGGER outbox_serialise_inserts');
      const first = await openWriter('pay-a'); // draws id 1, stays open
      await db.store.transaction((tx) => appendEvents(tx, [{ key: 'pay-b', seq: 0 }])); // draws id 2, commits

      const seen = await readOutboxAfter(db.store, 0, 10);
      expect(seen.map((r) => r.offset)).toEqual([2]);
      first.commit();
      await first.done;
      // A reader that moved its offset to 2 never sees id 1.
      expect(await readOutboxAfter(db.store, 2, 10)).toEqual([]);
      expect((await readOutboxAfter(db.store, 0, 10)).map((r) => r.offset)).toEqual([1, 2]);
    });

    it('makes a second writer wait for the first, so a consumer reading meanwhile skips nothing', async () => {
      const got = collect();
      const consumer = embeddedLogFor(db).consumer({ group: 'analytics', maxBatchSize: 10 });
      await consumer.start(got.handler);
      try {
        const first = await openWriter('pay-a');
        const second = db.store.transaction((tx) => appendEvents(tx, [{ key: 'pay-b', seq: 0 }]));
        await waitFor(async () => (await waitingAdvisoryLocks()) > 0, 'the second writer to wait for the outbox insert lock');

        // Nothing is visible yet: the first row is uncommitted and the second has not drawn its id.
        expect(await readOutboxAfter(db.store, 0, 10)).toEqual([]);
        expect(got.records).toEqual([]);

        first.commit();
        await first.done;
        await second;
        await got.until(() => got.records.length === 2, 'both rows');
        expect(got.records.map((r) => [r.offset, r.key])).toEqual([
          [1, 'pay-a'],
          [2, 'pay-b'],
        ]);
      } finally {
        await stopAll([consumer]);
      }
    });

    it('delivers every row exactly once, in offset order, to a consumer reading while eight writers commit in random order', async () => {
      const got = collect();
      const consumer = embeddedLogFor(db).consumer({ group: 'analytics', maxBatchSize: 7 });
      await consumer.start(got.handler);
      try {
        const writers = Array.from({ length: 8 }, (_, w) =>
          (async () => {
            for (let i = 0; i < 20; i++) {
              await db.store.transaction(async (tx) => {
                const size = 1 + ((w + i) % 3);
                await appendEvents(
                  tx,
                  Array.from({ length: size }, (_, j) => ({ key: `pay-${w}-${i}`, seq: j })),
                );
                await tx.query('SELECT pg_sleep(random() * 0.004)'); // commit at a random moment after drawing ids
              });
            }
          })(),
        );
        await Promise.all(writers);
        const { rows } = await db.store.query<{ id: number }>('SELECT id FROM payment_service.outbox ORDER BY id');
        await got.until(() => got.records.length >= rows.length, `all ${rows.length} rows`);

        const offsets = got.records.map((r: LogRecord) => r.offset);
        expect(offsets).toEqual(rows.map((r) => r.id)); // each once, ascending, none skipped
      } finally {
        await stopAll([consumer]);
      }
    });
  },
);
