import { isIP } from 'node:net';
import { z } from 'zod';
import { LOG_FORMATS } from './logger.js';

/**
 * All configuration is environment variables (the seed's names), parsed once at start-up by this
 * one schema. A bad value stops the process with a message naming the variable. Defaults never
 * depend on NODE_ENV.
 */

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: "expected 'true' or 'false'" })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce
    .number({ message: 'expected a whole number' })
    .int({ message: 'expected a whole number' })
    .min(min, { message: `expected a number ≥ ${min}` })
    .max(max, { message: `expected a number ≤ ${max}` });
const csv = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean),
);

const DURATION_UNITS_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** A duration as a whole number and a unit — `30s`, `15m`, `12h`, `1d` — or `0`; parsed to milliseconds. */
export const durationSchema = z
  .string()
  .trim()
  .regex(/^(0|\d{1,6}[smhd])$/, { message: 'expected a whole number and a unit s, m, h or d, such as 1d, 12h or 30m (or 0)' })
  .transform((s) => (s === '0' ? 0 : Number(s.slice(0, -1)) * DURATION_UNITS_MS[s.slice(-1) as keyof typeof DURATION_UNITS_MS]));

/** How a webhook sender may sign (src/sources/webhooks/signature.ts verifies each). */
export const WEBHOOK_SIGNATURE_SCHEMES = ['standard-webhooks', 'x-signature', 'stripe-signature', 'razorpay-signature'] as const;
export type WebhookSignatureScheme = (typeof WEBHOOK_SIGNATURE_SCHEMES)[number];

const webhookSourceSchema = z.object({
  /** Standard Webhooks secret (`whsec_…` base64) or any string used as the raw HMAC key. */
  secret: z.string().min(8, 'a webhook secret needs at least 8 characters'),
  /** IPs or CIDR ranges allowed to call this source; empty = any. */
  allow_ips: z
    .array(
      z.string().refine(
        (s) => {
          const [addr = '', prefix] = s.split('/');
          const family = isIP(addr);
          return family !== 0 && (prefix === undefined || (/^\d+$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128)));
        },
        { message: 'expected an IP address or CIDR range such as 10.0.0.0/8' },
      ),
    )
    .default([]),
  /**
   * Signature schemes this source may use; list only timestamped ones ('standard-webhooks',
   * 'stripe-signature') to require replay protection. Unset: defaultSchemesOf(source name).
   */
  schemes: z.array(z.enum(WEBHOOK_SIGNATURE_SCHEMES)).min(1).optional(),
  /** Requests per minute from this source before 429. */
  rate_limit_per_minute: z.number().int().positive().optional(),
});
export type WebhookSourceConfig = z.infer<typeof webhookSourceSchema>;

/**
 * Every source accepts Standard Webhooks and X-Signature; the `stripe` and `razorpay` sources also
 * accept their gateway's own header, so a gateway can be pointed at Payscope without a relay.
 */
export function defaultSchemesOf(source: string): WebhookSignatureScheme[] {
  const common: WebhookSignatureScheme[] = ['standard-webhooks', 'x-signature'];
  if (source === 'stripe') return [...common, 'stripe-signature'];
  if (source === 'razorpay') return [...common, 'razorpay-signature'];
  return common;
}

const webhookSourcesJson = z.string().transform((s, ctx) => {
  try {
    const parsed = z.record(z.string(), webhookSourceSchema).safeParse(JSON.parse(s));
    if (parsed.success) return parsed.data;
    ctx.addIssue({ code: 'custom', message: `invalid source entry: ${z.prettifyError(parsed.error)}` });
  } catch {
    ctx.addIssue({ code: 'custom', message: 'expected JSON like {"stripe":{"secret":"whsec_…"}}' });
  }
  return z.NEVER;
});

/** What one process can do; `--roles`/ROLES split them across processes. */
export const ROLES = ['ingest', 'staging', 'relay', 'analytics', 'jobs', 'api'] as const;
export type Role = (typeof ROLES)[number];

export const envSchema = z.object({
  // server
  PORT: int(0, 65535).default(3004),
  HOST: z.string().default('127.0.0.1'),
  DATA_DIR: z.string().default('./data'),
  ROLES: csv.pipe(z.array(z.enum(ROLES, { message: `expected roles from ${ROLES.join(', ')}` })).min(1)).default([...ROLES]),
  SHUTDOWN_TIMEOUT_MS: int(100).default(15000),
  // slow clients: a request's headers, and the whole request, must arrive within these
  HTTP_HEADERS_TIMEOUT_MS: int(100, 3_600_000).default(10_000),
  HTTP_REQUEST_TIMEOUT_MS: int(100, 3_600_000).default(30_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: int(100, 3_600_000).default(72_000),
  // operational store: DATABASE_URL, or the seed's DB_* variables; neither = embedded PGlite
  DATABASE_URL: z.string().url({ message: 'expected postgres://user:pass@host:port/db' }).optional(),
  DB_HOST: z.string().optional(),
  DB_PORT: int(1, 65535).default(5432),
  DB_DATABASE: z.string().default('payscope'),
  DB_USERNAME: z.string().default('postgres'),
  DB_PASSWORD: z.string().default(''),
  DB_POOL_MIN: int(0).default(2),
  DB_POOL_MAX: int(1).default(20),
  // redis (optional dedup layer)
  REDIS_URL: z.string().optional(),
  REDIS_HOST: z.string().optional(),
  REDIS_PORT: int(1, 65535).default(6379),
  REDIS_PASSWORD: z.string().optional(),
  REDIS_TTL_SECONDS: int(1).default(86400),
  ENABLE_REDIS_CACHE: bool.default(true),
  // kafka (used by the event log; see issue 3)
  KAFKA_BROKERS: csv.optional(),
  KAFKA_TOPIC: z.string().default('payment.events'),
  KAFKA_CLIENT_ID: z.string().default('payscope'),
  KAFKA_BATCH_SIZE: int(1).default(100),
  OUTBOX_RELAY_BATCH_SIZE: int(1, 100000).default(500),
  // event capture (POST /api/v1/events; the capture topic needs KAFKA_BROKERS)
  EVENTS_MAX_BODY_BYTES: int(1024).default(5 * 1024 * 1024),
  EVENTS_KAFKA_TOPIC: z
    .string()
    .regex(/^[a-zA-Z0-9._-]{1,249}$/, 'expected a Kafka topic name: letters, digits, dot, underscore, hyphen')
    .optional(),
  // analytics pipeline and warehouse (role `analytics`: one process per warehouse file)
  WAREHOUSE_PATH: z.string().optional(),
  /**
   * The analytics warehouse on ClickHouse instead of the embedded DuckDB file:
   * `http(s)://user:password@host:8123` (a server), or `chdb:<directory>` (ClickHouse in this
   * process through chDB, which must be installed: `npm install chdb`).
   */
  CLICKHOUSE_URL: z
    .string()
    .regex(/^(https?:\/\/[^\s]+|chdb:[^\s]+)$/, 'expected http(s)://user:password@host:8123, or chdb:<directory> for ClickHouse in-process')
    .optional(),
  CLICKHOUSE_DATABASE: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'expected a ClickHouse database name: letters, digits, underscore')
    .default('payscope'),
  WAREHOUSE_MEMORY_LIMIT: z
    .string()
    .regex(/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i, 'expected a size such as 2GB or 512MB')
    .optional(),
  ANALYTICS_BATCH_SIZE: int(1, 100000).default(5000),
  DATA_PRODUCT_OWNER: z.string().default('payments-analytics'),
  PII_HASH_KEY: z.string().min(16, 'the PII hash key needs at least 16 characters (32 random bytes, base64, is a good key)').optional(),
  // access, read-only SQL, live feed (issue 4)
  SQL_TIMEOUT_MS: int(100, 600_000).default(10_000),
  SQL_MAX_ROWS: int(1, 1_000_000).default(10_000),
  /** SQL statements running in DuckDB at once; more get 503 SQL_BUSY (a timed-out call holds its slot until DuckDB returns). */
  SQL_MAX_CONCURRENT: int(1, 64).default(1),
  LIVE_INTERVAL_MS: int(100, 60_000).default(1000),
  SESSION_TTL_HOURS: int(1, 24 * 30).default(12),
  /** Built dashboard (index.html + assets/) served at `/`; unset: `dist/web` of this package. */
  DASHBOARD_DIR: z.string().optional(),
  // staging
  STAGING_BATCH_SIZE: int(1, 100000).default(1000),
  STAGING_INTERVAL_SECONDS: int(0).default(30),
  STAGING_MAX_RETRIES: int(0, 100).default(3),
  STAGING_WORKERS: int(1, 64).default(1),
  // webhooks
  WEBHOOK_TIMEOUT_MS: int(1).default(5000),
  WEBHOOK_SECRET: z.string().min(8, 'a webhook secret needs at least 8 characters').optional(),
  WEBHOOK_SOURCES: webhookSourcesJson.optional(),
  WEBHOOK_TOLERANCE_SECONDS: int(1).default(300),
  WEBHOOK_MAX_BODY_BYTES: int(256).default(65536),
  WEBHOOK_RATE_LIMIT_PER_MINUTE: int(1).default(600000),
  // recorder
  ALLOW_ZERO_AMOUNT: bool.default(false),
  MAX_FUTURE_PAYMENT_SKEW: durationSchema.default(durationSchema.parse('1d')),
  DEFAULT_CURRENCY: z
    .string()
    .regex(/^[A-Z]{3}$/, 'expected an ISO 4217 code such as INR')
    .default('INR'),
  GROUP_COMMIT_MAX_BATCH: int(1, 10000).default(500),
  GROUP_COMMIT_CONCURRENCY: int(1, 64).default(2),
  ENABLE_MEMORY_CACHE: bool.default(true),
  MEMORY_CACHE_MAX_SIZE: int(1).default(10000),
  REFERENCE_CACHE_TTL_DAYS: int(1).default(90),
  REFERENCE_CLEANUP_ENABLED: bool.default(false),
  // partitions
  PARTITION_MONTHS_AHEAD: int(0, 120).default(3),
  PARTITION_RETENTION_MONTHS: int(1).default(12),
  PARTITION_ARCHIVE_ENABLED: bool.default(false),
  PARTITION_JOB_CRON: z.string().default('17 * * * *'),
  REFERENCE_CLEANUP_CRON: z.string().default('41 3 * * *'),
  // outbox: published rows every consumer is past, kept this many days (0 = forever)
  OUTBOX_RETENTION_DAYS: int(0).default(30),
  OUTBOX_RETENTION_CRON: z.string().default('23 4 * * *'),
  // experiments: hourly guardrails (needs the analytics role in the same process: the warehouse)
  EXPERIMENT_GUARDRAILS_CRON: z.string().default('37 * * * *'),
  FUNNEL_SNAPSHOT_CRON: z.string().default('7 * * * *'),
  // product analytics (issue 12): weekly RFM segments (Monday), monthly cohort matrix (the 1st); UTC crons
  RFM_JOB_CRON: z.string().default('37 2 * * 1'),
  COHORT_JOB_CRON: z.string().default('7 3 1 * *'),
  COHORT_JOB_TZ: z
    .string()
    .default('UTC')
    .refine((tz) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, 'must be an IANA time zone name such as UTC or Asia/Kolkata'),
  // monitoring
  LOG_REQUESTS: bool.default(false),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // json: one JSON object per line; pretty: human lines; auto: human on a terminal, JSON otherwise
  LOG_FORMAT: z.enum(LOG_FORMATS).default('auto'),
  ENABLE_METRICS: bool.default(true),
});

export type Env = z.infer<typeof envSchema>;

export type StoreConfig =
  | { kind: 'pglite'; dataDir: string }
  | { kind: 'postgres'; connectionString: string; poolMin: number; poolMax: number };

/** Where analytics live: the embedded DuckDB file (default) or ClickHouse (`CLICKHOUSE_URL`). */
export type WarehouseConfig =
  | { engine: 'duckdb'; path: string; memoryLimit?: string }
  | { engine: 'clickhouse'; url: string; database: string };

export interface Config {
  env: Env;
  store: StoreConfig;
  warehouse: WarehouseConfig;
  redisUrl: string | undefined;
  webhookSources: Record<string, WebhookSourceConfig>;
  /** ALLOW_ZERO_AMOUNT and MAX_FUTURE_PAYMENT_SKEW, in the recorder's PaymentRules shape. */
  paymentRules: { allowZeroAmount: boolean; maxFutureSkewMs: number };
}

export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment; throws ConfigError listing every bad variable and what it should be. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const raw = Object.fromEntries(Object.entries(source).filter(([k, v]) => k in envSchema.shape && v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}=${JSON.stringify(raw[String(i.path[0])] ?? '')}: ${i.message}`),
    );
  }
  const env = parsed.data;
  if (env.DB_POOL_MIN > env.DB_POOL_MAX) {
    throw new ConfigError([`DB_POOL_MIN=${env.DB_POOL_MIN}: must not exceed DB_POOL_MAX=${env.DB_POOL_MAX}`]);
  }
  if (env.HTTP_HEADERS_TIMEOUT_MS > env.HTTP_REQUEST_TIMEOUT_MS) {
    throw new ConfigError([
      `HTTP_HEADERS_TIMEOUT_MS=${env.HTTP_HEADERS_TIMEOUT_MS}: must not exceed HTTP_REQUEST_TIMEOUT_MS=${env.HTTP_REQUEST_TIMEOUT_MS} (the headers are part of the request)`,
    ]);
  }
  if (env.EVENTS_KAFKA_TOPIC !== undefined && !env.KAFKA_BROKERS?.length) {
    throw new ConfigError([
      `EVENTS_KAFKA_TOPIC=${JSON.stringify(env.EVENTS_KAFKA_TOPIC)}: capturing events from Kafka needs KAFKA_BROKERS (host:port,…); set it, or unset EVENTS_KAFKA_TOPIC`,
    ]);
  }
  if (env.EVENTS_KAFKA_TOPIC !== undefined && env.EVENTS_KAFKA_TOPIC === env.KAFKA_TOPIC) {
    throw new ConfigError([
      `EVENTS_KAFKA_TOPIC=${JSON.stringify(env.EVENTS_KAFKA_TOPIC)}: must differ from KAFKA_TOPIC, where Payscope publishes its own events (capturing them again would loop)`,
    ]);
  }
  return {
    env,
    store: storeConfigOf(env),
    warehouse: warehouseConfigOf(env),
    redisUrl: redisUrlOf(env),
    paymentRules: { allowZeroAmount: env.ALLOW_ZERO_AMOUNT, maxFutureSkewMs: env.MAX_FUTURE_PAYMENT_SKEW },
    webhookSources: {
      ...(env.WEBHOOK_SECRET ? { default: webhookSourceSchema.parse({ secret: env.WEBHOOK_SECRET }) } : {}),
      ...(env.WEBHOOK_SOURCES ?? {}),
    },
  };
}

function storeConfigOf(env: Env): StoreConfig {
  const poolMin = env.DB_POOL_MIN;
  const poolMax = env.DB_POOL_MAX;
  if (env.DATABASE_URL) return { kind: 'postgres', connectionString: env.DATABASE_URL, poolMin, poolMax };
  if (env.DB_HOST) {
    const auth = `${encodeURIComponent(env.DB_USERNAME)}${env.DB_PASSWORD ? `:${encodeURIComponent(env.DB_PASSWORD)}` : ''}`;
    const connectionString = `postgres://${auth}@${env.DB_HOST}:${env.DB_PORT}/${encodeURIComponent(env.DB_DATABASE)}`;
    return { kind: 'postgres', connectionString, poolMin, poolMax };
  }
  return { kind: 'pglite', dataDir: `${env.DATA_DIR.replace(/\/$/, '')}/pglite` };
}

function warehouseConfigOf(env: Env): WarehouseConfig {
  if (env.CLICKHOUSE_URL) return { engine: 'clickhouse', url: env.CLICKHOUSE_URL, database: env.CLICKHOUSE_DATABASE };
  return {
    engine: 'duckdb',
    path: env.WAREHOUSE_PATH ?? `${env.DATA_DIR.replace(/\/$/, '')}/warehouse.duckdb`,
    ...(env.WAREHOUSE_MEMORY_LIMIT ? { memoryLimit: env.WAREHOUSE_MEMORY_LIMIT } : {}),
  };
}

function redisUrlOf(env: Env): string | undefined {
  if (!env.ENABLE_REDIS_CACHE) return undefined;
  if (env.REDIS_URL) return env.REDIS_URL;
  if (env.REDIS_HOST) {
    const auth = env.REDIS_PASSWORD ? `:${encodeURIComponent(env.REDIS_PASSWORD)}@` : '';
    return `redis://${auth}${env.REDIS_HOST}:${env.REDIS_PORT}`;
  }
  return undefined;
}
