import type { Command } from 'commander';
import { createLogger } from '../../core/logger.js';
import { createReferenceCleanupJob } from '../../jobs/reference-cleanup-job.js';
import { positiveInt } from '../command-support.js';
import { withStore } from '../open-stores.js';

/** `payscope references cleanup`: delete old dedup references. */
export function registerReferencesCommand(program: Command): void {
  program
    .command('references')
    .description('dedup references')
    .command('cleanup')
    .description('delete references older than --days (the same reference arriving later is then recorded again)')
    .requiredOption('--days <days>', 'age in days', positiveInt)
    .action((opts: { days: number }) =>
      withStore(async (store) => {
        const job = createReferenceCleanupJob({ store, ttlDays: opts.days, logger: createLogger('warn', process.stderr) });
        console.log(await job.run());
      }),
    );
}
