import { loadStagingCsv } from '../../sources/staging/staging-csv-loader.js';
import type { StagingSink } from './run-demo.js';

/**
 * The staging path for a process that can reach the operational store: the CSV goes through the
 * same loader as `payscope staging load` into `payment_staging`, and the staging processor records
 * it (as `payscope staging run` does). Used by the CLI on PostgreSQL, by the start flow (which owns
 * the embedded store) and by the tests.
 */
export function stagingSinkOf(deps: {
  db: Parameters<typeof loadStagingCsv>[0]['db'];
  processor: { drain(): Promise<{ processed: number; duplicates: number; errors: number }> };
}): StagingSink {
  return {
    async load(file) {
      const result = await loadStagingCsv({ db: deps.db, file });
      return { loaded: result.loaded, rejected: result.rejected.length };
    },
    async drain() {
      const totals = await deps.processor.drain();
      return { recorded: totals.processed, duplicates: totals.duplicates, errors: totals.errors };
    },
  };
}
