import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createApiKey } from '../../src/api/access/api-keys.js';
import { createPgPool, createPostgresStore } from '../../src/store/postgres-adapter.js';
import { openDuckDbWarehouse } from '../../src/warehouse/duckdb/duckdb-adapter.js';
import { TEST_SECRETS } from '../harness/app.js';
import { testLogger } from '../harness/event-logs.js';
import { type ServerProcess, spawnServer } from '../harness/server-process.js';
import { createPostgresDatabase, describeEachStore } from '../harness/stores.js';

/**
 * The analytics consumer is killed (SIGKILL of the whole server) while it is landing batches, and
 * the server restarted: the warehouse must end equal to the ledger — every payment once, the same
 * amounts per day and currency — with no event applied twice.
 */
describeEachStore('analytics consumer crash', (kind) => {
  let dataDir: string;
  let env: Record<string, string>;
  let server: ServerProcess | null = null;
  const TOTAL = 12_000;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'payscope-consumer-crash-'));
    key = null;
    env = {
      DATA_DIR: dataDir,
      WEBHOOK_SOURCES: JSON.stringify({ default: { secret: TEST_SECRETS.default } }),
      ENABLE_REDIS_CACHE: 'false',
      STAGING_BATCH_SIZE: '2000',
      STAGING_INTERVAL_SECONDS: '1',
      ANALYTICS_BATCH_SIZE: '1000',
      ...(kind.name === 'postgres' ? { DATABASE_URL: await createPostgresDatabase() } : {}),
    };
  });
  afterEach(async () => {
    await server?.kill('SIGKILL');
    server = null;
    await rm(dataDir, { recursive: true, force: true });
  });

  interface Quality {
    conservation: { ok: boolean; ledger: { count: number }; warehouse: { count: number } };
  }
  // An API key: the embedded default's generated admin key, or one made in the PostgreSQL database.
  let key: string | null = null;
  const keyOf = async (): Promise<string> => {
    if (key) return key;
    if (kind.name === 'pglite') key = (await readFile(join(dataDir, 'admin-api-key'), 'utf8')).trim();
    else {
      const store = createPostgresStore(createPgPool(env.DATABASE_URL as string, { min: 0, max: 1 }));
      try {
        key = (await createApiKey(store, { name: 'crash test', roles: ['analyst'] })).key;
      } finally {
        await store.close();
      }
    }
    return key;
  };
  const quality = async (s: ServerProcess): Promise<Quality> =>
    (await (
      await fetch(`${s.url}/api/v1/data-quality?days=366`, { headers: { authorization: `Bearer ${await keyOf()}` } })
    ).json()) as Quality;

  it('ends with the warehouse equal to the ledger after SIGKILL while batches are landing, and a restart', async () => {
    server = await spawnServer(env);
    // Load the staging table through the API-less path the server drains by itself.
    const rows = Array.from({ length: TOTAL }, (_, i) => {
      const day = i % 5;
      return `CRASH-${i},LN${i},CIF${i % 97},${(i % 900) + 100}.${String(i % 100).padStart(2, '0')},2026-11-1${day}T0${i % 10}:00:00Z,UPI`;
    });
    const csv = join(dataDir, 'payments.csv');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(csv, `reference_number,loan_account_number,cif,amount,payment_date,payment_channel\n${rows.join('\n')}\n`);
    if (kind.name === 'postgres') {
      const store = createPostgresStore(createPgPool(env.DATABASE_URL as string, { min: 0, max: 2 }));
      try {
        const { loadStagingCsv } = await import('../../src/sources/staging/staging-csv-loader.js');
        const loaded = await loadStagingCsv({ db: store, file: csv });
        expect(loaded).toMatchObject({ loaded: TOTAL, rejected: [] });
      } finally {
        await store.close();
      }
    } else {
      // PGlite belongs to the server process: send webhooks instead.
      const { seedBody, sendWebhook } = await import('../harness/webhook-client.js');
      let next = 0;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < TOTAL / 4) {
            const i = next++;
            await sendWebhook((server as ServerProcess).url, seedBody(`CRASH-${i}`, { amount: `${(i % 900) + 100}.25` }), {
              secret: TEST_SECRETS.default,
            });
          }
        }),
      );
    }
    const expected = kind.name === 'postgres' ? TOTAL : TOTAL / 4;

    // Kill while the consumer is part-way through the stream.
    let killedAt = -1;
    for (let i = 0; i < 600; i++) {
      const q = await quality(server).catch(() => null);
      const n = q?.conservation.warehouse.count ?? 0;
      if (n > 0 && n < expected) {
        killedAt = n;
        break;
      }
      await sleep(25);
    }
    await server.kill('SIGKILL');
    expect(killedAt, 'the server was killed while the consumer was mid-stream').toBeGreaterThan(0);

    server = await spawnServer(env);
    let last: Quality | null = null;
    for (let i = 0; i < 1200; i++) {
      last = await quality(server);
      if (last.conservation.ok && last.conservation.warehouse.count === expected) break;
      await sleep(100);
    }
    expect(last?.conservation).toMatchObject({ ok: true, ledger: { count: expected }, warehouse: { count: expected } });
    await server.kill('SIGTERM');
    server = null;

    // No event applied twice, no payment stored twice.
    const warehouse = await openDuckDbWarehouse({ path: join(dataDir, 'warehouse.duckdb'), logger: testLogger });
    try {
      const [counts] = await warehouse.query<{ payments: number; refs: number; applied: number; ids: number; rolled: number }>(
        `SELECT (SELECT count(*) FROM payments)::BIGINT AS payments,
                (SELECT count(DISTINCT reference_number) FROM payments)::BIGINT AS refs,
                (SELECT count(*) FROM applied_events)::BIGINT AS applied,
                (SELECT count(DISTINCT event_id) FROM applied_events)::BIGINT AS ids,
                (SELECT sum(payments) FROM payments_by_day)::BIGINT AS rolled`,
      );
      expect(counts).toEqual({ payments: expected, refs: expected, applied: expected, ids: expected, rolled: expected });
    } finally {
      await warehouse.close();
    }
  }, 240_000);
});
