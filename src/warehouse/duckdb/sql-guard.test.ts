import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSerializedSql } from './sql-guard.js';

const VIEWS = new Set(['v_payments']);
const RELATIONS = new Set(['v_payments', 'payments']);

let instance: DuckDBInstance;
let db: DuckDBConnection;
beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  db = await instance.connect();
});
afterAll(() => {
  db?.closeSync();
  instance?.closeSync();
});

/** The guard's verdict on `sql`, parsed by DuckDB as the sandbox does. */
async function judge(sql: string) {
  const reader = await db.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR) AS tree', [sql]);
  return checkSerializedSql(String(reader.getRowsJS()[0]?.[0]), VIEWS, RELATIONS);
}

// Any name a caller could quote: a path, a file name, a word (never one of the views).
const name = fc.stringMatching(/^[a-zA-Z0-9_./ -]{1,40}$/).filter((n) => !VIEWS.has(n.toLowerCase()) && !RELATIONS.has(n.toLowerCase()));
const quoted = (n: string) => `"${n}"`;

describe('checkSerializedSql: CTE scope', () => {
  it('accepts a CTE used inside the query that defines it', async () => {
    await fc.assert(
      fc.asyncProperty(name, async (n) => {
        expect(await judge(`WITH ${quoted(n)} AS (SELECT 1 AS a) SELECT a FROM ${quoted(n)}`)).toEqual({ ok: true });
      }),
      { numRuns: 50 },
    );
  });

  it('refuses the same name outside that query (a subquery, a UNION branch, a scalar subquery, its own definition)', async () => {
    const escapes = [
      (q: string) => `SELECT f.* FROM (WITH ${q} AS (SELECT 1 AS a) SELECT a FROM ${q}) s, ${q} f`,
      (q: string) => `(WITH ${q} AS (SELECT 1 AS a) SELECT a FROM ${q}) UNION ALL SELECT * FROM ${q}`,
      (q: string) => `SELECT (WITH ${q} AS (SELECT 1 AS a) SELECT a FROM ${q}) AS x, f.* FROM ${q} f`,
      (q: string) => `WITH ${q} AS (SELECT * FROM ${q}) SELECT * FROM ${q}`,
      (q: string) => `WITH a AS (SELECT * FROM ${q}), ${q} AS (SELECT 1) SELECT * FROM a`,
    ];
    await fc.assert(
      fc.asyncProperty(name, fc.constantFrom(...escapes), async (n, statementWith) => {
        const verdict = await judge(statementWith(quoted(n)));
        expect(verdict).toMatchObject({ ok: false, kind: 'not_allowed', message: expect.stringMatching(/not a documented view/) });
      }),
      { numRuns: 100 },
    );
  });

  it('lets a recursive CTE and a later CTE see an earlier one', async () => {
    const sql = `WITH RECURSIVE r AS (SELECT 1 AS x UNION ALL SELECT x + 1 FROM r WHERE x < 3), s AS (SELECT * FROM r)
                 SELECT * FROM s JOIN v_payments ON true`;
    expect(await judge(sql)).toEqual({ ok: true });
  });
});

describe('checkSerializedSql: functions', () => {
  it('accepts the built-ins behind standard syntax: [..], {..}, position(.. IN ..), main.f()', async () => {
    for (const sql of ["SELECT [1, 2], {'a': 1}, position('x' IN 'axb')", 'SELECT main.list_value(1)']) {
      expect(await judge(sql), sql).toEqual({ ok: true });
    }
  });

  it('still refuses a denied function under main., and any other qualifier', async () => {
    expect(await judge("SELECT main.getenv('HOME')")).toMatchObject({ ok: false, message: expect.stringMatching(/getenv/) });
    expect(await judge('SELECT system.main.list_value(1)')).toMatchObject({
      ok: false,
      message: expect.stringMatching(/schema-qualified/),
    });
    expect(await judge('SELECT sql_full.f(1)')).toMatchObject({ ok: false, message: expect.stringMatching(/schema-qualified/) });
  });
});
