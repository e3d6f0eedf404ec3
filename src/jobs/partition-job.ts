import type { Logger } from '../core/logger.js';
import type { PartitionManager } from '../store/partition-manager.js';

export interface PartitionJobDeps {
  manager: PartitionManager;
  /** Months after the current one that must already have a partition. */
  monthsAhead: number;
  /** Months kept attached before the current one when archiving is enabled. */
  retentionMonths: number;
  /** When false the job only creates partitions; old months stay attached. */
  archiveEnabled: boolean;
  logger: Logger;
  /** The clock; defaults to the current time. */
  now?: () => Date;
}

export interface PartitionJobSummary {
  created: string[];
  movedRows: number;
  /** Partitions detached to `payment_service_archive`; empty when archiving is disabled. */
  archived: string[];
  archiveEnabled: boolean;
  durationMs: number;
}

export interface PartitionJob {
  readonly name: 'partitions';
  /** Creates the partitions ahead (moving rows out of the default partition), then archives old ones if enabled. */
  run(): Promise<PartitionJobSummary>;
}

/**
 * The scheduled partition job. A failure (a lock not obtained in time, a lost connection) is
 * thrown to the scheduler; the next run starts over, since every step is idempotent.
 *
 * @example
 * const job = createPartitionJob({ manager, monthsAhead: 3, retentionMonths: 12, archiveEnabled: false, logger });
 * scheduler.every(env.PARTITION_JOB_CRON, job);
 */
export function createPartitionJob(deps: PartitionJobDeps): PartitionJob {
  const { manager, monthsAhead, retentionMonths, archiveEnabled } = deps;
  const logger = deps.logger.child({ job: 'partitions' });
  const clock = deps.now ?? (() => new Date());
  return {
    name: 'partitions',
    async run() {
      const started = performance.now();
      const now = clock();
      const { created, movedRows } = await manager.ensurePartitions({ monthsAhead, now });
      const { archived } = archiveEnabled ? await manager.archivePartitions({ retentionMonths, now, mode: 'detach' }) : { archived: [] };
      const summary: PartitionJobSummary = {
        created,
        movedRows,
        archived,
        archiveEnabled,
        durationMs: Math.round(performance.now() - started),
      };
      logger.info(
        {
          created,
          created_count: created.length,
          moved_rows: movedRows,
          archived,
          archived_count: archived.length,
          archive_enabled: archiveEnabled,
          ms: summary.durationMs,
        },
        'partition job finished',
      );
      return summary;
    },
  };
}
