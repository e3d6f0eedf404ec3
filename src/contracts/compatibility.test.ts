import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { findBreakingChanges } from './compatibility.js';
import { type EventContract, type JsonSchema, jsonSchemaOf } from './event-contract.js';
import { paymentRecordedV1 } from './events/payment-events.js';
import { money } from './fields.js';

const json = (schema: z.ZodType): JsonSchema => z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' }) as JsonSchema;

const v1 = z.strictObject({
  refund_id: z.string(),
  amount: money(),
  reason: z.enum(['duplicate', 'fraudulent', 'other']),
  note: z.string().max(100).nullish(),
  items: z.array(z.strictObject({ sku: z.string(), quantity: z.int() })),
  metadata: z.record(z.string(), z.unknown()),
});
const shape = v1.shape;
const changes = (next: z.ZodType) => findBreakingChanges(json(v1), json(next)).map((c) => `${c.path}: ${c.change}`);

describe('findBreakingChanges', () => {
  it('finds nothing between a schema and itself', () => {
    expect(changes(v1)).toEqual([]);
  });

  it('allows adding an optional field, an enum value, a description, and opening a closed object', () => {
    expect(changes(v1.extend({ refund_kind: z.string().nullish() }))).toEqual([]);
    expect(changes(v1.extend({ reason: z.enum(['duplicate', 'fraudulent', 'other', 'chargeback']) }))).toEqual([]);
    expect(changes(v1.extend({ refund_id: z.string().describe('The refund id.') }))).toEqual([]);
    expect(changes(z.looseObject(shape))).toEqual([]);
  });

  it('reports a removed required field', () => {
    const { refund_id: _removed, ...rest } = shape;
    expect(changes(z.strictObject(rest))).toEqual(['refund_id: was required, now removed']);
  });

  it('reports a removed optional field of a closed object', () => {
    const { note: _removed, ...rest } = shape;
    expect(changes(z.strictObject(rest))).toEqual(['note: was optional, now removed; events that carry it would be rejected']);
  });

  it('reports a retyped required field, nested', () => {
    const retyped = v1.extend({ amount: z.strictObject({ amount_minor: z.string(), currency: z.string().regex(/^[A-Z]{3}$/) }) });
    expect(changes(retyped)).toEqual([
      'amount.amount_minor: no longer accepts integer (narrowed)',
      'amount.amount_minor: now also accepts string; consumers do not expect it (retyped)',
    ]);
  });

  it('reports integer minor units widened to a float', () => {
    const widened = v1.extend({ amount: z.strictObject({ amount_minor: z.number(), currency: z.string().regex(/^[A-Z]{3}$/) }) });
    expect(changes(widened)).toContain('amount.amount_minor: now also accepts number; consumers do not expect it (retyped)');
  });

  it('reports a required field made nullable or optional', () => {
    expect(changes(v1.extend({ refund_id: z.string().nullable() }))).toEqual([
      'refund_id: now also accepts null; consumers do not expect it (retyped)',
    ]);
    expect(changes(v1.extend({ refund_id: z.string().optional() }))).toEqual([
      'refund_id: was required, now optional; consumers rely on it',
    ]);
  });

  it('reports a narrowed type: an enum value removed, a nullable made non-null, a tighter constraint', () => {
    expect(changes(v1.extend({ reason: z.enum(['duplicate', 'fraudulent']) }))).toEqual(['reason: no longer accepts ["other"] (narrowed)']);
    expect(changes(v1.extend({ note: z.string().max(100).optional() }))).toEqual(['note: no longer accepts null (narrowed)']);
    expect(changes(v1.extend({ note: z.string().max(50).nullish() }))).toEqual(['note: constraint maxLength changed from 100 to 50']);
  });

  it('reports a new required field, a closed list opened, and a constant changed', () => {
    expect(changes(v1.extend({ merchant_id: z.string() }))).toEqual(['merchant_id: new required field; events already in the log lack it']);
    expect(changes(v1.extend({ reason: z.string() }))).toEqual([
      'reason: was a closed list ["duplicate","fraudulent","other"], now any value; consumers do not expect that',
    ]);
    const a = z.strictObject({ status: z.literal('SETTLED') });
    const b = z.strictObject({ status: z.literal('PAID') });
    expect(findBreakingChanges(json(a), json(b)).map((c) => c.change)).toEqual(['constant changed from "SETTLED" to "PAID"']);
  });

  it('looks inside array items and record values', () => {
    const items = v1.extend({ items: z.array(z.strictObject({ sku: z.string() })) });
    expect(changes(items)).toEqual(['items[].quantity: was required, now removed']);
    const metadata = v1.extend({ metadata: z.record(z.string(), z.string()) });
    expect(changes(metadata)).toEqual(['metadata: accepted any other field, now restricts them (narrowed)']);
  });

  it('reports a deliberately breaking change to the real payment.recorded v1', () => {
    const published = jsonSchemaOf(paymentRecordedV1);
    const { fee_minor: _dropped, ...payment } = paymentRecordedV1.data.shape.payment.shape;
    const broken: EventContract = {
      ...paymentRecordedV1,
      data: paymentRecordedV1.data.extend({
        payment: z.strictObject({ ...payment, amount_minor: z.number(), status: z.enum(['succeeded', 'failed']) }),
      }),
    };
    expect(findBreakingChanges(published, jsonSchemaOf(broken)).map((c) => `${c.path}: ${c.change}`)).toEqual([
      'payment.amount_minor: no longer accepts integer (narrowed)',
      'payment.amount_minor: now also accepts number; consumers do not expect it (retyped)',
      'payment.status: no longer accepts ["pending","authorized","captured","cancelled","partially_refunded","refunded","disputed","dispute_won","dispute_lost"] (narrowed)',
      'payment.fee_minor: was required, now removed',
    ]);
  });

  it('demands equality where it cannot compare structurally', () => {
    const a = { type: 'object', properties: { x: { oneOf: [{ type: 'string' }, { type: 'integer' }] } } };
    const b = { type: 'object', properties: { x: { oneOf: [{ type: 'string' }] } } };
    expect(findBreakingChanges(a, a)).toEqual([]);
    expect(findBreakingChanges(a, b)).toEqual([
      { path: 'x', change: 'changed in a way that cannot be checked; publish it as a new major version' },
    ]);
  });
});
