import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../core/logger.js';
import { openDuckDbWarehouse } from '../../warehouse/duckdb/duckdb-adapter.js';
import type { Warehouse } from '../../warehouse/warehouse-port.js';
import { createLiveFeed, localDayStart } from './live-feed.js';

describe('live feed', () => {
  let warehouse: Warehouse;
  let queries = 0;
  beforeAll(async () => {
    const opened = await openDuckDbWarehouse({ path: ':memory:', logger: createLogger('silent') });
    warehouse = {
      ...opened,
      query: (sql, params) => {
        queries++;
        return opened.query(sql, params);
      },
    };
  });
  afterAll(() => warehouse?.close());

  it('computes nothing while no client listens, once per interval for all clients of a zone, and stops when the last leaves', async () => {
    const feed = createLiveFeed({ warehouse, intervalMs: 50, logger: createLogger('silent') });
    await sleep(200);
    expect(feed.stats()).toEqual({ computations: 0, listeners: 0, running: false });
    expect(queries).toBe(0);
    const seen: string[][] = [[], [], []];
    const offs = seen.map((ids) => feed.subscribe('UTC', (_s, id) => ids.push(id)));
    await sleep(300);
    const { computations } = feed.stats();
    // Three listeners share one computation per tick (≈6 ticks), not three.
    expect(computations).toBeGreaterThan(2);
    expect(computations).toBeLessThan(12);
    expect(seen[1]?.at(-1)).toBe(seen[0]?.at(-1));
    for (const off of offs) off();
    expect(feed.stats().running).toBe(false);
    const after = feed.stats().computations;
    await sleep(200);
    expect(feed.stats().computations).toBe(after);
    feed.close();
  });

  it('finds the start of the local day in whole, half-hour and DST zones', () => {
    const at = new Date('2026-03-08T12:00:00Z');
    expect(localDayStart('UTC', at).from.toISOString()).toBe('2026-03-08T00:00:00.000Z');
    expect(localDayStart('Asia/Kolkata', at)).toEqual({ date: '2026-03-08', from: new Date('2026-03-07T18:30:00Z') });
    expect(localDayStart('Asia/Kolkata', new Date('2026-03-08T19:00:00Z')).date).toBe('2026-03-09');
    // US DST starts 2026-03-08 at 02:00 local: midnight was still EST (-05:00).
    expect(localDayStart('America/New_York', at).from.toISOString()).toBe('2026-03-08T05:00:00.000Z');
  });
});
