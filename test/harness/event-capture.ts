/**
 * For the event-capture tests: `captureEvent` builds a valid CloudEvent of a catalogue type from
 * its contract's `example` — unlike `cloudEvent` in events.ts, any type string and any envelope
 * attribute may be set, so tests can also send what capture must refuse; `postEvents` is a client
 * for `POST /api/v1/events` over real HTTP; `outboxRows` reads what capture stored.
 *
 * @example
 * const res = await postEvents(t.url, [captureEvent('order.placed'), captureEvent('product.viewed', { subject: 'P-1' })]);
 * expect(res.body.accepted).toBe(2);
 */
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import type { CaptureResponse } from '../../src/api/routes/events-route.js';
import { adminKeyFor } from './app.js';
import { EVENT_CONTRACTS, type EventType } from '../../src/contracts/index.js';
import { PAYSCOPE_ONLY_EVENT_TYPES } from '../../src/sources/events/event-intake.js';

/** Every type another service may send (all but `payment.recorded` and `payment.status_changed`, which only Payscope emits). */
export const CAPTURABLE_TYPES: readonly EventType[] = [...new Set(EVENT_CONTRACTS.map((c) => c.type))].filter(
  (t) => !PAYSCOPE_ONLY_EVENT_TYPES.includes(t),
);

export type TestCloudEvent = Record<string, unknown> & { id: string; type: string; data: Record<string, unknown> };

/** A CloudEvent of `type` whose data is the contract's example (valid for a catalogue type); `overrides` replace envelope attributes. */
export function captureEvent(type: string, overrides: Record<string, unknown> = {}): TestCloudEvent {
  const contract = EVENT_CONTRACTS.find((c) => c.type === type);
  return {
    specversion: '1.0',
    id: `evt-${randomUUID()}`,
    source: '/test/shop',
    type,
    time: '2026-11-21T09:30:00+05:30',
    datacontenttype: 'application/json',
    data: structuredClone((contract?.example ?? {}) as Record<string, unknown>),
    ...overrides,
  };
}

export interface EventsResponse {
  status: number;
  body: Partial<CaptureResponse> & { error?: { code: string; message: string; details?: unknown; request_id: string; docs: string } };
}

/**
 * POSTs `body` (JSON-encoded unless a string, or a Buffer sent as its exact bytes) to `/api/v1/events`; `contentType: null` sends no
 * content-type at all. Authenticates with the test app's admin key unless `key` is given (`null`: none).
 */
export function postEvents(
  baseUrl: string,
  body: unknown,
  options: { contentType?: string | null; key?: string | null } = {},
): Promise<EventsResponse> {
  const contentType = options.contentType === undefined ? 'application/json' : options.contentType;
  const raw = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
  const headers: Record<string, string | number> = { 'content-length': raw.length };
  const key = options.key === undefined ? adminKeyFor(baseUrl) : options.key;
  if (key) headers.authorization = `Bearer ${key}`;
  if (contentType !== null) headers['content-type'] = contentType;
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}/api/v1/events`, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as EventsResponse['body'] });
        } catch {
          reject(new Error(`not JSON (${res.statusCode}): ${text.slice(0, 200)}`));
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(raw);
  });
}

/** The outbox rows of the given event ids (all rows when none given), in offset order. */
export async function outboxRows(
  db: { query<R>(sql: string, params?: readonly unknown[]): Promise<{ rows: R[] }> },
  ids?: readonly string[],
): Promise<Array<{ id: number; event_id: string; event_type: string; aggregate_id: string; payload: Record<string, unknown> }>> {
  const { rows } = await db.query<{ id: number; event_id: string; event_type: string; aggregate_id: string; payload: string }>(
    `SELECT id, event_id, event_type, aggregate_id, payload::text AS payload FROM payment_service.outbox
     ${ids ? 'WHERE event_id = ANY($1::text[])' : ''} ORDER BY id`,
    ids ? [ids] : [],
  );
  return rows.map((r) => ({ ...r, payload: JSON.parse(r.payload) as Record<string, unknown> }));
}
