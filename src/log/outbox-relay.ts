import type { Logger } from '../core/logger.js';
import type { OperationalStore } from '../store/store-port.js';
import type { EventLog } from './event-log-port.js';
import { createLease } from './lease.js';
import { countUnpublished, markPublished, readUnpublished } from './outbox-table.js';
import { backoffDelay, createPause, describeError } from './pause.js';

/** The relay's row in `payment_service.consumer_offsets`: its lease, and the last offset it published. */
export const RELAY_LEASE_NAME = '__outbox-relay';

/** What the relay needs from the metrics registry (core/metrics.ts); every member is optional. */
export interface RelayMetrics {
  outboxBacklog?: { set(value: number): void };
  published?: { inc(value?: number): void };
  publishFailures?: { inc(value?: number): void };
}

export interface OutboxRelayDeps {
  store: OperationalStore;
  log: EventLog;
  /** Most outbox rows read and published per round. */
  batchSize: number;
  logger: Logger;
  metrics?: RelayMetrics;
  /** How long the relay waits when the outbox is empty. Default 100 ms. */
  pollIntervalMs?: number;
  /** Backoff after a failed round. Defaults 200 ms → 10 s. */
  retry?: { baseDelayMs?: number; maxDelayMs?: number };
  /** How long the relay's lease outlives a relay that died (PostgreSQL; see lease.ts). Default 30 s. */
  leaseTtlMs?: number;
}

export interface RelayStatus {
  /** `standby`: another process's relay holds the lease. */
  state: 'idle' | 'running' | 'standby' | 'stopped';
  /** Whether the last attempt to reach the log succeeded; null before the first attempt. */
  connected: boolean | null;
  /** Outbox events not yet published (refreshed at most once a second); null before the first count. */
  backlog: number | null;
  lastError: { source: 'log' | 'store'; message: string; at: Date } | null;
  lastPublishedAt: Date | null;
  /** Events published by this relay since it started (republished ones count again). */
  published: number;
}

export interface OutboxRelay {
  /** Starts relaying in the background. */
  start(): void;
  /** Stops after the round in hand (its publish and its mark), then releases the lease. */
  stop(): Promise<void>;
  /** For /health: a snapshot, no I/O. */
  status(): RelayStatus;
}

/**
 * Moves outbox rows, in offset order, to the event log and marks them published.
 *
 * At-least-once: a row is marked only after the log acknowledged it, so a relay killed between
 * the two republishes the row on restart (consumers deduplicate by event id). While the log is
 * unreachable the outbox keeps filling, the relay retries the same rows with backoff and reports
 * `connected: false` and the growing backlog; when the log returns the backlog drains in order.
 * One relay works at a time (a lease); others stand by. On the embedded log `publish` is a no-op
 * and the relay only keeps the backlog honest.
 *
 * @example
 * const relay = createOutboxRelay({ store, log, batchSize: 500, logger, metrics });
 * relay.start();
 * lifecycle.onStop('outbox relay', () => relay.stop());
 */
export function createOutboxRelay(deps: OutboxRelayDeps): OutboxRelay {
  const { store, log, batchSize, metrics } = deps;
  const pollIntervalMs = deps.pollIntervalMs ?? 100;
  const baseDelayMs = deps.retry?.baseDelayMs ?? 200;
  const maxDelayMs = deps.retry?.maxDelayMs ?? 10_000;
  const ttlMs = deps.leaseTtlMs ?? 30_000;
  const logger = deps.logger.child({ component: 'outbox-relay', log: log.kind });
  const lease = createLease(store, RELAY_LEASE_NAME, ttlMs);
  const pause = createPause();
  const status: RelayStatus = { state: 'idle', connected: null, backlog: null, lastError: null, lastPublishedAt: null, published: 0 };
  let stopping = false;
  let loop: Promise<void> | undefined;
  let backlogCountedAt = 0;

  const setBacklog = (n: number) => {
    status.backlog = n;
    metrics?.outboxBacklog?.set(n);
  };
  const refreshBacklog = async (force = false) => {
    if (!force && Date.now() - backlogCountedAt < 1000) return;
    backlogCountedAt = Date.now();
    setBacklog(await countUnpublished(store));
  };
  const fail = (source: 'log' | 'store', error: unknown) => {
    status.lastError = { source, message: describeError(error), at: new Date() };
    if (source === 'log') {
      status.connected = false;
      metrics?.publishFailures?.inc();
    }
  };

  /** One round; returns true when there may be more to do at once. Store errors throw. */
  async function round(): Promise<boolean> {
    const held = await lease.hold();
    if (held === null) {
      status.state = 'standby';
      await pause.wait(Math.min(1000, ttlMs / 4));
      return false;
    }
    if (held.fresh) logger.info({ owner: lease.owner, after: held.position }, 'relay holds the lease');
    status.state = 'running';
    if (status.connected !== true) {
      await asLogError(() => log.connect());
      if (status.connected === false) logger.info('event log reachable again; draining the backlog');
      status.connected = true;
    }
    const rows = await readUnpublished(store, batchSize);
    if (rows.length === 0) {
      setBacklog(0);
      return false;
    }
    await asLogError(() => log.publish(rows));
    const offsets = rows.map((r) => r.offset);
    await markPublished(store, offsets);
    await lease.commit(offsets[offsets.length - 1]!);
    status.published += rows.length;
    status.lastPublishedAt = new Date();
    metrics?.published?.inc(rows.length);
    if (rows.length < batchSize) setBacklog(0);
    else await refreshBacklog();
    return rows.length === batchSize;
  }

  async function run(): Promise<void> {
    let failures = 0;
    while (!stopping) {
      try {
        const more = await round();
        if (failures > 0) logger.info({ failures }, 'relay recovered');
        failures = 0;
        if (!more) await pause.wait(pollIntervalMs);
      } catch (error) {
        failures++;
        const source = error instanceof LogUnavailable ? 'log' : 'store';
        const cause = error instanceof LogUnavailable ? error.cause : error;
        fail(source, cause);
        logger.warn({ err: cause, source, attempt: failures, backlog: status.backlog }, 'relay round failed; retrying with backoff');
        await refreshBacklog(failures === 1).catch(() => {});
        await pause.wait(backoffDelay(failures, baseDelayMs, maxDelayMs));
      }
    }
  }

  return {
    start() {
      if (loop) return;
      stopping = false;
      loop = run();
    },
    async stop() {
      stopping = true;
      pause.wake();
      if (loop) await loop;
      loop = undefined;
      status.state = 'stopped';
      await lease
        .release()
        .catch((error: unknown) => logger.warn({ err: error }, 'could not release the relay lease; it expires on its own'));
    },
    status: () => ({ ...status, lastError: status.lastError && { ...status.lastError } }),
  };
}

async function asLogError(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (error) {
    throw new LogUnavailable(error);
  }
}

/** Wraps a publish failure so the relay can tell the log's errors from the store's. */
class LogUnavailable extends Error {
  constructor(override readonly cause: unknown) {
    super(describeError(cause));
    this.name = 'LogUnavailable';
  }
}
