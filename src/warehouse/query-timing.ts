import { SLO_WINDOW_MS, type SampleWindow, createSampleWindow } from '../core/sample-window.js';
import type { Warehouse } from './warehouse-port.js';

/**
 * The same warehouse, with the latency of every read query over the last `SLO_WINDOW_MS` kept:
 * the data product's query SLO reports its p95. Wrap only the warehouse that serves the analytics
 * API (analytics, settlement, FX rates, the live feed); the consumer's own reads, the data-quality
 * checks and ad-hoc SQL (`/api/v1/sql`, bounded by its own timeout) use the bare warehouse, so
 * they are not counted as the product's query latency.
 */
export function withQueryTiming(warehouse: Warehouse, windowMs = SLO_WINDOW_MS): { warehouse: Warehouse; latency: SampleWindow } {
  const latency = createSampleWindow({ windowMs });
  return {
    latency,
    warehouse: {
      ...warehouse,
      async query(sql, params) {
        const started = performance.now();
        try {
          return await warehouse.query(sql, params);
        } finally {
          latency.add(performance.now() - started);
        }
      },
    },
  };
}
