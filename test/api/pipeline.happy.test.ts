import { afterAll, beforeAll, expect, it } from 'vitest';
import { TEST_SECRETS, type TestApp, startTestApp, authFetch } from '../harness/app.js';
import { writeDeadLetters } from '../../src/store/dead-letter-table.js';
import { postEvents } from '../harness/event-capture.js';
import { waitFor } from '../harness/event-logs.js';
import { cloudEvent } from '../harness/events.js';
import { describeEachStore } from '../harness/stores.js';
import { seedBody, sendWebhook } from '../harness/webhook-client.js';

async function getJson<T = Record<string, unknown>>(url: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const res = await authFetch(url, init);
  return { status: res.status, body: (await res.json()) as T };
}

interface Quality {
  conservation: { ok: boolean; ledger: { count: number }; warehouse: { count: number }; in_flight: number | null; rows: unknown[] };
  freshness: { p95_ms: number | null; samples: number };
  dead_letters: { open: number; by_code: { code: string; open: number }[] };
  duplicates_dropped: { since_start: number };
}

describeEachStore('analytics pipeline in the running app', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(kind.name);
  });
  afterAll(() => t?.stop());

  const quality = () => getJson<Quality>(`${t.url}/api/v1/data-quality?days=30`).then((r) => r.body);

  it('lands webhook payments and captured events in the warehouse; the warehouse equals the ledger', async () => {
    const today = new Date().toISOString();
    for (let i = 0; i < 20; i++) {
      const body = seedBody(`PIPE-${i}`, { amount: `${100 + i}.25`, payment_date: today });
      const res = await sendWebhook(t.url, body, { secret: TEST_SECRETS.default });
      expect(res.status).toBe(201);
    }
    const captured = await postEvents(t.url, [
      cloudEvent('payment.failed', { reference_number: 'PIPE-3', amount: { amount_minor: 10_325, currency: 'INR' } }),
      cloudEvent('payment.refunded', {
        refund_id: 'rf-pipe-1',
        reference_number: 'PIPE-4',
        amount: { amount_minor: 5_000, currency: 'INR' },
      }),
      cloudEvent('product.viewed'),
    ]);
    expect(captured.status).toBe(200);

    await waitFor(async () => {
      const q = await quality();
      return q.conservation.ok && q.conservation.warehouse.count === 20;
    }, 'the warehouse to hold the 20 recorded payments');
    const q = await quality();
    expect(q.conservation.ledger.count).toBe(20);
    expect(q.freshness.samples).toBeGreaterThan(0);
    await waitFor(
      async () => (await t.app.warehouse?.query<{ n: number }>('SELECT count(*)::INT AS n FROM refunds'))?.[0]?.n === 1,
      'the refund to land',
    );
    const [failed] =
      (await t.app.warehouse?.query<{ status: string }>(`SELECT status FROM payments WHERE reference_number = 'PIPE-3'`)) ?? [];
    expect(failed?.status).toBe('failed');

    const health = await getJson<{ checks: { analytics: { state: string; applied: number } } }>(`${t.url}/health`);
    expect(health.body.checks.analytics.applied).toBeGreaterThanOrEqual(23);
  });

  it('keeps an event that cannot merge as a dead letter, lists it and replays it on request', async () => {
    await sendWebhook(t.url, seedBody('PIPE-DL', { amount: '10.00' }), { secret: TEST_SECRETS.default });
    const res = await postEvents(t.url, [
      cloudEvent('payment.succeeded', { reference_number: 'PIPE-DL', amount: { amount_minor: 1000, currency: 'USD' }, fee: null }),
    ]);
    expect(res.status).toBe(200);
    await waitFor(async () => (await quality()).dead_letters.open === 1, 'the conflicting event to be dead-lettered');
    const list = await getJson<{ items: Record<string, unknown>[] }>(`${t.url}/api/v1/dead-letters?stage=analytics`);
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0]).toMatchObject({ error_code: 'CURRENCY_MISMATCH', event_type: 'payment.succeeded', replayed_at: null });
    // snake_case like every other response: no camelCase key
    expect(Object.keys(list.body.items[0] ?? {}).filter((k) => /[A-Z]/.test(k))).toEqual([]);
    const replay = await getJson(`${t.url}/api/v1/dead-letters/replay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ids: [list.body.items[0]?.id] }),
    });
    expect(replay.body).toMatchObject({ replayed: 0, still_failing: 1 });
  });

  it('replays a capture dead letter through the intake into the outbox', async () => {
    const event = cloudEvent('product.viewed');
    await writeDeadLetters(t.app.store, [
      {
        stage: 'capture',
        origin: 'kafka:orders.events',
        eventId: event.id,
        eventType: event.type,
        partition: 0,
        offset: 7,
        payload: JSON.stringify(event),
        errorCode: 'UNSUPPORTED_EVENT_TYPE',
        errorMessage: 'unknown to an older Payscope',
      },
    ]);
    const replay = await getJson(`${t.url}/api/v1/dead-letters/replay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ stage: 'capture' }),
    });
    expect(replay.body).toMatchObject({ replayed: 1, still_failing: 0 });
    const stored = await t.app.store.query('SELECT 1 FROM payment_service.outbox WHERE event_id = $1', [event.id]);
    expect(stored.rows).toHaveLength(1);
  });

  it('loads the merchant dimension from CSV and enriches the payments already stored', async () => {
    await sendWebhook(t.url, seedBody('PIPE-M', { amount: '10.00', merchant_id: 'M-CSV' }), { secret: TEST_SECRETS.default });
    await waitFor(
      async () => ((await t.app.warehouse?.query(`SELECT 1 FROM payments WHERE reference_number = 'PIPE-M'`)) ?? []).length === 1,
      'PIPE-M in the warehouse',
    );
    const csv = 'merchant_id,name,category,settlement_cycle\nM-CSV,Acme Retail,retail,T+2\n';
    const res = await getJson(`${t.url}/api/v1/merchants`, { method: 'PUT', headers: { 'content-type': 'text/csv' }, body: csv });
    expect(res).toMatchObject({ status: 200, body: { merchants: 1, payments_updated: 1 } });
    const [row] =
      (await t.app.warehouse?.query(`SELECT merchant_name, settlement_cycle FROM payments WHERE reference_number = 'PIPE-M'`)) ?? [];
    expect(row).toEqual({ merchant_name: 'Acme Retail', settlement_cycle: 'T+2' });
  });

  it('describes the data product with each SLO measured', async () => {
    const res = await getJson<{ owner: string; slos: { name: string; measured: number | null; met: boolean | null }[]; tables: unknown[] }>(
      `${t.url}/api/v1/data-product`,
    );
    expect(res.status).toBe(200);
    expect(res.body.owner).toBe('payments-analytics');
    expect(res.body.slos.map((s) => s.name)).toEqual(['freshness', 'query_latency', 'completeness']);
    const freshness = res.body.slos.find((s) => s.name === 'freshness');
    expect(freshness?.measured).toEqual(expect.any(Number));
    expect(res.body.slos.find((s) => s.name === 'completeness')?.measured).toBe(1);
  });
});
