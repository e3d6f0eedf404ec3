/**
 * Samples of a duration (ms) taken over the last `windowMs` of wall time, and their percentiles:
 * the freshness and query-latency SLOs report these; Prometheus gets every sample as a histogram.
 *
 * The window is one of time, not of count: a count window (the latest 10,000 samples) was filled
 * by the 37,000 events of `npm start`'s demo back-fill and kept reporting their 5 s queueing lag
 * for minutes of live traffic that applied in ≤ 1 s. `maxSamples` only bounds memory: above it
 * the oldest samples of the window are dropped first.
 */
export interface SampleWindow {
  add(ms: number): void;
  summary(): SampleSummary;
}

export interface SampleSummary {
  p50_ms: number | null;
  p95_ms: number | null;
  max_ms: number | null;
  samples: number;
}

/** The window every SLO of the data product is measured over (`GET /api/v1/data-product`). */
export const SLO_WINDOW_MS = 5 * 60_000;

export function createSampleWindow(options: { windowMs: number; maxSamples?: number; now?: () => number }): SampleWindow {
  const size = options.maxSamples ?? 10_000;
  const now = options.now ?? Date.now;
  const values = new Float64Array(size);
  const times = new Float64Array(size);
  let count = 0;
  let next = 0;
  return {
    add(ms) {
      values[next] = ms;
      times[next] = now();
      next = (next + 1) % size;
      count = Math.min(count + 1, size);
    },
    summary() {
      const since = now() - options.windowMs;
      const kept: number[] = [];
      for (let i = 0; i < count; i++) if ((times[i] as number) >= since) kept.push(values[i] as number);
      if (kept.length === 0) return { p50_ms: null, p95_ms: null, max_ms: null, samples: 0 };
      const sorted = Float64Array.from(kept).sort();
      const n = sorted.length;
      const at = (q: number) => Math.round(sorted[Math.min(n - 1, Math.floor(q * n))] as number);
      return { p50_ms: at(0.5), p95_ms: at(0.95), max_ms: Math.round(sorted[n - 1] as number), samples: n };
    },
  };
}
