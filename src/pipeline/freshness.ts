/**
 * The latest `size` freshness samples (recorded → queryable, ms) and their percentiles, for
 * /api/v1/data-quality and the data product's SLO; Prometheus gets every sample as a histogram.
 */
export function createFreshnessWindow(size: number) {
  const samples = new Float64Array(size);
  let count = 0;
  let next = 0;
  return {
    add(ms: number): void {
      samples[next] = ms;
      next = (next + 1) % size;
      count = Math.min(count + 1, size);
    },
    summary(): { p50_ms: number | null; p95_ms: number | null; max_ms: number | null; samples: number } {
      if (count === 0) return { p50_ms: null, p95_ms: null, max_ms: null, samples: 0 };
      const sorted = samples.slice(0, count).sort();
      const at = (q: number) => Math.round(sorted[Math.min(count - 1, Math.floor(q * count))] as number);
      return { p50_ms: at(0.5), p95_ms: at(0.95), max_ms: Math.round(sorted[count - 1] as number), samples: count };
    },
  };
}
