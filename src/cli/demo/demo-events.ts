import type { DemoEvent, PlannedEvent } from './plan-types.js';
import type { Rng } from './random.js';
import { INR_PER } from './world.js';

/** Building blocks shared by every kind of demo traffic: clock units, event sources, ids, CloudEvents. */

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** The services that send the demo's events (CloudEvents `source`). */
export const SOURCES = {
  shop: '/demo/shop-web',
  orders: '/demo/orders-service',
  accounts: '/demo/accounts-service',
  experiments: '/demo/experiments',
  payments: '/demo/payments-service',
  settlements: '/demo/settlement-service',
} as const;

/** Builds a CloudEvent with the next id of its kind. */
export type EventFactory = (type: string, source: string, time: Date, data: Record<string, unknown>, subject?: string) => DemoEvent;

/**
 * What every traffic module draws from: the generator's random stream (one stream, so the order of
 * draws — and with it the plan — stays the same for a seed), ids that count up, and the CloudEvent builder.
 */
export interface DemoContext {
  rng: Rng;
  event: EventFactory;
  eventId(kind: string): string;
  /** `webhook-id` of the next delivery. */
  webhookId(): string;
  /** Purchases so far per customer id (their segment: new, returning, loyal). */
  purchases: Map<string, number>;
}

/** Ids `<prefix>-<kind>-<n>` and `msg_<prefix>-<n>`, counted from 1 for this context. */
export function createDemoContext(rng: Rng, idPrefix: string): DemoContext {
  let eventCounter = 0;
  let webhookCounter = 0;
  const eventId = (kind: string) => {
    eventCounter += 1;
    return `${idPrefix}-${kind}-${eventCounter}`;
  };
  const event: EventFactory = (type, source, time, data, subject) => ({
    specversion: '1.0',
    id: eventId(type.split('.')[0] ?? 'evt'),
    source,
    type,
    time: time.toISOString(),
    ...(subject ? { subject } : {}),
    datacontenttype: 'application/json',
    data: stripNulls(data),
  });
  return {
    rng,
    event,
    eventId,
    webhookId() {
      webhookCounter += 1;
      return `msg_${idPrefix}-${webhookCounter}`;
    },
    purchases: new Map(),
  };
}

/** An event planned at its own time (not stamped when sent). */
export const planned = (event: DemoEvent): PlannedEvent => ({ event, afterRecording: false });

export function shiftEvent(event: DemoEvent, ms: number): void {
  event.time = new Date(Date.parse(event.time) + ms).toISOString();
  if (typeof event.data.started_at === 'string') event.data.started_at = new Date(Date.parse(event.data.started_at) + ms).toISOString();
}

export function money(amountMinor: number, currency: string) {
  return { amount_minor: amountMinor, currency };
}

/** A catalogue price in the customer's currency: whole rupees in INR, `.99` in USD and EUR. */
export function priceMinor(priceInr: number, currency: 'INR' | 'USD' | 'EUR'): number {
  return currency === 'INR' ? priceInr * 100 : Math.max(1, Math.round(priceInr / INR_PER[currency])) * 100 - 1;
}

export function stripNulls(data: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(data).filter(([, v]) => v !== null && v !== undefined));
}

export function stripEmpty(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== ''));
}
