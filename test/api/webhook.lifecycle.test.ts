import { afterAll, beforeAll, expect, it } from 'vitest';
import { type TestApp, TEST_SECRETS, startTestApp } from '../harness/app.js';
import { describeEachStore } from '../harness/stores.js';
import { seedBody, sendWebhook } from '../harness/webhook-client.js';

// The seed body's lifecycle over real HTTP: the seed's own upper-case statuses, a transition, an
// exact redelivery and an amount conflict that is kept for review in the dead-letters API.
describeEachStore('webhooks: the payment lifecycle through the seed body', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(kind.name);
  });
  afterAll(() => t.stop());
  const send = (body: Record<string, unknown>) => sendWebhook(t.url, body, { secret: TEST_SECRETS.default });

  it('FAILED then SUCCESS under one reference: 201, then 200 transitioned; the ledger says succeeded', async () => {
    const failed = await send(seedBody('LIFE-1', { status: 'FAILED' }));
    expect(failed.status).toBe(201);
    const success = await send(seedBody('LIFE-1', { status: 'SUCCESS' }));
    expect(success.status).toBe(200);
    expect(success.body).toEqual({
      status: 'transitioned',
      payment_id: failed.body.payment_id,
      from_status: 'failed',
      to_status: 'succeeded',
      applied: true,
      version: 2,
    });
    const again = await send(seedBody('LIFE-1', { status: 'success' }));
    expect(again.body).toEqual({ status: 'duplicate', payment_id: failed.body.payment_id });
    const row = await t.app.store.query<{ status: string; captured_minor: number }>(
      "SELECT status, captured_minor FROM payment_service.payments WHERE reference_number = 'LIFE-1'",
    );
    expect(row.rows).toEqual([{ status: 'succeeded', captured_minor: 150_050 }]);
  });

  it('a word that names no status is refused with the list of statuses', async () => {
    const res = await send(seedBody('LIFE-2', { status: 'TELEPORTED' }));
    expect(res.status).toBe(422);
    expect(res.body.error?.code).toBe('VALIDATION_FAILED');
    expect(res.body.error?.message).toMatch(/status: 'TELEPORTED' is not a payment status; use one of pending, authorized/);
  });

  it('another amount under a recorded reference: 409 AMOUNT_CONFLICT, listed in GET /api/v1/dead-letters?stage=ledger', async () => {
    expect((await send(seedBody('LIFE-3'))).status).toBe(201);
    const conflict = await send(seedBody('LIFE-3', { amount: 1600 }));
    expect(conflict.status).toBe(409);
    expect(conflict.body.error?.code).toBe('AMOUNT_CONFLICT');
    const res = await fetch(`${t.url}/api/v1/dead-letters?stage=ledger`, { headers: t.auth });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items: Array<{ stage: string; error_code: string; event_id: string }> };
    expect(body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ stage: 'ledger', error_code: 'AMOUNT_CONFLICT', event_id: expect.stringMatching(/^LIFE-3\|/) }),
      ]),
    );
  });
});
