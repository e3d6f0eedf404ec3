/**
 * The event log port: an ordered, replayable stream of CloudEvents between the outbox and every
 * consumer (analytics, other services). Two adapters implement it over already-built clients:
 * the embedded log (the outbox table itself, read by offset) and Kafka (kafkajs).
 *
 * Guarantees every adapter gives, and the shared suite in `test/log/` checks:
 * - events with the same `key` (the payment id) are delivered in the order they were published;
 * - delivery is at-least-once: a consumer may see an event again after a crash or a rebalance,
 *   never lose one. Deduplicate by `id` (the CloudEvent id, unique per event);
 * - a consumer's position is committed only after its handler resolved, so a restarted consumer
 *   resumes at the first batch it had not finished.
 */

/** One event to append: the outbox row as the relay hands it over. */
export interface LogEvent {
  /** The CloudEvent `id`; unique per event, the consumers' dedup key. */
  id: string;
  /** The CloudEvent `type`, e.g. `payment.recorded`. */
  type: string;
  /** Ordering and partitioning key: the aggregate (payment) id. */
  key: string;
  /** The CloudEvent, serialised as JSON, passed through byte for byte. */
  value: string;
  /** When the fact was recorded (the outbox row's `created_at`). */
  time: Date;
}

/** One event as a consumer receives it, with where it sits in the log. */
export interface LogRecord extends LogEvent {
  /** Kafka partition; always 0 on the embedded log (one ordered log). */
  partition: number;
  /** Position inside the partition: the outbox id on the embedded log, the Kafka offset otherwise. */
  offset: number;
}

export interface BatchContext {
  /** The consumer group the batch was delivered to. */
  group: string;
}

/**
 * Handles one batch. Resolve only once the batch's effects are durable (e.g. written to the
 * warehouse): the position is committed right after. A rejection makes the consumer retry the same
 * batch with backoff (nothing after it is delivered meanwhile), so reserve rejections for lost
 * infrastructure and route a poison event to a dead-letter store instead of throwing.
 */
export type BatchHandler = (records: readonly LogRecord[], context: BatchContext) => Promise<void>;

export interface ConsumerOptions {
  /** Consumer group: members of one group share the work; each group has its own position. */
  group: string;
  /** Most records handed to one handler call. */
  maxBatchSize: number;
}

export interface ConsumerStatus {
  /** `waiting` = another member holds the embedded log's lease for this group (standby). */
  state: 'idle' | 'running' | 'waiting' | 'stopped';
  /** Records whose batch was handled and committed by this member since it started. */
  delivered: number;
  lastCommittedAt: Date | null;
  /** The last handler, read or commit failure, cleared by the next successful commit. */
  lastError: string | null;
}

export interface EventLogConsumer {
  /**
   * Starts delivering batches to `handler` from the group's committed position (the start of the
   * log if none). While the log is unreachable it keeps trying in the background (see `status()`).
   */
  start(handler: BatchHandler): Promise<void>;
  /** Stops after the batch in hand: its handler finishes and, if it succeeded, its position is committed. */
  stop(): Promise<void>;
  status(): ConsumerStatus;
}

export interface EventLog {
  readonly kind: 'embedded' | 'kafka';
  /**
   * Verifies the log is reachable (connecting if needed). Idempotent; rejects while it is not.
   * The relay calls it at start and reports the outcome in its status.
   */
  connect(): Promise<void>;
  /**
   * Appends events, resolving once the log holds them durably (Kafka: acks from all in-sync
   * replicas). Events are given in outbox order; same-key order is kept. On rejection some events
   * may already be appended: the caller republishes them all (at-least-once).
   */
  publish(events: readonly LogEvent[]): Promise<void>;
  /** A new member of consumer group `options.group`. */
  consumer(options: ConsumerOptions): EventLogConsumer;
  /** Stops every consumer made by this log and releases its connections. */
  close(): Promise<void>;
}
