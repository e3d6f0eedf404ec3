import { PassThrough } from 'node:stream';
import { expect, it } from 'vitest';
import { createLogger } from '../core/logger.js';
import { scheduleJobs } from './scheduler.js';

it('leaves the result line to the job: one line per run, not a second camelCase copy of its summary', async () => {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => {
    text += c.toString();
  });
  const logger = createLogger('info', out);
  let ran!: () => void;
  const done = new Promise<void>((resolve) => {
    ran = resolve;
  });
  const stop = scheduleJobs(
    [
      {
        cron: '* * * * * *',
        job: {
          name: 'partitions',
          async run() {
            logger.info({ created_count: 0 }, 'partition job finished');
            ran();
            return { createdCount: 0 };
          },
        },
      },
    ],
    logger,
  );
  await done;
  await stop();
  const lines = text.split('\n').filter(Boolean);
  expect(lines.filter((l) => l.includes('"msg":"partition job finished"')).length).toBeGreaterThanOrEqual(1);
  expect(lines.some((l) => l.includes('createdCount'))).toBe(false);
  expect(lines.some((l) => l.includes('"msg":"job finished"'))).toBe(false);
});
