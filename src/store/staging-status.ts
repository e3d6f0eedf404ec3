import type { SqlExecutor } from './store-port.js';

/** The staging table's state for `/health`, `/metrics` and `/api/v1/payments/stats`. */
export interface StagingStatus {
  /** Staged rows not processed yet. */
  backlog: number;
  /** When the last completed batch finished (ISO), or null. */
  lastRun: string | null;
  /** Records processed by batches started today (UTC of the database clock). */
  processedToday: number;
  /** Mean duration of today's completed batches, ms (0 without one). */
  averageBatchMs: number;
}

/** Reads the staging backlog and today's batches from `payment_staging` and `staging_process_log`. */
export async function readStagingStatus(db: SqlExecutor): Promise<StagingStatus> {
  const [backlog, last, today] = await Promise.all([
    db.query<{ n: number }>('SELECT count(*)::bigint AS n FROM payment_staging WHERE processed = FALSE'),
    db.query<{ at: Date | null }>(`SELECT max(completed_at) AS at FROM payment_service.staging_process_log WHERE status = 'completed'`),
    db.query<{ processed: number | null; avg_ms: number | null }>(
      `SELECT sum(processed_records)::bigint AS processed,
              round(avg(extract(epoch FROM completed_at - started_at) * 1000))::bigint AS avg_ms
       FROM payment_service.staging_process_log
       WHERE status = 'completed' AND started_at >= date_trunc('day', now())`,
    ),
  ]);
  return {
    backlog: backlog.rows[0]?.n ?? 0,
    lastRun: last.rows[0]?.at ? new Date(last.rows[0].at).toISOString() : null,
    processedToday: today.rows[0]?.processed ?? 0,
    averageBatchMs: today.rows[0]?.avg_ms ?? 0,
  };
}
