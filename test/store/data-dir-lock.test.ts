import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEST_SECRETS } from '../harness/app.js';
import { spawnServer } from '../harness/server-process.js';

describe('embedded data directory lock', () => {
  it('refuses to start a second process on a data directory another process holds, with a message naming the lock', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'payscope-lock-'));
    const env = {
      DATA_DIR: dataDir,
      WEBHOOK_SOURCES: JSON.stringify({ default: { secret: TEST_SECRETS.default } }),
      ENABLE_REDIS_CACHE: 'false',
    };
    const first = await spawnServer(env);
    try {
      const second = spawnServer(env);
      await expect(second).rejects.toThrow(/another Payscope process is using .*pglite \(lock .*pglite\.lock\)/);
      // The first one is unharmed.
      expect((await fetch(`${first.url}/health`)).status).toBe(200);
    } finally {
      await first.kill('SIGTERM');
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
