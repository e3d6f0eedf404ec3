import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { ErrorCode } from '../core/errors.js';
import { type ValidEvent, contractOfEvent, envelopeJsonSchema, validateEvent } from './cloudevent.js';
import { paymentRecordedV1, paymentRefundedV1 } from './events/payment-events.js';

/** A payment.recorded event shaped exactly as src/recorder/payment-event.ts builds it. */
function recordedEvent(overrides: Record<string, unknown> = {}, payment: Record<string, unknown> = {}) {
  const id = '0b6f3a52-4a8e-4c39-9d1e-2f0c6a1d5e11';
  const time = '2026-11-21T04:00:01.250Z';
  return {
    specversion: '1.0',
    id,
    source: '/payscope/recorder',
    type: 'payment.recorded',
    time,
    subject: '5f1c2d3e-8a9b-4c7d-9e0f-1a2b3c4d5e6f',
    datacontenttype: 'application/json',
    dataschema: 'payscope:schemas/payment.recorded/v1',
    data: {
      event_id: id,
      event_type: 'payment.recorded',
      timestamp: time,
      payment: { ...paymentRecordedV1.example.payment, ...payment },
    },
    ...overrides,
  };
}

function refundEvent(data: Record<string, unknown> = {}, overrides: Record<string, unknown> = {}) {
  return {
    specversion: '1.0',
    id: 'evt-refund-1',
    source: '/refunds-service',
    type: 'payment.refunded',
    time: '2026-11-22T10:15:00+05:30',
    datacontenttype: 'application/json',
    data: { ...paymentRefundedV1.example, ...data },
    ...overrides,
  };
}

const issuesOf = (r: ReturnType<typeof validateEvent>) =>
  r.ok ? [] : ((r.error.details as { issues?: { field: string; message: string }[] }).issues ?? []);

describe('validateEvent', () => {
  it('accepts the payment.recorded event the recorder emits, with null optional fields', () => {
    const r = validateEvent(recordedEvent({}, { merchant_id: null, fee_minor: null, country: null, metadata: { batch: 7 } }));
    expect(r.ok).toBe(true);
    if (r.ok && r.value.type === 'payment.recorded') expect(r.value.data.payment.amount_minor).toBe(150_050);
  });

  it('types data by the event type', () => {
    const r = validateEvent(refundEvent());
    if (!r.ok) throw new Error(r.error.message);
    const event: ValidEvent = r.value;
    if (event.type === 'payment.refunded') expectTypeOf(event.data.amount.amount_minor).toEqualTypeOf<number>();
    if (event.type === 'payment.recorded') expectTypeOf(event.data.payment.cif).toEqualTypeOf<string | null>();
  });

  it('uses the latest version when dataschema is absent, and accepts a time with an offset', () => {
    const r = validateEvent(refundEvent());
    expect(r.ok).toBe(true);
    if (r.ok) expect(contractOfEvent(r.value)).toBe(paymentRefundedV1);
  });

  it('keeps CloudEvents extension attributes', () => {
    const r = validateEvent(refundEvent({}, { traceparent: '00-abc-def-01', partitionkey: 'PAY-1' }));
    expect(r.ok && (r.value as unknown as Record<string, unknown>).traceparent).toBe('00-abc-def-01');
  });

  it('rejects an unknown type with UNSUPPORTED_EVENT_TYPE and the list of known types', () => {
    const r = validateEvent(refundEvent({}, { type: 'payment.exploded' }));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe(ErrorCode.UNSUPPORTED_EVENT_TYPE);
    expect(r.error.message).toContain("type 'payment.exploded' is not in the data contract");
    expect(r.error.details).toMatchObject({ type: 'payment.exploded', known_types: expect.arrayContaining(['payment.refunded']) });
  });

  it('rejects a version that is not published with UNSUPPORTED_EVENT_TYPE', () => {
    const r = validateEvent(recordedEvent({ dataschema: 'payscope:schemas/payment.recorded/v9' }));
    expect(r).toMatchObject({ ok: false, error: { code: ErrorCode.UNSUPPORTED_EVENT_TYPE, details: { version: 9, known_versions: [1] } } });
  });

  it('rejects a dataschema that is not a Payscope schema, or names another type', () => {
    for (const dataschema of ['https://example.com/refund.json', 'payscope:schemas/order.placed/v1']) {
      const r = validateEvent(refundEvent({}, { dataschema }));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe(ErrorCode.VALIDATION_FAILED);
      expect(issuesOf(r).map((i) => i.field)).toEqual(['dataschema']);
    }
  });

  it('names each missing envelope attribute as required', () => {
    const { id: _id, source: _source, ...rest } = refundEvent();
    const r = validateEvent(rest);
    expect(r).toMatchObject({ ok: false, error: { code: ErrorCode.VALIDATION_FAILED } });
    expect(issuesOf(r)).toEqual(
      expect.arrayContaining([
        { field: 'id', message: 'is required' },
        { field: 'source', message: 'is required' },
      ]),
    );
  });

  it('rejects another specversion, a content type other than JSON, and a time without an offset', () => {
    const r = validateEvent(refundEvent({}, { specversion: '0.3', datacontenttype: 'text/xml', time: '2026-11-22T10:15:00' }));
    expect(issuesOf(r).map((i) => i.field)).toEqual(['specversion', 'time', 'datacontenttype']);
  });

  it('rejects an extension attribute whose name is not lower-case alphanumeric', () => {
    const r = validateEvent(refundEvent({}, { trace_parent: 'x' }));
    expect(issuesOf(r)).toEqual([{ field: 'trace_parent', message: expect.stringContaining('extension attribute names') }]);
  });

  it('reports a data field by its full path, with the event id and type', () => {
    const r = validateEvent(refundEvent({ amount: { amount_minor: 12.5, currency: 'INR' } }));
    expect(r).toMatchObject({
      ok: false,
      error: { code: ErrorCode.VALIDATION_FAILED, details: { id: 'evt-refund-1', type: 'payment.refunded', version: 1 } },
    });
    expect(issuesOf(r)).toEqual([{ field: 'data.amount.amount_minor', message: 'must be an integer number of minor units' }]);
    expect(r.ok || r.error.message).toBe('data.amount.amount_minor: must be an integer number of minor units');
  });

  it('rejects an amount sent as a decimal string or a float where minor units are expected', () => {
    for (const amount_minor of ['500.00', 500.5]) {
      const r = validateEvent(refundEvent({ amount: { amount_minor, currency: 'INR' } }));
      expect(issuesOf(r).map((i) => i.field)).toEqual(['data.amount.amount_minor']);
    }
  });

  it('rejects a field the contract does not have, naming it', () => {
    const r = validateEvent(refundEvent({ customer_email: 'a@example.com' }));
    expect(issuesOf(r)).toEqual([
      { field: 'data.customer_email', message: expect.stringContaining('is not a field of payment.refunded v1') },
    ]);
  });

  it('rejects a currency that is not ISO 4217', () => {
    const r = validateEvent(refundEvent({ amount: { amount_minor: 100, currency: 'ABC' } }));
    expect(issuesOf(r)).toEqual([{ field: 'data.amount.currency', message: 'is not an ISO 4217 currency code' }]);
  });

  it('rejects amounts of one event in different currencies', () => {
    const r = validateEvent({
      ...refundEvent(),
      type: 'settlement.batch_created',
      data: {
        batch_id: 'b1',
        merchant_id: 'M-1',
        status: 'PENDING',
        gross_amount: { amount_minor: 1000, currency: 'INR' },
        fee_amount: { amount_minor: 10, currency: 'USD' },
        net_amount: { amount_minor: 990, currency: 'INR' },
        payment_count: 1,
      },
    });
    expect(issuesOf(r)).toEqual([
      { field: 'data.fee_amount.currency', message: expect.stringContaining('is USD but gross_amount is INR') },
    ]);
  });

  it('rejects a payment.recorded whose decimal amount disagrees with its minor units', () => {
    const r = validateEvent(recordedEvent({}, { amount: '1500.5', amount_minor: 150_050 }));
    expect(issuesOf(r)).toEqual([{ field: 'data.payment.amount', message: 'is "1500.5" but amount_minor 150050 INR is "1500.50"' }]);
  });

  it('accepts a JPY payment.recorded whose amount has no decimals', () => {
    expect(validateEvent(recordedEvent({}, { amount: '1500', amount_minor: 1500, currency: 'JPY' })).ok).toBe(true);
  });

  it('rejects something that is not an object', () => {
    for (const input of [null, 'payment.recorded', [1], 42]) {
      const r = validateEvent(input);
      expect(r.ok).toBe(false);
      expect(issuesOf(r)[0]?.field).toBe('(event)');
    }
  });

  it('never throws, whatever JSON it is given', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        validateEvent(value);
      }),
    );
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.constantFrom('payment.recorded', 'order.placed', 'x'), (data, type) => {
        const r = validateEvent({ ...refundEvent(), type, data });
        expect(r.ok).toBe(false);
      }),
    );
  });
});

describe('envelopeJsonSchema', () => {
  it('requires the CloudEvents attributes Payscope relies on', () => {
    expect(envelopeJsonSchema().required).toEqual(['specversion', 'id', 'source', 'type', 'time', 'datacontenttype', 'data']);
  });
});
