import type { WarehouseConfig } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import type { Warehouse } from './warehouse-port.js';

export interface OpenWarehouseOptions {
  logger: Logger;
  /**
   * The one directory the instance may write files in (the Parquet export's output). Absent — the
   * server — it writes none (ADR 0007).
   */
  exportDir?: string;
  /**
   * Open for reads only (role `api` without `analytics`): no schema creation, no journal replay,
   * `transaction` refused. Only a ClickHouse server can be shared this way; a DuckDB file or a chDB
   * directory belongs to one process.
   */
  readOnly?: boolean;
}

/** Whether processes without the analytics consumer can read this warehouse (`readOnly`). */
export function isSharedWarehouse(config: WarehouseConfig): boolean {
  return config.engine === 'clickhouse' && !config.url.startsWith('chdb:');
}

/**
 * Opens the warehouse a configuration names. The composition roots (`app.ts`, the CLI) call this
 * and nothing else: each engine's adapter is loaded only when chosen, so a DuckDB deployment never
 * loads the ClickHouse client and the reverse.
 */
export async function openWarehouse(config: WarehouseConfig, options: OpenWarehouseOptions): Promise<Warehouse> {
  if (options.readOnly && !isSharedWarehouse(config)) {
    throw new Error(
      `a ${config.engine === 'duckdb' ? 'DuckDB file' : 'chDB directory'} is read and written by one process: run role api in the analytics process, or use a ClickHouse server (CLICKHOUSE_URL=http://…)`,
    );
  }
  switch (config.engine) {
    case 'duckdb': {
      const { openDuckDbWarehouse } = await import('./duckdb/duckdb-adapter.js');
      return openDuckDbWarehouse({
        path: config.path,
        logger: options.logger,
        ...(config.memoryLimit ? { memoryLimit: config.memoryLimit } : {}),
        ...(options.exportDir ? { exportDir: options.exportDir } : {}),
      });
    }
    case 'clickhouse': {
      const { createClickHouseClient } = await import('./clickhouse/clickhouse-client.js');
      const { openClickHouseWarehouse } = await import('./clickhouse/clickhouse-adapter.js');
      const client = await createClickHouseClient(config.url, config.database);
      try {
        return await openClickHouseWarehouse({
          client,
          database: config.database,
          logger: options.logger,
          ...(options.exportDir ? { exportDir: options.exportDir } : {}),
          ...(options.readOnly ? { readOnly: true } : {}),
        });
      } catch (error) {
        await client.close().catch(() => undefined);
        throw error;
      }
    }
  }
}
