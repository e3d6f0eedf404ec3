import { afterAll, beforeAll, expect, it } from 'vitest';
import { type TestApp, startTestApp, authFetch } from '../harness/app.js';
import { describeEachStore } from '../harness/stores.js';

async function getJson<T = Record<string, unknown>>(url: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const res = await authFetch(url, init);
  return { status: res.status, body: (await res.json()) as T };
}

describeEachStore('analytics pipeline API (errors)', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(kind.name);
  });
  afterAll(() => t?.stop());

  it('refuses a bad data-quality window, a bad replay body and a merchants file with bad rows, naming what to fix', async () => {
    const q = await getJson<{ error: { code: string; message: string } }>(`${t.url}/api/v1/data-quality?days=0`);
    expect(q.status).toBe(422);
    expect(q.body.error.code).toBe('VALIDATION_FAILED');
    const r = await getJson<{ error: { code: string } }>(`${t.url}/api/v1/dead-letters/replay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ids: ['one'] }),
    });
    expect(r.status).toBe(422);
    const csv = 'merchant_id,name,settlement_cycle\nM-1,Good,T+1\nM-2,,T+1\nM-3,Bad cycle,weekly\n';
    const m = await getJson<{ error: { code: string; message: string } }>(`${t.url}/api/v1/merchants`, {
      method: 'PUT',
      headers: { 'content-type': 'text/csv' },
      body: csv,
    });
    expect(m.status).toBe(422);
    expect(m.body.error.message).toMatch(/line 3: name/);
    expect(m.body.error.message).toMatch(/line 4: settlement_cycle must look like T\+1/);
    expect(await t.app.warehouse?.query('SELECT * FROM merchants')).toEqual([]);
  });
});
