import type { Logger } from 'pino';
import type { OperationalStore } from '../store/store-port.js';

/**
 * The monthly cohort job (issue 12 §2): on the 1st, computes the retention matrix of the twelve
 * cohorts before the month it runs in (the matrix is handed in — it lives in analytics, which jobs
 * may not import) and stores it in `cohort_matrices` under that month and its definition. A rerun
 * in the same month replaces the row, so the job is safe to run again.
 */

export interface CohortDefinition {
  tz: string;
  period: 'month' | 'week';
  basis: string;
  activity: string;
}

export interface CohortMatrixJobDeps {
  store: OperationalStore;
  definition: CohortDefinition;
  /**
   * The matrix of the cohorts in the twelve months before `month` (its first day, `YYYY-MM-01`,
   * local to the definition's zone), as JSON; a string is a failure to report.
   */
  compute(month: string, definition: CohortDefinition): Promise<{ ok: true; matrix: unknown } | { ok: false; message: string }>;
  logger: Logger;
  now?: () => Date;
}

/** `YYYY-MM-01` of the month holding `instant` in `tz`. */
export function monthOf(instant: Date, tz: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit' }).formatToParts(instant);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-01`;
}

export function createCohortMatrixJob(deps: CohortMatrixJobDeps): {
  readonly name: string;
  run(): Promise<{ month: string; stored: boolean }>;
} {
  return {
    name: 'cohort-matrix',
    async run() {
      const d = deps.definition;
      const month = monthOf((deps.now ?? (() => new Date()))(), d.tz);
      const result = await deps.compute(month, d);
      if (!result.ok) {
        deps.logger.warn({ job: 'cohort-matrix', month, reason: result.message }, 'cohort matrix not computed');
        return { month, stored: false };
      }
      await deps.store.query(
        `INSERT INTO payment_service.cohort_matrices (month, tz, period, basis, activity, matrix, computed_at)
         VALUES ($1::date, $2, $3, $4, $5, $6::jsonb, NOW())
         ON CONFLICT (month, tz, period, basis, activity) DO UPDATE SET matrix = EXCLUDED.matrix, computed_at = NOW()`,
        [month, d.tz, d.period, d.basis, d.activity, JSON.stringify(result.matrix)],
      );
      deps.logger.info({ job: 'cohort-matrix', month, ...d }, 'cohort matrix stored');
      return { month, stored: true };
    },
  };
}
