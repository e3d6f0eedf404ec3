import type { Logger } from 'pino';
import type { OperationalStore } from '../store/store-port.js';
import { deleteInChunks } from './chunked-delete.js';
import type { Job } from './scheduler.js';

/**
 * Deletes outbox rows nobody needs any more, in chunks so it never holds long locks. A row goes
 * only when all of these hold:
 * - it is older than OUTBOX_RETENTION_DAYS;
 * - the relay has published it (`published_at`), so Kafka has it when Kafka is the log;
 * - every reader of the embedded log is past it (`id` ≤ the lowest position in
 *   `consumer_offsets`; the relay's row is one of them), so no consumer group loses an event.
 *
 * What retention costs: a consumer group started later (or a warehouse rebuilt from the log)
 * begins at the oldest kept row, and `POST /api/v1/events` acknowledges a repeated event id as a
 * duplicate only while its row is kept (the warehouse still drops an event it has applied).
 * OUTBOX_RETENTION_DAYS=0 keeps everything.
 */
export function createOutboxRetentionJob(deps: { store: OperationalStore; retentionDays: number; logger: Logger; chunk?: number }): Job {
  const chunk = deps.chunk ?? 10_000;
  return {
    name: 'outbox-retention',
    async run() {
      const deleted = await deleteInChunks(
        deps.store,
        `DELETE FROM payment_service.outbox WHERE id IN (
           SELECT id FROM payment_service.outbox
           WHERE created_at < NOW() - make_interval(days => $1) AND published_at IS NOT NULL
             AND id <= (SELECT coalesce(min(position), 0) FROM payment_service.consumer_offsets)
           ORDER BY id LIMIT $2)`,
        [deps.retentionDays],
        chunk,
      );
      deps.logger.info({ deleted, retention_days: deps.retentionDays }, 'old outbox rows removed');
      return { deleted };
    },
  };
}
