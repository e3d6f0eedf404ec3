import { randomUUID } from 'node:crypto';
import { type CloudEvent, EVENT_CONTRACTS, type EventDataOf, type EventType, findContract } from '../../src/contracts/index.js';
import type { LogRecord } from '../../src/log/event-log-port.js';
import { paymentRecordedEvent } from '../../src/recorder/payment-event.js';
import type { RecordedPayment } from '../../src/recorder/payment.js';
import { payment } from './fixtures.js';

/**
 * Builders of valid CloudEvents for tests and benchmarks: any catalogue type from its contract's
 * example with fields overridden, a `payment.recorded` exactly as the recorder writes it, and
 * log records as a consumer receives them.
 */

export function cloudEvent<T extends EventType>(
  type: T,
  data: Partial<EventDataOf<T>> = {},
  envelope: { id?: string; time?: Date | string; subject?: string } = {},
): CloudEvent<EventDataOf<T>, T> {
  const contract = findContract(type);
  if (!contract) throw new Error(`no contract for ${type}`);
  const time = envelope.time instanceof Date ? envelope.time.toISOString() : (envelope.time ?? new Date().toISOString());
  return {
    specversion: '1.0',
    id: envelope.id ?? randomUUID(),
    source: '/tests',
    type,
    time,
    ...(envelope.subject ? { subject: envelope.subject } : {}),
    datacontenttype: 'application/json',
    data: { ...(contract.example as object), ...data } as EventDataOf<T>,
  };
}

/** A `payment.recorded` event for a payment with these fields, as the recorder emits it. */
export function recordedEvent(reference: string, overrides: Partial<RecordedPayment> = {}, at = new Date()): CloudEvent {
  const p: RecordedPayment = { ...payment(reference), id: randomUUID(), ...overrides };
  return paymentRecordedEvent(p, at) as CloudEvent;
}

let nextOffset = 1;

/** A log record carrying `event` (or raw text), as a consumer receives it. */
export function logRecord(event: CloudEvent | string, recordedAt = new Date()): LogRecord {
  const value = typeof event === 'string' ? event : JSON.stringify(event);
  const parsed = typeof event === 'string' ? null : event;
  return {
    id: parsed?.id ?? '',
    type: parsed?.type ?? '',
    key: parsed?.subject ?? parsed?.id ?? 'raw',
    value,
    time: recordedAt,
    partition: 0,
    offset: nextOffset++,
  };
}

export const ALL_EVENT_TYPES = [...new Set(EVENT_CONTRACTS.map((c) => c.type))];
