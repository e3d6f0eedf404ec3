import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { WebhookSourceConfig } from '../core/config.js';
import { DOCS_BASE, ErrorCode, failure, httpStatusOf } from '../core/errors.js';
import type { Metrics } from '../core/metrics.js';
import type { RelayStatus } from '../log/outbox-relay.js';
import type { AnalyticsConsumer } from '../pipeline/analytics-consumer.js';
import type { MerchantDirectory } from '../pipeline/merchant-dimension.js';
import type { EventIntake } from '../sources/events/event-intake.js';
import type { WebhookIntake } from '../sources/webhooks/webhook-intake.js';
import type { OperationalStore, SqlExecutor } from '../store/store-port.js';
import { createSqlSandbox } from '../warehouse/sql-sandbox.js';
import type { Warehouse } from '../warehouse/warehouse-port.js';
import { installAccess } from './access/access-hook.js';
import { createAuditLog } from './access/audit-log.js';
import { installStrictJsonParser } from './body-parsers.js';
import { installErrorHandlers, sendFailure } from './http-errors.js';
import { createLiveFeed } from './live/live-feed.js';
import { collectOpenApi } from './openapi/route-docs.js';
import { registerDocsRoutes } from './routes/docs-route.js';
import { registerKeyRoutes } from './routes/keys-routes.js';
import { registerLiveRoutes } from './routes/live-route.js';
import { registerSessionRoutes } from './routes/session-route.js';
import { registerSqlRoutes } from './routes/sql-route.js';
import { registerAnalyticsRoutes } from './routes/analytics-routes.js';
import { registerDashboardRoutes } from './routes/dashboard-route.js';
import { registerDataProductRoutes } from './routes/data-product-route.js';
import { registerDataQualityRoutes } from './routes/data-quality-route.js';
import { registerDeadLetterRoutes } from './routes/dead-letters-route.js';
import { registerEventRoutes } from './routes/events-route.js';
import { registerExperimentRoutes } from './routes/experiments-routes.js';
import { registerFxRateRoutes } from './routes/fx-rates-route.js';
import { registerMerchantRoutes } from './routes/merchants-route.js';
import { registerMonitoringRoutes } from './routes/monitoring-routes.js';
import { registerPaymentsExplorerRoutes } from './routes/payments-explorer-route.js';
import { registerSchemaRoutes } from './routes/schemas-route.js';
import { registerFunnelRoutes } from './routes/funnels-route.js';
import { registerSettlementRoutes } from './routes/settlement-routes.js';
import { registerCohortRoutes } from './routes/cohort-routes.js';
import { registerRfmRoutes } from './routes/rfm-routes.js';
import { registerWebhookRoutes } from './routes/webhook-route.js';
import { createWebhookStats } from './webhook-stats.js';

/**
 * The pipeline's operations surface — data quality and the data product descriptor, dead letters
 * (list, replay), the merchant dimension (load, list) — and the warehouse the analytics API reads.
 * Given to the process that runs the analytics consumer (it owns the warehouse).
 */
export interface PipelineRouteDeps {
  store: SqlExecutor;
  /** The bare warehouse: data quality, dead letters, merchants, ad-hoc SQL. */
  warehouse: Warehouse;
  /** The same warehouse timed for the query SLO: what the analytics API and the live feed read. */
  servedWarehouse: Warehouse;
  analytics: AnalyticsConsumer;
  merchants: MerchantDirectory;
  /** p95 of the served queries over the SLO window. */
  queryLatency: () => { p95_ms: number | null; samples: number };
  dataProductOwner: string;
  /** Replays capture-stage dead letters; null when this process runs no intake. */
  eventIntake: EventIntake | null;
}

/**
 * The warehouse the analytics API reads (analytics, settlement, payments explorer, FX rates,
 * read-only SQL, live feed): the analytics process's own, or — role `api` on a ClickHouse server —
 * a read-only connection (`writable` false: FX uploads then answer 409).
 */
export interface WarehouseReadDeps {
  /** The bare warehouse: ad-hoc SQL. */
  warehouse: Warehouse;
  /** The same warehouse timed for the query SLO. */
  servedWarehouse: Warehouse;
}

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
  /** HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS, HTTP_KEEP_ALIVE_TIMEOUT_MS; defaults when absent. */
  httpTimeouts?: HttpTimeouts;
  webhookRateLimitPerMinute: number;
  metricsEnabled: boolean;
  /** Log an incoming/completed line per request (off: only rejections, errors and state changes). */
  logRequests: boolean;
  /** The analytics pipeline's surface (data quality, dead letters, merchants); null when this process runs no consumer. */
  pipeline?: PipelineRouteDeps | null;
  /** The warehouse the analytics API reads; null when this process has none (`WarehouseReadDeps`). */
  warehouseReads?: WarehouseReadDeps | null;
  /** The built dashboard served at `/` (default: `dist/web` of this package). */
  dashboardDir?: string;
  /** `DEFAULT_CURRENCY`: the currency RFM counts when the request names none (default INR). */
  defaultCurrency?: string;
  /** Forwarded-for headers are trusted only when set (behind a known proxy). */
  trustProxy?: boolean;
  /** API keys, sessions, audit log, read-only SQL and the live feed (issue 4); defaults when absent. */
  access?: {
    sessionTtlMs?: number;
    /** Mark the session cookie `Secure` (serve over HTTPS). */
    secureCookies?: boolean;
  };
  sql?: { timeoutMs: number; maxRows: number; maxConcurrent?: number };
  liveIntervalMs?: number;
}

/**
 * How long a client may take. Node's `headersTimeout` and `requestTimeout` cover *receiving* a
 * request (headers, then the whole body), not sending the response, so a slow-loris client is cut
 * off while a Server-Sent Events stream (`/api/v1/live`, a GET whose request is complete at once)
 * stays open for as long as it listens.
 */
export interface HttpTimeouts {
  headersMs: number;
  requestMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveMs: number;
}

export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = { headersMs: 10_000, requestMs: 30_000, keepAliveMs: 72_000 };

/** Builds the HTTP API; the caller listens and closes it. */
export async function createHttpServer(deps: HttpServerDeps): Promise<FastifyInstance> {
  const timeouts = deps.httpTimeouts ?? DEFAULT_HTTP_TIMEOUTS;
  const app = Fastify({
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    http: {
      headersTimeout: timeouts.headersMs,
      requestTimeout: timeouts.requestMs,
      // Node checks expired requests only this often (default 30 s, which would let a slow client
      // hold its connection up to 30 s past the timeout).
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(timeouts.headersMs / 4))),
    },
    clientErrorHandler: answerClientError,
    loggerInstance: deps.logger as FastifyBaseLogger,
    // The README's and the error body's name for it (Fastify's default label is `reqId`).
    logController: new LogController({ requestIdLogLabel: 'request_id' }),
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,128}$/.test(given) ? given : randomUUID();
    },
    bodyLimit: deps.maxBodyBytes,
    trustProxy: deps.trustProxy ?? false,
    return503OnClosing: true,
    // A path that is not valid percent-encoding (`/assets/%c0%ae`) names no route: the standard
    // 404 body instead of Fastify's own 400 shape.
    frameworkErrors: (error, request, reply) => {
      if (error.code === 'FST_ERR_BAD_URL') {
        const path = request.url.split('?')[0];
        return sendFailure(
          reply,
          failure(ErrorCode.NOT_FOUND, `no route ${request.method} ${path} (the path is not valid percent-encoding)`),
        );
      }
      request.log.error({ err: error }, 'unhandled framework error');
      return sendFailure(reply, failure(ErrorCode.INTERNAL, 'internal error; quote the request_id when reporting it'));
    },
  }) as unknown as FastifyInstance;
  // At thousands of webhooks a second, two lines per request would cost more than the work: without
  // LOG_REQUESTS routes log at warn (rejections and errors). Fastify hands onRoute an inherited level
  // of '' (not undefined): only an explicit level stays. A route level never makes the logger
  // chattier than LOG_LEVEL (a route at warn under LOG_LEVEL=error or silent stays quiet).
  const levels = deps.logger.levels.values;
  const configured = levels[deps.logger.level] ?? Number.POSITIVE_INFINITY;
  app.addHook('onRoute', (route) => {
    if (!route.logLevel && !deps.logRequests) route.logLevel = 'warn';
    if (route.logLevel && (levels[route.logLevel] ?? 0) < configured) route.logLevel = deps.logger.level as typeof route.logLevel;
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  installErrorHandlers(app, { maxBodyBytes: deps.maxBodyBytes });
  installStrictJsonParser(app);
  // Fail open: with Redis down, a webhook is still recorded (on the database alone, as /health
  // reports) rather than answered 500 because its rate-limit counter could not be read.
  await app.register(rateLimit, {
    global: false,
    skipOnError: true,
    ...(deps.redis ? { redis: deps.redis, nameSpace: 'payscope:rl:' } : {}),
  });

  // Both hooks see every route registered after this point: keep them before the routes.
  const openApi = collectOpenApi(app, {
    title: 'Payscope API',
    version: '1',
    description: 'Payment recording, event capture and analytics. Error codes: /docs/errors. Access matrix: src/api/README.md.',
  });
  const audit = createAuditLog({ store: deps.store, logger: deps.logger });
  const access = installAccess(app, {
    store: deps.store,
    logger: deps.logger,
    audit,
    sessionTtlMs: deps.access?.sessionTtlMs ?? 12 * 3_600_000,
  });
  app.addHook('onClose', async () => audit.flush());
  await app.register(async (scope) => registerSessionRoutes(scope, { access, secureCookies: deps.access?.secureCookies ?? false }));
  await app.register(async (scope) => registerKeyRoutes(scope, { store: deps.store }));

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
    warehouse: deps.warehouseReads?.warehouse ?? null,
    metrics: deps.metrics,
    stats,
    metricsEnabled: deps.metricsEnabled,
  });
  await registerSchemaRoutes(app);
  // Experiments (issue 12 §4): definitions and lifecycle in the store; analysis on nodes with the warehouse.
  await app.register(async (scope) =>
    registerExperimentRoutes(scope, { store: deps.store, warehouse: deps.warehouseReads?.servedWarehouse ?? null }),
  );
  await app.register(async (scope) => registerDashboardRoutes(scope, deps.dashboardDir ? { dir: deps.dashboardDir } : {}));
  if (deps.pipeline) {
    const pipeline = deps.pipeline;
    // The pipeline's operations surface in one scope: the merchants route's text/csv parser covers
    // all four, as it did when they were one module.
    await app.register(async (scope) => {
      await registerDataQualityRoutes(scope, pipeline);
      await registerDataProductRoutes(scope, pipeline);
      await registerDeadLetterRoutes(scope, pipeline);
      await registerMerchantRoutes(scope, pipeline);
    });
  }
  if (deps.warehouseReads) {
    const reads = deps.warehouseReads;
    // Analytics over the warehouse (issue 4): docs/analytics-api.md.
    const warehouse = { warehouse: reads.servedWarehouse };
    await app.register(async (scope) => registerAnalyticsRoutes(scope, warehouse));
    await app.register(async (scope) => registerSettlementRoutes(scope, warehouse));
    await app.register(async (scope) => registerFunnelRoutes(scope, { warehouse: reads.servedWarehouse, store: deps.store }));
    // Product analytics (issue 12): cohorts and RFM segments.
    await app.register(async (scope) => registerCohortRoutes(scope, warehouse));
    await app.register(async (scope) =>
      registerRfmRoutes(scope, { warehouse: warehouse.warehouse, defaultCurrency: deps.defaultCurrency ?? 'INR' }),
    );
    await app.register(async (scope) => registerPaymentsExplorerRoutes(scope, warehouse));
    await app.register(async (scope) => registerFxRateRoutes(scope, warehouse));
    const sql = deps.sql ?? { timeoutMs: 10_000, maxRows: 10_000 };
    const sandbox = createSqlSandbox({ warehouse: reads.warehouse, ...sql });
    await app.register(async (scope) =>
      registerSqlRoutes(scope, { sandbox, ...sql, allowedTableFunctions: reads.warehouse.sandboxTableFunctions }),
    );
    const feed = createLiveFeed({ warehouse: reads.servedWarehouse, intervalMs: deps.liveIntervalMs ?? 1000, logger: deps.logger });
    let live: { closeAll(): void } | null = null;
    await app.register(async (scope) => {
      live = registerLiveRoutes(scope, { feed, audit, access });
    });
    // Open streams would hold the server's close: end them first.
    app.addHook('preClose', async () => {
      live?.closeAll();
      feed.close();
    });
  }
  await registerDocsRoutes(app, openApi);
  return app;
}

/**
 * Node's `clientError`: a request that did not arrive in time (408 REQUEST_TIMEOUT, in the standard
 * error body) or could not be parsed as HTTP (400, as Fastify answers it). The connection is closed.
 */
function answerClientError(this: FastifyInstance, error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  let head: string;
  let body: string;
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    const requestId = randomUUID();
    this.log.warn({ request_id: requestId, code: ErrorCode.REQUEST_TIMEOUT }, 'request not received in time; connection closed');
    head = `HTTP/1.1 ${httpStatusOf(ErrorCode.REQUEST_TIMEOUT)} Request Timeout`;
    body = JSON.stringify({
      error: {
        code: ErrorCode.REQUEST_TIMEOUT,
        message: 'the request (headers and body) did not arrive in time; send it again, in one go',
        request_id: requestId,
        docs: `${DOCS_BASE}${ErrorCode.REQUEST_TIMEOUT.toLowerCase()}`,
      },
    });
  } else if (error.code === 'HPE_HEADER_OVERFLOW') {
    head = 'HTTP/1.1 431 Request Header Fields Too Large';
    body = '{"error":"Request Header Fields Too Large","message":"Exceeded maximum allowed HTTP header size","statusCode":431}';
  } else {
    head = 'HTTP/1.1 400 Bad Request';
    body = '{"error":"Bad Request","message":"Client Error","statusCode":400}';
  }
  if (socket.writable) {
    socket.write(
      `${head}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
