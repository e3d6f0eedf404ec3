import { describe, expect, it } from 'vitest';
import { aggregateIdOf } from './event-intake.js';

describe('aggregateIdOf', () => {
  const event = (type: string, data: Record<string, unknown>, subject?: string) => ({
    id: 'evt-1',
    type,
    data,
    ...(subject === undefined ? {} : { subject }),
  });

  it("takes the envelope's subject first", () => {
    expect(aggregateIdOf(event('payment.refunded', { reference_number: 'PAY-1' }, 'S-1'))).toBe('S-1');
  });

  it('keys each family by the business object it belongs to', () => {
    expect(aggregateIdOf(event('payment.refunded', { reference_number: 'PAY-1' }))).toBe('PAY-1');
    expect(aggregateIdOf(event('settlement.completed', { batch_id: 'B-1' }))).toBe('B-1');
    expect(aggregateIdOf(event('order.cancelled', { order_id: 'O-1' }))).toBe('O-1');
    expect(aggregateIdOf(event('escrow.released', { order_id: 'O-2' }))).toBe('O-2');
    expect(aggregateIdOf(event('tax.line_recorded', { order_id: 'O-3', reference_number: 'PAY-3' }))).toBe('O-3');
    for (const type of ['checkout.started', 'product.viewed', 'search.query', 'user.logged_in', 'experiment.exposure_recorded']) {
      expect(aggregateIdOf(event(type, { session_id: 'sess-1' })), type).toBe('sess-1');
    }
  });

  it('falls back to the event id when the field is absent, null or empty, or the type has no key field', () => {
    expect(aggregateIdOf(event('tax.line_recorded', { reference_number: 'PAY-3' }))).toBe('evt-1');
    expect(aggregateIdOf(event('user.registered', { session_id: null, user_id: 'U-1' }))).toBe('evt-1');
    expect(aggregateIdOf(event('order.placed', { order_id: '' }))).toBe('evt-1');
    expect(aggregateIdOf(event('something.else', { order_id: 'O-1' }))).toBe('evt-1');
  });
});
