import { describe, expect, it } from 'vitest';
import { createSampleWindow } from './sample-window.js';

describe('sample window', () => {
  it('forgets samples older than its time window, however many came since', () => {
    let clock = 0;
    const w = createSampleWindow({ windowMs: 60_000, now: () => clock });
    for (let i = 0; i < 5000; i++) w.add(5000); // a start-up burst
    clock = 61_000;
    for (let i = 0; i < 10; i++) w.add(200); // a few live samples after it
    expect(w.summary()).toEqual({ p50_ms: 200, p95_ms: 200, max_ms: 200, samples: 10 });
    clock = 200_000;
    expect(w.summary()).toEqual({ p50_ms: null, p95_ms: null, max_ms: null, samples: 0 });
  });

  it('keeps at most maxSamples, dropping the oldest', () => {
    const w = createSampleWindow({ windowMs: 60_000, maxSamples: 3, now: () => 0 });
    for (const ms of [900, 1, 2, 3]) w.add(ms);
    expect(w.summary()).toMatchObject({ max_ms: 3, samples: 3 });
  });
});
