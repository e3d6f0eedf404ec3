import type { Logger } from '../core/logger.js';
import type { OperationalStore, SqlExecutor } from './store-port.js';

/**
 * The partition manager keeps `payment_service.payments` (range-partitioned by month on
 * `payment_date`, stored as UTC) supplied with monthly partitions `payments_YYYY_MM`, moves rows
 * that landed in the default partition into their month, and archives or drops old months.
 *
 * Every SQL identifier it builds comes from a {@link PartitionMonth} whose year and month were
 * validated as integers, so no caller-supplied or catalogue text is ever spliced into SQL.
 */

export interface PartitionInfo {
  /** Table name inside `payment_service`, e.g. `payments_2025_03` or `payments_default`. */
  name: string;
  /** Inclusive lower bound (UTC); null for the default partition or an unbounded (MINVALUE) side. */
  from: Date | null;
  /** Exclusive upper bound (UTC); null for the default partition or an unbounded (MAXVALUE) side. */
  to: Date | null;
  isDefault: boolean;
  /** Exact row count, present only when asked for with `countRows`. */
  rows?: number;
}

export interface EnsurePartitionsOptions {
  /** Months after the current one to create in advance (0 = the current month only). */
  monthsAhead: number;
  /** Months before the current one to create as well (default 0). */
  monthsBehind?: number;
  /** The clock; defaults to the current time. Only its UTC month matters. */
  now?: Date;
}

export interface EnsurePartitionsResult {
  /** Names of the partitions created, oldest month first. */
  created: string[];
  /** Rows moved out of the default partition into a new month partition. */
  movedRows: number;
}

export interface ArchivePartitionsOptions {
  /** Months to keep before the current month; older whole months are archived. */
  retentionMonths: number;
  now?: Date;
  /** 'detach' moves the table to schema `payment_service_archive`; 'drop' deletes it. */
  mode: 'detach' | 'drop';
}

export interface ArchivePartitionsResult {
  /** Names of the partitions detached (or dropped), oldest month first. */
  archived: string[];
}

export interface PartitionManager {
  /** Lists the partitions attached to `payment_service.payments`, by lower bound, the default last. */
  listPartitions(opts?: { countRows?: boolean }): Promise<PartitionInfo[]>;
  /** Creates the monthly partitions around `now` and one for every month with rows in the default partition. */
  ensurePartitions(opts: EnsurePartitionsOptions): Promise<EnsurePartitionsResult>;
  /** Detaches (to `payment_service_archive`) or drops month partitions older than the retention. */
  archivePartitions(opts: ArchivePartitionsOptions): Promise<ArchivePartitionsResult>;
}

export interface PartitionManagerDeps {
  store: OperationalStore;
  logger?: Logger;
  /** Longest wait for a table lock before giving up for this run (default 10 s); a later run retries. */
  lockTimeoutMs?: number;
}

export const PAYMENTS_TABLE = 'payment_service.payments';
export const DEFAULT_PARTITION = 'payment_service.payments_default';
export const ARCHIVE_SCHEMA = 'payment_service_archive';

// Arbitrary constant, different from the migrator's: serialises partition DDL across processes.
const PARTITION_LOCK_KEY = 7_406_139_022;
const MAX_MONTHS_WINDOW = 1200;

/** A calendar month in UTC whose numbers were checked, so it can name a table safely. */
export interface PartitionMonth {
  readonly year: number;
  /** 1–12. */
  readonly month: number;
}

/** Returns the month, or throws if the numbers could not safely name a partition (a bug in the caller). */
export function partitionMonth(year: number, month: number): PartitionMonth {
  if (!Number.isInteger(year) || year < 1000 || year > 9999)
    throw new RangeError(`partition year must be an integer in 1000–9999, got ${year}`);
  if (!Number.isInteger(month) || month < 1 || month > 12) throw new RangeError(`partition month must be an integer in 1–12, got ${month}`);
  return { year, month };
}

/** `payments_2025_03` for March 2025. */
export function partitionName(m: PartitionMonth): string {
  const checked = partitionMonth(m.year, m.month);
  return `payments_${checked.year}_${String(checked.month).padStart(2, '0')}`;
}

/** Parses a name made by {@link partitionName}; null for any other name (such as `payments_default`). */
export function parsePartitionName(name: string): PartitionMonth | null {
  const match = /^payments_(\d{4})_(\d{2})$/.exec(name);
  if (!match) return null;
  const year = Number(match[1]);
  const month = Number(match[2]);
  return year >= 1000 && month >= 1 && month <= 12 ? { year, month } : null;
}

/** The UTC instant at which the month starts. */
export function monthStart(m: PartitionMonth): Date {
  return new Date(Date.UTC(m.year, m.month - 1, 1));
}

function addMonths(m: PartitionMonth, n: number): PartitionMonth {
  const index = m.year * 12 + (m.month - 1) + n;
  return partitionMonth(Math.floor(index / 12), (index % 12) + 1);
}

function monthOf(date: Date): PartitionMonth {
  if (Number.isNaN(date.getTime())) throw new RangeError('now must be a valid Date');
  return partitionMonth(date.getUTCFullYear(), date.getUTCMonth() + 1);
}

function monthIndex(m: PartitionMonth): number {
  return m.year * 12 + (m.month - 1);
}

/** `'2025-03-01 00:00:00'`: a TIMESTAMP literal for the month's first instant, built from checked numbers. */
function boundLiteral(m: PartitionMonth): string {
  const checked = partitionMonth(m.year, m.month);
  return `${checked.year}-${String(checked.month).padStart(2, '0')}-01 00:00:00`;
}

function assertCount(label: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > MAX_MONTHS_WINDOW) {
    throw new RangeError(`${label} must be an integer in 0–${MAX_MONTHS_WINDOW}, got ${value}`);
  }
}

/**
 * Reads bounds in SQL (the text of `pg_get_expr` cast back to TIMESTAMP) so they round-trip under
 * any DateStyle and arrive through the adapters' UTC timestamp parser.
 */
const LIST_SQL = `
  SELECT c.relname AS name,
         b.bound = 'DEFAULT' AS is_default,
         substring(b.bound FROM 'FROM \\(''([^'']+)''\\)')::timestamp AS lower_bound,
         substring(b.bound FROM 'TO \\(''([^'']+)''\\)')::timestamp AS upper_bound
  FROM pg_inherits i
  JOIN pg_class c ON c.oid = i.inhrelid
  CROSS JOIN LATERAL (SELECT pg_get_expr(c.relpartbound, c.oid) AS bound) b
  WHERE i.inhparent = '${PAYMENTS_TABLE}'::regclass`;

// Grouping by tableoid counts every partition in one scan without naming any table in SQL.
const COUNT_SQL = `
  SELECT c.relname AS name, x.n
  FROM (SELECT tableoid, count(*) AS n FROM ${PAYMENTS_TABLE} GROUP BY tableoid) x
  JOIN pg_class c ON c.oid = x.tableoid`;

const DEFAULT_MONTHS_SQL = `
  SELECT EXTRACT(YEAR FROM payment_date)::int AS year, EXTRACT(MONTH FROM payment_date)::int AS month, count(*) AS n
  FROM ${DEFAULT_PARTITION}
  GROUP BY 1, 2
  ORDER BY 1, 2`;

async function readPartitions(db: SqlExecutor): Promise<PartitionInfo[]> {
  const res = await db.query<{ name: string; is_default: boolean; lower_bound: Date | null; upper_bound: Date | null }>(LIST_SQL);
  return res.rows.map((r) => ({ name: r.name, from: r.lower_bound, to: r.upper_bound, isDefault: r.is_default })).sort(comparePartitions);
}

function comparePartitions(a: PartitionInfo, b: PartitionInfo): number {
  if (a.isDefault !== b.isDefault) return a.isDefault ? 1 : -1;
  const af = a.from?.getTime() ?? Number.NEGATIVE_INFINITY;
  const bf = b.from?.getTime() ?? Number.NEGATIVE_INFINITY;
  return af !== bf ? af - bf : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** True when an attached, non-default partition already covers any part of the month. */
function isCovered(partitions: readonly PartitionInfo[], m: PartitionMonth): boolean {
  const from = monthStart(m).getTime();
  const to = monthStart(addMonths(m, 1)).getTime();
  return partitions.some((p) => {
    if (p.isDefault) return false;
    const pf = p.from?.getTime() ?? Number.NEGATIVE_INFINITY;
    const pt = p.to?.getTime() ?? Number.POSITIVE_INFINITY;
    return pf < to && from < pt;
  });
}

/**
 * Creates the partition manager over the operational store. Works the same on PGlite and
 * PostgreSQL: it only uses `query` and `transaction`.
 *
 * @example
 * const manager = createPartitionManager({ store, logger });
 * const { created, movedRows } = await manager.ensurePartitions({ monthsAhead: 3 });
 * await manager.archivePartitions({ retentionMonths: 12, mode: 'detach' });
 */
export function createPartitionManager(deps: PartitionManagerDeps): PartitionManager {
  const { store, logger } = deps;
  const lockTimeoutMs = deps.lockTimeoutMs ?? 10_000;
  if (!Number.isInteger(lockTimeoutMs) || lockTimeoutMs < 0)
    throw new RangeError(`lockTimeoutMs must be a non-negative integer, got ${lockTimeoutMs}`);

  /** Every DDL transaction starts here: one partition changer at a time, and no endless lock queue. */
  async function beginPartitionTx(tx: SqlExecutor): Promise<void> {
    await tx.query(`SET LOCAL lock_timeout = ${lockTimeoutMs}`);
    await tx.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_LOCK_KEY]);
  }

  /**
   * Creates one month's partition and moves that month's rows out of the default partition, in
   * one transaction. PostgreSQL refuses to add a partition while the default partition holds rows
   * of its range, so the table is created detached, filled, then attached.
   *
   * Inserts into `payments` wait on the parent lock for the length of this transaction (readers do
   * not, until the attach). Without it, an insert routed to the default partition before the
   * commit would fail the attach, or fail itself on the default partition's narrowed constraint;
   * with it, the insert waits and is then routed to the new partition. Returns null when another
   * process created the month first.
   */
  async function createMonth(m: PartitionMonth): Promise<{ name: string; moved: number } | null> {
    const name = partitionName(m);
    const table = `payment_service.${name}`;
    const from = boundLiteral(m);
    const to = boundLiteral(addMonths(m, 1));
    return store.transaction(async (tx) => {
      await beginPartitionTx(tx);
      if (isCovered(await readPartitions(tx), m)) return null;
      await tx.query(`LOCK TABLE ONLY ${PAYMENTS_TABLE} IN SHARE ROW EXCLUSIVE MODE`);
      await tx.query(`LOCK TABLE ${DEFAULT_PARTITION} IN ACCESS EXCLUSIVE MODE`);
      await tx.query(`CREATE TABLE ${table} (LIKE ${PAYMENTS_TABLE} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
      // Lets ATTACH skip its validation scan of the new table; dropped once attached.
      await tx.query(
        `ALTER TABLE ${table} ADD CONSTRAINT ${name}_bounds CHECK (payment_date >= TIMESTAMP '${from}' AND payment_date < TIMESTAMP '${to}')`,
      );
      const moved = await tx.query(
        `WITH moved AS (
           DELETE FROM ${DEFAULT_PARTITION} WHERE payment_date >= $1::timestamp AND payment_date < $2::timestamp RETURNING *
         ) INSERT INTO ${table} SELECT * FROM moved`,
        [from, to],
      );
      // Builds the parent's indexes (and primary key) on the filled table, and checks the default partition.
      await tx.query(`ALTER TABLE ${PAYMENTS_TABLE} ATTACH PARTITION ${table} FOR VALUES FROM ('${from}') TO ('${to}')`);
      await tx.query(`ALTER TABLE ${table} DROP CONSTRAINT ${name}_bounds`);
      return { name, moved: moved.rowCount };
    });
  }

  /**
   * Detaches (or drops) one month. `payment_service.payment_references` keeps its rows, so a
   * payment re-sent for an archived month is still recognised as a duplicate.
   */
  async function archiveMonth(m: PartitionMonth, mode: 'detach' | 'drop'): Promise<boolean> {
    const name = partitionName(m);
    const table = `payment_service.${name}`;
    const archived = `${ARCHIVE_SCHEMA}.${name}`;
    return store.transaction(async (tx) => {
      await beginPartitionTx(tx);
      const current = (await readPartitions(tx)).find((p) => p.name === name);
      if (!current || !isExactMonth(current, m)) return false;
      if (mode === 'drop') {
        await tx.query(`DROP TABLE ${table}`);
        return true;
      }
      await tx.query(`ALTER TABLE ${PAYMENTS_TABLE} DETACH PARTITION ${table}`);
      await tx.query(`CREATE SCHEMA IF NOT EXISTS ${ARCHIVE_SCHEMA}`);
      const exists = await tx.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [archived]);
      if (exists.rows[0]?.t) {
        // The month was archived before and recreated for late payments: merge into the archived table.
        await tx.query(`INSERT INTO ${archived} SELECT * FROM ${table}`);
        await tx.query(`DROP TABLE ${table}`);
      } else {
        await tx.query(`ALTER TABLE ${table} SET SCHEMA ${ARCHIVE_SCHEMA}`);
      }
      return true;
    });
  }

  /** Reclaims the space the move left in the default partition (PGlite has no autovacuum). */
  async function tidyDefault(): Promise<void> {
    try {
      await store.query(`VACUUM (ANALYZE) ${DEFAULT_PARTITION}`);
    } catch (error) {
      logger?.warn({ err: error }, 'vacuum of the default payments partition failed; it will be retried after the next move');
    }
  }

  return {
    async listPartitions(opts = {}) {
      const partitions = await readPartitions(store);
      if (!opts.countRows) return partitions;
      const counts = await store.query<{ name: string; n: number }>(COUNT_SQL);
      const byName = new Map(counts.rows.map((r) => [r.name, Number(r.n)]));
      return partitions.map((p) => ({ ...p, rows: byName.get(p.name) ?? 0 }));
    },

    async ensurePartitions(opts) {
      assertCount('monthsAhead', opts.monthsAhead);
      const monthsBehind = opts.monthsBehind ?? 0;
      assertCount('monthsBehind', monthsBehind);
      const current = monthOf(opts.now ?? new Date());

      const wanted = new Map<number, PartitionMonth>();
      for (let i = -monthsBehind; i <= opts.monthsAhead; i++) {
        const m = addMonths(current, i);
        wanted.set(monthIndex(m), m);
      }
      const inDefault = await store.query<{ year: number; month: number; n: number }>(DEFAULT_MONTHS_SQL);
      for (const row of inDefault.rows) {
        try {
          const m = partitionMonth(row.year, row.month);
          wanted.set(monthIndex(m), m);
        } catch {
          // A year outside 1000–9999 cannot name a partition; those rows stay in the default partition.
          logger?.warn(
            { year: row.year, month: row.month, rows: Number(row.n) },
            'payments in the default partition have a date no partition can hold',
          );
        }
      }

      const existing = await readPartitions(store);
      const created: string[] = [];
      let movedRows = 0;
      for (const m of [...wanted.values()].sort((a, b) => monthIndex(a) - monthIndex(b))) {
        if (isCovered(existing, m)) continue;
        const started = performance.now();
        const result = await createMonth(m);
        if (!result) continue;
        created.push(result.name);
        movedRows += result.moved;
        logger?.info(
          { partition: result.name, moved_rows: result.moved, ms: Math.round(performance.now() - started) },
          'payments partition created',
        );
      }
      if (movedRows > 0) await tidyDefault();
      return { created, movedRows };
    },

    async archivePartitions(opts) {
      if (!Number.isInteger(opts.retentionMonths) || opts.retentionMonths < 0) {
        throw new RangeError(`retentionMonths must be a non-negative integer, got ${opts.retentionMonths}`);
      }
      if (opts.mode !== 'detach' && opts.mode !== 'drop') throw new RangeError(`mode must be 'detach' or 'drop', got ${String(opts.mode)}`);
      const cutoff = monthStart(addMonths(monthOf(opts.now ?? new Date()), -opts.retentionMonths)).getTime();

      const candidates: PartitionMonth[] = [];
      for (const p of await readPartitions(store)) {
        if (p.isDefault || p.to === null || p.to.getTime() > cutoff) continue;
        const m = parsePartitionName(p.name);
        if (m && isExactMonth(p, m)) candidates.push(m);
        else logger?.warn({ partition: p.name }, 'old payments partition not made by the partition manager; left in place');
      }

      const archived: string[] = [];
      for (const m of candidates) {
        if (await archiveMonth(m, opts.mode)) {
          archived.push(partitionName(m));
          logger?.info({ partition: partitionName(m), mode: opts.mode }, 'payments partition archived');
        }
      }
      return { archived };
    },
  };
}

function isExactMonth(p: PartitionInfo, m: PartitionMonth): boolean {
  return p.from?.getTime() === monthStart(m).getTime() && p.to?.getTime() === monthStart(addMonths(m, 1)).getTime();
}

/** Rows for `console.table` or a CLI table: bounds as UTC dates, the default partition last. */
export function partitionTableRows(partitions: readonly PartitionInfo[]): Array<{ name: string; from: string; to: string; rows: string }> {
  const day = (d: Date | null, fallback: string) => (d ? d.toISOString().slice(0, 10) : fallback);
  return partitions.map((p) => ({
    name: p.name,
    from: p.isDefault ? 'DEFAULT' : day(p.from, 'MINVALUE'),
    to: p.isDefault ? '' : day(p.to, 'MAXVALUE'),
    rows: p.rows === undefined ? '' : String(p.rows),
  }));
}
