import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { insertStagingRows } from '../../src/sources/staging/staging-csv-loader.js';
import { migrate } from '../../src/store/migrator.js';
import type { OperationalStore } from '../../src/store/store-port.js';
import { TEST_SECRETS } from '../harness/app.js';
import { type ServerProcess, spawnServer, withServerStore } from '../harness/server-process.js';
import { createPostgresDatabase, describeEachStore } from '../harness/stores.js';
import { seedBody, sendWebhook } from '../harness/webhook-client.js';

/**
 * The server is killed with SIGKILL in the middle of work and restarted; every payment it
 * acknowledged must be there exactly once, with its outbox event, and nothing half-written.
 */
describeEachStore('crash recovery', (kind) => {
  let dataDir: string;
  let env: Record<string, string>;
  let server: ServerProcess | null = null;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'payscope-crash-'));
    env = {
      DATA_DIR: dataDir,
      WEBHOOK_SOURCES: JSON.stringify({ default: { secret: TEST_SECRETS.default } }),
      ENABLE_REDIS_CACHE: 'false',
      STAGING_BATCH_SIZE: '500',
      STAGING_INTERVAL_SECONDS: '1',
      ...(kind.name === 'postgres' ? { DATABASE_URL: await createPostgresDatabase() } : {}),
    };
  });
  afterEach(async () => {
    await server?.kill('SIGKILL');
    server = null;
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Opens the same database the server used (after the server has stopped, for PGlite). */
  const withStore = <T>(fn: (store: OperationalStore) => Promise<T>) => withServerStore(kind.name, { env, dataDir }, fn);

  async function assertConsistent(store: OperationalStore) {
    const n = async (sql: string) => (await store.query<{ n: number }>(sql)).rows[0]?.n;
    const payments = await n('SELECT count(*)::bigint AS n FROM payment_service.payments');
    expect(await n('SELECT count(*)::bigint AS n FROM payment_service.payment_references')).toBe(payments);
    expect(await n('SELECT count(*)::bigint AS n FROM payment_service.outbox')).toBe(payments);
    expect(
      await n(`SELECT count(*)::bigint AS n FROM payment_service.payments p
               WHERE NOT EXISTS (SELECT 1 FROM payment_service.outbox o WHERE o.aggregate_id = p.id::text)`),
    ).toBe(0);
    expect(
      await n('SELECT count(*)::bigint AS n FROM (SELECT reference_number FROM payment_service.payments GROUP BY 1 HAVING count(*) > 1) d'),
    ).toBe(0);
  }

  it('keeps every acknowledged webhook payment exactly once, with its outbox event, after SIGKILL under load', async () => {
    server = await spawnServer(env);
    const acknowledged = new Map<string, string>();
    let stop = false;
    const refs: string[] = [];
    const senders = Array.from({ length: 32 }, async () => {
      while (!stop) {
        const ref = refs.length > 10 && Math.random() < 0.2 ? (refs[Math.floor(Math.random() * refs.length)] as string) : randomUUID();
        refs.push(ref);
        try {
          const res = await sendWebhook((server as ServerProcess).url, seedBody(ref), { secret: TEST_SECRETS.default });
          if (res.status === 201 || res.status === 200) {
            const previous = acknowledged.get(ref);
            if (previous) expect(res.body.payment_id).toBe(previous);
            acknowledged.set(ref, res.body.payment_id as string);
          }
        } catch {
          // Connection reset by the kill: not acknowledged, so the sender would retry; nothing to check.
        }
      }
    });
    while (acknowledged.size < 300) await sleep(20);
    await server.kill('SIGKILL');
    stop = true;
    await Promise.all(senders);
    expect(acknowledged.size).toBeGreaterThanOrEqual(300);

    // Restart (PGlite must take over the dead process's lock), resend a few, then stop cleanly.
    server = await spawnServer(env);
    const [someRef, someId] = [...acknowledged.entries()][0] as [string, string];
    const resend = await sendWebhook(server.url, seedBody(someRef), { secret: TEST_SECRETS.default });
    expect(resend.body).toEqual({ status: 'duplicate', payment_id: someId });
    expect(await server.kill('SIGTERM')).toBe(0);
    server = null;

    await withStore(async (store) => {
      const { rows } = await store.query<{ reference_number: string; id: string }>(
        'SELECT reference_number, id::text AS id FROM payment_service.payments',
      );
      const stored = new Map(rows.map((r) => [r.reference_number, r.id]));
      for (const [ref, id] of acknowledged) expect(stored.get(ref), ref).toBe(id);
      await assertConsistent(store);
    });
  });

  it('resumes a staging backlog after SIGKILL in the middle of a batch, recording each row once', async () => {
    const total = 20_000;
    const rows = Array.from({ length: total }, (_, i) => ({
      reference_number: `ST-${i % 18_000}`,
      loan_account_number: 'LN1',
      cif: 'CIF1',
      amount: `${((i % 18_000) % 5000) + 1}.25`, // a repeated reference repeats its amount: an exact redelivery
      payment_date: '2026-10-15T12:00:00.000Z',
    }));
    await withStore(async (store) => {
      await migrate(store);
      for (let i = 0; i < rows.length; i += 5000) await insertStagingRows(store, rows.slice(i, i + 5000));
    });

    server = await spawnServer(env);
    const url = server.url;
    const backlog = async () =>
      ((await (await fetch(`${url}/health`)).json()) as { checks: { staging_backlog: number } }).checks.staging_backlog;
    // Kill once some batches have committed but the backlog is far from done.
    for (let b = await backlog(); b > total - 2000; b = await backlog()) await sleep(25);
    await server.kill('SIGKILL');

    server = await spawnServer(env);
    const url2 = server.url;
    for (;;) {
      const h = (await (await fetch(`${url2}/health`)).json()) as { checks: { staging_backlog: number } };
      if (h.checks.staging_backlog === 0) break;
      await sleep(100);
    }
    expect(await server.kill('SIGTERM')).toBe(0);
    server = null;

    await withStore(async (store) => {
      const n = async (sql: string) => (await store.query<{ n: number }>(sql)).rows[0]?.n;
      expect(await n('SELECT count(*)::bigint AS n FROM payment_service.payments')).toBe(18_000);
      expect(await n('SELECT count(*)::bigint AS n FROM payment_staging WHERE processed = FALSE')).toBe(0);
      expect(await n('SELECT sum(total_records)::bigint AS n FROM payment_service.staging_process_log')).toBe(total);
      expect(await n('SELECT sum(processed_records + duplicate_records)::bigint AS n FROM payment_service.staging_process_log')).toBe(
        total,
      );
      await assertConsistent(store);
    });
  });
});
