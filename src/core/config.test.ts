import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

function issuesOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  return [];
}

describe('configuration', () => {
  it('defaults to the embedded store in DATA_DIR with the seed defaults', () => {
    const c = loadConfig({});
    expect(c.store).toEqual({ kind: 'pglite', dataDir: './data/pglite' });
    expect(c.env).toMatchObject({
      PORT: 3004,
      STAGING_BATCH_SIZE: 1000,
      STAGING_INTERVAL_SECONDS: 30,
      STAGING_MAX_RETRIES: 3,
      MEMORY_CACHE_MAX_SIZE: 10000,
    });
    expect(c.redisUrl).toBeUndefined();
  });

  it("builds a PostgreSQL URL from the seed's DB_* variables, and DATABASE_URL wins over them", () => {
    const fromParts = loadConfig({
      DB_HOST: 'db',
      DB_PORT: '6543',
      DB_DATABASE: 'collect',
      DB_USERNAME: 'app',
      DB_PASSWORD: 'p@ss',
      DB_POOL_MIN: '10',
      DB_POOL_MAX: '50',
    });
    expect(fromParts.store).toEqual({
      kind: 'postgres',
      connectionString: 'postgres://app:p%40ss@db:6543/collect',
      poolMin: 10,
      poolMax: 50,
    });
    const url = loadConfig({ DB_HOST: 'db', DATABASE_URL: 'postgres://u@h:5432/d' });
    expect(url.store).toMatchObject({ connectionString: 'postgres://u@h:5432/d' });
  });

  it('names every bad variable and what it should be', () => {
    const issues = issuesOf({ PORT: 'eighty', STAGING_BATCH_SIZE: '0', ENABLE_METRICS: 'maybe', DEFAULT_CURRENCY: 'rupee' });
    expect(issues.join('\n')).toMatch(/PORT="eighty": expected a whole number/);
    expect(issues.join('\n')).toMatch(/STAGING_BATCH_SIZE="0": expected a number ≥ 1/);
    expect(issues.join('\n')).toMatch(/ENABLE_METRICS="maybe": expected 'true' or 'false'/);
    expect(issues.join('\n')).toMatch(/DEFAULT_CURRENCY="rupee"/);
  });

  it('refuses a capture topic without KAFKA_BROKERS, or equal to the topic Payscope publishes to', () => {
    expect(issuesOf({ EVENTS_KAFKA_TOPIC: 'orders.events' }).join()).toMatch(/EVENTS_KAFKA_TOPIC="orders.events": .*needs KAFKA_BROKERS/);
    expect(issuesOf({ EVENTS_KAFKA_TOPIC: 'payment.events', KAFKA_BROKERS: 'k:9092' }).join()).toMatch(/must differ from KAFKA_TOPIC/);
    expect(issuesOf({ EVENTS_KAFKA_TOPIC: 'orders events', KAFKA_BROKERS: 'k:9092' }).join()).toMatch(/Kafka topic name/);
    const c = loadConfig({ EVENTS_KAFKA_TOPIC: 'orders.events', KAFKA_BROKERS: 'k:9092' });
    expect(c.env).toMatchObject({ EVENTS_KAFKA_TOPIC: 'orders.events', EVENTS_MAX_BODY_BYTES: 5 * 1024 * 1024 });
  });

  it('refuses WEBHOOK_SOURCES that is not JSON or has a bad allow-list entry', () => {
    expect(issuesOf({ WEBHOOK_SOURCES: '{stripe' }).join()).toMatch(/WEBHOOK_SOURCES=.*expected JSON/);
    expect(issuesOf({ WEBHOOK_SOURCES: JSON.stringify({ s: { secret: 'longenough', allow_ips: ['10.0.0.0/40'] } }) }).join()).toMatch(
      /CIDR/,
    );
  });

  it('refuses a pool whose minimum exceeds its maximum', () => {
    expect(issuesOf({ DB_POOL_MIN: '60', DB_POOL_MAX: '50' }).join()).toMatch(/DB_POOL_MIN=60/);
  });

  it('uses Redis only when configured and enabled', () => {
    expect(loadConfig({ REDIS_HOST: 'cache', REDIS_PORT: '6380' }).redisUrl).toBe('redis://cache:6380');
    expect(loadConfig({ REDIS_URL: 'redis://x:1', ENABLE_REDIS_CACHE: 'false' }).redisUrl).toBeUndefined();
  });

  it('refuses zero amounts and payments dated more than a day ahead by default; both are configurable', () => {
    expect(loadConfig({}).paymentRules).toEqual({ allowZeroAmount: false, maxFutureSkewMs: 86_400_000 });
    expect(loadConfig({ ALLOW_ZERO_AMOUNT: 'true', MAX_FUTURE_PAYMENT_SKEW: '12h' }).paymentRules).toEqual({
      allowZeroAmount: true,
      maxFutureSkewMs: 12 * 3_600_000,
    });
    for (const [value, ms] of [
      ['0', 0],
      ['30s', 30_000],
      ['15m', 900_000],
      ['2d', 172_800_000],
    ] as const) {
      expect(loadConfig({ MAX_FUTURE_PAYMENT_SKEW: value }).env.MAX_FUTURE_PAYMENT_SKEW).toBe(ms);
    }
    for (const bad of ['1 day', '-1d', '1.5h', 'P1D', '10']) {
      expect(issuesOf({ MAX_FUTURE_PAYMENT_SKEW: bad }).join()).toMatch(/MAX_FUTURE_PAYMENT_SKEW=.*expected a whole number and a unit/);
    }
  });

  it('bounds how long a client may take to send a request, and refuses a headers timeout longer than the request timeout', () => {
    expect(loadConfig({}).env).toMatchObject({
      HTTP_HEADERS_TIMEOUT_MS: 10_000,
      HTTP_REQUEST_TIMEOUT_MS: 30_000,
      HTTP_KEEP_ALIVE_TIMEOUT_MS: 72_000,
    });
    expect(issuesOf({ HTTP_HEADERS_TIMEOUT_MS: '60000', HTTP_REQUEST_TIMEOUT_MS: '30000' }).join()).toMatch(
      /HTTP_HEADERS_TIMEOUT_MS=60000: must not exceed HTTP_REQUEST_TIMEOUT_MS=30000/,
    );
  });
});
