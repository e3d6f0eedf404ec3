import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { Kafka } from 'kafkajs';
import { ensureBootstrapAdminKey } from './api/access/api-keys.js';
import { createHttpServer } from './api/server.js';
import { type Config, type Role, type WebhookSourceConfig, defaultSchemesOf } from './core/config.js';
import { type Lifecycle, createLifecycle } from './core/lifecycle.js';
import type { Logger } from './core/logger.js';
import { type Metrics, createMetrics } from './core/metrics.js';
import { createOutboxRetentionJob } from './jobs/outbox-retention-job.js';
import { createPartitionJob } from './jobs/partition-job.js';
import { createReferenceCleanupJob } from './jobs/reference-cleanup-job.js';
import { createExperimentGuardrailsJob } from './jobs/experiment-guardrails-job.js';
import { materialiseStandardFunnel } from './analytics/funnels/funnel-report.js';
import { createFunnelSnapshotJob } from './jobs/funnel-snapshot-job.js';
import { createCohortMatrixJob } from './jobs/cohort-matrix-job.js';
import { createRfmSegmentJob } from './jobs/rfm-segment-job.js';
import { type Job, scheduleJobs } from './jobs/scheduler.js';
import { queryCohortMatrix } from './analytics/cohorts/cohort-matrix.js';
import { computeRfm } from './analytics/rfm/rfm.js';
import { startOfLocalDate } from './analytics/time-zones.js';
import { createEmbeddedEventLog } from './log/embedded-log-adapter.js';
import type { EventLog } from './log/event-log-port.js';
import { createKafkaEventLog, kafkaLogCreator } from './log/kafka-log-adapter.js';
import { type OutboxRelay, createOutboxRelay } from './log/outbox-relay.js';
import { type AnalyticsConsumer, createAnalyticsConsumer } from './pipeline/analytics-consumer.js';
import { type MerchantDirectory, createMerchantDirectory } from './pipeline/merchant-dimension.js';
import { createPseudonymiseStep } from './pipeline/pseudonymise-step.js';
import { type DedupCache, createLayeredDedupCache, createMemoryDedupCache, createRedisDedupCache } from './recorder/dedup-cache.js';
import { type Recorder, createRecorder } from './recorder/recorder.js';
import { MAX_EVENTS_PER_BATCH, createEventIntake } from './sources/events/event-intake.js';
import { KAFKA_CAPTURE_GROUP, type KafkaCapture, createKafkaCapture } from './sources/events/kafka-capture.js';
import { type StagingProcessor, createStagingProcessor, stagingSettingsOf } from './sources/staging/staging-processor.js';
import { createReplayGuard } from './sources/webhooks/replay-guard.js';
import { createChannelRegistry } from './sources/webhooks/channels/channel-port.js';
import { razorpayAdapter } from './sources/webhooks/channels/razorpay-adapter.js';
import { stripeAdapter } from './sources/webhooks/channels/stripe-adapter.js';
import { standardWebhookKey } from './sources/webhooks/signature.js';
import { createWebhookIntake } from './sources/webhooks/webhook-intake.js';
import { lockDataDir } from './store/data-dir-lock.js';
import { migrate } from './store/migrator.js';
import { createPartitionManager } from './store/partition-manager.js';
import { createPgliteStore, openPglite } from './store/pglite-adapter.js';
import { createPgPool, createPostgresStore } from './store/postgres-adapter.js';
import type { OperationalStore } from './store/store-port.js';
import { isSharedWarehouse, openWarehouse } from './warehouse/open-warehouse.js';
import { withQueryTiming } from './warehouse/query-timing.js';
import type { Warehouse } from './warehouse/warehouse-port.js';

/** The weekly RFM segment job and the monthly cohort matrix job (issue 12), over this process's warehouse. */
function productAnalyticsJobs(
  store: OperationalStore,
  warehouse: Warehouse,
  env: Config['env'],
  logger: Logger,
): Array<{ job: Job; cron: string }> {
  const rfm = createRfmSegmentJob({
    store,
    logger,
    async score(asOf) {
      const result = await computeRfm(warehouse, {
        asOf: asOf.getTime(),
        tz: 'UTC',
        money: { kind: 'currency', currency: env.DEFAULT_CURRENCY },
      });
      // Per currency, no FX: the scoring cannot fail for want of a rate.
      if (!result.ok) throw new Error(result.error.message);
      return { currency: result.value.currency, customers: result.value.customers };
    },
  });
  const cohorts = createCohortMatrixJob({
    store,
    logger,
    definition: { tz: env.COHORT_JOB_TZ, period: 'month', basis: 'registration', activity: 'purchase' },
    async compute(month, d) {
      const to = startOfLocalDate(d.tz, month);
      const from = startOfLocalDate(d.tz, `${Number(month.slice(0, 4)) - 1}${month.slice(4)}`);
      const result = await queryCohortMatrix(warehouse, {
        from,
        to,
        tz: d.tz,
        period: 'month',
        basis: 'registration',
        activity: 'purchase',
        now: Date.now(),
      });
      return result.ok ? { ok: true, matrix: result.value } : { ok: false, message: result.error.message };
    },
  });
  return [
    { job: rfm, cron: env.RFM_JOB_CRON },
    { job: cohorts, cron: env.COHORT_JOB_CRON },
  ];
}

/**
 * The composition root: the only place that reads configuration to choose adapters and wires the
 * data flow together. Everything else receives what it needs.
 */

export { ROLES, type Role } from './core/config.js';

export interface App {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  store: OperationalStore;
  recorder: Recorder;
  redis: Redis | null;
  stagingWorkers: StagingProcessor[];
  eventLog: EventLog;
  relay: OutboxRelay | null;
  /** The analytics consumer (role `analytics`); null otherwise. */
  analytics: AnalyticsConsumer | null;
  /** The warehouse: the consumer's (role `analytics`), or read-only (role `api` on a ClickHouse server); null otherwise. */
  warehouse: Warehouse | null;
  merchants: MerchantDirectory | null;
  /** Consumer of `EVENTS_KAFKA_TOPIC` into event capture; null unless configured (role `ingest`). */
  kafkaCapture: KafkaCapture | null;
  http: FastifyInstance | null;
  /** The URL the HTTP server listens on, once started. */
  url: string | null;
  webhookSources: Record<string, WebhookSourceConfig>;
  /** True when the webhook secrets were generated on this start (print them for the user). */
  generatedSecrets: boolean;
  /** Embedded default: the admin API key saved in DATA_DIR/admin-api-key (`created` on this start); null otherwise. */
  adminKey: { key: string; created: boolean } | null;
  stop(): Promise<void>;
}

/** Opens the operational store chosen by configuration and applies migrations. */
export async function openStore(config: Config, logger: Logger): Promise<OperationalStore> {
  let store: OperationalStore;
  if (config.store.kind === 'pglite') {
    const release = await lockDataDir(config.store.dataDir);
    try {
      store = createPgliteStore(await openPglite(config.store.dataDir), release);
    } catch (error) {
      await release();
      throw error;
    }
    logger.info({ store: 'pglite', data_dir: config.store.dataDir }, 'embedded store opened');
  } else {
    const pool = createPgPool(config.store.connectionString, { min: config.store.poolMin, max: config.store.poolMax });
    pool.on('error', (e) => logger.warn({ err: e }, 'idle database connection lost'));
    store = createPostgresStore(pool, Math.max(1, Math.floor(config.store.poolMax / 2)));
    logger.info({ store: 'postgres', host: new URL(config.store.connectionString).host }, 'PostgreSQL store opened');
  }
  const result = await migrate(store);
  if (!result.ok) {
    await store.close();
    throw new Error(`migration ${result.failed.version} (${result.failed.name}) failed: ${result.error.message}`);
  }
  if (result.applied.length > 0) logger.info({ applied: result.applied.map((m) => m.name) }, 'migrations applied');
  return store;
}

export async function startApp(config: Config, logger: Logger, options: { roles?: readonly Role[] } = {}): Promise<App> {
  const env = config.env;
  const roles = new Set<Role>(options.roles ?? env.ROLES);
  const lifecycle: Lifecycle = createLifecycle(logger);
  const metrics = createMetrics({ defaultMetrics: true });

  const store = await openStore(config, logger);
  lifecycle.onStop('store', () => store.close());
  try {
    const partitions = createPartitionManager({ store, logger });
    const partitionJob = createPartitionJob({
      manager: partitions,
      monthsAhead: env.PARTITION_MONTHS_AHEAD,
      retentionMonths: env.PARTITION_RETENTION_MONTHS,
      archiveEnabled: env.PARTITION_ARCHIVE_ENABLED,
      logger,
    });
    // Partitions are an optimisation, never a precondition: a payment without its month's
    // partition lands in the default one. So a failed run is logged, not fatal.
    await partitionJob
      .run()
      .catch((e: unknown) => logger.error({ err: e }, 'partition maintenance failed at start; payments still record'));

    const redis = config.redisUrl ? await connectRedis(config.redisUrl, logger) : null;
    if (redis) lifecycle.onStop('redis', async () => void (await redis.quit().catch(() => redis.disconnect())));
    const storeId =
      (await store.query<{ value: string }>(`SELECT value FROM payment_service.meta WHERE key = 'store_id'`)).rows[0]?.value ?? 'unknown';

    const layers: DedupCache[] = [];
    const ttlMs = Math.min(env.REDIS_TTL_SECONDS * 1000, env.REFERENCE_CACHE_TTL_DAYS * 86_400_000);
    if (env.ENABLE_MEMORY_CACHE) layers.push(createMemoryDedupCache({ maxSize: env.MEMORY_CACHE_MAX_SIZE, ttlMs, metrics }));
    if (redis) {
      layers.push(
        createRedisDedupCache({
          redis,
          storeId,
          ttlSeconds: Math.min(env.REDIS_TTL_SECONDS, env.REFERENCE_CACHE_TTL_DAYS * 86_400),
          metrics,
          onError: (e) => logger.warn({ err: e }, 'redis dedup layer unavailable; the database decides'),
        }),
      );
    }
    const recorder = createRecorder({
      store,
      cache: layers.length > 0 ? createLayeredDedupCache(layers) : null,
      metrics,
      logger,
      maxBatch: env.GROUP_COMMIT_MAX_BATCH,
      maxInflight: env.GROUP_COMMIT_CONCURRENCY,
    });
    lifecycle.onStop('recorder', () => recorder.close());

    // The event log: Kafka when KAFKA_BROKERS is set, else the outbox table read by offset.
    const kafka = env.KAFKA_BROKERS?.length
      ? new Kafka({ clientId: env.KAFKA_CLIENT_ID, brokers: env.KAFKA_BROKERS, logCreator: kafkaLogCreator(logger) })
      : null;
    const eventLog: EventLog = kafka
      ? createKafkaEventLog({ kafka, topic: env.KAFKA_TOPIC, batchSize: env.KAFKA_BATCH_SIZE, logger })
      : createEmbeddedEventLog({ store, logger });
    lifecycle.onStop('event log', () => eventLog.close());
    let relay: OutboxRelay | null = null;
    if (roles.has('relay')) {
      const outboxRelay = createOutboxRelay({
        store,
        log: eventLog,
        batchSize: env.OUTBOX_RELAY_BATCH_SIZE,
        logger,
        // The backlog gauge is set by /metrics from the table, in every process; not here too.
        metrics: { published: metrics.logPublished, publishFailures: metrics.logPublishFailures },
      });
      outboxRelay.start();
      relay = outboxRelay;
      lifecycle.onStop('outbox relay', () => outboxRelay.stop());
    }

    // The analytics consumer: event log → warehouse. One process per warehouse (a DuckDB file is locked; on ClickHouse one consumer writes).
    let analytics: AnalyticsConsumer | null = null;
    let warehouse: Warehouse | null = null;
    let merchants: MerchantDirectory | null = null;
    let served: ReturnType<typeof withQueryTiming> | null = null;
    if (roles.has('analytics')) {
      const opened = await openWarehouse(config.warehouse, { logger });
      lifecycle.onStop('warehouse', () => opened.close());
      warehouse = opened;
      // Only the analytics API's reads count towards the query SLO (see query-timing.ts).
      served = withQueryTiming(opened);
      merchants = createMerchantDirectory(warehouse);
      const consumer = createAnalyticsConsumer({
        log: eventLog,
        warehouse,
        deadLetters: store,
        pseudonymiser: createPseudonymiseStep({ key: piiHashKeyOf(config, logger) }),
        merchants,
        logger,
        metrics,
        maxBatchSize: env.ANALYTICS_BATCH_SIZE,
      });
      await consumer.start();
      analytics = consumer;
      lifecycle.onStop('analytics consumer', () => consumer.stop());
    } else if ((roles.has('api') || roles.has('jobs')) && isSharedWarehouse(config.warehouse)) {
      // An api or jobs process beside the analytics process: it reads the shared ClickHouse server
      // (the analytics API, the product-analytics jobs); the consumer, its journal and every
      // warehouse write stay in role analytics.
      const opened = await openWarehouse(config.warehouse, { logger, readOnly: true });
      lifecycle.onStop('warehouse', () => opened.close());
      warehouse = opened;
      served = withQueryTiming(opened);
    } else if (roles.has('api') || roles.has('jobs')) {
      logger.info(
        { warehouse: config.warehouse.engine },
        'no warehouse in this process: the analytics API and the warehouse jobs run in the process with role analytics (only a ClickHouse server can be shared between processes)',
      );
    }

    const stagingWorkers: StagingProcessor[] = [];
    if (roles.has('staging')) {
      for (let i = 0; i < env.STAGING_WORKERS; i++) {
        const worker = createStagingProcessor({
          store,
          recorder,
          metrics,
          logger,
          ...stagingSettingsOf(config),
        });
        worker.start();
        stagingWorkers.push(worker);
      }
      lifecycle.onStop('staging', async () => void (await Promise.all(stagingWorkers.map((w) => w.stop()))));
    }

    if (roles.has('jobs')) {
      const jobs: Array<{ job: Job; cron: string }> = [{ job: partitionJob, cron: env.PARTITION_JOB_CRON }];
      if (env.REFERENCE_CLEANUP_ENABLED) {
        jobs.push({
          job: createReferenceCleanupJob({ store, ttlDays: env.REFERENCE_CACHE_TTL_DAYS, logger }),
          cron: env.REFERENCE_CLEANUP_CRON,
        });
      }
      if (env.OUTBOX_RETENTION_DAYS > 0) {
        jobs.push({
          job: createOutboxRetentionJob({ store, retentionDays: env.OUTBOX_RETENTION_DAYS, logger }),
          cron: env.OUTBOX_RETENTION_CRON,
        });
      }
      if (warehouse) {
        jobs.push({ job: createExperimentGuardrailsJob({ store, warehouse, logger }), cron: env.EXPERIMENT_GUARDRAILS_CRON });
        const source = warehouse;
        jobs.push({
          job: createFunnelSnapshotJob({ store, logger, materialise: (now) => materialiseStandardFunnel(source, now) }),
          cron: env.FUNNEL_SNAPSHOT_CRON,
        });
        jobs.push(...productAnalyticsJobs(store, warehouse, env, logger));
      } else {
        logger.info(
          { jobs: ['experiment-guardrails', 'funnel-snapshot', 'rfm-segments', 'cohort-matrix'] },
          'warehouse jobs not scheduled: this process has no warehouse (role analytics, or jobs on a shared ClickHouse)',
        );
      }
      lifecycle.onStop('jobs', scheduleJobs(jobs, logger));
    }

    // Event capture: POST /api/v1/events and, when EVENTS_KAFKA_TOPIC is set, that topic.
    const eventIntake = roles.has('ingest') ? createEventIntake({ store, metrics, logger }) : null;
    let kafkaCapture: KafkaCapture | null = null;
    if (eventIntake && env.EVENTS_KAFKA_TOPIC) {
      // loadConfig refuses EVENTS_KAFKA_TOPIC without KAFKA_BROKERS.
      if (!kafka) throw new Error('EVENTS_KAFKA_TOPIC is set but KAFKA_BROKERS is not');
      const topic = env.EVENTS_KAFKA_TOPIC;
      // A log over the capture topic, used only for its consumer group (it never publishes).
      const captureLog = createKafkaEventLog({ kafka, topic, batchSize: env.KAFKA_BATCH_SIZE, logger });
      const capture = createKafkaCapture({
        consumer: captureLog.consumer({ group: KAFKA_CAPTURE_GROUP, maxBatchSize: MAX_EVENTS_PER_BATCH }),
        intake: eventIntake,
        store,
        topic,
        logger,
      });
      await capture.start();
      kafkaCapture = capture;
      lifecycle.onStop('kafka capture', async () => {
        await capture.stop();
        await captureLog.close();
      });
    }

    const { sources: webhookSources, generated } = webhookSourcesOf(config);
    // The embedded default must be usable on first start: an admin key, printed once and kept in the data dir.
    const adminKey = config.store.kind === 'pglite' ? await ensureBootstrapAdminKey(store, env.DATA_DIR) : null;
    let http: FastifyInstance | null = null;
    let url: string | null = null;
    if (roles.has('api') || roles.has('ingest')) {
      const intake = roles.has('ingest')
        ? createWebhookIntake({
            recorder,
            channelAdapters: createChannelRegistry([razorpayAdapter, stripeAdapter]),
            sources: webhookSources,
            replayGuard: createReplayGuard({ ttlSeconds: env.WEBHOOK_TOLERANCE_SECONDS * 2, redis, namespace: storeId }),
            toleranceSeconds: env.WEBHOOK_TOLERANCE_SECONDS,
            defaultCurrency: env.DEFAULT_CURRENCY,
            paymentRules: config.paymentRules,
          })
        : null;
      const server = await createHttpServer({
        logger,
        store,
        redis,
        metrics,
        intake,
        eventIntake,
        eventsMaxBodyBytes: env.EVENTS_MAX_BODY_BYTES,
        relay,
        eventLogKind: eventLog.kind,
        webhookSources,
        maxBodyBytes: env.WEBHOOK_MAX_BODY_BYTES,
        webhookTimeoutMs: env.WEBHOOK_TIMEOUT_MS,
        httpTimeouts: {
          headersMs: env.HTTP_HEADERS_TIMEOUT_MS,
          requestMs: env.HTTP_REQUEST_TIMEOUT_MS,
          keepAliveMs: env.HTTP_KEEP_ALIVE_TIMEOUT_MS,
        },
        webhookRateLimitPerMinute: env.WEBHOOK_RATE_LIMIT_PER_MINUTE,
        metricsEnabled: env.ENABLE_METRICS,
        logRequests: env.LOG_REQUESTS,
        access: { sessionTtlMs: env.SESSION_TTL_HOURS * 3_600_000 },
        sql: { timeoutMs: env.SQL_TIMEOUT_MS, maxRows: env.SQL_MAX_ROWS, maxConcurrent: env.SQL_MAX_CONCURRENT },
        liveIntervalMs: env.LIVE_INTERVAL_MS,
        defaultCurrency: env.DEFAULT_CURRENCY,
        ...(env.DASHBOARD_DIR ? { dashboardDir: env.DASHBOARD_DIR } : {}),
        pipeline:
          analytics && warehouse && merchants && served
            ? {
                store,
                warehouse,
                servedWarehouse: served.warehouse,
                analytics,
                merchants,
                queryLatency: served.latency.summary,
                dataProductOwner: env.DATA_PRODUCT_OWNER,
                eventIntake,
              }
            : null,
        warehouseReads: warehouse && served ? { warehouse, servedWarehouse: served.warehouse } : null,
      });
      const address = await server.listen({ port: env.PORT, host: env.HOST });
      http = server;
      url = address.replace('[::1]', 'localhost');
      // Registered last so it stops first: finish in-flight requests before the workers and store go.
      lifecycle.onStop('http', () => server.close());
    }

    logger.info({ roles: [...roles], url }, 'payscope started');
    return {
      config,
      logger,
      metrics,
      store,
      recorder,
      redis,
      stagingWorkers,
      eventLog,
      relay,
      kafkaCapture,
      analytics,
      warehouse,
      merchants,
      http,
      url,
      webhookSources,
      generatedSecrets: generated,
      adminKey,
      stop: () => lifecycle.stopAll(config.env.SHUTDOWN_TIMEOUT_MS),
    };
  } catch (error) {
    await lifecycle.stopAll(config.env.SHUTDOWN_TIMEOUT_MS);
    throw error;
  }
}

async function connectRedis(url: string, logger: Logger): Promise<Redis> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000 });
  redis.on('error', (e) => logger.warn({ err: e.message }, 'redis connection error'));
  try {
    await redis.connect();
    logger.info({ redis: new URL(url).host }, 'redis connected');
  } catch (error) {
    logger.warn({ err: error }, 'redis not reachable at start; continuing on the database alone, health reports it');
  }
  return redis;
}

/**
 * The key of the personal-data HMAC: PII_HASH_KEY, or — on the embedded default — a random key
 * generated once into the data directory. Losing or changing it breaks joins between old and new
 * pseudonyms, so production sets it from a secret store.
 */
function piiHashKeyOf(config: Config, logger: Logger): string {
  if (config.env.PII_HASH_KEY) return config.env.PII_HASH_KEY;
  const file = join(config.env.DATA_DIR, 'pii-hash-key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(config.env.DATA_DIR, { recursive: true });
  const key = randomBytes(32).toString('base64');
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  logger.warn({ file }, 'PII_HASH_KEY is not set: generated a key for personal-data HMACs; keep it (pseudonyms change with it)');
  return key;
}

const GENERATED_SOURCES = ['default', 'razorpay', 'stripe'] as const;

/**
 * Configured webhook sources, or — when none is configured — secrets generated once into the data
 * directory, so the embedded default accepts signed webhooks on first start.
 */
function webhookSourcesOf(config: Config): { sources: Record<string, WebhookSourceConfig>; generated: boolean } {
  if (Object.keys(config.webhookSources).length > 0) {
    for (const [name, source] of Object.entries(config.webhookSources)) {
      const key = standardWebhookKey(source.secret);
      if (!key.ok) throw new Error(`webhook source '${name}': ${key.error.message}`);
    }
    return { sources: config.webhookSources, generated: false };
  }
  const dir = config.env.DATA_DIR;
  const file = join(dir, 'webhook-secrets.json');
  if (existsSync(file)) return { sources: JSON.parse(readFileSync(file, 'utf8')) as Record<string, WebhookSourceConfig>, generated: false };
  mkdirSync(dir, { recursive: true });
  const sources = Object.fromEntries(
    GENERATED_SOURCES.map((name) => [
      name,
      {
        secret: `whsec_${randomBytes(24).toString('base64')}`,
        allow_ips: [] as string[],
        schemes: defaultSchemesOf(name),
      },
    ]),
  );
  writeFileSync(file, `${JSON.stringify(sources, null, 2)}\n`, { mode: 0o600 });
  return { sources, generated: true };
}
