import type { Logger } from 'pino';
import type { OperationalStore } from '../store/store-port.js';
import { deleteInChunks } from './chunked-delete.js';
import type { Job } from './scheduler.js';

/**
 * Deletes dedup references older than REFERENCE_CACHE_TTL_DAYS, in chunks so it never holds long
 * locks. Off by default (REFERENCE_CLEANUP_ENABLED): once a reference is gone, the same reference
 * arriving again is recorded as a new payment, so enable it only when senders never resend after
 * that window.
 */
export function createReferenceCleanupJob(deps: { store: OperationalStore; ttlDays: number; logger: Logger; chunk?: number }): Job {
  const chunk = deps.chunk ?? 10_000;
  return {
    name: 'reference-cleanup',
    async run() {
      const deleted = await deleteInChunks(
        deps.store,
        `DELETE FROM payment_service.payment_references WHERE reference_number IN (
           SELECT reference_number FROM payment_service.payment_references
           WHERE created_at < NOW() - make_interval(days => $1) LIMIT $2)`,
        [deps.ttlDays],
        chunk,
      );
      deps.logger.info({ deleted, ttl_days: deps.ttlDays }, 'old payment references removed');
      return { deleted };
    },
  };
}
