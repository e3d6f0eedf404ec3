/**
 * The latest `size` samples of a duration (ms) and their percentiles: the freshness and query
 * latency SLOs report these; Prometheus gets every sample as a histogram.
 */
export interface SampleWindow {
  add(ms: number): void;
  summary(): { p50_ms: number | null; p95_ms: number | null; max_ms: number | null; samples: number };
}

export function createSampleWindow(size: number): SampleWindow {
  const samples = new Float64Array(size);
  let count = 0;
  let next = 0;
  return {
    add(ms) {
      samples[next] = ms;
      next = (next + 1) % size;
      count = Math.min(count + 1, size);
    },
    summary() {
      if (count === 0) return { p50_ms: null, p95_ms: null, max_ms: null, samples: 0 };
      const sorted = samples.slice(0, count).sort();
      const at = (q: number) => Math.round(sorted[Math.min(count - 1, Math.floor(q * count))] as number);
      return { p50_ms: at(0.5), p95_ms: at(0.95), max_ms: Math.round(sorted[count - 1] as number), samples: count };
    },
  };
}
