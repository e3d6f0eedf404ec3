import { afterEach, beforeEach, expect, it } from 'vitest';
import {
  countDeadLetters,
  listDeadLetters,
  markDeadLettersReplayed,
  type NewDeadLetter,
  writeDeadLetters,
} from '../../src/store/dead-letter-table.js';
import { describeEachStore, type TestStore } from '../harness/stores.js';

const letter = (overrides: Partial<NewDeadLetter> = {}): NewDeadLetter => ({
  stage: 'capture',
  origin: 'kafka:orders.events',
  eventId: 'evt-1',
  eventType: 'order.placed',
  partition: 2,
  offset: 41,
  payload: '{"id":"evt-1","type":"order.placed"}',
  errorCode: 'VALIDATION_FAILED',
  errorMessage: 'data.order_id: is required',
  details: { issues: [{ field: 'data.order_id', message: 'is required' }] },
  ...overrides,
});

describeEachStore('the dead-letter table', (kind) => {
  let db: TestStore;
  beforeEach(async () => {
    db = await kind.create();
  });
  afterEach(() => db.close());

  it('stores a letter with everything it was given and reads it back', async () => {
    const before = Date.now();
    await writeDeadLetters(db.store, [letter()]);
    const [got] = await listDeadLetters(db.store, { limit: 10 });
    expect(got).toEqual({
      ...letter(),
      id: expect.any(Number),
      attempts: 1,
      createdAt: expect.any(Date),
      lastAttemptAt: expect.any(Date),
      replayedAt: null,
    });
    expect(got!.createdAt.getTime()).toBeGreaterThanOrEqual(before - 5000);
  });

  it('counts an attempt instead of adding a row when the same letter is written again, keeping the latest error', async () => {
    await writeDeadLetters(db.store, [letter(), letter({ eventId: null, payload: 'not json', offset: 42, errorCode: 'MALFORMED_JSON' })]);
    // A redelivered batch: same letters, the first with a different error this time.
    await writeDeadLetters(db.store, [
      letter({ errorCode: 'UNSUPPORTED_EVENT_TYPE', errorMessage: 'again', details: undefined }),
      letter({ eventId: null, payload: 'not json', offset: 42, errorCode: 'MALFORMED_JSON' }),
    ]);
    const rows = await listDeadLetters(db.store, { limit: 10 });
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ eventId: 'evt-1', attempts: 2, errorCode: 'UNSUPPORTED_EVENT_TYPE', errorMessage: 'again' });
    expect(rows[0]).not.toHaveProperty('details');
    expect(rows[0]!.lastAttemptAt.getTime()).toBeGreaterThanOrEqual(rows[0]!.createdAt.getTime());
    expect(rows[1]).toMatchObject({ eventId: null, offset: 42, attempts: 2, payload: 'not json' });
  });

  it('keys a letter by event id when it has one, else by partition and offset, else by payload', async () => {
    await writeDeadLetters(db.store, [
      letter({ offset: 1 }),
      letter({ offset: 2 }), // same id elsewhere in the topic: the same event again
      letter({ eventId: null, offset: 3 }),
      letter({ eventId: null, offset: 4 }),
      letter({ eventId: null, partition: null, offset: null, payload: 'a' }),
      letter({ eventId: null, partition: null, offset: null, payload: 'a' }),
      letter({ eventId: null, partition: null, offset: null, payload: 'b' }),
      letter({ origin: 'kafka:other' }),
      letter({ stage: 'analytics', origin: 'consumer:analytics' }),
    ]);
    const rows = await listDeadLetters(db.store, { limit: 100 });
    expect(rows.map((r) => [r.stage, r.origin, r.eventId, r.offset, r.payload.slice(0, 1), r.attempts])).toEqual([
      ['capture', 'kafka:orders.events', 'evt-1', 1, '{', 2],
      ['capture', 'kafka:orders.events', null, 3, '{', 1],
      ['capture', 'kafka:orders.events', null, 4, '{', 1],
      ['capture', 'kafka:orders.events', null, null, 'a', 2],
      ['capture', 'kafka:orders.events', null, null, 'b', 1],
      ['capture', 'kafka:other', 'evt-1', 41, '{', 1],
      ['analytics', 'consumer:analytics', 'evt-1', 41, '{', 1],
    ]);
  });

  it('filters by stage, pages by id and selects by ids, always in id order', async () => {
    await writeDeadLetters(
      db.store,
      Array.from({ length: 7 }, (_, i) =>
        letter({
          eventId: `evt-${i}`,
          stage: i % 2 === 0 ? 'capture' : 'analytics',
          origin: i % 2 === 0 ? 'kafka:t' : 'consumer:analytics',
        }),
      ),
    );
    const all = await listDeadLetters(db.store, { limit: 100 });
    expect(all.map((r) => r.eventId)).toEqual(['evt-0', 'evt-1', 'evt-2', 'evt-3', 'evt-4', 'evt-5', 'evt-6']);

    const capture = await listDeadLetters(db.store, { stage: 'capture', limit: 100 });
    expect(capture.map((r) => r.eventId)).toEqual(['evt-0', 'evt-2', 'evt-4', 'evt-6']);

    const pages: string[][] = [];
    let afterId: number | undefined;
    for (;;) {
      const page = await listDeadLetters(db.store, { limit: 3, ...(afterId === undefined ? {} : { afterId }) });
      if (page.length === 0) break;
      pages.push(page.map((r) => r.eventId ?? ''));
      afterId = page.at(-1)!.id;
    }
    expect(pages).toEqual([['evt-0', 'evt-1', 'evt-2'], ['evt-3', 'evt-4', 'evt-5'], ['evt-6']]);

    const picked = await listDeadLetters(db.store, { ids: [all[5]!.id, all[1]!.id, 999_999], limit: 10 });
    expect(picked.map((r) => r.eventId)).toEqual(['evt-1', 'evt-5']);
    expect(await listDeadLetters(db.store, { ids: [], limit: 10 })).toEqual([]);
  });

  it('hides replayed letters unless asked, counts them per stage and code, and reopens one that fails again', async () => {
    await writeDeadLetters(db.store, [
      letter({ eventId: 'a' }),
      letter({ eventId: 'b' }),
      letter({ eventId: 'c', errorCode: 'MALFORMED_JSON' }),
      letter({ eventId: 'd', stage: 'analytics', origin: 'consumer:analytics', errorCode: 'WAREHOUSE_REJECTED' }),
    ]);
    const [a, b] = await listDeadLetters(db.store, { limit: 2 });
    await markDeadLettersReplayed(db.store, [a!.id, b!.id]);
    const firstReplay = (await listDeadLetters(db.store, { ids: [a!.id], includeReplayed: true, limit: 1 }))[0]!.replayedAt;
    expect(firstReplay).toBeInstanceOf(Date);
    await markDeadLettersReplayed(db.store, [a!.id]); // already replayed: keeps its time
    expect((await listDeadLetters(db.store, { ids: [a!.id], includeReplayed: true, limit: 1 }))[0]!.replayedAt).toEqual(firstReplay);
    await markDeadLettersReplayed(db.store, []);

    expect((await listDeadLetters(db.store, { limit: 10 })).map((r) => r.eventId)).toEqual(['c', 'd']);
    expect((await listDeadLetters(db.store, { includeReplayed: true, limit: 10 })).map((r) => r.eventId)).toEqual(['a', 'b', 'c', 'd']);
    expect(await countDeadLetters(db.store)).toEqual([
      { stage: 'analytics', errorCode: 'WAREHOUSE_REJECTED', open: 1, replayed: 0 },
      { stage: 'capture', errorCode: 'MALFORMED_JSON', open: 1, replayed: 0 },
      { stage: 'capture', errorCode: 'VALIDATION_FAILED', open: 0, replayed: 2 },
    ]);

    // The replay of 'b' failed again: it is open again, with one more attempt.
    await writeDeadLetters(db.store, [letter({ eventId: 'b' })]);
    const reopened = (await listDeadLetters(db.store, { ids: [b!.id], limit: 1 }))[0]!;
    expect(reopened).toMatchObject({ eventId: 'b', attempts: 2, replayedAt: null });
  });

  it('stores what PostgreSQL text cannot hold: NUL and unpaired surrogates become U+FFFD, over-long ids are cut', async () => {
    const longId = `x${'é'.repeat(300)}`;
    await writeDeadLetters(db.store, [
      letter({
        eventId: longId,
        eventType: 't\u0000',
        payload: 'a\u0000b\ud800c',
        errorMessage: 'bad \u0000',
        details: { 'k\u0000': ['\udc00', 1n], nested: { ok: '😀' } },
      }),
    ]);
    const [got] = await listDeadLetters(db.store, { limit: 1 });
    expect(got).toMatchObject({
      eventId: longId.slice(0, 255),
      eventType: 't\uFFFD',
      payload: 'a\uFFFDb\uFFFDc',
      errorMessage: 'bad \uFFFD',
      details: { 'k\uFFFD': ['\uFFFD', '1'], nested: { ok: '😀' } },
    });
    // The same over-long id again is the same letter.
    await writeDeadLetters(db.store, [letter({ eventId: longId })]);
    expect((await listDeadLetters(db.store, { limit: 10 })).map((r) => r.attempts)).toEqual([2]);
  });

  it('writes nothing for an empty list', async () => {
    await writeDeadLetters(db.store, []);
    expect(await countDeadLetters(db.store)).toEqual([]);
  });
});
