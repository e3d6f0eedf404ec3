import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAnalytics } from '../harness/analytics-data.js';
import { type TestApp, startTestApp } from '../harness/app.js';
import { type ClickHouseServer, startClickHouseServer } from '../harness/clickhouse-server.js';
import { createLogger } from '../../src/core/logger.js';
import { openWarehouse } from '../../src/warehouse/open-warehouse.js';

/**
 * The server on a real ClickHouse over HTTP (`CLICKHOUSE_URL=http://…`, chDB's clickhouse-local
 * serving the HTTP interface): events in through the API, the consumer writes through the
 * journal, and the analytics, payments and read-only SQL APIs answer from ClickHouse — checked
 * against the facts read back from the same warehouse.
 */

const START = Date.UTC(2026, 10, 1);
const SPAN = 5 * 86_400_000;
const RANGE = `from=${new Date(START).toISOString()}&to=${new Date(START + SPAN).toISOString()}`;

describe('Payscope on ClickHouse over HTTP', () => {
  let server: ClickHouseServer | null;
  let t: TestApp;
  /** A second process with role api only: it reads the same ClickHouse, read-only. */
  let reader: TestApp;

  beforeAll(async () => {
    server = await startClickHouseServer();
    if (!server) return;
    t = await startTestApp('pglite', { CLICKHOUSE_URL: server.url, CLICKHOUSE_DATABASE: 'payscope_http' });
    await seedAnalytics(t, { start: START, spanMs: SPAN, payments: 150, seed: 21 });
    reader = await startTestApp('pglite', { CLICKHOUSE_URL: server.url, CLICKHOUSE_DATABASE: 'payscope_http' }, { roles: ['api'] });
  }, 180_000);
  afterAll(async () => {
    await reader?.stop();
    await t?.stop();
    await server?.stop();
  });

  const get = async (path: string) => {
    const res = await fetch(`${t.url}${path}`, { headers: t.auth });
    const body = (await res.json()) as Record<string, unknown>;
    expect(res.status, JSON.stringify(body).slice(0, 300)).toBe(200);
    return body;
  };

  it('reports the ClickHouse warehouse healthy', async (ctx) => {
    if (!server) return ctx.skip();
    const health = (await (await fetch(`${t.url}/health`)).json()) as { checks: { warehouse: unknown } };
    expect(health.checks.warehouse).toEqual({ engine: 'clickhouse', status: 'ok' });
  });

  it('serves KPIs equal to the facts it holds', async (ctx) => {
    if (!server) return ctx.skip();
    const facts = await t.app.warehouse?.query<{ currency: string; payments: unknown; gmv: unknown }>(
      `SELECT currency, count(*) AS payments,
              sum(CASE WHEN status IN ('captured', 'succeeded') THEN captured_minor ELSE 0 END) AS gmv
         FROM payments GROUP BY currency ORDER BY currency`,
    );
    const kpis = (await get(`/api/v1/analytics/kpis?${RANGE}`)) as {
      currencies: { currency: string; payment_count: number; gmv_minor: number }[];
    };
    expect(kpis.currencies.map((k) => ({ currency: k.currency, payments: k.payment_count, gmv: k.gmv_minor }))).toEqual(
      facts?.map((f) => ({ currency: f.currency, payments: Number(f.payments), gmv: Number(f.gmv) })),
    );
    expect(kpis.currencies.reduce((n, k) => n + k.payment_count, 0)).toBe(150);
  });

  it('probes and loads a default-size batch of keys (6,000: more than one HTTP form field holds)', async (ctx) => {
    if (!server) return ctx.skip();
    const w = t.app.warehouse;
    if (!w) throw new Error('no warehouse');
    const [known] = await w.query<{ reference_number: string }>('SELECT reference_number FROM payments LIMIT 1');
    const references = [...Array.from({ length: 6_000 }, (_, i) => `NOT-THERE-${i}-${'x'.repeat(30)}`), known?.reference_number ?? ''];
    const events = Array.from({ length: 6_000 }, (_, i) => ({ id: crypto.randomUUID(), time: new Date(START + i * 1000) }));
    // A transaction that only reads commits nothing.
    const [applied, loaded] = await w.transaction(async (tx) => [await tx.findApplied(events), await tx.load('payments', references)]);
    expect(applied.size).toBe(0);
    expect(loaded.map((r) => r.reference_number)).toEqual([known?.reference_number]);
  });

  it('lists payments and answers read-only SQL over the masked views', async (ctx) => {
    if (!server) return ctx.skip();
    const page = (await get('/api/v1/payments?limit=10')) as { items: unknown[]; next_cursor: string | null };
    expect(page.items).toHaveLength(10);
    const next = (await get(`/api/v1/payments?limit=200&cursor=${page.next_cursor}`)) as { items: unknown[] };
    expect(next.items).toHaveLength(140);

    const res = await fetch(`${t.url}/api/v1/sql`, {
      method: 'POST',
      headers: { ...t.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ sql: 'SELECT count(*) AS n FROM v_payments WHERE currency = $1', params: ['INR'] }),
    });
    const body = (await res.json()) as { rows: unknown[][]; columns: { name: string }[] };
    expect(res.status, JSON.stringify(body)).toBe(200);
    const inr = await t.app.warehouse?.query<{ n: unknown }>(`SELECT count(*) AS n FROM payments WHERE currency = 'INR'`);
    expect(Number(body.rows[0]?.[0])).toBe(Number(inr?.[0]?.n));

    const attack = await fetch(`${t.url}/api/v1/sql`, {
      method: 'POST',
      headers: { ...t.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ sql: "SELECT * FROM url('http://127.0.0.1:1/', CSV, 'a String')" }),
    });
    expect([403, 422]).toContain(attack.status);
    expect(((await attack.json()) as { error: { code: string } }).error.code).toMatch(/^SQL_(NOT_ALLOWED|INVALID)$/);
  });

  it('serves the analytics API from an api-only process reading the same server, and refuses its writes', async (ctx) => {
    if (!server) return ctx.skip();
    expect(reader.app.analytics).toBeNull();
    const health = (await (await fetch(`${reader.url}/health`)).json()) as { checks: { warehouse: unknown; analytics: unknown } };
    expect(health.checks.warehouse).toEqual({ engine: 'clickhouse', status: 'ok' });
    for (const path of [
      `/api/v1/analytics/kpis?${RANGE}`,
      `/api/v1/analytics/breakdown?${RANGE}&dimension=gateway`,
      '/api/v1/payments?limit=25',
    ]) {
      const [fromWriter, fromReader] = await Promise.all(
        [t, reader].map(async (app) => {
          const res = await fetch(`${app.url}${path}`, { headers: app.auth });
          expect(res.status, path).toBe(200);
          return res.json();
        }),
      );
      expect(fromReader, path).toEqual(fromWriter);
    }
    const upload = await fetch(`${reader.url}/api/v1/fx-rates`, {
      method: 'PUT',
      headers: { ...reader.auth, 'content-type': 'text/csv' },
      body: 'date,base,quote,rate\n2026-11-01,USD,INR,83.25\n',
    });
    expect(upload.status).toBe(503);
    expect(((await upload.json()) as { error: { code: string; message: string } }).error.message).toMatch(/role analytics/);
    await expect(reader.app.warehouse?.transaction(async () => 1)).rejects.toThrow(/read-only/);
  });

  it('refuses to open a reader on a database the analytics process never created, saying what to do', async (ctx) => {
    if (!server) return ctx.skip();
    const opening = openWarehouse(
      { engine: 'clickhouse', url: server.url, database: 'payscope_never_created' },
      { logger: createLogger('silent'), readOnly: true },
    );
    await expect(opening).rejects.toThrow(/start the process with role analytics once/);
    await expect(
      openWarehouse({ engine: 'duckdb', path: '/tmp/unused.duckdb' }, { logger: createLogger('silent'), readOnly: true }),
    ).rejects.toThrow(/one process/);
  });
});
