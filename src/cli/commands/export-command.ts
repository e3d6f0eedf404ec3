import { resolve } from 'node:path';
import { SingleBar } from 'cli-progress';
import { type Command, InvalidArgumentError } from 'commander';
import { TABLE_NAMES, type TableName } from '../../warehouse/tables.js';
import { config, isoDay } from '../command-support.js';
import { openExportWarehouse } from '../open-stores.js';

/** `payscope export`: warehouse tables as Hive-partitioned Parquet. */
export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description(
      'write warehouse tables as Hive-partitioned Parquet (DIR/<table>/date=YYYY-MM-DD/part-0.parquet); re-running replaces the same files',
    )
    .requiredOption('--from <date>', 'first UTC day, YYYY-MM-DD', isoDay)
    .requiredOption('--to <date>', 'last UTC day, YYYY-MM-DD (inclusive)', isoDay)
    .requiredOption('--out <dir>', 'output directory')
    .option('--tables <names>', `comma-separated tables (default: all but applied_events): ${TABLE_NAMES.join(', ')}`)
    .action(async (opts: { from: string; to: string; out: string; tables?: string }) => {
      if (opts.from > opts.to) throw new InvalidArgumentError(`--from ${opts.from} is after --to ${opts.to}`);
      const tables = opts.tables?.split(',').map((t) => t.trim());
      const unknown = tables?.filter((t) => !(TABLE_NAMES as string[]).includes(t)) ?? [];
      if (unknown.length > 0) throw new InvalidArgumentError(`unknown table(s) ${unknown.join(', ')}; tables: ${TABLE_NAMES.join(', ')}`);
      const cfg = config();
      const warehouse = await openExportWarehouse(cfg, resolve(opts.out));
      const bar = new SingleBar({
        format: 'export {bar} {percentage}% | {value}/{total} table-days | {item} | {duration}s',
        hideCursor: true,
      });
      try {
        let started = false;
        const result = await warehouse.exportParquet({
          from: opts.from,
          to: opts.to,
          dir: resolve(opts.out),
          ...(tables ? { tables: tables as TableName[] } : {}),
          onProgress: (done, total, item) => {
            if (!started) {
              bar.start(total, 0, { item: '' });
              started = true;
            }
            bar.update(done, { item: `${item.table} ${item.date}` });
          },
        });
        bar.stop();
        const rows = result.files.reduce((n, f) => n + f.rows, 0);
        console.log(`wrote ${result.files.length} Parquet files, ${rows} rows, under ${resolve(opts.out)}`);
      } finally {
        bar.stop();
        await warehouse.close();
      }
    });
}
