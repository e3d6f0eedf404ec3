import { type SampleWindow, createSampleWindow } from '../core/sample-window.js';
import type { Warehouse } from './warehouse-port.js';

/**
 * The same warehouse, with the latency of every read query kept in a window: the data product's
 * query SLO reports its p95.
 */
export function withQueryTiming(warehouse: Warehouse, size = 1000): { warehouse: Warehouse; latency: SampleWindow } {
  const latency = createSampleWindow(size);
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
