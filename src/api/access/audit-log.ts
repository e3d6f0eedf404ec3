import type { Logger } from 'pino';
import type { SqlExecutor } from '../../store/store-port.js';

/** One audited request: who asked for row-level payment detail, what, and what they got. */
export interface AuditEntry {
  keyId: number | null;
  keyName: string | null;
  role: string | null;
  method: string;
  path: string;
  query: string | null;
  status: number;
  rows: number | null;
  requestId: string;
  ip: string;
}

export interface AuditLog {
  /** Queues the write and returns at once; a failed write is logged as an error with the entry. */
  record(entry: AuditEntry): void;
  /** Waits for queued writes (shutdown). */
  flush(): Promise<void>;
}

/**
 * Writes audit entries to `payment_service.audit_log` off the response path: a slow or failed
 * write never delays or fails the response, and is never silently dropped — it is logged at error
 * level with the whole entry (no secrets or personal data are in it), so it can be reconstructed.
 */
export function createAuditLog(deps: { store: SqlExecutor; logger: Logger }): AuditLog {
  const pending = new Set<Promise<void>>();
  return {
    record(entry) {
      const write = deps.store
        .query(
          `INSERT INTO payment_service.audit_log (key_id, key_name, role, method, path, query, status, rows, request_id, ip)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
          [
            entry.keyId,
            entry.keyName,
            entry.role,
            entry.method,
            entry.path.slice(0, 2048),
            entry.query,
            entry.status,
            entry.rows,
            entry.requestId.slice(0, 128),
            entry.ip.slice(0, 64),
          ],
        )
        .then(
          () => undefined,
          (error: unknown) => deps.logger.error({ err: error, audit: entry }, 'audit log write failed; the entry is in this line'),
        );
      pending.add(write);
      void write.finally(() => pending.delete(write));
    },
    async flush() {
      await Promise.all([...pending]);
    },
  };
}
