import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, authFetch, startTestApp } from '../harness/app.js';
import { waitFor } from '../harness/event-logs.js';
import { seedBody, sendWebhook } from '../harness/webhook-client.js';
import { TEST_SECRETS } from '../harness/app.js';

describe('POST /api/v1/sql (happy)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('pglite', { SQL_MAX_ROWS: '5' });
    for (let i = 0; i < 8; i++) {
      await sendWebhook(t.url, seedBody(`SQL-H-${i}`, { amount: `${10 + i}.00` }), { secret: TEST_SECRETS.default });
    }
    await waitFor(
      async () => (await t.app.warehouse?.query<{ n: number }>('SELECT count(*)::INT AS n FROM payments'))?.[0]?.n === 8,
      'the payments to land',
    );
  });
  afterAll(() => t?.stop());

  const sql = async (body: unknown) => {
    const res = await authFetch(`${t.url}/api/v1/sql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('aggregates over a view, with bound parameters', async () => {
    const res = await sql({
      sql: 'SELECT currency, count(*) AS n, sum(amount_minor) AS total FROM v_payments WHERE amount_minor >= $1 GROUP BY 1',
      params: [1500],
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      columns: [{ name: 'currency' }, { name: 'n', type: 'BIGINT' }, { name: 'total' }],
      rows: [['INR', 3, 1500 + 1600 + 1700]],
      truncated: false,
    });
  });

  it('reads the rollup views and CTEs', async () => {
    const res = await sql({ sql: 'WITH d AS (SELECT * FROM v_payment_rollup_day) SELECT sum(payments) AS n FROM d' });
    expect(res.body.rows).toEqual([[8]]);
  });

  it('truncates at SQL_MAX_ROWS and says so; a smaller limit wins', async () => {
    const all = await sql({ sql: 'SELECT reference_number FROM v_payments ORDER BY 1' });
    expect(all.body).toMatchObject({ row_count: 5, truncated: true, limit: 5 });
    const two = await sql({ sql: 'SELECT reference_number FROM v_payments ORDER BY 1', limit: 2 });
    expect(two.body).toMatchObject({ row_count: 2, truncated: true, limit: 2, rows: [['SQL-H-0'], ['SQL-H-1']] });
  });

  it('runs standard SQL: list and struct literals, position(… IN …)', async () => {
    const res = await sql({ sql: "SELECT [1, 2] AS l, {'a': 1} AS s, position('x' IN 'axb') AS p, main.list_value(3) AS m" });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.rows).toEqual([[[1, 2], { a: 1 }, 2, [3]]]);
  });

  it('accepts a statement of up to MAX_SQL_LENGTH (100,000) characters, beyond the 64 KiB webhook body limit', async () => {
    const statement = `SELECT 1 AS one -- ${'x'.repeat(100_000 - 19)}`;
    expect(statement).toHaveLength(100_000);
    const res = await sql({ sql: statement });
    expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(200);
    expect(res.body.rows).toEqual([[1]]);
  });

  it('lists the views with their columns, personal ones flagged', async () => {
    const res = await authFetch(`${t.url}/api/v1/sql/views`);
    const body = (await res.json()) as {
      views: { name: string; columns: { name: string; personal: boolean }[] }[];
      limits: { max_rows: number };
    };
    expect(res.status).toBe(200);
    const payments = body.views.find((v) => v.name === 'v_payments');
    expect(payments?.columns.find((c) => c.name === 'customer_hash')?.personal).toBe(true);
    expect(body.views.map((v) => v.name)).toEqual(
      expect.arrayContaining(['v_refunds', 'v_disputes', 'v_settlements', 'v_payment_rollup_day', 'v_payment_rollup_minute']),
    );
    expect(body.limits.max_rows).toBe(5);
  });

  it('writes every SQL call to the audit log with its row count', async () => {
    await sql({ sql: 'SELECT 1 AS one' });
    await waitFor(async () => {
      const { rows } = await t.app.store.query<{ rows: number; key_name: string; role: string; status: number }>(
        `SELECT rows, key_name, role, status FROM payment_service.audit_log WHERE path = '/api/v1/sql' ORDER BY id DESC LIMIT 1`,
      );
      return rows[0]?.rows === 1 && rows[0].key_name === 'test admin' && rows[0].role === 'admin' && rows[0].status === 200;
    }, 'the audit row');
  });
});
