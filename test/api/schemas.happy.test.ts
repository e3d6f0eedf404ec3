import ajv2020 from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SchemaListResponse } from '../../src/api/routes/schemas-route.js';
import { validateEvent } from '../../src/contracts/cloudevent.js';
import { EVENT_TYPES } from '../../src/contracts/registry.js';
import { type TestApp, TEST_SECRETS, startTestApp } from '../harness/app.js';
import { seedBody, sendWebhook } from '../harness/webhook-client.js';

// ajv is CommonJS: under NodeNext its class is the default export's `default`.
const Ajv2020 = ajv2020.default;

// The schemas do not depend on the store; one embedded app serves every test here.
describe('GET /api/v1/schemas', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('pglite');
  });
  afterAll(() => t?.stop());

  const get = async (path: string) => {
    const res = await fetch(`${t.url}${path}`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: Record<string, unknown> } };
  };

  it('lists every event type of the catalogue with its latest version, dataschema, PII fields and where its schema is', async () => {
    const { status, body } = await get('/api/v1/schemas');
    expect(status).toBe(200);
    const list = body as unknown as SchemaListResponse;
    expect(list.schemas.map((s) => s.type)).toEqual(EVENT_TYPES);
    expect(list.schemas.find((s) => s.type === 'payment.recorded')).toEqual({
      type: 'payment.recorded',
      version: 1,
      versions: [1],
      description: expect.any(String),
      subject: 'the payment id',
      dataschema: 'payscope:schemas/payment.recorded/v1',
      pii_fields: ['payment.loan_account_number', 'payment.cif', 'payment.customer_id'],
      free_form_fields: ['payment.metadata'],
      key_fields: expect.arrayContaining(['payment.amount_minor']),
      href: '/api/v1/schemas/payment.recorded',
    });
    expect(list.envelope).toMatchObject({ title: 'CloudEvents 1.0 envelope', required: expect.arrayContaining(['id', 'type', 'data']) });
  });

  it('returns the JSON Schema of the latest version of a type, and of a version asked for', async () => {
    const latest = await get('/api/v1/schemas/payment.refunded');
    expect(latest.status).toBe(200);
    expect(latest.body).toMatchObject({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $id: 'payscope:schemas/payment.refunded/v1',
      type: 'object',
      required: expect.arrayContaining(['refund_id', 'amount', 'reason']),
    });
    const v1 = await get('/api/v1/schemas/payment.refunded?version=1');
    expect(v1.body).toEqual(latest.body);
  });

  it('serves schemas that accept the payment.recorded events the recorder writes to the outbox', async () => {
    const created = [
      await sendWebhook(t.url, seedBody('SCHEMA-1'), { secret: TEST_SECRETS.default }),
      await sendWebhook(
        t.url,
        seedBody('SCHEMA-2', { amount: '1500', currency: 'JPY', fee_amount: '12', gateway: 'stripe', country: 'jp' }),
        {
          secret: TEST_SECRETS.default,
        },
      ),
    ];
    expect(created.map((r) => r.status)).toEqual([201, 201]);
    const rows = await t.app.store.query<{ payload: unknown }>(
      `SELECT o.payload FROM payment_service.outbox o JOIN payment_service.payments p ON p.id::text = o.aggregate_id
       WHERE p.reference_number IN ('SCHEMA-1', 'SCHEMA-2') ORDER BY o.id`,
    );
    expect(rows.rows).toHaveLength(2);

    const { body: schema } = await get('/api/v1/schemas/payment.recorded');
    const validateData = new Ajv2020({ strict: false, validateFormats: false }).compile(schema);
    for (const { payload } of rows.rows) {
      const event = typeof payload === 'string' ? JSON.parse(payload) : payload;
      const r = validateEvent(event);
      expect(r.ok ? 'valid' : r.error.message).toBe('valid');
      expect(validateData(event.data), JSON.stringify(validateData.errors)).toBe(true);
    }
  });

  it('answers an unknown type with 404 and the standard error body', async () => {
    const { status, body } = await get('/api/v1/schemas/payment.exploded');
    expect(status).toBe(404);
    expect(body).toEqual({
      error: {
        code: 'NOT_FOUND',
        message: "no event type 'payment.exploded' in the data contract; GET /api/v1/schemas lists the published types",
        request_id: expect.any(String),
        docs: '/docs/errors#not_found',
      },
    });
  });

  it('answers a version that is not published with 404, and a version that is not a number with 422', async () => {
    const missing = await get('/api/v1/schemas/payment.recorded?version=7');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ code: 'NOT_FOUND', message: 'payment.recorded has no version 7; published versions: 1' });
    const bad = await get('/api/v1/schemas/payment.recorded?version=latest');
    expect(bad.status).toBe(422);
    expect(bad.body.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { issues: [{ field: 'version', message: 'must be a positive integer' }] },
    });
  });
});
