import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeApiKey } from '../../src/api/access/api-keys.js';
import type { Warehouse } from '../../src/warehouse/warehouse-port.js';
import { type TestApp, startTestApp } from '../harness/app.js';
import { readEvents } from '../harness/sse.js';

/**
 * The live feed shows the latest failed payments (row-level detail): analyst or finance keys (and
 * admin) only, every opened stream is written to the audit log, and a stream — with the work that
 * feeds it — stops when its client goes away. One app for the file.
 */

interface ErrorBody {
  error?: { code: string; message: string; details?: unknown; request_id?: string; docs?: string };
}

const INTERVAL_MS = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('GET /api/v1/live (security)', () => {
  let t: TestApp;
  const keys: Record<string, string> = {};
  beforeAll(async () => {
    t = await startTestApp('pglite', { LIVE_INTERVAL_MS: String(INTERVAL_MS) });
    for (const role of ['ingest', 'analyst', 'finance'] as const) keys[role] = await t.createKey([role], `live ${role}`);
    keys.admin = t.adminKey;
    keys.revoked = await t.createKey(['analyst'], 'live revoked');
    const { rows } = await t.app.store.query<{ id: number }>(`SELECT id FROM payment_service.api_keys WHERE name = 'live revoked'`);
    expect(await revokeApiKey(t.app.store, rows[0]?.id as number)).toBe(true);
  });
  afterAll(() => t?.stop());

  const as = (who: string) => ({ authorization: `Bearer ${keys[who]}` });
  const refused = async (headers: Record<string, string>, query = '') => {
    const res = await fetch(`${t.url}/api/v1/live${query}`, { headers, signal: AbortSignal.timeout(5000) });
    return { status: res.status, contentType: res.headers.get('content-type'), body: (await res.json()) as ErrorBody };
  };
  const auditRows = async (requestId: string) =>
    (
      await t.app.store.query<{ key_name: string; role: string; method: string; path: string; query: string | null; status: number }>(
        'SELECT key_name, role, method, path, query, status FROM payment_service.audit_log WHERE request_id = $1',
        [requestId],
      )
    ).rows;

  it('answers 401 API_KEY_MISSING without a key, as JSON, before looking at the query', async () => {
    for (const query of ['', '?tz=Mars/Olympus_Mons']) {
      const res = await refused({ accept: 'text/event-stream' }, query);
      expect(res.status).toBe(401);
      expect(res.contentType).toMatch(/^application\/json/);
      expect(res.body.error).toMatchObject({ code: 'API_KEY_MISSING', docs: '/docs/errors#api_key_missing' });
    }
  });

  it('answers 401 API_KEY_INVALID for a revoked, unknown or malformed key, and a forged session', async () => {
    for (const headers of [
      as('revoked'),
      { 'x-api-key': keys.revoked as string },
      { authorization: `Bearer psk_${'L'.repeat(43)}` },
      { authorization: 'Bearer not-a-key' },
      { cookie: `payscope_session=1.99999999999999.${'A'.repeat(43)}` },
    ] as Record<string, string>[]) {
      const res = await refused(headers);
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(res.body.error?.code).toBe('API_KEY_INVALID');
    }
  });

  it('answers 403 ROLE_FORBIDDEN to an ingest key, naming the roles needed and held', async () => {
    const res = await refused(as('ingest'));
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ code: 'ROLE_FORBIDDEN', details: { required: ['analyst', 'finance'], roles: ['ingest'] } });
  });

  it('streams to analyst, finance and admin keys, and to an analyst session cookie', async () => {
    const session = (
      await fetch(`${t.url}/api/v1/session`, { method: 'POST', headers: as('analyst') }).then((r) => r.headers.get('set-cookie') ?? '')
    ).split(';')[0] as string;
    for (const headers of [as('analyst'), as('finance'), as('admin'), { cookie: session }]) {
      const res = await fetch(`${t.url}/api/v1/live`, { headers });
      expect(res.status, JSON.stringify(headers)).toBe(200);
      expect((await readEvents(res, 1)).events[0]?.event).toBe('snapshot');
    }
  });

  it('writes each opened stream to the audit log with the key, the role that admitted it and the query', async () => {
    const res = await fetch(`${t.url}/api/v1/live?tz=Asia%2FKolkata`, { headers: as('finance') });
    const requestId = res.headers.get('x-request-id') as string;
    await readEvents(res, 1);
    let rows = await auditRows(requestId);
    for (let i = 0; i < 50 && rows.length === 0; i++) {
      await sleep(50);
      rows = await auditRows(requestId);
    }
    expect(rows).toEqual([
      { key_name: 'live finance', role: 'finance', method: 'GET', path: '/api/v1/live', query: 'tz=Asia%2FKolkata', status: 200 },
    ]);
    // A refused attempt never shows up as a read.
    const denied = await fetch(`${t.url}/api/v1/live`, { headers: as('ingest') });
    await denied.body?.cancel();
    await sleep(200);
    expect((await auditRows(denied.headers.get('x-request-id') as string)).filter((r) => r.status === 200)).toEqual([]);
  });

  it('ends an open stream with an API_KEY_INVALID error event once its key is revoked (checked every 5 s)', async () => {
    const key = await t.createKey(['analyst'], 'live revoked while streaming');
    const res = await fetch(`${t.url}/api/v1/live`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
    const { rows } = await t.app.store.query<{ id: number }>(
      `SELECT id FROM payment_service.api_keys WHERE name = 'live revoked while streaming'`,
    );
    expect(await revokeApiKey(t.app.store, rows[0]?.id as number)).toBe(true);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    const deadline = Date.now() + 15_000;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      if (Date.now() > deadline) {
        await reader.cancel();
        throw new Error('the stream outlived its revoked key by 15 s');
      }
    }
    // The server ended the stream itself (done), after telling the client why.
    expect(text).toMatch(/event: error\ndata: \{"code":"API_KEY_INVALID","message":"the API key of this stream was revoked"\}\n\n$/);
  }, 30_000);

  it('stops streaming and computing snapshots once every client has disconnected', async () => {
    // Count the feed's snapshot computations: each runs one "latest failures" query.
    const warehouse = t.app.warehouse as Warehouse;
    const query = warehouse.query;
    let snapshots = 0;
    warehouse.query = ((sql: string, params?: readonly unknown[]) => {
      if (sql.includes("status = 'failed' ORDER BY status_time")) snapshots++;
      return query.call(warehouse, sql, params as never);
    }) as Warehouse['query'];
    try {
      const clients = ['UTC', 'Asia/Kolkata', 'America/New_York'].map((tz) => {
        const controller = new AbortController();
        const opened = fetch(`${t.url}/api/v1/live?tz=${encodeURIComponent(tz)}`, { headers: as('analyst'), signal: controller.signal });
        return { controller, opened };
      });
      for (const { opened } of clients) {
        const res = await opened;
        const reader = (res.body as ReadableStream<Uint8Array>).getReader();
        await reader.read();
        reader.releaseLock();
      }
      const whileOpen = snapshots;
      await sleep(INTERVAL_MS * 5);
      expect(snapshots).toBeGreaterThan(whileOpen);
      for (const { controller } of clients) controller.abort();
      // Clients that go away while their key is still being checked (a session: a database read each time).
      const session = (
        await fetch(`${t.url}/api/v1/session`, { method: 'POST', headers: as('analyst') }).then((r) => r.headers.get('set-cookie') ?? '')
      ).split(';')[0] as string;
      const { host, port } = new URL(t.url);
      for (let i = 0; i < 5; i++) {
        const socket = connect({ host: host.split(':')[0] as string, port: Number(port) });
        await new Promise((resolve) => socket.once('connect', resolve));
        socket.write(`GET /api/v1/live?tz=Europe/Paris HTTP/1.1\r\nhost: ${host}\r\ncookie: ${session}\r\n\r\n`);
        socket.destroy();
      }
      await sleep(INTERVAL_MS * 5);
      const afterClose = snapshots;
      await sleep(INTERVAL_MS * 8);
      expect(snapshots).toBe(afterClose);
    } finally {
      warehouse.query = query;
    }
  });
});
