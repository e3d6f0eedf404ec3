import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqlSandbox } from '../../src/warehouse/sql-sandbox.js';
import type { Warehouse } from '../../src/warehouse/warehouse-port.js';
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
    writeFileSync(out('webhook-secrets.json'), JSON.stringify({ default: 'a-secret-that-must-not-leak' }));
    writeFileSync(out('secret.csv'), 'secret\na-secret-that-must-not-leak\n');
    writeFileSync(out('secret-no-extension'), 'a-secret-that-must-not-leak');
    // A Parquet file written by another, unrestricted engine (as `payscope export` would).
    const scratch = await DuckDBInstance.create(':memory:');
    const writer = await scratch.connect();
    await writer.run(`COPY (SELECT 'a-secret-that-must-not-leak' AS customer_hash) TO '${out('export.parquet')}' (FORMAT parquet)`);
    writer.closeSync();
    scratch.closeSync();
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
    ['SELECT main.getenv(1)', /getenv/],
    ['SELECT system.main.getenv(1)', /schema-qualified/],
    ['SELECT sql_full.anything(1)', /schema-qualified/],
    // A CTE is in scope only inside the query that defines it: the same name outside reaches a file.
    ['SELECT f.* FROM (WITH "<secrets>" AS (SELECT 1 AS a) SELECT a FROM "<secrets>") s, "<secrets>" f', /not a documented view/],
    ['(WITH "<secrets>" AS (SELECT 1 AS a) SELECT * FROM "<secrets>") UNION ALL SELECT * FROM "<secrets>"', /not a documented view/],
    ['SELECT (WITH "<secrets>" AS (SELECT 1 AS a) SELECT a FROM "<secrets>") AS x, f.* FROM "<secrets>" f', /not a documented view/],
    ['WITH "<secrets>" AS (SELECT * FROM "<secrets>") SELECT * FROM "<secrets>"', /not a documented view/],
    ['WITH a AS (SELECT * FROM "<secrets>"), "<secrets>" AS (SELECT 1) SELECT * FROM a', /not a documented view/],
  ];

  for (const [statement, message] of escapes) {
    it(`refuses ${statement}`, async () => {
      const real = statement.replaceAll('<out>', out('escape')).replaceAll('<secrets>', out('webhook-secrets.json'));
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

  it('the server warehouse cannot write files, not even through its own Parquet export (the CLI exports)', async () => {
    await expect(t.app.warehouse?.exportParquet({ from: '2026-01-01', to: '2026-01-01', dir: out('export') })).rejects.toThrow(/export/);
    expect(existsSync(out('export'))).toBe(false);
  });

  it('masks personal fields inside JSON columns for an analyst (the data contract lists them), not for an admin', async () => {
    await t.app.warehouse?.query(
      `INSERT INTO behaviour_events (event_id, event_type, event_time, properties)
       VALUES ('SQL-SEC-EV', 'user.registered', now()::TIMESTAMP,
               '{"email":"h-email","phone":"h-phone","referral_code":"h-ref","method":"otp","marketing_opt_in":true}')`,
    );
    const statement = `SELECT properties, properties->>'email' AS email, json_extract_string(properties, '$.phone') AS phone
                       FROM v_behaviour_events WHERE event_type = 'user.registered'`;
    const masked = await sql(statement);
    expect(masked.status).toBe(200);
    const [properties, email, phone] = masked.body.rows?.[0] ?? [];
    expect(JSON.parse(String(properties))).toEqual({ method: 'otp', marketing_opt_in: true });
    expect([email, phone]).toEqual([null, null]);
    expect(JSON.stringify(masked.body)).not.toMatch(/h-email|h-phone|h-ref/);
    const full = await sql(statement, t.adminKey);
    expect(JSON.parse(String(full.body.rows?.[0]?.[0]))).toMatchObject({ email: 'h-email', phone: 'h-phone', referral_code: 'h-ref' });
  });

  describe('with the parse-tree guard switched off, the engine itself refuses every file and network access', () => {
    const SECRET = 'a-secret-that-must-not-leak';
    let unguarded: ReturnType<typeof createSqlSandbox>;
    beforeAll(() => {
      unguarded = createSqlSandbox({
        warehouse: t.app.warehouse as Warehouse,
        timeoutMs: 10_000,
        maxRows: 100,
        checkStatement: () => ({ ok: true }), // test only: let every statement reach DuckDB
      });
    });
    const run = (statement: string) =>
      unguarded.run({
        sql: statement
          .replaceAll('<dir>', t.dataDir)
          .replaceAll('<secrets>', out('webhook-secrets.json'))
          .replaceAll('<csv>', out('secret.csv'))
          .replaceAll('<noext>', out('secret-no-extension')),
        personal: true,
      });

    const corpus = [
      "SELECT * FROM '<secrets>'",
      "SELECT * FROM read_json('<secrets>')",
      "SELECT * FROM read_json_auto('<secrets>')",
      "SELECT * FROM read_text('<secrets>')",
      "SELECT * FROM read_blob('<secrets>')",
      "SELECT * FROM '<csv>'",
      "SELECT * FROM read_csv('<csv>')",
      "SELECT * FROM read_csv_auto('<csv>', header = false)",
      "SELECT * FROM '<dir>/export.parquet'",
      "SELECT * FROM read_parquet('<dir>/*.parquet')",
      "SELECT * FROM parquet_metadata('<dir>/export.parquet')",
      'SELECT * FROM "<noext>"',
      "SELECT * FROM read_text('<noext>')",
      "SELECT * FROM glob('<dir>/*')",
      "SELECT * FROM glob('/etc/*')",
      "SELECT 'x' AS content UNION ALL SELECT content FROM read_text('<secrets>')",
      "SELECT (SELECT content FROM read_text('<secrets>')) AS leaked",
      'SELECT f.* FROM (WITH "<secrets>" AS (SELECT 1 AS a) SELECT a FROM "<secrets>") s, "<secrets>" f',
      "COPY (SELECT 1) TO '<dir>/written.csv'",
      "COPY (SELECT 1) TO '<dir>/written.parquet' (FORMAT parquet)",
      "ATTACH '<dir>/attached.duckdb' AS other",
      'INSTALL httpfs',
      'LOAD httpfs',
      "SELECT * FROM read_csv('http://127.0.0.1:9/x.csv')",
      'SET enable_external_access = true',
      'SET lock_configuration = false',
      "SET allowed_directories = ['/']",
    ];
    for (const statement of corpus) {
      it(`refuses ${statement}`, async () => {
        const outcome = await run(statement);
        expect(outcome.ok, JSON.stringify(outcome)).toBe(false);
        expect(JSON.stringify(outcome)).not.toContain(SECRET);
      });
    }

    it('wrote and attached nothing', () => {
      for (const name of ['written.csv', 'written.parquet', 'attached.duckdb']) expect(existsSync(out(name)), name).toBe(false);
    });

    it('answers the same for an existing and a missing path, so errors do not reveal whether a file exists', async () => {
      const forms = ["SELECT * FROM '<p>'", 'SELECT * FROM "<p>"', "SELECT * FROM read_text('<p>')", "SELECT * FROM read_csv('<p>')"];
      for (const existing of ['webhook-secrets.json', 'secret.csv', 'secret-no-extension']) {
        const missing = existing.replace('secret', 'absent');
        for (const form of forms) {
          const a = await run(form.replaceAll('<p>', out(existing)));
          const b = await run(form.replaceAll('<p>', out(missing)));
          const same = (o: typeof a, name: string) => JSON.stringify(o).replaceAll(out(name), '<path>');
          expect(same(a, existing), form).toBe(same(b, missing));
        }
      }
    });
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
