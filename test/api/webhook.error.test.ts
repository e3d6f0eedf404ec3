import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, TEST_SECRETS, startTestApp } from '../harness/app.js';
import { seedBody, sendWebhook } from '../harness/webhook-client.js';

// Error paths do not depend on the store; they run once, on the embedded default.
describe('webhooks (errors)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('pglite', { WEBHOOK_MAX_BODY_BYTES: '4096' });
  });
  afterAll(() => t.stop());
  const send = (body: unknown, opts: Partial<Parameters<typeof sendWebhook>[2]> = {}) =>
    sendWebhook(t.url, body, { secret: TEST_SECRETS.default, ...opts });

  it('refuses malformed JSON with 400 MALFORMED_JSON and the error body shape', async () => {
    const res = await send('{"reference_number": ');
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({
      code: 'MALFORMED_JSON',
      message: expect.stringContaining('not valid JSON'),
      request_id: expect.any(String),
      docs: expect.stringContaining('malformed_json'),
    });
    expect(res.headers.get('x-request-id')).toBe(res.body.error?.request_id);
  });

  it('names every missing field with 422 VALIDATION_FAILED', async () => {
    const res = await send({ amount: 10 });
    expect(res.status).toBe(422);
    expect(res.body.error?.code).toBe('VALIDATION_FAILED');
    expect(res.body.error?.message).toContain('reference_number');
    expect(res.body.error?.message).toContain('payment_date');
  });

  it('refuses an amount with more decimals than the currency allows, never rounding it', async () => {
    for (const [amount, currency] of [
      [10.005, 'INR'],
      [100.5, 'JPY'],
      ['1.0001', 'KWD'],
    ] as const) {
      const res = await send(seedBody(`DEC-${currency}`, { amount, currency }));
      expect(res.status, `${amount} ${currency}`).toBe(422);
      expect(res.body.error?.code).toBe('AMOUNT_PRECISION');
    }
    const ok = await send(seedBody('DEC-KWD-OK', { amount: '1.005', currency: 'KWD' }));
    expect(ok.status).toBe(201);
  });

  it('refuses an unknown currency with 422 UNKNOWN_CURRENCY', async () => {
    const res = await send(seedBody('CUR-1', { currency: 'XYZ' }));
    expect(res.status).toBe(422);
    expect(res.body.error?.code).toBe('UNKNOWN_CURRENCY');
  });

  it('refuses a body over the size limit with 413 PAYLOAD_TOO_LARGE', async () => {
    const res = await send(seedBody('BIG-1', { metadata: { blob: 'x'.repeat(5000) } }));
    expect(res.status).toBe(413);
    expect(res.body.error?.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses a body that is not JSON with 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const res = await send('reference_number=1', { contentType: 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(415);
    expect(res.body.error?.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('refuses an unknown channel with 404 UNSUPPORTED_CHANNEL listing the supported ones', async () => {
    const res = await send({}, { channel: 'paypal' });
    expect(res.status).toBe(404);
    expect(res.body.error?.code).toBe('UNSUPPORTED_CHANNEL');
    expect(res.body.error?.message).toContain('razorpay');
  });

  it('answers a gateway event type it does not map with 200 ignored, never a 4xx the gateway would retry', async () => {
    const res = await send(
      { id: 'evt_x', object: 'event', type: 'customer.created', created: 1, data: { object: {} } },
      { channel: 'stripe', secret: TEST_SECRETS.stripe },
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ignored' });
  });

  it('answers any signed body with a created/duplicate or a stable 4xx code, and writes exactly the payments it acknowledged', async () => {
    const count = async () =>
      (await t.app.store.query<{ n: number }>('SELECT count(*)::bigint AS n FROM payment_service.payments')).rows[0]?.n ?? 0;
    const before = await count();
    let created = 0;
    const field = fc.oneof(fc.string({ maxLength: 30 }), fc.integer(), fc.double(), fc.constant(null), fc.boolean());
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            reference_number: fc.oneof(fc.string({ minLength: 1, maxLength: 300 }), fc.integer()),
            loan_account_number: fc.option(fc.string({ maxLength: 25 })),
            cif: fc.option(fc.string({ maxLength: 25 })),
            amount: fc.oneof(fc.double({ min: -10, max: 1e7 }), fc.stringMatching(/^\d{1,6}(\.\d{1,4})?$/), field),
            currency: fc.constantFrom('INR', 'JPY', 'KWD', 'usd', 'XXX', 'ABCD'),
            payment_date: fc.oneof(
              fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
              fc.string({ maxLength: 30 }),
            ),
            metadata: fc.option(fc.dictionary(fc.string({ maxLength: 10 }), field, { maxKeys: 5 })),
          },
          { requiredKeys: [] },
        ),
        async (body) => {
          const res = await send(body);
          expect([200, 201, 400, 413, 422]).toContain(res.status);
          if (res.status === 201) created++;
          if (res.status >= 400) expect(res.body.error?.code).toMatch(/^[A-Z_]+$/);
        },
      ),
      { numRuns: 150 },
    );
    expect(await count()).toBe(before + created);
  });
});
