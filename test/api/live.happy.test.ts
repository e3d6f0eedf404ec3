import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_SECRETS, type TestApp, startTestApp } from '../harness/app.js';
import { readEvents } from '../harness/sse.js';
import { seedBody, sendWebhook } from '../harness/webhook-client.js';

describe('GET /api/v1/live (SSE)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('pglite', { LIVE_INTERVAL_MS: '150' });
    for (let i = 0; i < 3; i++)
      await sendWebhook(t.url, seedBody(`LIVE-${i}`, { amount: '100.00', payment_date: new Date().toISOString() }), {
        secret: TEST_SECRETS.default,
      });
  });
  afterAll(() => t?.stop());

  it('streams snapshots with ids: today’s GMV per currency, transactions per minute, success rate, latest failures', async () => {
    const res = await fetch(`${t.url}/api/v1/live?tz=Asia/Kolkata`, { headers: t.auth });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    let snapshot: Record<string, unknown> = {};
    for (let attempt = 0; attempt < 40; attempt++) {
      const { events } = await readEvents(await fetch(`${t.url}/api/v1/live?tz=Asia/Kolkata`, { headers: t.auth }), 1);
      snapshot = JSON.parse(events[0]?.data ?? '{}') as Record<string, unknown>;
      // The three payments reach the warehouse one consumer batch at a time: wait for all of them.
      if ((snapshot.counts as { payment_count?: number } | undefined)?.payment_count === 3) break;
      await new Promise((r) => setTimeout(r, 150));
    }
    expect(snapshot).toMatchObject({
      tz: 'Asia/Kolkata',
      gmv: [{ currency: 'INR', gmv_minor: 30_000, payment_count: 3 }],
      success_rate: 1,
      counts: { payment_count: 3, successful_count: 3, failed_count: 0, pending_count: 0 },
      latest_failures: [],
    });
    expect(snapshot.transactions_per_minute).toHaveLength(15);
    const { events } = await readEvents(res, 3);
    expect(events).toHaveLength(3);
    for (const e of events) {
      expect(e.event).toBe('snapshot');
      expect(e.id).toMatch(/^[a-z0-9]+-\d+$/);
    }
    const seqs = events.map((e) => Number(e.id?.split('-')[1]));
    expect(seqs[2]).toBeGreaterThan(seqs[0] as number);
  });

  it('resumes a reconnect with Last-Event-ID: a full snapshot at once, with a newer id', async () => {
    const first = await readEvents(await fetch(`${t.url}/api/v1/live`, { headers: t.auth }), 2);
    const lastId = first.events.at(-1)?.id as string;
    const again = await readEvents(await fetch(`${t.url}/api/v1/live`, { headers: { ...t.auth, 'last-event-id': lastId } }), 1);
    expect(again.comments.some((c) => c.includes(`resuming after ${lastId}`))).toBe(true);
    const snapshot = JSON.parse(again.events[0]?.data ?? '{}') as Record<string, unknown>;
    expect(snapshot).toHaveProperty('gmv');
    expect(snapshot).toHaveProperty('success_rate');
    expect(Number(again.events[0]?.id?.split('-')[1])).toBeGreaterThanOrEqual(Number(lastId.split('-')[1]));
  });

  it('refuses a bad time zone and a key without analyst or finance', async () => {
    const bad = await fetch(`${t.url}/api/v1/live?tz=Mars/Olympus`, { headers: t.auth });
    expect(bad.status).toBe(422);
    const ingest = await t.createKey(['ingest']);
    expect((await fetch(`${t.url}/api/v1/live`, { headers: { authorization: `Bearer ${ingest}` } })).status).toBe(403);
  });

  it('names its fields as analytics does and rounds success_rate to 6 places (3 of 7 → 0.428571)', async () => {
    for (let i = 0; i < 4; i++)
      await sendWebhook(
        t.url,
        seedBody(`LIVE-F-${i}`, { amount: '100.00', status: 'failed', failure_reason: 'declined', payment_date: new Date().toISOString() }),
        { secret: TEST_SECRETS.default },
      );
    let snapshot: Record<string, unknown> = {};
    for (let attempt = 0; attempt < 40; attempt++) {
      const { events } = await readEvents(await fetch(`${t.url}/api/v1/live?tz=UTC`, { headers: t.auth }), 1);
      snapshot = JSON.parse(events[0]?.data ?? '{}') as Record<string, unknown>;
      if ((snapshot.counts as { payment_count?: number } | undefined)?.payment_count === 7) break;
      await new Promise((r) => setTimeout(r, 150));
    }
    expect(snapshot).toMatchObject({
      gmv: [{ currency: 'INR', gmv_minor: 30_000, payment_count: 3 }],
      success_rate: 0.428571,
      counts: { payment_count: 7, successful_count: 3, failed_count: 4, pending_count: 0 },
    });
    expect(Object.keys((snapshot.transactions_per_minute as object[])[0] ?? {}).sort()).toEqual(['minute', 'payment_count']);
  });
});
