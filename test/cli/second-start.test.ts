import { readFile, rm } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../harness/event-logs.js';
import { type ServerProcess, spawnServer } from '../harness/server-process.js';

/**
 * `npm start` twice on one DATA_DIR, as a newcomer does: the first start fills the empty ledger
 * with a (small) demo and prints the banner; the second start finds the ledger filled, prints the
 * banner at once and only resumes the live demo traffic.
 */

interface Quality {
  conservation: { ledger: { count: number } };
}

describe('payscope start --demo, twice on one data directory', () => {
  let dataDir: string;
  let server: ServerProcess | null = null;
  const env = () => ({ DATA_DIR: dataDir, ENABLE_REDIS_CACHE: 'false', LOG_LEVEL: 'warn' });
  const demoArgs = ['--demo', '--demo-payments', '60', '--demo-days', '2'];

  afterAll(async () => {
    await server?.kill('SIGKILL');
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const ledgerCount = async (url: string): Promise<number> => {
    const key = (await readFile(join(dataDir, 'admin-api-key'), 'utf8')).trim();
    const res = await fetch(`${url}/api/v1/data-quality?days=5`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
    return ((await res.json()) as Quality).conservation.ledger.count;
  };

  it('the second start prints the banner and resumes the live demo traffic', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'payscope-second-start-'));
    server = await spawnServer(env(), 120_000, demoArgs);
    expect(server.output()).toContain('First start: generating demo data');
    const afterFirst = await ledgerCount(server.url);
    expect(afterFirst).toBeGreaterThanOrEqual(60);
    expect(await server.kill('SIGTERM')).toBe(0);

    // A fixed live rate, so the test need not wait for the daily curve's few payments an hour.
    server = await spawnServer(env(), 120_000, [...demoArgs, '--demo-rate', '5']);
    const output = server.output();
    expect(output).not.toContain('First start');
    expect(output).not.toMatch(/ReferenceError|demo traffic stopped/);
    expect(output).toContain('demo traffic keeps flowing');
    const url = server.url;
    await waitFor(async () => (await ledgerCount(url)) > afterFirst, 'live demo payments to arrive after the second start');
    expect(server.output()).not.toMatch(/ReferenceError|demo traffic stopped/);
    expect(await server.kill('SIGTERM')).toBe(0);
    server = null;
  }, 240_000);
});
