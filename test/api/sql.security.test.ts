import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, startTestApp } from '../harness/app.js';

/**
 * The read-only SQL sandbox against the real server: every escape is refused with SQL_NOT_ALLOWED
 * (422) before it runs, nothing is written, and personal columns stay masked for non-admins.
 */
describe('POST /api/v1/sql (security)', () => {
  let t: TestApp;
  let analyst: string;
  beforeAll(async () => {
    t = await startTestApp('pglite');
    analyst = await t.createKey(['analyst']);
    await t.app.warehouse?.query(
      `INSERT INTO payments (reference_number, amount_minor, currency, status, customer_hash, cif_hash, loan_account_hash)
       VALUES ('SQL-SEC-1', 100, 'INR', 'succeeded', 'h-cust', 'h-cif', 'h-loan')`,
    );
  });
  afterAll(() => t?.stop());

  const sql = async (statement: string, key = analyst) => {
    const res = await fetch(`${t.url}/api/v1/sql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ sql: statement }),
    });
    return {
      status: res.status,
      body: (await res.json()) as { error?: { code: string; message: string }; rows?: unknown[][]; masked?: boolean },
    };
  };

  const out = (name: string) => join(t.dataDir, name);
  const escapes: [string, string | RegExp][] = [
    ["SELECT * FROM read_csv('/etc/passwd')", /read_csv/],
    ["SELECT * FROM read_csv_auto('/etc/passwd')", /read_csv_auto/],
    ["SELECT * FROM '/etc/passwd'", /\/etc\/passwd/],
    ["SELECT * FROM read_text('/etc/passwd')", /read_text/],
    ["SELECT * FROM read_blob('/etc/passwd')", /read_blob/],
    ["SELECT * FROM read_json('/etc/passwd')", /read_json/],
    ["SELECT * FROM read_parquet('/tmp/x.parquet')", /read_parquet/],
    ["SELECT * FROM glob('/*')", /glob/],
    ["SELECT getenv('HOME')", /getenv/],
    ["SELECT current_setting('threads')", /current_setting/],
    ['SELECT * FROM duckdb_settings()', /duckdb_settings/],
    ['SELECT * FROM duckdb_tables()', /duckdb_tables/],
    ["SELECT * FROM query('SELECT 1')", /query/],
    ["SELECT * FROM query_table('payments')", /query_table/],
    ['SELECT sleep_ms(10000)', /sleep_ms/],
    [`COPY (SELECT 1) TO '${'<out>'}'`, /only SELECT/],
    [`COPY payments TO '${'<out>'}'`, /only SELECT/],
    ["ATTACH '/tmp/other.duckdb' AS other", /only SELECT/],
    ['DETACH other', /only SELECT/],
    ['INSTALL httpfs', /only SELECT/],
    ['LOAD httpfs', /only SELECT/],
    ['PRAGMA database_list', /only SELECT/],
    ['SET enable_external_access = true', /only SELECT/],
    ["SET memory_limit = '1GB'", /only SELECT/],
    ['RESET memory_limit', /only SELECT/],
    ['CREATE TABLE evil AS SELECT 1', /only SELECT/],
    ['CREATE VIEW v_evil AS SELECT 1', /only SELECT/],
    ['CREATE MACRO evil() AS 1', /only SELECT/],
    ['DROP TABLE payments', /only SELECT/],
    ["INSERT INTO payments (reference_number) VALUES ('x')", /only SELECT/],
    ["UPDATE payments SET status = 'x'", /only SELECT/],
    ['DELETE FROM payments', /only SELECT/],
    [`EXPORT DATABASE '${'<out>'}'`, /only SELECT/],
    ["IMPORT DATABASE '/tmp'", /only SELECT/],
    ['CALL pragma_version()', /only SELECT/],
    ['CHECKPOINT', /only SELECT/],
    ['SELECT 1; DROP TABLE payments', /only SELECT|exactly one/],
    ['SELECT 1; SELECT 2', /exactly one/],
    ['SELECT * FROM payments', /'payments' is not a documented view/],
    ['SELECT * FROM applied_events', /not a documented view/],
    ['SELECT * FROM main.payments', /schema-qualified/],
    ['SELECT * FROM sql_full.v_payments', /schema-qualified/],
    ['SELECT * FROM information_schema.tables', /schema-qualified/],
    ['SELECT * FROM pg_settings', /not a documented view/],
    ['WITH payments AS (SELECT 1) SELECT * FROM payments', /CTE may not be named/],
    ['SUMMARIZE v_payments', /not allowed/],
    ['DESCRIBE v_payments', /not allowed/],
    ['SELECT * FROM v_payments WHERE reference_number IN (SELECT reference_number FROM payments)', /'payments'/],
    ["SELECT (SELECT count(*) FROM read_csv('/etc/passwd'))", /read_csv/],
    ['SELECT main.getenv(1)', /schema-qualified/],
  ];

  for (const [statement, message] of escapes) {
    it(`refuses ${statement}`, async () => {
      const real = statement.replaceAll('<out>', out('escape'));
      const res = await sql(real);
      expect(res.status, JSON.stringify(res.body)).toBe(422);
      expect(res.body.error?.code).toBe('SQL_NOT_ALLOWED');
      expect(res.body.error?.message).toMatch(message);
    });
  }

  it('wrote no file and changed no table for any refused statement', async () => {
    expect(existsSync(out('escape'))).toBe(false);
    const [row] = (await t.app.warehouse?.query<{ n: number }>('SELECT count(*)::INT AS n FROM payments')) ?? [];
    expect(row?.n).toBe(1);
    const tables =
      (await t.app.warehouse?.query<{ n: string }>(`SELECT table_name AS n FROM duckdb_tables() WHERE table_name = 'evil'`)) ?? [];
    expect(tables).toHaveLength(0);
  });

  it('masks personal columns for an analyst, also under an alias or inside an expression', async () => {
    const res = await sql(`SELECT customer_hash, cif_hash AS c, upper(loan_account_hash) AS l, count(DISTINCT customer_hash) AS n
                           FROM v_payments WHERE reference_number = 'SQL-SEC-1' GROUP BY ALL`);
    expect(res.status).toBe(200);
    expect(res.body.masked).toBe(true);
    expect(res.body.rows).toEqual([[null, null, null, 0]]);
  });

  it('shows personal columns to an admin', async () => {
    const res = await sql(`SELECT customer_hash FROM v_payments WHERE reference_number = 'SQL-SEC-1'`, t.adminKey);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ masked: false, rows: [['h-cust']] });
  });

  it('keeps the Parquet export working (the sandbox changed no instance setting)', async () => {
    const day = new Date().toISOString().slice(0, 10);
    await t.app.warehouse?.query(`UPDATE payments SET payment_time = now()::TIMESTAMP WHERE reference_number = 'SQL-SEC-1'`);
    const result = await t.app.warehouse?.exportParquet({ from: day, to: day, dir: out('export'), tables: ['payments'] });
    expect(result?.files.length).toBe(1);
  });

  it('refuses keys without the analyst role (finance, ingest) and calls without a key', async () => {
    const finance = await t.createKey(['finance']);
    expect((await sql('SELECT 1', finance)).body.error?.code).toBe('ROLE_FORBIDDEN');
    const ingest = await t.createKey(['ingest']);
    expect((await sql('SELECT 1', ingest)).status).toBe(403);
    const res = await fetch(`${t.url}/api/v1/sql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"sql":"SELECT 1"}',
    });
    expect(res.status).toBe(401);
  });
});
