import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClickHouseSandbox, createClickHouseSandbox } from '../../src/warehouse/clickhouse/clickhouse-sandbox.js';
import type { SqlViewSchema } from '../../src/warehouse/sql-views.js';
import { type ColumnType, GRAINS, ROLLUPS, type RollupName, rollupTable, TABLES } from '../../src/warehouse/tables.js';
import type { SandboxResult } from '../../src/warehouse/warehouse-port.js';
import { type ClickHouseServer, startClickHouseServer } from '../harness/clickhouse-server.js';

/**
 * The ClickHouse arm of the SQL sandbox's escape corpus (test/api/sql.security.test.ts is DuckDB's):
 * the same kinds of attack — base tables, other databases, system tables, file/url/remote/s3
 * table functions, SETTINGS, INTO OUTFILE, several statements, comment and quoting tricks, odd
 * bytes, very long SQL, sleep and exhaustion — against the guard and the engine limits, on
 * in-process chDB and, for the happy path and a few attacks, over a real ClickHouse HTTP server.
 * The base tables are created here with the column types of the ClickHouse adapter's design.
 */

const SECRET = 'a-secret-that-must-not-leak';

const CH_TYPES: Record<ColumnType, string> = {
  VARCHAR: 'String',
  BIGINT: 'Int64',
  INTEGER: 'Int32',
  BOOLEAN: 'Bool',
  TIMESTAMP: "DateTime64(3, 'UTC')",
  DATE: 'Date32',
  JSON: 'String',
};

function baseTableStatements(database: string): string[] {
  const tables = Object.entries(TABLES).map(([name, def]) => {
    const key = 'key' in def ? def.key : null;
    const columns = Object.entries(def.columns).map(([c, t]) =>
      c === key ? `${c} ${CH_TYPES[t as ColumnType]}` : `${c} Nullable(${CH_TYPES[t as ColumnType]})`,
    );
    // As the adapter's design has it: keyed tables merge by version, the rest append.
    return key
      ? `CREATE TABLE ${database}.${name} (${columns.join(', ')}, _version UInt64 DEFAULT 0) ENGINE = ReplacingMergeTree(_version) ORDER BY ${key}`
      : `CREATE TABLE ${database}.${name} (${columns.join(', ')}) ENGINE = MergeTree ORDER BY tuple()`;
  });
  const rollups = (Object.keys(ROLLUPS) as RollupName[]).flatMap((rollup) =>
    GRAINS.map((grain) => {
      const columns = [
        "bucket DateTime64(3, 'UTC')",
        ...ROLLUPS[rollup].dimensions.map((d) => `${d} String`),
        ...ROLLUPS[rollup].measures.map((m) => `${m} Int64`),
      ];
      return `CREATE TABLE ${database}.${rollupTable(rollup, grain)} (${columns.join(', ')}) ENGINE = SummingMergeTree ORDER BY bucket`;
    }),
  );
  return [`CREATE DATABASE ${database}`, ...tables, ...rollups];
}

async function seed(client: ClickHouseClient, database: string): Promise<void> {
  for (const statement of baseTableStatements(database)) await client.command({ query: statement });
  await client.command({
    query: `INSERT INTO ${database}.payments (reference_number, amount_minor, currency, status, customer_hash, cif_hash, loan_account_hash, payment_time)
            VALUES ('SQL-SEC-1', 100, 'INR', 'succeeded', 'h-cust', 'h-cif', 'h-loan', '2026-11-21 04:00:00.123'),
                   ('SQL-SEC-2', 9007199254740993, 'INR', 'failed', 'h-cust-2', NULL, NULL, '2026-11-21 05:00:00')`,
  });
  await client.command({
    query: `INSERT INTO ${database}.behaviour_events (event_id, event_type, event_time, properties) VALUES
            ('SQL-SEC-EV', 'user.registered', '2026-11-21 04:00:00',
             '{"email":"h-email","phone":"h-phone","referral_code":"h-ref","method":"otp","marketing_opt_in":true,"payment":{"cif":"h-pcif","mode":"upi"}}')`,
  });
}

interface Fixture {
  client: ClickHouseClient;
  database: string;
  sandbox: ClickHouseSandbox;
  run(
    sql: string,
    options?: { schema?: SqlViewSchema; params?: SandboxQueryParams; maxRows?: number; timeoutMs?: number },
  ): Promise<SandboxResult>;
}
type SandboxQueryParams = (string | number | boolean | null)[];

async function openFixture(client: ClickHouseClient): Promise<Fixture> {
  const database = `t_sandbox_${Math.random().toString(36).slice(2, 10)}`;
  await seed(client, database);
  const sandbox = createClickHouseSandbox({ client, database, maxMemoryBytes: 256 * 1024 ** 2 });
  await sandbox.createViews();
  return {
    client,
    database,
    sandbox,
    run: (sql, o = {}) =>
      sandbox.sandboxQuery({
        sql,
        params: o.params ?? [],
        schema: o.schema ?? 'sql_masked',
        timeoutMs: o.timeoutMs ?? 10_000,
        maxRows: o.maxRows ?? 100,
      }),
  };
}

/** [statement, the refusal's message]; `<db>` is the fixture's base database. */
const ESCAPES: [string, RegExp][] = [
  // base tables, other databases, system tables
  ['SELECT * FROM payments', /'payments' is not a documented view/],
  ['SELECT * FROM applied_events', /not a documented view/],
  ['SELECT * FROM <db>.payments', /database-qualified/],
  ['SELECT * FROM <db>_sql_full.v_payments', /database-qualified/],
  ['SELECT * FROM `<db>_sql_full`.`v_payments`', /database-qualified/],
  ['SELECT * FROM system.tables', /database-qualified/],
  ['SELECT * FROM system.settings', /database-qualified/],
  ['SELECT * FROM information_schema.tables', /database-qualified/],
  ['SELECT * FROM INFORMATION_SCHEMA.COLUMNS', /database-qualified/],
  ['SELECT * FROM `system.tables`', /database-qualified/],
  ['SELECT * FROM "payments"', /'payments' is not a documented view/],
  ['SELECT * FROM v_payments WHERE reference_number IN (SELECT reference_number FROM payments)', /'payments'/],
  ['SELECT * FROM v_payments WHERE reference_number IN payments', /'payments'/],
  ['SELECT * FROM v_payments WHERE reference_number IN <db>.payments', /database-qualified/],
  ['SELECT (SELECT count() FROM payments)', /'payments'/],
  ['SELECT * FROM v_payments AS a JOIN payments AS b USING (reference_number)', /'payments'/],
  ['SELECT * FROM v_payments ARRAY JOIN [1] AS x JOIN system.tables USING (name)', /database-qualified/],
  ['WITH (SELECT max(cif_hash) FROM payments) AS x SELECT x', /'payments'/],
  ['SELECT * FROM v_payments WHERE 1 IN (SELECT 1 FROM numbers(1) WHERE number IN (SELECT 0 FROM payments))', /'payments'/],
  ['SELECT arrayMap(x -> (SELECT count() FROM payments), [1])', /'payments'/],
  ['SELECT * FROM "default".v_payments', /database-qualified/],
  ['SELECT * FROM v_payments AS p JOIN <db>_sql_full.v_payments AS f USING (reference_number)', /database-qualified/],
  ['SELECT * FROM loop(payments)', /table function loop\(\)/],
  ['SELECT * FROM mergeTreeIndex(<db>, payments)', /table function mergeTreeIndex\(\)/],
  ["SELECT * FROM s3Cluster('c', 'http://127.0.0.1:9/b/x.csv')", /table function s3Cluster\(\)/],
  ["SELECT * FROM numbers(1) WHERE number IN (SELECT * FROM file('/etc/passwd', 'LineAsString'))", /table function file\(\)/],
  ["SELECT dictGetOrDefault('d', 'a', 1, 'x')", /function dictGetOrDefault\(\)/],
  ['SELECT tcpPort()', /function tcpPort\(\)/],
  // CTE scope: a name is a CTE only where it is in scope
  ['SELECT f.* FROM (WITH payments AS (SELECT 1 AS a) SELECT a FROM payments) s, payments f', /'payments' is not a documented view/],
  ['WITH payments AS (SELECT * FROM payments) SELECT * FROM payments', /'payments'/],
  ['WITH a AS (SELECT * FROM payments), payments AS (SELECT 1) SELECT * FROM a', /'payments'/],
  // table functions: files, network, other tables, commands
  ["SELECT * FROM file('/etc/passwd', 'LineAsString')", /table function file\(\)/],
  ["SELECT * FROM url('http://127.0.0.1:9/x', 'CSV')", /table function url\(\)/],
  ["SELECT * FROM remote('127.0.0.1:9000', system.one)", /table function remote\(\)/],
  ["SELECT * FROM remoteSecure('127.0.0.1:9440', system.one)", /table function remoteSecure\(\)/],
  ["SELECT * FROM cluster('default', system.one)", /table function cluster\(\)/],
  ["SELECT * FROM s3('http://127.0.0.1:9/bucket/x.csv', 'CSV')", /table function s3\(\)/],
  ["SELECT * FROM input('a String')", /table function input\(\)/],
  ["SELECT * FROM jdbc('jdbc:x', 'db', 't')", /table function jdbc\(\)/],
  ["SELECT * FROM odbc('DSN=x', 'db', 't')", /table function odbc\(\)/],
  ["SELECT * FROM hdfs('hdfs://x/y', 'CSV')", /table function hdfs\(\)/],
  ["SELECT * FROM mysql('127.0.0.1:3306', 'db', 't', 'u', 'p')", /table function mysql\(\)/],
  ["SELECT * FROM postgresql('127.0.0.1:5432', 'db', 't', 'u', 'p')", /table function postgresql\(\)/],
  ["SELECT * FROM executable('cat /etc/passwd', 'TSV', 'a String')", /table function executable\(\)/],
  ["SELECT * FROM merge('<db>', '.*')", /table function merge\(\)/],
  ["SELECT * FROM merge(REGEXP('.*'), '.*')", /table function merge\(\)/],
  ['SELECT * FROM view(SELECT * FROM payments)', /table function view\(\)|'payments'/],
  ["SELECT * FROM dictionary('d')", /table function dictionary\(\)/],
  ["SELECT * FROM generateRandom('a String')", /table function generateRandom\(\)/],
  ["SELECT * FROM numbers(1) AS n, file('/etc/passwd') AS f", /table function file\(\)/],
  ["SELECT * FROM numbers(length(file('/etc/passwd')))", /function file\(\)/],
  // functions that reach outside the rows
  ["SELECT file('/etc/passwd')", /function file\(\)/],
  ["SELECT getSetting('readonly')", /function getSetting\(\)/],
  ['SELECT currentDatabase()', /function currentDatabase\(\)/],
  ['SELECT currentUser()', /function currentUser\(\)/],
  ["SELECT dictGet('d', 'a', 1)", /function dictGet\(\)/],
  ["SELECT joinGet('<db>.payments', 'status', 'SQL-SEC-1')", /function joinGet\(\)/],
  ["SELECT hasColumnInTable('<db>', 'payments', 'cif_hash')", /function hasColumnInTable\(\)/],
  ['SELECT hostName()', /function hostName\(\)/],
  ['SELECT sleep(3)', /function sleep\(\)/],
  ['SELECT sleepEachRow(1) FROM numbers(100)', /function sleepEachRow\(\)/],
  ['SELECT SLEEP(3)', /function SLEEP\(\)/i],
  ["SELECT __getScalar('x')", /function __getScalar\(\)/],
  ['SELECT filesystemAvailable()', /function filesystemAvailable\(\)/],
  // settings, output, other statements
  ['SELECT 1 SETTINGS readonly = 0', /SETTINGS/],
  ['SELECT * FROM v_payments SETTINGS max_execution_time = 1000', /SETTINGS/],
  ['SELECT * FROM (SELECT 1 SETTINGS max_memory_usage = 0)', /SETTINGS/],
  ["SELECT 1 INTO OUTFILE '<out>'", /only one SELECT/],
  ["SELECT * FROM v_payments INTO OUTFILE '<out>' FORMAT CSV", /only one SELECT/],
  ['SELECT 1 FORMAT JSON', /only one SELECT/],
  ['SET readonly = 0', /only one SELECT/],
  ["SET max_memory_usage = '1000000000000'", /only one SELECT/],
  ["INSERT INTO <db>.payments (reference_number) VALUES ('x')", /only one SELECT/],
  ["INSERT INTO FUNCTION file('<out>', 'CSV') SELECT 1", /only one SELECT/],
  ['CREATE TABLE evil (a Int32) ENGINE = Memory', /only one SELECT/],
  ['CREATE VIEW v_evil AS SELECT 1', /only one SELECT/],
  ['DROP TABLE <db>.payments', /only one SELECT/],
  ['TRUNCATE TABLE <db>.payments', /only one SELECT/],
  ['ALTER TABLE <db>.payments DELETE WHERE 1', /only one SELECT/],
  ["ALTER TABLE <db>.payments UPDATE status = 'x' WHERE 1", /only one SELECT/],
  ['DELETE FROM <db>.payments WHERE 1', /only one SELECT/],
  ['SYSTEM SHUTDOWN', /only one SELECT/],
  ['SYSTEM DROP DNS CACHE', /only one SELECT/],
  ['KILL QUERY WHERE 1', /only one SELECT/],
  ["ATTACH TABLE evil FROM '/tmp' (a Int32)", /only one SELECT/],
  ['DETACH TABLE <db>.payments', /only one SELECT/],
  ['OPTIMIZE TABLE <db>.payments FINAL', /only one SELECT/],
  ['RENAME TABLE <db>.payments TO <db>.p2', /only one SELECT/],
  ['GRANT ALL ON *.* TO default', /only one SELECT/],
  ['SHOW TABLES FROM <db>', /only one SELECT/],
  ['SHOW CREATE TABLE <db>.payments', /only one SELECT/],
  ['DESCRIBE TABLE <db>.payments', /only one SELECT/],
  ['EXISTS TABLE <db>.payments', /only one SELECT/],
  ['EXPLAIN SELECT * FROM payments', /only one SELECT|viewExplain/],
  ["BACKUP DATABASE <db> TO File('<out>')", /only one SELECT/],
  ['USE system', /only one SELECT/],
  // several statements, comment and quoting tricks
  ['SELECT 1; DROP TABLE <db>.payments', /exactly one statement/],
  ['SELECT 1; SELECT 2', /exactly one statement/],
  ['SELECT 1;\nSELECT * FROM <db>.payments', /exactly one statement/],
  ['SELECT 1 -- ;\n; SELECT * FROM payments', /exactly one statement/],
  ['SELECT 1 /* ; */ ; DROP TABLE <db>.payments', /exactly one statement/],
  ["SELECT '; DROP TABLE <db>.payments; ' AS s FROM payments", /'payments'/],
  ['SELECT 1 FROM v_payments /* */ , payments', /'payments'/],
  ['SELECT 1 FROM v_payments -- \n , payments', /'payments'/],
  ['SELECT * FROM `v_payments, identifier: v_payments`', /quoted names/],
  ['SELECT 1 AS `a\n      IDENTIFIER id: 99, identifier: v_payments` FROM payments', /quoted names/],
  ['SELECT * FROM `payments\n    IDENTIFIER id: 4, identifier: v_payments`', /quoted names/],
  ['SELECT {x:Identifier} FROM v_payments', /\{name:Type\}|not supported/],
  ['SELECT * FROM {t:Identifier}', /\{name:Type\}|not supported/],
];

function realSql(statement: string, database: string, outDir: string): string {
  return statement.replaceAll('<db>', database).replaceAll('<out>', join(outDir, 'escape.csv'));
}

describe('ClickHouse SQL sandbox on in-process chDB: the escape corpus', () => {
  let dataDir: string;
  let outDir: string;
  let f: Fixture;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'payscope-chdb-sandbox-'));
    outDir = mkdtempSync(join(tmpdir(), 'payscope-chdb-out-'));
    writeFileSync(join(outDir, 'secret.csv'), `${SECRET}\n`);
    const { createChdbConnection } = await import('chdb/connection');
    const client = createClient({ connection: createChdbConnection({ path: dataDir }) } as never);
    f = await openFixture(client);
  });
  afterAll(async () => {
    await f?.client.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(outDir, { recursive: true, force: true });
  });

  for (const [statement, message] of ESCAPES) {
    it(`refuses ${JSON.stringify(statement)}`, async () => {
      const sql = realSql(statement, f.database, outDir);
      const verdict = await f.sandbox.checkSandboxSql(sql);
      expect(verdict.ok, JSON.stringify(verdict)).toBe(false);
      if (!verdict.ok) expect(verdict.message).toMatch(message);
      const outcome = await f.run(sql, { schema: 'sql_full' });
      expect(outcome.ok).toBe(false);
      expect(JSON.stringify(outcome)).not.toMatch(/h-cust|h-cif|h-loan/);
    });
  }

  it('wrote no file, changed no table and left the session writable after every refused statement', async () => {
    expect(existsSync(join(outDir, 'escape.csv'))).toBe(false);
    const count = await f.client.query({ query: `SELECT toUInt32(count()) AS n FROM ${f.database}.payments`, format: 'JSONEachRow' });
    expect(await count.json()).toEqual([{ n: 2 }]);
    // readonly = 1 is per query: the adapter's session still writes.
    await f.client.command({ query: `CREATE TABLE ${f.database}.scratch (a Int32) ENGINE = Memory` });
    await f.client.command({ query: `DROP TABLE ${f.database}.scratch` });
  });

  it('refuses odd bytes, a NUL and a statement longer than the limit', async () => {
    expect(await f.sandbox.checkSandboxSql('SELECT 1\u0000; DROP TABLE x')).toMatchObject({ ok: false, kind: 'invalid' });
    expect(await f.sandbox.checkSandboxSql('SELECT \u0001 1')).toMatchObject({ ok: false });
    expect(await f.sandbox.checkSandboxSql('SELECT 1 \u2028 FROM payments')).toMatchObject({ ok: false });
    expect(await f.sandbox.checkSandboxSql(`SELECT 1 ${' '.repeat(100_001)}`)).toMatchObject({ ok: false, kind: 'invalid' });
    const longButFine = `SELECT ${Array.from({ length: 2000 }, (_, i) => `${i} AS c${i}`).join(', ')}`;
    expect(await f.sandbox.checkSandboxSql(longButFine)).toEqual({ ok: true });
    const deep = `SELECT ${'('.repeat(5000)}1${')'.repeat(5000)}`;
    expect(await f.sandbox.checkSandboxSql(deep)).toMatchObject({ ok: false });
  });

  it('the engine refuses file and network table functions even when the guard is bypassed (readonly = 1)', async () => {
    for (const statement of [
      `SELECT * FROM file('${join(outDir, 'secret.csv')}', 'LineAsString')`,
      "SELECT * FROM url('http://127.0.0.1:9/x', 'LineAsString')",
      "SELECT * FROM remote('127.0.0.1:9', system.one)",
      "SELECT * FROM executable('cat /etc/passwd', 'TSV', 'a String')",
    ]) {
      const error = await f.client
        .query({ query: `${statement} SETTINGS readonly = 1`, format: 'JSONEachRow' })
        .then((r) => r.text())
        .then(
          (text) => text,
          (e: Error) => e,
        );
      expect(error, statement).toBeInstanceOf(Error);
      expect(String(error)).not.toContain(SECRET);
      expect(String(error)).toMatch(/readonly|READONLY|syntax|Syntax/);
    }
  });

  it("follows ClickHouse's scoping: a WITH on the first SELECT of a UNION covers the whole UNION, so the name there is the CTE", async () => {
    const outcome = await f.run('(WITH payments AS (SELECT 1 AS a) SELECT * FROM payments) UNION ALL SELECT * FROM payments');
    expect(outcome).toMatchObject({ ok: true, rows: [[1], [1]] });
  });

  it('stops a query at the timeout and one that needs too much memory', async () => {
    const slow = await f.run('SELECT count() FROM numbers(100000000000) WHERE sipHash64(number) = 1', { timeoutMs: 500 });
    expect(slow).toMatchObject({ ok: false, reason: 'timeout' });
    const big = await f.run('SELECT groupArray(repeat(toString(number), 100)) FROM numbers(100000000)');
    expect(big.ok).toBe(false);
    const cross = await f.run('SELECT count() FROM numbers(100000) AS a, numbers(100000) AS b', { timeoutMs: 500 });
    expect(cross).toMatchObject({ ok: false, reason: 'timeout' });
  });

  it('answers SELECTs over the views with ClickHouse types, JSON-safe values and a row limit', async () => {
    const result = await f.run(
      `SELECT reference_number, amount_minor, payment_time, status FROM v_payments WHERE currency = $1 ORDER BY reference_number`,
      { params: ['INR'] },
    );
    expect(result).toEqual({
      ok: true,
      columns: [
        { name: 'reference_number', type: 'String' },
        { name: 'amount_minor', type: 'Nullable(Int64)' },
        { name: 'payment_time', type: "Nullable(DateTime64(3, 'UTC'))" },
        { name: 'status', type: 'Nullable(String)' },
      ],
      rows: [
        ['SQL-SEC-1', 100, '2026-11-21T04:00:00.123Z', 'succeeded'],
        ['SQL-SEC-2', '9007199254740993', '2026-11-21T05:00:00.000Z', 'failed'],
      ],
      truncated: false,
    });
    const limited = await f.run('SELECT number FROM numbers(1000)', { maxRows: 10 });
    expect(limited).toMatchObject({ ok: true, truncated: true });
    if (limited.ok) expect(limited.rows).toEqual(Array.from({ length: 10 }, (_, i) => [i]));
    const exact = await f.run('SELECT number FROM numbers(10)', { maxRows: 10 });
    expect(exact).toMatchObject({ ok: true, truncated: false });
  });

  it('reads keyed tables merged (final = 1): a payment replaced by a newer version is seen once', async () => {
    for (const [version, status] of [
      [1, 'pending'],
      [2, 'succeeded'],
    ] as const) {
      await f.client.command({
        query: `INSERT INTO ${f.database}.payments (reference_number, currency, status, _version) VALUES ('SQL-SEC-3', 'USD', '${status}', ${version})`,
      });
    }
    const outcome = await f.run(`SELECT reference_number, status FROM v_payments WHERE currency = 'USD'`);
    expect(outcome).toMatchObject({ ok: true, rows: [['SQL-SEC-3', 'succeeded']] });
  });

  it('binds $1, $2… as typed parameters, never as SQL, and leaves $n inside strings alone', async () => {
    const result = await f.run(
      `SELECT $1 AS s, $2 AS n, $3 AS b, '$1' AS literal, count() AS c FROM v_payments WHERE reference_number = $1`,
      {
        params: ["SQL-SEC-1' OR 1 = 1 --", 7, true],
      },
    );
    expect(result, JSON.stringify(result)).toMatchObject({ ok: true, rows: [["SQL-SEC-1' OR 1 = 1 --", 7, true, '$1', 0]] });
    expect(await f.run('SELECT $2', { params: [1] })).toMatchObject({ ok: false, reason: 'invalid' });
  });

  it('allows CTEs, subqueries, joins, unions, window functions and the allowed table functions', async () => {
    const statements = [
      'WITH p AS (SELECT * FROM v_payments) SELECT count() FROM p',
      'WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT sum(n) FROM r',
      'SELECT a.reference_number FROM v_payments AS a JOIN v_refunds AS b ON a.reference_number = b.reference_number',
      'SELECT status FROM v_payments UNION ALL SELECT status FROM v_disputes',
      'SELECT reference_number, sum(amount_minor) OVER (PARTITION BY currency) FROM v_payments',
      'SELECT * FROM v_payments WHERE reference_number IN (SELECT reference_number FROM v_refunds)',
      'SELECT number FROM numbers(3)',
      'SELECT count() FROM v_payment_rollup_day',
      'SELECT 1',
      'SELECT quantileExact(0.5)(amount_minor) FROM v_payments',
      "SELECT JSONExtractString(properties, 'method') FROM v_behaviour_events",
    ];
    for (const statement of statements) {
      const outcome = await f.run(statement);
      expect(outcome.ok, `${statement}: ${JSON.stringify(outcome)}`).toBe(true);
    }
  });

  it('masks personal columns for the masked views, also under an alias or inside an expression', async () => {
    const statement = `SELECT customer_hash, cif_hash AS c, upper(loan_account_hash) AS l, uniqExact(customer_hash) AS n
                       FROM v_payments WHERE reference_number = 'SQL-SEC-1' GROUP BY ALL`;
    const masked = await f.run(statement);
    expect(masked).toMatchObject({ ok: true, rows: [[null, null, null, 0]] });
    const full = await f.run(statement, { schema: 'sql_full' });
    expect(full).toMatchObject({ ok: true, rows: [['h-cust', 'h-cif', 'H-LOAN', 1]] });
  });

  it('masks personal fields inside JSON columns (top level and nested), not for the full views', async () => {
    const statement = `SELECT properties, JSONExtractString(properties, 'email') AS email FROM v_behaviour_events`;
    const masked = await f.run(statement);
    expect(masked.ok).toBe(true);
    if (!masked.ok) return;
    const [properties, email] = masked.rows[0] ?? [];
    expect(JSON.parse(String(properties))).toEqual({ method: 'otp', marketing_opt_in: true, payment: { mode: 'upi' } });
    expect(email).toBe('');
    expect(JSON.stringify(masked)).not.toMatch(/h-email|h-phone|h-ref|h-pcif/);
    const full = await f.run(statement, { schema: 'sql_full' });
    expect(full.ok && JSON.parse(String(full.rows[0]?.[0]))).toMatchObject({ email: 'h-email', payment: { cif: 'h-pcif' } });
  });
});

describe('ClickHouse SQL sandbox over real HTTP (chDB served by scripts/clickhouse-http.c)', () => {
  let server: ClickHouseServer | null;
  let f: Fixture;
  beforeAll(async () => {
    server = await startClickHouseServer();
    if (!server) return;
    const client = createClient({ url: server.url, clickhouse_settings: { output_format_json_quote_64bit_integers: 1 } });
    f = await openFixture(client);
  });
  afterAll(async () => {
    await f?.client.close();
    await server?.stop();
  });

  it('the official client works against it: table, insert, {p:Type} parameters, quoted 64-bit integers', async (ctx) => {
    if (!server) return ctx.skip();
    await f.client.command({
      query: `CREATE TABLE ${f.database}.t (id UInt64, amount Int64, at DateTime64(3, 'UTC')) ENGINE = MergeTree ORDER BY id`,
    });
    await f.client.insert({
      table: `${f.database}.t`,
      values: [
        { id: 1, amount: '9007199254740993', at: '2026-11-21 04:00:00.123' },
        { id: 2, amount: -5, at: '2026-11-21 05:00:00.000' },
      ],
      format: 'JSONEachRow',
    });
    const result = await f.client.query({
      query: `SELECT id, amount, at FROM ${f.database}.t WHERE amount > {min:Int64} AND at >= {from:DateTime64(3, 'UTC')} ORDER BY id`,
      query_params: { min: -10, from: '2026-11-21 00:00:00' },
      format: 'JSONEachRow',
    });
    expect(await result.json()).toEqual([
      { id: '1', amount: '9007199254740993', at: '2026-11-21 04:00:00.123' },
      { id: '2', amount: '-5', at: '2026-11-21 05:00:00.000' },
    ]);
  });

  it('answers a SELECT over the masked views', async (ctx) => {
    if (!server) return ctx.skip();
    const result = await f.run(
      'SELECT reference_number, amount_minor, customer_hash FROM v_payments WHERE status = $1 ORDER BY reference_number',
      { params: ['failed'] },
    );
    expect(result).toMatchObject({ ok: true, rows: [['SQL-SEC-2', '9007199254740993', null]], truncated: false });
  });

  const attacks: [string, RegExp][] = [
    ['SELECT * FROM payments', /not a documented view/],
    ['SELECT * FROM system.tables', /database-qualified/],
    ["SELECT * FROM file('/etc/passwd', 'LineAsString')", /table function file\(\)/],
    ["SELECT * FROM url('http://127.0.0.1:9/x', 'CSV')", /table function url\(\)/],
    ['SELECT 1 SETTINGS readonly = 0', /SETTINGS/],
    ['SELECT 1; DROP TABLE <db>.payments', /exactly one statement/],
    ["SELECT 1 INTO OUTFILE '/tmp/payscope-escape.csv'", /only one SELECT/],
  ];
  for (const [statement, message] of attacks) {
    it(`refuses ${JSON.stringify(statement)}`, async (ctx) => {
      if (!server) return ctx.skip();
      const outcome = await f.run(statement.replaceAll('<db>', f.database));
      expect(outcome).toMatchObject({ ok: false, message: expect.stringMatching(message) });
    });
  }

  it('stops a slow query at the timeout', async (ctx) => {
    if (!server) return ctx.skip();
    const slow = await f.run('SELECT count() FROM numbers(100000000000) WHERE sipHash64(number) = 1', { timeoutMs: 500 });
    expect(slow).toMatchObject({ ok: false, reason: 'timeout' });
    // Rows already streaming when the time runs out: still a timeout, not a half-read body.
    const streaming = await f.run('SELECT number FROM numbers(100000000000) WHERE sipHash64(number) % 100000 = 0', {
      timeoutMs: 500,
      maxRows: 1_000_000,
    });
    expect(streaming).toMatchObject({ ok: false, reason: 'timeout' });
  });
});
