import type { Logger } from 'pino';
import { insertFunnelSnapshot } from '../store/funnel-tables.js';
import type { OperationalStore } from '../store/store-port.js';
import type { Job } from './scheduler.js';

/** What the job stores: computed by src/analytics/funnels (`materialiseStandardFunnel`), handed in by app.ts. */
export interface FunnelSnapshotResult {
  from: number;
  to: number;
  alert: { drop_off: string | null; baseline: string | null; points_above_baseline: string | null; flagged: boolean };
}

/**
 * Every hour (FUNNEL_SNAPSHOT_CRON): the standard funnel of the last 24 h and its cart → checkout
 * drop-off against the 7-day baseline, one row in funnel_snapshots; the funnels API shows the
 * latest as `alert`. The job does not read the warehouse itself (jobs sit beside analytics, not
 * above it): `materialise` is given.
 */
export function createFunnelSnapshotJob(deps: {
  store: OperationalStore;
  materialise: (now: number) => Promise<FunnelSnapshotResult>;
  logger: Logger;
  now?: () => number;
}): Job {
  const now = deps.now ?? Date.now;
  return {
    name: 'funnel-snapshot',
    async run() {
      const at = now();
      const result = await deps.materialise(at);
      await insertFunnelSnapshot(deps.store, {
        computed_at: new Date(at).toISOString(),
        range_from: new Date(result.from).toISOString(),
        range_to: new Date(result.to).toISOString(),
        result,
        cart_checkout_drop_off: result.alert.drop_off,
        baseline_drop_off: result.alert.baseline,
        flagged: result.alert.flagged,
      });
      deps.logger[result.alert.flagged ? 'warn' : 'info'](
        { drop_off: result.alert.drop_off, baseline: result.alert.baseline, flagged: result.alert.flagged },
        result.alert.flagged ? 'cart to checkout drop-off above its 7-day baseline' : 'standard funnel materialised',
      );
      return result.alert;
    },
  };
}
