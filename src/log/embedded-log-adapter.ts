import type { Logger } from '../core/logger.js';
import type { OperationalStore } from '../store/store-port.js';
import type { BatchHandler, ConsumerOptions, ConsumerStatus, EventLog, EventLogConsumer } from './event-log-port.js';
import { createLease } from './lease.js';
import { readOutboxAfter } from './outbox-table.js';
import { backoffDelay, createPause, describeError } from './pause.js';

export interface EmbeddedEventLogOptions {
  store: OperationalStore;
  logger: Logger;
  /** How long an idle consumer waits before looking for new rows again. Default 100 ms. */
  pollIntervalMs?: number;
  /** How long a consumer's lease outlives a member that died without releasing it. Default 30 s. */
  leaseTtlMs?: number;
  /** Backoff between attempts after a failed handler, read or commit. Defaults 100 ms → 10 s. */
  retry?: { baseDelayMs?: number; maxDelayMs?: number };
}

/**
 * The embedded event log: the outbox table itself, read by offset (its `id`), with each consumer
 * group's position in `payment_service.consumer_offsets`. Publishing is a no-op — a committed
 * outbox row is already in the log — so the relay only marks rows published for its backlog.
 *
 * One member of a group reads at a time (a lease on the group's row); others stand by and take
 * over when it stops or its lease expires. Offsets never skip a row: migration 0002 makes outbox
 * ids become visible in id order (see README.md, "Gaps").
 *
 * @example
 * const log = createEmbeddedEventLog({ store, logger });
 * const consumer = log.consumer({ group: 'analytics', maxBatchSize: 1000 });
 * await consumer.start(async (records) => { await warehouse.write(records); });
 */
export function createEmbeddedEventLog(options: EmbeddedEventLogOptions): EventLog {
  const consumers = new Set<EventLogConsumer>();
  return {
    kind: 'embedded',
    async connect() {
      await options.store.query('SELECT 1');
    },
    async publish() {
      // The outbox is the log: a committed row is already published.
    },
    consumer(consumerOptions) {
      const consumer = createEmbeddedConsumer(options, consumerOptions);
      consumers.add(consumer);
      return consumer;
    },
    async close() {
      await Promise.all([...consumers].map((c) => c.stop()));
      consumers.clear();
    },
  };
}

function createEmbeddedConsumer(options: EmbeddedEventLogOptions, { group, maxBatchSize }: ConsumerOptions): EventLogConsumer {
  const { store } = options;
  const pollIntervalMs = options.pollIntervalMs ?? 100;
  const ttlMs = options.leaseTtlMs ?? 30_000;
  const baseDelayMs = options.retry?.baseDelayMs ?? 100;
  const maxDelayMs = options.retry?.maxDelayMs ?? 10_000;
  const lease = createLease(store, group, ttlMs);
  const logger = options.logger.child({ component: 'embedded-log', group });
  const pause = createPause();
  const status: ConsumerStatus = { state: 'idle', delivered: 0, lastCommittedAt: null, lastError: null };
  let stopping = false;
  let loop: Promise<void> | undefined;

  async function run(handler: BatchHandler): Promise<void> {
    let position = 0;
    let failures = 0;
    while (!stopping) {
      try {
        const held = await lease.hold();
        if (held === null) {
          status.state = 'waiting';
          await pause.wait(Math.min(1000, ttlMs / 4));
          continue;
        }
        if (held.fresh) {
          position = held.position;
          logger.info({ position, owner: lease.owner }, 'consumer holds the lease; resuming after its committed position');
        }
        status.state = 'running';
        const records = await readOutboxAfter(store, position, maxBatchSize);
        if (records.length === 0) {
          await pause.wait(pollIntervalMs);
          continue;
        }
        await handler(records, { group });
        const last = records[records.length - 1]!.offset;
        if (!(await lease.commit(last))) {
          // Another member took over while we worked: it resumes at the committed position and
          // redelivers this batch (at-least-once); we stand by.
          status.lastError = 'lease lost before commit; batch left to the member holding it';
          logger.warn({ from: records[0]!.offset, to: last }, status.lastError);
          continue;
        }
        position = last;
        failures = 0;
        status.delivered += records.length;
        status.lastCommittedAt = new Date();
        status.lastError = null;
      } catch (error) {
        failures++;
        status.lastError = describeError(error);
        logger.warn({ err: error, attempt: failures, position }, 'batch failed; retrying the same position');
        await pause.wait(backoffDelay(failures, baseDelayMs, maxDelayMs));
      }
    }
  }

  return {
    async start(handler) {
      if (loop) throw new Error(`consumer ${group} already started`);
      loop = run(handler);
    },
    async stop() {
      stopping = true;
      pause.wake();
      if (!loop) return;
      await loop;
      loop = undefined;
      status.state = 'stopped';
      await lease.release().catch((error: unknown) => logger.warn({ err: error }, 'could not release the lease; it expires on its own'));
    },
    status: () => ({ ...status }),
  };
}
