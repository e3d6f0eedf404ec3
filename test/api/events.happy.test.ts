import { afterAll, beforeAll, expect, it } from 'vitest';
import { validateEvent } from '../../src/contracts/index.js';
import type { LogRecord } from '../../src/log/event-log-port.js';
import { type TestApp, startTestApp } from '../harness/app.js';
import { CAPTURABLE_TYPES, captureEvent, outboxRows, postEvents } from '../harness/event-capture.js';
import { waitFor } from '../harness/event-logs.js';
import { uniqueName } from '../harness/kafka.js';
import { describeEachStore } from '../harness/stores.js';

/** The aggregate (log key) each contract's example belongs to when the sender sets no subject. */
const EXPECTED_KEY: Record<string, string> = {
  payment: 'PAY-2026-000123', // data.reference_number
  settlement: 'setl_20261121_M042', // data.batch_id
  order: 'ORD-1001', // data.order_id
  escrow: 'ORD-1001',
  tax: 'ORD-1001',
  checkout: 'sess_9f2', // data.session_id
  product: 'sess_9f2',
  search: 'sess_9f2',
  user: 'sess_9f2',
  experiment: 'sess_9f2',
};

describeEachStore('POST /api/v1/events (happy paths)', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(kind.name);
  });
  afterAll(() => t?.stop());

  it('accepts a batch of every capturable type into the outbox, keyed by the business object each event belongs to', async () => {
    const events = CAPTURABLE_TYPES.map((type) => captureEvent(type));
    expect(events.length).toBeGreaterThanOrEqual(20);
    const res = await postEvents(t.url, events);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      accepted: events.length,
      duplicates: 0,
      rejected: 0,
      results: events.map((e, index) => ({ index, id: e.id, status: 'accepted' })),
    });

    const rows = await outboxRows(
      t.app.store,
      events.map((e) => e.id),
    );
    // In the batch's order: one aggregate's events reach the log in the order they were sent.
    expect(rows.map((r) => r.event_id)).toEqual(events.map((e) => e.id));
    for (const [i, row] of rows.entries()) {
      const event = events[i]!;
      expect(row.event_type).toBe(event.type);
      expect(row.aggregate_id, event.type).toBe(EXPECTED_KEY[event.type.split('.')[0]!]);
      // The payload is the CloudEvent as validated: valid for every consumer of the log.
      expect(row.payload).toEqual(event);
      expect(validateEvent(row.payload).ok).toBe(true);
    }
  });

  it("uses the envelope's subject as the key when the sender sets one, and falls back to the event id", async () => {
    const withSubject = captureEvent('product.viewed', { subject: 'P-1' });
    const noSession = captureEvent('user.logged_in');
    delete noSession.data.session_id;
    const res = await postEvents(t.url, [withSubject, noSession]);
    expect(res.body.accepted).toBe(2);
    const rows = await outboxRows(t.app.store, [withSubject.id, noSession.id]);
    expect(rows.map((r) => r.aggregate_id)).toEqual(['P-1', noSession.id]);
  });

  it('acknowledges duplicates by id, within a batch and across batches, and stores each event once', async () => {
    const a = captureEvent('order.placed');
    const b = captureEvent('search.query');
    const c = captureEvent('payment.refunded');
    const first = await postEvents(t.url, [a, b, { ...a, source: '/test/retry' }]);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ accepted: 2, duplicates: 1, rejected: 0 });
    expect(first.body.results).toEqual([
      { index: 0, id: a.id, status: 'accepted' },
      { index: 1, id: b.id, status: 'accepted' },
      { index: 2, id: a.id, status: 'duplicate' },
    ]);

    const second = await postEvents(t.url, [b, c, a]);
    expect(second.body).toMatchObject({ accepted: 1, duplicates: 2, rejected: 0 });
    expect(second.body.results?.map((r) => r.status)).toEqual(['duplicate', 'accepted', 'duplicate']);

    const rows = await outboxRows(t.app.store, [a.id, b.id, c.id]);
    expect(rows.map((r) => r.event_id)).toEqual([a.id, b.id, c.id]);
    expect(rows[0]!.payload.source).toBe('/test/shop'); // the first one stored wins
  });

  it('takes one event object as a batch of one, under each accepted content type', async () => {
    for (const contentType of [
      'application/cloudevents+json',
      'application/cloudevents+json; charset=UTF-8',
      'application/json',
      'Application/JSON; charset=utf-8',
    ]) {
      const event = captureEvent('checkout.started');
      const res = await postEvents(t.url, event, { contentType });
      expect(res.status, contentType).toBe(200);
      expect(res.body, contentType).toEqual({
        accepted: 1,
        duplicates: 0,
        rejected: 0,
        results: [{ index: 0, id: event.id, status: 'accepted' }],
      });
    }
    const batch = [captureEvent('user.registered'), captureEvent('experiment.exposure_recorded')];
    const res = await postEvents(t.url, batch, { contentType: 'application/cloudevents-batch+json; charset=utf-8' });
    expect(res.body.accepted).toBe(2);
  });

  it('accepts a batch far larger than a webhook body (its own EVENTS_MAX_BODY_BYTES), up to 1,000 events', async () => {
    const events = Array.from({ length: 1000 }, (_, i) => captureEvent(CAPTURABLE_TYPES[i % CAPTURABLE_TYPES.length]!));
    const body = JSON.stringify(events);
    expect(body.length).toBeGreaterThan(65_536 * 4);
    const res = await postEvents(t.url, body);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ accepted: 1000, duplicates: 0, rejected: 0 });
    expect(res.body.results?.map((r) => r.index)).toEqual(events.map((_, i) => i));
    expect(
      await outboxRows(
        t.app.store,
        events.map((e) => e.id),
      ),
    ).toHaveLength(1000);
  });

  it("delivers captured events to the event log's consumers beside the recorder's own", async () => {
    const events = [captureEvent('order.placed'), captureEvent('settlement.completed')];
    const got: LogRecord[] = [];
    const consumer = t.app.eventLog.consumer({ group: uniqueName('capture-test'), maxBatchSize: 500 });
    await consumer.start(async (records) => void got.push(...records));
    try {
      await postEvents(t.url, events);
      const ids = new Set(events.map((e) => e.id));
      await waitFor(() => got.filter((r) => ids.has(r.id)).length === 2, 'both captured events on the log');
      const mine = got.filter((r) => ids.has(r.id));
      expect(mine.map((r) => [r.type, r.key])).toEqual([
        ['order.placed', 'ORD-1001'],
        ['settlement.completed', 'setl_20261121_M042'],
      ]);
      expect(JSON.parse(mine[0]!.value)).toEqual(events[0]);
    } finally {
      await consumer.stop();
    }
  });

  it('counts captured events by type and outcome in /metrics', async () => {
    const event = captureEvent('escrow.released');
    await postEvents(t.url, [event, event, { ...captureEvent('escrow.released'), data: {} }]);
    const text = await (await fetch(`${t.url}/metrics`)).text();
    expect(text).toMatch(/payscope_captured_events_total\{type="escrow.released",outcome="accepted"\} [1-9]/);
    expect(text).toMatch(/payscope_captured_events_total\{type="escrow.released",outcome="duplicate"\} [1-9]/);
    expect(text).toMatch(/payscope_captured_events_total\{type="escrow.released",outcome="rejected"\} [1-9]/);
  });
});
