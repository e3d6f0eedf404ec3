import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, authFetch, startTestApp } from '../harness/app.js';
import { waitFor } from '../harness/event-logs.js';

describe('POST /api/v1/sql (errors)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('pglite', { SQL_TIMEOUT_MS: '300', SQL_MAX_CONCURRENT: '1' });
  });
  afterAll(() => t?.stop());

  const sql = async (body: unknown) => {
    const res = await authFetch(`${t.url}/api/v1/sql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as { error: { code: string; message: string } } };
  };

  it('answers SQL_INVALID for a syntax error, naming it', async () => {
    const res = await sql({ sql: 'SELEC 1' });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'SQL_INVALID', message: expect.stringMatching(/SELEC/) });
  });

  it('answers SQL_INVALID for an unknown column and for missing parameters', async () => {
    expect((await sql({ sql: 'SELECT nope FROM v_payments' })).body.error.code).toBe('SQL_INVALID');
    expect((await sql({ sql: 'SELECT * FROM v_payments WHERE amount_minor > $1' })).body.error.code).toBe('SQL_INVALID');
  });

  it('interrupts a query that runs longer than SQL_TIMEOUT_MS (SQL_TIMEOUT, 504), and the server keeps answering', async () => {
    const started = Date.now();
    const res = await sql({ sql: 'SELECT count(*) FROM range(100000000000) a, range(1000000) b WHERE a.range * b.range = -1' });
    expect(res.status).toBe(504);
    expect(res.body.error.code).toBe('SQL_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await sql({ sql: 'SELECT 1 AS one' })).status).toBe(200);
  });

  it('answers SQL_TIMEOUT at the deadline even when DuckDB cannot interrupt the call; meanwhile SQL is busy (503 SQL_BUSY) and other endpoints answer', async () => {
    // One long scalar call: DuckDB checks for interrupts between vectors, not inside levenshtein().
    const long = await sql({ sql: "SELECT levenshtein(repeat('a', 20000), repeat('b', 20000)) AS d" });
    expect(long.status).toBe(504);
    expect(long.body.error.code).toBe('SQL_TIMEOUT');
    // The call is still running: its concurrency slot is held until DuckDB returns.
    const busy = await authFetch(`${t.url}/api/v1/sql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sql: 'SELECT 1' }),
    });
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await busy.json()) as { error: { code: string } }).error.code).toBe('SQL_BUSY');
    expect((await authFetch(`${t.url}/api/v1/analytics/kpis`)).status).toBe(200);
    await waitFor(async () => (await sql({ sql: 'SELECT 1 AS one' })).status === 200, 'the long call to finish and free its slot');
  });

  it('answers 413 with the SQL limit (not the webhook one) for a body beyond the SQL route limit', async () => {
    const res = await sql({ sql: `SELECT 1 -- ${'x'.repeat(2 * 1024 * 1024)}` });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(res.body.error.message).toMatch(/SQL/);
    expect(res.body.error.message).not.toMatch(/payment/);
  });

  it('refuses a statement longer than 100,000 characters, naming the limit', async () => {
    const res = await sql({ sql: `SELECT 1 -- ${'x'.repeat(100_000)}` });
    expect(res.status).toBe(422);
    expect(res.body.error.message).toMatch(/100000|100,000/);
  });

  it('refuses a body without sql, with unknown fields, or with a bad limit (VALIDATION_FAILED)', async () => {
    expect((await sql({})).body.error.code).toBe('VALIDATION_FAILED');
    expect((await sql({ sql: 'SELECT 1', drop: true })).body.error.code).toBe('VALIDATION_FAILED');
    expect((await sql({ sql: 'SELECT 1', limit: 0 })).body.error.code).toBe('VALIDATION_FAILED');
    expect((await sql('{not json')).body.error.code).toBe('MALFORMED_JSON');
  });
});
