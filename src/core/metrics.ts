import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const METRIC_PREFIX = 'payscope_';

/**
 * Every Prometheus metric Payscope exports, in one registry per process (tests build their own).
 * Components receive this object; none of them touches prom-client's global registry.
 */
/**
 * prom-client's default metrics include three gauges named `*_total`, which Prometheus reserves
 * for counters (`promtool check metrics` exits 3 on them). Each is the sum of the gauge of the
 * same name without `_total`, by type: `sum(payscope_nodejs_active_handles)` gives the total.
 */
const GAUGES_NAMED_LIKE_COUNTERS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export function createMetrics(options: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (options.defaultMetrics) {
    collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
    for (const name of GAUGES_NAMED_LIKE_COUNTERS) registry.removeSingleMetric(METRIC_PREFIX + name);
  }
  const r = [registry];
  return {
    registry,
    webhookDuration: new Histogram({
      name: 'payscope_webhook_duration_seconds',
      help: 'Webhook request latency from receipt to response, by channel and outcome',
      labelNames: ['channel', 'outcome'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: r,
    }),
    recordOutcomes: new Counter({
      name: 'payscope_payments_total',
      help: 'Payments offered to the recorder, by source and outcome (created, duplicate, rejected)',
      labelNames: ['source', 'outcome'] as const,
      registers: r,
    }),
    groupCommitSize: new Histogram({
      name: 'payscope_group_commit_size',
      help: 'Payments per group-commit transaction',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000],
      registers: r,
    }),
    cacheLookups: new Counter({
      name: 'payscope_dedup_cache_lookups_total',
      help: 'Dedup cache lookups by layer (memory, redis) and result (hit, miss, error)',
      labelNames: ['layer', 'result'] as const,
      registers: r,
    }),
    stagingRows: new Counter({
      name: 'payscope_staging_rows_total',
      help: 'Staging rows handled, by result (processed, duplicate, error)',
      labelNames: ['result'] as const,
      registers: r,
    }),
    stagingBatchDuration: new Histogram({
      name: 'payscope_staging_batch_duration_seconds',
      help: 'Time to process one staging batch',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: r,
    }),
    stagingBatchFailures: new Counter({
      name: 'payscope_staging_batch_failures_total',
      help: 'Staging batch attempts that failed on infrastructure errors (retried)',
      registers: r,
    }),
    logPublished: new Counter({ name: 'payscope_log_published_total', help: 'Outbox events published to the event log', registers: r }),
    logPublishFailures: new Counter({
      name: 'payscope_log_publish_failures_total',
      help: 'Relay rounds that failed to publish to the event log (retried)',
      registers: r,
    }),
    outboxBacklog: new Gauge({ name: 'payscope_outbox_backlog', help: 'Outbox events not yet published', registers: r }),
    stagingBacklog: new Gauge({ name: 'payscope_staging_backlog', help: 'Unprocessed staging rows', registers: r }),
    poolConnections: new Gauge({
      name: 'payscope_db_pool_connections',
      help: 'Database pool connections by state (total, idle, waiting, max)',
      labelNames: ['state'] as const,
      registers: r,
    }),
    capturedEvents: new Counter({
      name: 'payscope_captured_events_total',
      help: 'Events offered to event capture (POST /api/v1/events, the capture topic), by type and outcome (accepted, duplicate, rejected); type is "unknown" for a type outside the data contract',
      labelNames: ['type', 'outcome'] as const,
      registers: r,
    }),
    webhookIgnored: new Counter({
      name: 'payscope_webhook_ignored_total',
      help: 'Gateway webhook events answered 200 ignored (an event type the channel does not map), by channel and event type',
      labelNames: ['channel', 'event_type'] as const,
      registers: r,
    }),
    webhookRejections: new Counter({
      name: 'payscope_webhook_rejections_total',
      help: 'Webhook requests rejected, by error code',
      labelNames: ['code'] as const,
      registers: r,
    }),
    pipelineEvents: new Counter({
      name: 'payscope_pipeline_events_total',
      help: 'Events the analytics consumer handled, by outcome (applied, duplicate, dead_letter)',
      labelNames: ['outcome'] as const,
      registers: r,
    }),
    pipelineBatchDuration: new Histogram({
      name: 'payscope_pipeline_batch_duration_seconds',
      help: 'Time to decode, merge and commit one batch into the warehouse',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: r,
    }),
    warehouseFreshness: new Histogram({
      name: 'payscope_warehouse_freshness_seconds',
      help: 'Per event: from being recorded (outbox time) to queryable in the warehouse (commit)',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers: r,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
