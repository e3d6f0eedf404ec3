import { type EachBatchPayload, type IHeaders, type Kafka, type KafkaMessage, type logCreator, logLevel, Partitioners } from 'kafkajs';
import type { Logger } from '../core/logger.js';
import type { BatchHandler, ConsumerOptions, ConsumerStatus, EventLog, EventLogConsumer, LogEvent, LogRecord } from './event-log-port.js';
import { backoffDelay, createPause, describeError } from './pause.js';

export interface KafkaEventLogOptions {
  /** An already-built client (`new Kafka({ clientId: KAFKA_CLIENT_ID, brokers: KAFKA_BROKERS, logCreator })`). */
  kafka: Kafka;
  /** `KAFKA_TOPIC`, e.g. `payment.events`. */
  topic: string;
  /** `KAFKA_BATCH_SIZE`: most messages per produce request. */
  batchSize: number;
  logger: Logger;
  consumer?: {
    /** Default 30 s. Tests use ~6 s so a departed member's partitions move quickly. */
    sessionTimeoutMs?: number;
    /** Default 3 s; keep it well under the session timeout. */
    heartbeatIntervalMs?: number;
    /**
     * How long the coordinator waits for members to rejoin, and so how long a join request may
     * wait for its answer (kafkajs default 60 s). A join lost while a broker was frozen is retried
     * only after it, so tests use ~10 s.
     */
    rebalanceTimeoutMs?: number;
    /** How long a fetch waits for new messages. Default 100 ms (freshness over fewer requests). */
    maxWaitTimeMs?: number;
  };
  /** Backoff between attempts of a failed handler. Defaults 100 ms → 10 s. */
  retry?: { baseDelayMs?: number; maxDelayMs?: number };
}

/** Structured mode of the CloudEvents Kafka binding: the value is the whole event. */
const CONTENT_TYPE = 'application/cloudevents+json; charset=UTF-8';

/**
 * The Kafka event log over kafkajs: one topic, message key = the aggregate (payment) id, so one
 * payment's events stay in one partition, in order. Messages follow the CloudEvents Kafka binding
 * in structured mode (`content-type: application/cloudevents+json`, value = the event JSON) with
 * `ce_id` and `ce_type` headers as a convenience for routing without parsing; there is no
 * `ce_specversion` header, so CloudEvents SDKs read the message as structured.
 *
 * Producing uses acks from all in-sync replicas and one request in flight per broker, so a retried
 * request cannot overtake a later one. There is no idempotent producer (librdkafka's mock broker
 * used in tests does not support it): a request that timed out may still land, so a republished
 * batch can appear twice — consumers deduplicate by event id.
 *
 * Consumers are kafkajs consumer groups; offsets are committed after each handled batch only.
 *
 * @example
 * const kafka = new Kafka({ clientId: env.KAFKA_CLIENT_ID, brokers: env.KAFKA_BROKERS, logCreator: kafkaLogCreator(logger) });
 * const log = createKafkaEventLog({ kafka, topic: env.KAFKA_TOPIC, batchSize: env.KAFKA_BATCH_SIZE, logger });
 */
export function createKafkaEventLog(options: KafkaEventLogOptions): EventLog {
  const { kafka, topic, batchSize } = options;
  const producer = kafka.producer({
    // Java-compatible murmur2 hashing: other clients keying by payment id pick the same partition.
    createPartitioner: Partitioners.DefaultPartitioner,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: true,
  });
  const consumers = new Set<EventLogConsumer>();
  let connecting: Promise<void> | undefined;

  // After a failure the producer starts over: kafkajs keeps a seed broker whose socket connected
  // but whose handshake timed out (a frozen broker) and would answer "Broker not connected" forever.
  const resetAfter = async (error: unknown): Promise<never> => {
    connecting = undefined;
    await producer.disconnect().catch(() => {});
    throw error;
  };
  const connect = () => {
    connecting ??= producer.connect().catch(resetAfter);
    return connecting;
  };

  return {
    kind: 'kafka',
    connect,
    async publish(events) {
      if (events.length === 0) return;
      await connect();
      try {
        for (let i = 0; i < events.length; i += batchSize) {
          await producer.send({ topic, acks: -1, messages: events.slice(i, i + batchSize).map(toMessage) });
        }
      } catch (error) {
        await resetAfter(error);
      }
    },
    consumer(consumerOptions) {
      const consumer = createKafkaConsumer(options, consumerOptions);
      consumers.add(consumer);
      return consumer;
    },
    async close() {
      await Promise.all([...consumers].map((c) => c.stop()));
      consumers.clear();
      if (connecting) await producer.disconnect();
      connecting = undefined;
    },
  };
}

function toMessage(event: LogEvent) {
  return {
    key: event.key,
    value: event.value,
    timestamp: String(event.time.getTime()),
    headers: { 'content-type': CONTENT_TYPE, ce_id: event.id, ce_type: event.type },
  };
}

function createKafkaConsumer(options: KafkaEventLogOptions, { group, maxBatchSize }: ConsumerOptions): EventLogConsumer {
  const { topic } = options;
  const sessionTimeout = options.consumer?.sessionTimeoutMs ?? 30_000;
  const baseDelayMs = options.retry?.baseDelayMs ?? 100;
  const maxDelayMs = options.retry?.maxDelayMs ?? 10_000;
  const logger = options.logger.child({ component: 'kafka-log', group, topic });
  const consumer = options.kafka.consumer({
    groupId: group,
    sessionTimeout,
    heartbeatInterval: options.consumer?.heartbeatIntervalMs ?? Math.min(3000, Math.floor(sessionTimeout / 3)),
    maxWaitTimeInMs: options.consumer?.maxWaitTimeMs ?? 100,
    rebalanceTimeout: options.consumer?.rebalanceTimeoutMs ?? 60_000,
    allowAutoTopicCreation: true,
  });
  const pause = createPause();
  const status: ConsumerStatus = { state: 'idle', delivered: 0, lastCommittedAt: null, lastError: null };
  let started = false;
  let stopping = false;
  let retrying: Promise<void> | undefined;

  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    logger.info({ memberId: payload.memberId, partitions: payload.memberAssignment[topic] ?? [] }, 'joined the consumer group');
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    status.lastError = describeError(payload.error);
    logger.error({ err: payload.error, restart: payload.restart }, 'kafka consumer crashed');
  });

  /** Runs the handler until it succeeds; false if the consumer must give the batch up (stop, rebalance). */
  async function deliver(records: LogRecord[], handler: BatchHandler, payload: EachBatchPayload): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        await handler(records, { group });
        return true;
      } catch (error) {
        status.lastError = describeError(error);
        logger.warn({ err: error, attempt, partition: payload.batch.partition, offset: records[0]?.offset }, 'batch failed; retrying it');
        if (stopping || !payload.isRunning() || payload.isStale()) return false;
        await pause.wait(backoffDelay(attempt, baseDelayMs, maxDelayMs));
        await payload.heartbeat(); // throws while rebalancing: kafkajs then redelivers from the committed offset
        if (stopping || !payload.isRunning() || payload.isStale()) return false;
      }
    }
  }

  async function handleBatch(payload: EachBatchPayload, handler: BatchHandler): Promise<void> {
    const { batch } = payload;
    for (let i = 0; i < batch.messages.length; i += maxBatchSize) {
      if (stopping || !payload.isRunning() || payload.isStale()) return;
      const chunk = batch.messages.slice(i, i + maxBatchSize);
      const records = chunk.map((m) => toRecord(batch.partition, m));
      if (!(await deliver(records, handler, payload))) return;
      const last = chunk[chunk.length - 1]!.offset;
      await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
      payload.resolveOffset(last);
      status.delivered += records.length;
      status.lastCommittedAt = new Date();
      status.lastError = null;
      await payload.heartbeat();
    }
  }

  /** Joins the group and starts fetching; false (after cleaning up) when the broker cannot be reached. */
  async function tryRun(handler: BatchHandler): Promise<boolean> {
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: (payload) => handleBatch(payload, handler),
      });
      status.state = 'running';
      return true;
    } catch (error) {
      status.lastError = describeError(error);
      logger.warn({ err: error }, 'kafka consumer could not start; retrying with backoff');
      await consumer.disconnect().catch(() => {});
      return false;
    }
  }

  return {
    async start(handler) {
      if (started) throw new Error(`consumer ${group} already started`);
      started = true;
      if (await tryRun(handler)) return;
      // The broker is unreachable: keep trying in the background, as the relay does.
      retrying = (async () => {
        for (let attempt = 1; !stopping; attempt++) {
          await pause.wait(backoffDelay(attempt, baseDelayMs * 5, maxDelayMs));
          if (stopping || (await tryRun(handler))) return;
        }
      })();
    },
    async stop() {
      stopping = true;
      pause.wake();
      await retrying;
      if (started) await consumer.disconnect(); // waits for the batch in hand, then leaves the group
      status.state = 'stopped';
    },
    status: () => ({ ...status }),
  };
}

function toRecord(partition: number, message: KafkaMessage): LogRecord {
  const value = message.value?.toString('utf8') ?? '';
  let id = header(message.headers, 'ce_id');
  let type = header(message.headers, 'ce_type');
  if (id === undefined || type === undefined) {
    // A message from another producer: take id and type from the structured event itself.
    try {
      const event = JSON.parse(value) as { id?: unknown; type?: unknown };
      id ??= typeof event.id === 'string' ? event.id : undefined;
      type ??= typeof event.type === 'string' ? event.type : undefined;
    } catch {
      // not JSON: the consumer dead-letters it
    }
  }
  return {
    id: id ?? `${partition}:${message.offset}`,
    type: type ?? '',
    key: message.key?.toString('utf8') ?? '',
    value,
    time: new Date(Number(message.timestamp)),
    partition,
    offset: Number(message.offset),
  };
}

function header(headers: IHeaders | undefined, name: string): string | undefined {
  const raw = headers?.[name];
  const first = Array.isArray(raw) ? raw[0] : raw;
  return first === undefined ? undefined : first.toString();
}

/**
 * Routes kafkajs's own log lines into pino, one structured line each.
 * @example new Kafka({ clientId, brokers, logCreator: kafkaLogCreator(logger) })
 */
export function kafkaLogCreator(logger: Logger): logCreator {
  const child = logger.child({ component: 'kafkajs' });
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, ...extra } = log;
      const fields = { namespace, ...extra };
      if (level === logLevel.ERROR) child.error(fields, message);
      else if (level === logLevel.WARN) child.warn(fields, message);
      else if (level === logLevel.INFO) child.info(fields, message);
      else child.debug(fields, message);
    };
}
