import { randomUUID } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { WebhookSourceConfig } from '../core/config.js';
import type { Metrics } from '../core/metrics.js';
import type { RelayStatus } from '../log/outbox-relay.js';
import type { EventIntake } from '../sources/events/event-intake.js';
import type { WebhookIntake } from '../sources/webhooks/webhook-intake.js';
import type { OperationalStore } from '../store/store-port.js';
import { installErrorHandlers } from './http-errors.js';
import { registerEventRoutes } from './routes/events-route.js';
import { registerMonitoringRoutes } from './routes/monitoring-routes.js';
import { type PipelineRouteDeps, registerPipelineRoutes } from './routes/pipeline-routes.js';
import { registerSchemaRoutes } from './routes/schemas-route.js';
import { registerWebhookRoutes } from './routes/webhook-route.js';
import { createWebhookStats } from './webhook-stats.js';

export interface HttpServerDeps {
  logger: Logger;
  store: OperationalStore;
  redis: Redis | null;
  metrics: Metrics;
  intake: WebhookIntake | null;
  /** Event capture (`POST /api/v1/events`); the route exists only when given (the `ingest` role). */
  eventIntake?: EventIntake | null;
  /** `EVENTS_MAX_BODY_BYTES`: the body limit of `POST /api/v1/events` (default 5 MiB). */
  eventsMaxBodyBytes?: number;
  /** The outbox relay's status for /health; null when this process runs no relay. */
  relay: { status(): RelayStatus } | null;
  eventLogKind: 'embedded' | 'kafka';
  webhookSources: Record<string, WebhookSourceConfig>;
  maxBodyBytes: number;
  webhookTimeoutMs: number;
  webhookRateLimitPerMinute: number;
  metricsEnabled: boolean;
  /** Log an incoming/completed line per request (off: only rejections, errors and state changes). */
  logRequests: boolean;
  /** The analytics pipeline's surface (data quality, dead letters, merchants); null when this process runs no consumer. */
  pipeline?: PipelineRouteDeps | null;
  /** Forwarded-for headers are trusted only when set (behind a known proxy). */
  trustProxy?: boolean;
}

/** Builds the HTTP API; the caller listens and closes it. */
export async function createHttpServer(deps: HttpServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,128}$/.test(given) ? given : randomUUID();
    },
    bodyLimit: deps.maxBodyBytes,
    trustProxy: deps.trustProxy ?? false,
    return503OnClosing: true,
  }) as unknown as FastifyInstance;
  if (!deps.logRequests) {
    // At thousands of webhooks a second, two lines per request would cost more than the work.
    app.addHook('onRoute', (route) => {
      route.logLevel ??= 'warn';
    });
  }
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  installErrorHandlers(app, { maxBodyBytes: deps.maxBodyBytes });
  await app.register(rateLimit, { global: false, ...(deps.redis ? { redis: deps.redis, nameSpace: 'payscope:rl:' } : {}) });

  const stats = createWebhookStats();
  if (deps.intake) {
    const intake = deps.intake;
    await app.register(async (scope) =>
      registerWebhookRoutes(scope, {
        intake,
        sources: deps.webhookSources,
        metrics: deps.metrics,
        stats,
        maxBodyBytes: deps.maxBodyBytes,
        timeoutMs: deps.webhookTimeoutMs,
        defaultRateLimitPerMinute: deps.webhookRateLimitPerMinute,
      }),
    );
  }
  if (deps.eventIntake) {
    const eventIntake = deps.eventIntake;
    await app.register(async (scope) =>
      registerEventRoutes(scope, { intake: eventIntake, maxBodyBytes: deps.eventsMaxBodyBytes ?? 5 * 1024 * 1024 }),
    );
  }
  await registerMonitoringRoutes(app, {
    store: deps.store,
    redis: deps.redis,
    relay: deps.relay,
    eventLogKind: deps.eventLogKind,
    analytics: deps.pipeline?.analytics ?? null,
    metrics: deps.metrics,
    stats,
    metricsEnabled: deps.metricsEnabled,
  });
  await registerSchemaRoutes(app);
  if (deps.pipeline) {
    const pipeline = deps.pipeline;
    await app.register(async (scope) => registerPipelineRoutes(scope, pipeline));
  }
  return app;
}
