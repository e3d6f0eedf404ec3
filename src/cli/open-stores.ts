import { openStore } from '../app.js';
import type { Config } from '../core/config.js';
import { createLogger } from '../core/logger.js';
import type { OperationalStore } from '../store/store-port.js';
import { openWarehouse } from '../warehouse/open-warehouse.js';
import type { Warehouse } from '../warehouse/warehouse-port.js';
import { config } from './command-support.js';

/**
 * The stores a one-off command opens, in one place: the operational store through the composition
 * root's `openStore`, and the warehouse for `export`. Commands log to stderr at warn level
 * (LOG_LEVEL to change) so their output stays readable.
 */

/** A command's view of the open store and its configuration. */
export type WithStore = <T>(fn: (store: OperationalStore, cfg: Config) => Promise<T>) => Promise<T>;

/** Opens the store for a one-off command, runs `fn`, and closes the store. */
export const withStore: WithStore = async (fn) => {
  const cfg = config();
  const logger = createLogger(process.env.LOG_LEVEL ?? 'warn', process.stderr, cfg.env.LOG_FORMAT);
  const store = await openStore(cfg, logger);
  try {
    return await fn(store, cfg);
  } finally {
    await store.close();
  }
};

/** Opens the configured warehouse for an export that may write only under `exportDir` (ADR 0007). */
export function openExportWarehouse(cfg: Config, exportDir: string): Promise<Warehouse> {
  return openWarehouse(cfg.warehouse, {
    logger: createLogger(process.env.LOG_LEVEL ?? 'warn', process.stderr),
    // The only directory this instance may write; every other path stays closed (ADR 0007).
    exportDir,
  });
}
