import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, TEST_SECRETS, startTestApp } from '../harness/app.js';
import { captureEvent, outboxRows, postEvents } from '../harness/event-capture.js';
import { seedBody, sendWebhook, stripeChargeEvent } from '../harness/webhook-client.js';

/**
 * Input no store can hold (lone UTF-16 surrogates, NUL), JSON nested past any sane depth, bodies
 * that are not UTF-8, a zero amount and a payment dated years ahead: each gets a 4xx with a code
 * of its own on every path — generic and channel webhooks, event capture, CSV uploads — never a
 * 500, never a payment merged into another. Error paths do not depend on the store: one app, on
 * the embedded default, with the default body limits.
 */

const LONE = ['\ud800', '\udc00', '\udc00\ud800'] as const;
const SEED_TEXT_FIELDS = [
  'reference_number',
  'loan_account_number',
  'cif',
  'payment_channel',
  'merchant_id',
  'order_id',
  'customer_id',
  'gateway_txn_id',
  'failure_reason',
] as const;

function razorpayCaptured(entity: Record<string, unknown> = {}, notes: Record<string, unknown> = {}) {
  return {
    entity: 'event',
    account_id: 'acc_INPUT',
    event: 'payment.captured',
    contains: ['payment'],
    payload: {
      payment: {
        entity: {
          id: `pay_${randomUUID().slice(0, 12)}`,
          entity: 'payment',
          amount: 50_000,
          currency: 'INR',
          status: 'captured',
          method: 'upi',
          captured: true,
          notes: { loan_account_number: 'LN1', ...notes },
          created_at: 1_763_700_000,
          ...entity,
        },
      },
    },
    created_at: 1_763_700_001,
  };
}

const stripeCharge = (object: Record<string, unknown> = {}) => stripeChargeEvent(randomUUID().slice(0, 12), object);

/** `{"a":{"a":…{"leaf":1}…}}` nested `depth` objects deep (as an object: only for depths JSON.stringify can write). */
function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: 1 };
  for (let i = 1; i < depth; i++) value = { a: value };
  return value;
}

/** The same as JSON text, for depths past JSON.stringify's stack (as a sender in another language writes them). */
const nestedJson = (depth: number) => `${'{"a":'.repeat(depth - 1)}{"leaf":1}${'}'.repeat(depth - 1)}`;

/** `body` as JSON text with the value of `field` replaced by raw JSON text. */
function withRawField(body: Record<string, unknown>, field: string, rawJson: string): string {
  return JSON.stringify({ ...body, [field]: '@RAW@' }).replace('"@RAW@"', rawJson);
}

/** PUTs raw bytes with a content type and the admin key; returns status and parsed body. */
function putBytes(url: string, bytes: Buffer, contentType: string, auth: Record<string, string>) {
  return new Promise<{ status: number; body: { error?: { code: string; message: string } } & Record<string, unknown> }>(
    (resolve, reject) => {
      const req = request(
        url,
        { method: 'PUT', headers: { ...auth, 'content-type': contentType, 'content-length': bytes.length } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(bytes);
    },
  );
}

describe('input that no store can hold (errors)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('pglite');
  });
  afterAll(() => t?.stop());
  const send = (body: unknown, opts: Partial<Parameters<typeof sendWebhook>[2]> = {}) =>
    sendWebhook(t.url, body, { secret: TEST_SECRETS.default, ...opts });
  const paymentCount = async () =>
    Number((await t.app.store.query<{ n: number }>('SELECT count(*)::int AS n FROM payment_service.payments')).rows[0]?.n);

  describe('lone UTF-16 surrogates and NUL', () => {
    it('refuses a lone surrogate or a NUL in any text field of the seed body with 422 INVALID_TEXT naming the field', async () => {
      for (const field of SEED_TEXT_FIELDS) {
        for (const bad of [...LONE, '\u0000']) {
          const res = await send(seedBody(`LONE-${field}-${randomUUID()}`, { [field]: `x${bad}y` }));
          expect(res.status, `${field} ${JSON.stringify(bad)}`).toBe(422);
          expect(res.body.error?.code).toBe('INVALID_TEXT');
          expect(res.body.error?.message).toMatch(new RegExp(`^${field}: `));
          expect((res.body.error as { details?: { field?: string } }).details?.field).toBe(field);
        }
      }
    });

    it('refuses a lone surrogate in a metadata value or key with 422 INVALID_TEXT naming its path', async () => {
      const value = await send(seedBody(`META-V-${randomUUID()}`, { metadata: { note: { text: 'a\ud800' } } }));
      expect(value.status).toBe(422);
      expect(value.body.error).toMatchObject({ code: 'INVALID_TEXT', details: { field: 'metadata.note.text' } });
      const key = await send(seedBody(`META-K-${randomUUID()}`, { metadata: { 'k\udc00': 1 } }));
      expect(key.status).toBe(422);
      expect(key.body.error).toMatchObject({ code: 'INVALID_TEXT' });
      expect(key.body.error?.message).toMatch(/^metadata\./);
    });

    it('refuses lone surrogates in Razorpay and Stripe ids with 422 INVALID_TEXT, records nothing, and records the well-formed twin', async () => {
      const before = await paymentCount();
      const razorpay = await send(razorpayCaptured({ id: 'pay_\ud800X' }), {
        channel: 'razorpay',
        secret: TEST_SECRETS.razorpay,
        scheme: 'x-signature',
      });
      expect(razorpay.status).toBe(422);
      expect(razorpay.body.error).toMatchObject({ code: 'INVALID_TEXT', details: { field: 'reference_number' } });
      const stripe = await send(stripeCharge({ payment_intent: 'pi_\udc00' }), { channel: 'stripe', secret: TEST_SECRETS.stripe });
      expect(stripe.status).toBe(422);
      expect(stripe.body.error?.code).toBe('INVALID_TEXT');
      expect(await paymentCount()).toBe(before);
      const fine = await send(razorpayCaptured(), { channel: 'razorpay', secret: TEST_SECRETS.razorpay, scheme: 'x-signature' });
      expect(fine.status).toBe(201);
    });

    it('answers any string field with a lone surrogate 422, and stores any well-formed one exactly', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...SEED_TEXT_FIELDS.filter((f) => f !== 'reference_number')),
          fc.string({ unit: 'grapheme', maxLength: 6 }),
          fc.constantFrom(...LONE),
          async (field, text, lone) => {
            // Cut between code points, so the lone surrogate cannot pair with half of a character.
            const points = [...text];
            const cut = Math.floor(points.length / 2);
            const withLone = `${points.slice(0, cut).join('')}${lone}${points.slice(cut).join('')}`;
            const bad = await send(seedBody(`P-${randomUUID()}`, { [field]: withLone }));
            expect(bad.status).toBe(422);
            expect(bad.body.error?.code).toBe('INVALID_TEXT');
            const reference = `P-${randomUUID()}`;
            const good = await send(seedBody(reference, { metadata: { text } }));
            expect(good.status).toBe(201);
            const { rows } = await t.app.store.query<{ metadata: { text: string } }>(
              'SELECT metadata FROM payment_service.payments WHERE reference_number = $1',
              [reference],
            );
            expect(rows[0]?.metadata.text).toBe(text);
          },
        ),
        { numRuns: 15 },
      );
    });

    it('answers a captured event with a lone surrogate in a contract field as rejected INVALID_TEXT, keeping the rest of the batch', async () => {
      const bad = captureEvent('order.placed');
      bad.data.order_id = 'ORD-\ud800';
      const fine = captureEvent('order.placed');
      const res = await postEvents(t.url, [bad, fine]);
      expect(res.status).toBe(200);
      expect(res.body.results?.map((r) => [r.status, r.error?.code])).toEqual([
        ['rejected', 'INVALID_TEXT'],
        ['accepted', undefined],
      ]);
      expect(res.body.results?.[0]?.error?.details).toMatchObject({ field: 'data.order_id' });
    });
  });

  describe('nesting', () => {
    it('refuses metadata nested 5,000 levels deep with 422 NESTING_TOO_DEEP, not 500', async () => {
      const res = await send(withRawField(seedBody(`DEEP-${randomUUID()}`), 'metadata', nestedJson(5000)));
      expect(res.status).toBe(422);
      expect(res.body.error?.code).toBe('NESTING_TOO_DEEP');
      expect(res.body.error?.message).toMatch(/^metadata/);
    });

    it('records a Razorpay payment whose free-form notes nest 5,000 levels deep or hold a lone surrogate, leaving those notes out', async () => {
      const body = razorpayCaptured({}, { cif: 'CIF\ud800' });
      const raw = JSON.stringify(body).replace('"notes":{', `"notes":{"x":${nestedJson(5000)},`);
      const res = await send(raw, { channel: 'razorpay', secret: TEST_SECRETS.razorpay, scheme: 'x-signature' });
      expect(res.status).toBe(201);
      const { rows } = await t.app.store.query<{ cif: string | null; metadata: { ignored_notes?: string[] } }>(
        'SELECT cif, metadata FROM payment_service.payments WHERE id = $1',
        [res.body.payment_id],
      );
      expect(rows[0]).toMatchObject({ cif: null, metadata: { ignored_notes: ['cif'] } });
    });

    it('accepts metadata nested 16 levels deep and refuses 40', async () => {
      expect((await send(seedBody(`NEST16-${randomUUID()}`, { metadata: nested(16) }))).status).toBe(201);
      expect((await send(seedBody(`NEST40-${randomUUID()}`, { metadata: nested(40) }))).body.error?.code).toBe('NESTING_TOO_DEEP');
    });

    it('rejects a captured event nested 5,000 levels deep as NESTING_TOO_DEEP and keeps the rest of the batch', async () => {
      const deep = captureEvent('search.query');
      const fine = captureEvent('search.query');
      const deepJson = JSON.stringify({ ...deep, data: { ...deep.data, filters: '@RAW@' } }).replace('"@RAW@"', nestedJson(5000));
      const res = await postEvents(t.url, `[${deepJson},${JSON.stringify(fine)}]`);
      expect(res.status).toBe(200);
      expect(res.body.results?.map((r) => [r.status, r.error?.code])).toEqual([
        ['rejected', 'NESTING_TOO_DEEP'],
        ['accepted', undefined],
      ]);
      expect(await outboxRows(t.app.store, [deep.id])).toEqual([]);
    });
  });

  describe('invalid UTF-8', () => {
    // Two references that differ only in invalid bytes used to decode to one U+FFFD string: the
    // second was answered "duplicate" and lost.
    const seedBytes = (reference: Buffer) =>
      Buffer.concat([
        Buffer.from('{"reference_number":"'),
        reference,
        Buffer.from('","amount":"10.00","payment_date":"2026-11-21T09:30:00Z","loan_account_number":"LN1","cif":"C1"}'),
      ]);

    it('refuses a webhook body that is not UTF-8 with 400 INVALID_UTF8, so references differing only in invalid bytes are never merged', async () => {
      const before = await paymentCount();
      for (const invalid of [[0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf0, 0x9f, 0x98]]) {
        const res = await send(seedBytes(Buffer.concat([Buffer.from('UTF8-'), Buffer.from(invalid)])));
        expect(res.status, JSON.stringify(invalid)).toBe(400);
        expect(res.body.error?.code).toBe('INVALID_UTF8');
        expect(res.body.error?.message).toMatch(/offset 26/);
      }
      expect(await paymentCount()).toBe(before);
      const good = await send(seedBytes(Buffer.from('UTF8-ü😀')));
      expect(good.status).toBe(201);
    });

    it('refuses invalid UTF-8 on the channel endpoints, signed over the raw bytes, with 400 INVALID_UTF8', async () => {
      const raw = Buffer.concat([
        Buffer.from(JSON.stringify(razorpayCaptured({ id: 'pay_X' })).replace('pay_X', 'pay_')),
        Buffer.from([0xfe]),
      ]);
      const res = await send(raw, { channel: 'razorpay', secret: TEST_SECRETS.razorpay, scheme: 'x-signature' });
      expect(res.status).toBe(400);
      expect(res.body.error?.code).toBe('INVALID_UTF8');
    });

    it('refuses a signed webhook with invalid bytes only after its signature checks out', async () => {
      const res = await send(seedBytes(Buffer.from([0xff])), { secret: 'whsec_d3JvbmctdGhlLWtleS1mb3ItdGhpcy10ZXN0' });
      expect(res.status).toBe(401);
    });

    it('refuses an event batch that is not UTF-8 with 400 INVALID_UTF8', async () => {
      const body = Buffer.concat([
        Buffer.from(JSON.stringify([captureEvent('search.query')]).slice(0, -2)),
        Buffer.from([0xff, 0x7d, 0x5d]),
      ]);
      const res = await postEvents(t.url, body);
      expect(res.status).toBe(400);
      expect(res.body.error?.code).toBe('INVALID_UTF8');
    });

    it('refuses merchants and FX-rate CSV uploads and a JSON body elsewhere that are not UTF-8 with 400 INVALID_UTF8', async () => {
      const merchants = await putBytes(
        `${t.url}/api/v1/merchants`,
        Buffer.concat([Buffer.from('merchant_id,name\nM-1,Caf'), Buffer.from([0xe9]), Buffer.from('\n')]),
        'text/csv',
        t.auth,
      );
      expect(merchants.status).toBe(400);
      expect(merchants.body.error?.code).toBe('INVALID_UTF8');
      const fx = await putBytes(
        `${t.url}/api/v1/fx-rates`,
        Buffer.concat([Buffer.from('date,base,quote,rate\n2026-11-01,USD,INR,83'), Buffer.from([0x80]), Buffer.from('\n')]),
        'text/csv',
        t.auth,
      );
      expect(fx.status).toBe(400);
      expect(fx.body.error?.code).toBe('INVALID_UTF8');
      const json = await putBytes(
        `${t.url}/api/v1/merchants`,
        Buffer.concat([Buffer.from('[{"merchant_id":"M-1","name":"Caf'), Buffer.from([0xe9]), Buffer.from('"}]')]),
        'application/json',
        t.auth,
      );
      expect(json.status).toBe(400);
      expect(json.body.error?.code).toBe('INVALID_UTF8');
    });
  });

  describe('zero amounts and far-future dates', () => {
    it('refuses amount 0 with 422 AMOUNT_ZERO on the generic and channel endpoints', async () => {
      const seed = await send(seedBody(`ZERO-${randomUUID()}`, { amount: 0 }));
      expect(seed.status).toBe(422);
      expect(seed.body.error?.code).toBe('AMOUNT_ZERO');
      expect(seed.body.error?.message).toContain('ALLOW_ZERO_AMOUNT');
      const minor = await send(seedBody(`ZERO-${randomUUID()}`, { amount: undefined, amount_minor: 0 }));
      expect(minor.body.error?.code).toBe('AMOUNT_ZERO');
      const razorpay = await send(razorpayCaptured({ amount: 0 }), {
        channel: 'razorpay',
        secret: TEST_SECRETS.razorpay,
        scheme: 'x-signature',
      });
      expect(razorpay.status).toBe(422);
      expect(razorpay.body.error?.code).toBe('AMOUNT_ZERO');
      const stripe = await send(stripeCharge({ amount: 0 }), { channel: 'stripe', secret: TEST_SECRETS.stripe });
      expect(stripe.body.error?.code).toBe('AMOUNT_ZERO');
    });

    it('refuses a payment dated in 2031 with 422 PAYMENT_DATE_IN_FUTURE and creates no partition for it', async () => {
      const seed = await send(seedBody(`FUT-${randomUUID()}`, { payment_date: '2031-12-15T10:00:00Z' }));
      expect(seed.status).toBe(422);
      expect(seed.body.error?.code).toBe('PAYMENT_DATE_IN_FUTURE');
      expect(seed.body.error?.message).toContain('MAX_FUTURE_PAYMENT_SKEW');
      const created = Date.UTC(2031, 11, 15) / 1000;
      const razorpay = await send(razorpayCaptured({ created_at: created }), {
        channel: 'razorpay',
        secret: TEST_SECRETS.razorpay,
        scheme: 'x-signature',
      });
      expect(razorpay.body.error?.code).toBe('PAYMENT_DATE_IN_FUTURE');
      const stripe = await send(stripeCharge({ created }), { channel: 'stripe', secret: TEST_SECRETS.stripe });
      expect(stripe.body.error?.code).toBe('PAYMENT_DATE_IN_FUTURE');
      const { rows } = await t.app.store.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM payment_service.payments WHERE payment_date >= '2031-01-01'",
      );
      expect(rows[0]?.n).toBe(0);
    });

    it('accepts a payment dated a few hours ahead (clock skew within a day)', async () => {
      const soon = new Date(Date.now() + 3 * 3_600_000).toISOString();
      expect((await send(seedBody(`SOON-${randomUUID()}`, { payment_date: soon }))).status).toBe(201);
    });
  });
});

describe('input rules made configurable (errors)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('pglite', { ALLOW_ZERO_AMOUNT: 'true', MAX_FUTURE_PAYMENT_SKEW: '0' }, { roles: ['ingest', 'api'] });
  });
  afterAll(() => t?.stop());
  const send = (body: unknown) => sendWebhook(t.url, body, { secret: TEST_SECRETS.default });

  it('records amount 0 when ALLOW_ZERO_AMOUNT=true', async () => {
    expect((await send(seedBody(`ZERO-OK-${randomUUID()}`, { amount: 0 }))).status).toBe(201);
  });

  it('refuses any payment dated after now when MAX_FUTURE_PAYMENT_SKEW=0', async () => {
    const soon = new Date(Date.now() + 60_000).toISOString();
    expect((await send(seedBody(`SKEW-0-${randomUUID()}`, { payment_date: soon }))).body.error?.code).toBe('PAYMENT_DATE_IN_FUTURE');
    expect((await send(seedBody(`SKEW-0-PAST-${randomUUID()}`))).status).toBe(201);
  });
});
