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
});
