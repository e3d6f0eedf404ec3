import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, startTestApp } from '../harness/app.js';
import { CAPTURABLE_TYPES, captureEvent, outboxRows, postEvents } from '../harness/event-capture.js';

// Error paths do not depend on the store; they run once, on the embedded default.
describe('POST /api/v1/events (errors)', () => {
  let t: TestApp;
  const MAX_BODY = 200_000;
  beforeAll(async () => {
    t = await startTestApp('pglite', { EVENTS_MAX_BODY_BYTES: String(MAX_BODY) });
  });
  afterAll(() => t?.stop());

  const outboxIds = async () => new Set((await outboxRows(t.app.store)).map((r) => r.event_id));

  it('rejects an invalid event in the middle of a batch with its error and keeps the rest', async () => {
    const before = captureEvent('order.placed');
    const bad = captureEvent('payment.refunded');
    delete bad.data.reference_number;
    (bad.data.amount as Record<string, unknown>).amount_minor = 12.5;
    const after = captureEvent('product.viewed');
    const res = await postEvents(t.url, [before, bad, after]);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ accepted: 2, duplicates: 0, rejected: 1 });
    expect(res.body.results?.[0]).toEqual({ index: 0, id: before.id, status: 'accepted' });
    expect(res.body.results?.[2]).toEqual({ index: 2, id: after.id, status: 'accepted' });
    expect(res.body.results?.[1]).toEqual({
      index: 1,
      id: bad.id,
      status: 'rejected',
      error: {
        code: 'VALIDATION_FAILED',
        message: expect.stringContaining('data.reference_number: is required'),
        details: {
          id: bad.id,
          type: 'payment.refunded',
          version: 1,
          issues: expect.arrayContaining([
            { field: 'data.reference_number', message: 'is required' },
            { field: 'data.amount.amount_minor', message: expect.any(String) },
          ]),
        },
      },
    });
    expect((await outboxRows(t.app.store, [before.id, bad.id, after.id])).map((r) => r.event_id)).toEqual([before.id, after.id]);
  });

  it('rejects an event type outside the data contract with UNSUPPORTED_EVENT_TYPE, and one without an id with a null id', async () => {
    const unknown = captureEvent('cart.exploded');
    const { id: _id, ...noId } = captureEvent('order.placed');
    const res = await postEvents(t.url, [unknown, noId, 42, null, 'text', []]);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ accepted: 0, duplicates: 0, rejected: 6 });
    const [first, second, ...rest] = res.body.results ?? [];
    expect(first).toMatchObject({ index: 0, id: unknown.id, status: 'rejected', error: { code: 'UNSUPPORTED_EVENT_TYPE' } });
    expect(first?.error?.message).toContain('GET /api/v1/schemas');
    expect(second).toMatchObject({ index: 1, id: null, status: 'rejected', error: { code: 'VALIDATION_FAILED' } });
    expect(second?.error?.message).toContain('id');
    for (const r of rest) expect(r).toMatchObject({ id: null, status: 'rejected', error: { code: 'VALIDATION_FAILED' } });
  });

  it('refuses payment.recorded, which only Payscope emits, pointing at the webhook and staging paths', async () => {
    const recorded = captureEvent('payment.recorded');
    const ok = captureEvent('payment.succeeded');
    const res = await postEvents(t.url, [recorded, ok]);
    expect(res.body).toMatchObject({ accepted: 1, rejected: 1 });
    expect(res.body.results?.[0]).toMatchObject({
      id: recorded.id,
      status: 'rejected',
      error: { code: 'EVENT_TYPE_NOT_CAPTURABLE', details: { id: recorded.id, type: 'payment.recorded' } },
    });
    expect(res.body.results?.[0]?.error?.message).toMatch(/webhook.*staging/);
    expect(await outboxRows(t.app.store, [recorded.id])).toEqual([]);
  });

  it('refuses the types only Payscope emits (ledger changes, segment changes, experiment status changes)', async () => {
    const types = ['payment.status_changed', 'customer.segment_changed', 'experiment.status_changed'];
    const events = types.map((type) => captureEvent(type));
    const res = await postEvents(t.url, events);
    expect(res.body).toMatchObject({ accepted: 0, rejected: types.length });
    for (const r of res.body.results ?? []) expect(r).toMatchObject({ status: 'rejected', error: { code: 'EVENT_TYPE_NOT_CAPTURABLE' } });
    expect(
      await outboxRows(
        t.app.store,
        events.map((e) => e.id),
      ),
    ).toEqual([]);
  });

  it('rejects an event whose free-form content holds what the store cannot (NUL, an unpaired surrogate) and keeps the rest', async () => {
    const nul = captureEvent('search.query');
    nul.data.filters = { size: 'a\u0000b' };
    const surrogate = captureEvent('search.query', { traceparent: 'x\ud800' });
    const fine = captureEvent('search.query');
    const res = await postEvents(t.url, [nul, surrogate, fine]);
    expect(res.status).toBe(200);
    expect(res.body.results?.map((r) => [r.status, r.error?.code, (r.error?.details as { field?: string })?.field])).toEqual([
      ['rejected', 'INVALID_TEXT', 'data.filters.size'],
      ['rejected', 'INVALID_TEXT', 'traceparent'],
      ['accepted', undefined, undefined],
    ]);
  });

  it('refuses an empty batch with 400 BATCH_EMPTY', async () => {
    const res = await postEvents(t.url, []);
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({
      code: 'BATCH_EMPTY',
      message: expect.stringContaining('1 to 1,000'),
      request_id: expect.any(String),
      docs: expect.stringContaining('batch_empty'),
    });
  });

  it('refuses more than 1,000 events with 413 BATCH_TOO_LARGE', async () => {
    const events = Array.from({ length: 1001 }, () => ({ id: `tiny-${Math.random()}` }));
    const res = await postEvents(t.url, events);
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ code: 'BATCH_TOO_LARGE', details: { events: 1001, max: 1000 } });
    expect(res.body.error?.message).toContain('at most 1000');
  });

  it('refuses a body over EVENTS_MAX_BODY_BYTES with 413 PAYLOAD_TOO_LARGE, naming the variable', async () => {
    const events = Array.from({ length: 400 }, () => captureEvent('order.placed'));
    const body = JSON.stringify(events);
    expect(body.length).toBeGreaterThan(MAX_BODY);
    const res = await postEvents(t.url, body);
    expect(res.status).toBe(413);
    expect(res.body.error?.code).toBe('PAYLOAD_TOO_LARGE');
    expect(res.body.error?.message).toContain(`${MAX_BODY} bytes (EVENTS_MAX_BODY_BYTES)`);
    expect(await outboxRows(t.app.store, [events[0]!.id])).toEqual([]);
  });

  it('refuses a body that is not JSON, or empty, with 400 MALFORMED_JSON', async () => {
    for (const body of ['[{"id": ', '', 'nope']) {
      const res = await postEvents(t.url, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error?.code).toBe('MALFORMED_JSON');
    }
  });

  it('refuses JSON that is neither an array nor an object, and a body that contradicts its CloudEvents content type, with 400 INVALID_BATCH', async () => {
    const cases: Array<[unknown, string]> = [
      ['"text"', 'application/json'],
      ['42', 'application/json'],
      ['null', 'application/json'],
      [[captureEvent('order.placed')], 'application/cloudevents+json'],
      [captureEvent('order.placed'), 'application/cloudevents-batch+json'],
    ];
    for (const [body, contentType] of cases) {
      const res = await postEvents(t.url, body, { contentType });
      expect(res.status, `${contentType} ${JSON.stringify(body).slice(0, 30)}`).toBe(400);
      expect(res.body.error?.code).toBe('INVALID_BATCH');
    }
  });

  it('refuses another content type, or none, with 415 UNSUPPORTED_MEDIA_TYPE listing the accepted ones', async () => {
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', null]) {
      const res = await postEvents(t.url, [captureEvent('order.placed')], { contentType });
      expect(res.status, String(contentType)).toBe(415);
      expect(res.body.error?.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      expect(res.body.error?.message).toContain('application/cloudevents-batch+json');
    }
  });

  it('answers any batch of valid events and garbage with one result per input, and the outbox gains exactly the accepted ids', async () => {
    const idPool = Array.from({ length: 12 }, (_, i) => `prop-${Date.now()}-${i}`);
    const valid = fc
      .tuple(
        fc.constantFrom(...CAPTURABLE_TYPES),
        fc.oneof(
          fc.constantFrom(...idPool),
          fc.uuid().map((u) => `prop-${u}`),
        ),
        fc.option(fc.string({ minLength: 1, maxLength: 20 })),
      )
      .map(([type, id, subject]) => captureEvent(type, { id, ...(subject === null ? {} : { subject }) }));
    const broken = valid.chain((event) =>
      fc
        .constantFrom<(e: typeof event) => unknown>(
          (e) => ({ ...e, specversion: '0.3' }),
          (e) => ({ ...e, data: { ...e.data, unexpected: true } }),
          (e) => ({ ...e, time: 'yesterday' }),
          (e) => ({ ...e, type: 'payment.recorded' }),
          (e) => ({ ...e, type: 'no.such_type' }),
          (e) => ({ ...e, id: '' }),
          (e) => ({ ...e, data: null }),
        )
        .map((mutate) => mutate(event)),
    );
    const garbage = fc.anything({ maxDepth: 2, maxKeys: 4 });
    const totals = { accepted: 0, duplicates: 0, rejected: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(valid, valid, broken, garbage), { minLength: 1, maxLength: 30 }), async (inputs) => {
        const before = await outboxIds();
        const res = await postEvents(t.url, inputs);
        expect(res.status).toBe(200);
        const { accepted = 0, duplicates = 0, rejected = 0, results = [] } = res.body;
        totals.accepted += accepted;
        totals.duplicates += duplicates;
        totals.rejected += rejected;
        expect(accepted + duplicates + rejected).toBe(inputs.length);
        expect(results.map((r) => r.index)).toEqual(inputs.map((_, i) => i));
        for (const r of results) if (r.status === 'rejected') expect(r.error?.code).toMatch(/^[A-Z_]+$/);
        const after = await outboxIds();
        const gained = [...after].filter((id) => !before.has(id));
        const acceptedIds = results.filter((r) => r.status === 'accepted').map((r) => r.id);
        expect(new Set(gained)).toEqual(new Set(acceptedIds));
        expect(gained).toHaveLength(accepted);
        for (const r of results) if (r.status === 'duplicate') expect(after.has(r.id ?? '')).toBe(true);
      }),
      { numRuns: 60 },
    );
    // The generators reach every outcome (not a timing or tuning assertion: 60 runs of up to 30 inputs).
    expect(totals.accepted).toBeGreaterThan(0);
    expect(totals.duplicates).toBeGreaterThan(0);
    expect(totals.rejected).toBeGreaterThan(0);
  });
});
