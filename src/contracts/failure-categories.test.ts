import { describe, expect, it } from 'vitest';
import { validateEvent } from './cloudevent.js';
import { findBreakingChanges } from './compatibility.js';
import { FAILURE_CATEGORIES, categoriseFailure } from './failure-categories.js';
import { jsonSchemaOf } from './event-contract.js';
import { paymentFailedV1, paymentRecordedV1 } from './events/payment-events.js';

const envelope = (type: string, data: unknown) => ({
  specversion: '1.0',
  id: 'evt-1',
  source: '/test',
  type,
  time: '2026-11-21T04:00:01.250Z',
  datacontenttype: 'application/json',
  data,
});
const recorded = (payment: Record<string, unknown>) =>
  envelope('payment.recorded', { ...paymentRecordedV1.example, payment: { ...paymentRecordedV1.example.payment, ...payment } });

describe('failure_category in the event contract', () => {
  it('accepts a payment.recorded carrying failure_code and a known failure_category', () => {
    const r = validateEvent(recorded({ status: 'failed', failure_code: 'U30', failure_category: 'insufficient_funds' }));
    expect(r.ok).toBe(true);
  });

  it('still accepts events written before the fields existed (both are optional)', () => {
    expect(validateEvent(recorded({})).ok).toBe(true);
    const { failure_category: _omitted, ...older } = paymentFailedV1.example;
    expect(validateEvent(envelope('payment.failed', older)).ok).toBe(true);
  });

  it('refuses a failure_category outside the vocabulary, naming the field and the allowed values', () => {
    const r = validateEvent(envelope('payment.failed', { ...paymentFailedV1.example, failure_category: 'card_declined' }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(/failure_category.*insufficient_funds/);
  });

  it('publishes the vocabulary as an enum in the JSON Schema, an addition that breaks no consumer', () => {
    const schema = jsonSchemaOf(paymentFailedV1) as { properties: Record<string, unknown> };
    expect(JSON.stringify(schema.properties.failure_category)).toContain('"risk_declined"');
    const { failure_category: _new, ...before } = schema.properties;
    expect(findBreakingChanges({ ...schema, properties: before }, schema)).toEqual([]);
  });
});

describe('categoriseFailure', () => {
  const table = { u30: 'insufficient_funds', insufficient_funds: 'insufficient_funds', do_not_honor: 'other' } as const;

  it('takes the first code the table knows, case-insensitively', () => {
    expect(categoriseFailure(table, 'card_declined', 'INSUFFICIENT_FUNDS')).toBe('insufficient_funds');
    expect(categoriseFailure(table, 'U30')).toBe('insufficient_funds');
  });

  it('is other for an unknown code and null when no code was given', () => {
    expect(categoriseFailure(table, 'XYZ')).toBe('other');
    expect(categoriseFailure(table, null, undefined, ' ')).toBeNull();
  });

  it('has seven categories ending in other', () => {
    expect(FAILURE_CATEGORIES).toHaveLength(7);
    expect(FAILURE_CATEGORIES.at(-1)).toBe('other');
  });
});
