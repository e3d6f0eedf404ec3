import { writeFileSync } from 'node:fs';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { createLogger } from '../../core/logger.js';
import { createMetrics } from '../../core/metrics.js';
import { createRecorder } from '../../recorder/recorder.js';
import { loadStagingCsv } from '../../sources/staging/staging-csv-loader.js';
import { createStagingProcessor, stagingSettingsOf } from '../../sources/staging/staging-processor.js';
import { positiveInt } from '../command-support.js';
import { withStore } from '../open-stores.js';

/** `payscope staging load|run`: the ETL staging table (exit 2 when rows were rejected). */
export function registerStagingCommand(program: Command): void {
  const staging = program.command('staging').description('the ETL staging table');
  staging
    .command('load <file>')
    .description('load a CSV file (header row = payment_staging column names) into the staging table')
    .option('--chunk <rows>', 'rows per insert', positiveInt, 5000)
    .option('--rejects <file>', 'write rows that cannot be staged to this CSV file')
    .action((file: string, opts: { chunk: number; rejects?: string }) =>
      withStore(async (store) => {
        const bar = new SingleBar({ format: 'loading {bar} {percentage}% | {value}/{total} bytes | {duration}s', hideCursor: true });
        bar.start(1, 0);
        const result = await loadStagingCsv({
          db: store,
          file,
          chunkSize: opts.chunk,
          onProgress: (read, total) => {
            bar.setTotal(total);
            bar.update(read);
          },
        });
        bar.stop();
        console.log(`staged ${result.loaded} rows; ${result.rejected.length} rejected`);
        if (result.rejected.length > 0) {
          for (const r of result.rejected.slice(0, 10)) console.log(`  line ${r.line}: ${r.reason}`);
          if (opts.rejects) {
            writeFileSync(
              opts.rejects,
              `line,reason\n${result.rejected.map((r) => `${r.line},"${r.reason.replaceAll('"', '""')}"`).join('\n')}\n`,
            );
            console.log(`all rejected rows written to ${opts.rejects}`);
          }
          process.exitCode = 2;
        }
      }),
    );
  staging
    .command('run')
    .description('process the staging backlog now, then exit')
    .action(() =>
      withStore(async (store, cfg) => {
        const logger = createLogger('warn', process.stderr);
        const metrics = createMetrics();
        const recorder = createRecorder({ store, cache: null, metrics, logger, maxBatch: cfg.env.GROUP_COMMIT_MAX_BATCH });
        const processor = createStagingProcessor({
          store,
          recorder,
          metrics,
          logger,
          ...stagingSettingsOf(cfg),
        });
        const backlog =
          (await store.query<{ n: number }>('SELECT count(*)::bigint AS n FROM payment_staging WHERE processed = FALSE')).rows[0]?.n ?? 0;
        const bar = new SingleBar({ format: 'staging {bar} {percentage}% | {value}/{total} rows | {duration}s', hideCursor: true });
        bar.start(backlog, 0);
        let done = 0;
        const totals = await processor.drain((s) => {
          done += s.total;
          bar.update(Math.min(done, backlog));
        });
        bar.stop();
        console.log(`batches ${totals.batches}: recorded ${totals.processed}, duplicates ${totals.duplicates}, errors ${totals.errors}`);
      }),
    );
}
