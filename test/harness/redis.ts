/**
 * The harness's Redis for integration tests. One server is shared by every test file of the run
 * (files run in parallel): namespace your keys with a unique prefix, never FLUSHDB/FLUSHALL.
 *
 * @example
 * describeWithRedis('the dedup cache', (url) => {
 *   it('remembers a reference it has seen', async () => {
 *     const redis = new Redis(url, { keyPrefix: `t-${randomUUID()}:` });
 *     ...
 *   });
 * });
 */
import { describe, inject } from 'vitest';
import type { HarnessComponent } from './global-setup.js';

/** The harness's Redis URL, or undefined when Redis is unavailable in this run. */
export function redisUrl(): string | undefined {
  const status = redisStatus();
  return status.available ? status.url : undefined;
}

/** True when the harness has a Redis server for this run. */
export function redisAvailable(): boolean {
  return redisStatus().available;
}

/**
 * `describe` for suites that need Redis; `fn` receives its URL. Without Redis (outside CI) the
 * suite is skipped — the harness has already printed why, loudly, once. Under `CI=true` it is
 * never skipped: a missing Redis has already failed the run.
 */
export function describeWithRedis(title: string, fn: (url: string) => void): void {
  const status = redisStatus();
  if (status.available) describe(title, () => fn(status.url));
  else if (process.env.CI === 'true') {
    describe(title, () => {
      throw new Error(`Redis is required when CI=true: ${status.reason}`);
    });
  } else describe.skip(`${title} — SKIPPED: ${status.reason}`, () => fn(''));
}

function redisStatus(): { available: true; url: string } | { available: false; reason: string } {
  const status: HarnessComponent | undefined = inject('payscopeRedis');
  if (!status) return { available: false, reason: 'the test harness (test/harness/global-setup.ts) did not run' };
  return status;
}
