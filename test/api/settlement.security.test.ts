import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeApiKey } from '../../src/api/access/api-keys.js';
import { type TestApp, startTestApp } from '../harness/app.js';

/** Settlement tiles are for finance (and admin) only (src/api/README.md#access). One app for the file. */

const TILES = '/api/v1/settlement/tiles';

interface ErrorBody {
  error?: { code: string; message: string; details?: unknown; docs?: string };
  tiles?: Record<string, unknown>;
}

describe('settlement tiles access (security)', () => {
  let t: TestApp;
  const keys: Record<string, string> = {};
  beforeAll(async () => {
    t = await startTestApp('pglite');
    for (const role of ['ingest', 'analyst', 'finance'] as const) keys[role] = await t.createKey([role]);
    keys.admin = t.adminKey;
    keys.revoked = await t.createKey(['finance'], 'settlement revoked');
    const { rows } = await t.app.store.query<{ id: number }>(`SELECT id FROM payment_service.api_keys WHERE name = 'settlement revoked'`);
    expect(await revokeApiKey(t.app.store, rows[0]?.id as number)).toBe(true);
  });
  afterAll(() => t?.stop());

  const call = async (headers: Record<string, string> = {}, query = '') => {
    const res = await fetch(`${t.url}${TILES}${query}`, { headers });
    return { status: res.status, body: (await res.json()) as ErrorBody };
  };
  const as = (who: string) => ({ authorization: `Bearer ${keys[who]}` });

  it('answers 401 API_KEY_MISSING without a key, also for an invalid query', async () => {
    for (const query of ['', '?tz=Nowhere/Else']) {
      const res = await call({}, query);
      expect(res.status).toBe(401);
      expect(res.body.error).toMatchObject({ code: 'API_KEY_MISSING', docs: '/docs/errors#api_key_missing' });
    }
  });

  it('answers 401 API_KEY_INVALID for a revoked, unknown or malformed key', async () => {
    for (const headers of [
      as('revoked'),
      { 'x-api-key': keys.revoked as string },
      { authorization: `Bearer psk_${'C'.repeat(43)}` },
      { authorization: 'Bearer not-a-key' },
    ]) {
      const res = await call(headers);
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(res.body.error?.code).toBe('API_KEY_INVALID');
    }
    // Another scheme is not an API key at all: refused as missing.
    const basic = await call({ authorization: `Basic ${Buffer.from(`x:${keys.finance}`).toString('base64')}` });
    expect(basic).toMatchObject({ status: 401, body: { error: { code: 'API_KEY_MISSING' } } });
  });

  it('answers 403 ROLE_FORBIDDEN to analyst and ingest keys: the tiles need finance', async () => {
    for (const who of ['analyst', 'ingest']) {
      const res = await call(as(who));
      expect(res.status, who).toBe(403);
      expect(res.body.error).toMatchObject({ code: 'ROLE_FORBIDDEN', details: { required: ['finance'], roles: [who] } });
    }
  });

  it('answers 200 with the nine tiles to finance and admin keys', async () => {
    for (const who of ['finance', 'admin']) {
      const res = await call(as(who), '?from=2026-11-01&to=2026-11-02&tz=Asia/Kolkata');
      expect(res.status, who).toBe(200);
      expect(Object.keys(res.body.tiles ?? {})).toHaveLength(9);
    }
    const both = await t.createKey(['analyst', 'finance']);
    expect((await call({ 'x-api-key': both })).status).toBe(200);
  });
});
