import { Cron } from 'croner';
import type { Logger } from 'pino';

/** A job is a name and a run(); the scheduler decides when. */
export interface Job {
  readonly name: string;
  run(): Promise<unknown>;
}

/**
 * Runs each job on its cron expression (UTC). A run that is still going when the next one is due
 * is skipped, not stacked. Returns a stop function that waits for running jobs to finish. The crons
 * are unnamed: croner keeps named ones in one registry per process, and two apps in a process would collide.
 */
export function scheduleJobs(entries: ReadonlyArray<{ job: Job; cron: string }>, logger: Logger): () => Promise<void> {
  const running = new Set<Promise<unknown>>();
  const crons = entries.map(
    ({ job, cron }) =>
      new Cron(cron, { protect: true, timezone: 'UTC' }, async () => {
        const run = job.run();
        running.add(run);
        try {
          // Each job logs its own result line (snake_case fields); a second line here repeated it.
          await run;
        } catch (error) {
          logger.error({ job: job.name, err: error }, 'job failed; it will run again on schedule');
        } finally {
          running.delete(run);
        }
      }),
  );
  return async () => {
    for (const c of crons) c.stop();
    await Promise.allSettled([...running]);
  };
}
