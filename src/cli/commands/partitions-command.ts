import type { Command } from 'commander';
import { createPartitionManager, partitionTableRows } from '../../store/partition-manager.js';
import { positiveInt } from '../command-support.js';
import { withStore } from '../open-stores.js';

/** `payscope partitions list|ensure|archive`: monthly partitions of payment_service.payments. */
export function registerPartitionsCommand(program: Command): void {
  const partitions = program.command('partitions').description('monthly partitions of payment_service.payments');
  partitions
    .command('list')
    .description('list partitions with their ranges')
    .option('--rows', 'also count the rows in each partition (scans the table)')
    .action((opts: { rows?: boolean }) =>
      withStore(async (store) => {
        console.table(partitionTableRows(await createPartitionManager({ store }).listPartitions({ countRows: opts.rows ?? false })));
      }),
    );
  partitions
    .command('ensure')
    .description('create partitions ahead, and for any month waiting in the default partition (moving its rows)')
    .option('--ahead <months>', 'months ahead to create', positiveInt)
    .action((opts: { ahead?: number }) =>
      withStore(async (store, cfg) => {
        const r = await createPartitionManager({ store }).ensurePartitions({ monthsAhead: opts.ahead ?? cfg.env.PARTITION_MONTHS_AHEAD });
        console.log(
          `created ${r.created.length} partition(s)${r.created.length ? `: ${r.created.join(', ')}` : ''}; moved ${r.movedRows} row(s) out of the default partition`,
        );
      }),
    );
  partitions
    .command('archive')
    .description('detach partitions older than the retention into schema payment_service_archive (or drop them)')
    .option('--retention <months>', 'months to keep', positiveInt)
    .option('--drop', 'drop instead of detaching (data is deleted)')
    .action((opts: { retention?: number; drop?: boolean }) =>
      withStore(async (store, cfg) => {
        const r = await createPartitionManager({ store }).archivePartitions({
          retentionMonths: opts.retention ?? cfg.env.PARTITION_RETENTION_MONTHS,
          mode: opts.drop ? 'drop' : 'detach',
        });
        console.log(
          r.archived.length ? `${opts.drop ? 'dropped' : 'archived'}: ${r.archived.join(', ')}` : 'nothing older than the retention',
        );
      }),
    );
}
