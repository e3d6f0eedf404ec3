import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Metrics } from '../../core/metrics.js';
import type { RelayStatus } from '../../log/outbox-relay.js';
import { countUnpublished } from '../../log/outbox-table.js';
import type { AnalyticsStatus } from '../../pipeline/analytics-consumer.js';
import { type StagingStatus, readStagingStatus } from '../../store/staging-status.js';
import type { OperationalStore } from '../../store/store-port.js';
import type { Warehouse } from '../../warehouse/warehouse-port.js';
import type { WebhookStats } from '../webhook-stats.js';

export interface MonitoringDeps {
  store: OperationalStore;
  redis: Redis | null;
  relay: { status(): RelayStatus } | null;
  eventLogKind: 'embedded' | 'kafka';
  /** The analytics consumer's status; null when this process runs none. */
  analytics: { status(): AnalyticsStatus } | null;
  /** The warehouse this process reads or writes; null when it has none. */
  warehouse: Pick<Warehouse, 'engine' | 'query'> | null;
  metrics: Metrics;
  stats: WebhookStats;
  metricsEnabled: boolean;
}

function analyticsCheck(analytics: { status(): AnalyticsStatus } | null) {
  if (!analytics) return 'not_running';
  const s = analytics.status();
  return {
    state: s.state,
    applied: s.applied,
    dead_lettered: s.deadLettered,
    last_applied_at: s.lastAppliedAt?.toISOString() ?? null,
    freshness_p95_ms: s.freshness.p95_ms,
    last_error: s.lastError,
  };
}

async function check(fn: () => Promise<unknown>): Promise<'ok' | 'error'> {
  try {
    await fn();
    return 'ok';
  } catch {
    return 'error';
  }
}

/** `/health` (the seed's shape), `/metrics` (Prometheus) and `/api/v1/payments/stats`. */
export async function registerMonitoringRoutes(app: FastifyInstance, deps: MonitoringDeps): Promise<void> {
  app.get('/health', async (_request, reply) => {
    const database = await check(() => deps.store.query('SELECT 1'));
    const redis = deps.redis ? await check(() => (deps.redis as Redis).ping()) : 'not_configured';
    let staging: StagingStatus | null = null;
    let backlog: number | null = null;
    if (database === 'ok') {
      [staging, backlog] = await Promise.all([readStagingStatus(deps.store), countUnpublished(deps.store)]).catch(() => [null, null]);
    }
    const warehouse = deps.warehouse
      ? { engine: deps.warehouse.engine, status: await check(() => (deps.warehouse as Warehouse).query('SELECT 1')) }
      : 'not_running';
    const relay = deps.relay?.status() ?? null;
    // The relay's last attempt to reach the log; the embedded log is the database itself.
    const eventLog = deps.eventLogKind === 'embedded' ? database : relay?.connected === false ? 'error' : relay ? 'ok' : 'not_running';
    const healthy =
      database === 'ok' && redis !== 'error' && eventLog !== 'error' && (warehouse === 'not_running' || warehouse.status === 'ok');
    return reply.code(healthy ? 200 : 503).send({
      status: healthy ? 'healthy' : 'unhealthy',
      checks: {
        database,
        redis,
        event_log: eventLog,
        kafka: deps.eventLogKind === 'kafka' ? eventLog : 'not_configured',
        relay: relay && {
          state: relay.state,
          connected: relay.connected,
          last_error: relay.lastError && { ...relay.lastError, at: relay.lastError.at.toISOString() },
          last_published_at: relay.lastPublishedAt?.toISOString() ?? null,
        },
        analytics: analyticsCheck(deps.analytics),
        warehouse,
        outbox_backlog: backlog,
        staging_backlog: staging?.backlog ?? null,
        last_staging_run: staging?.lastRun ?? null,
      },
    });
  });

  app.get('/api/v1/payments/stats', async () => {
    const staging = await readStagingStatus(deps.store);
    return {
      staging: {
        processed_today: staging.processedToday,
        pending_count: staging.backlog,
        average_batch_time_ms: staging.averageBatchMs,
      },
      webhooks: deps.stats.snapshot(),
    };
  });

  if (deps.metricsEnabled) {
    app.get('/metrics', async (_request, reply) => {
      const { metrics, store } = deps;
      try {
        const [staging, backlog] = await Promise.all([readStagingStatus(store), countUnpublished(store)]);
        metrics.stagingBacklog.set(staging.backlog);
        metrics.outboxBacklog.set(backlog);
      } catch {
        // The scrape still returns the counters; the gauges keep their last value.
      }
      const pool = store.poolStats();
      if (pool) for (const [state, n] of Object.entries(pool)) metrics.poolConnections.set({ state }, n);
      return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    });
  }
}
