import { z } from 'zod';
import { COLLECTED_STATUSES, SETTLEMENT_STATUSES } from '../contracts/index.js';
import { PAYMENT_FILTER_COLUMNS } from '../contracts/payment-filters.js';
import { ErrorCode, type Result, err, failure, ok } from '../core/errors.js';
import type { SqlDialect } from '../warehouse/sql-dialect.js';
import { type QueryRunner, column, defineQuery, runQuery } from '../warehouse/typed-query.js';
import { ratio } from './decimal.js';
import { type AnalyticsFilters, analyticsFiltersSchema, filterSql, sqlStrings } from './filters.js';
import { type UsedRate, convertMinor, ratesFor, ratesView } from './fx-rates.js';
import { type AnalyticsQuery, rangeView } from './query-params.js';
import { readTotals } from './rollup-query.js';
import { formatLocal, localBucketStarts, localDateOf, offsetSegments } from './time-zones.js';

/**
 * The nine settlement tiles (`GET /api/v1/settlement/tiles`). A payment's settlement stage is its
 * batch's current status (PENDING → RECONCILED → SETTLED), or `UNBATCHED` before any batch lists
 * it. The stage moves after a payment is recorded, so it is not in the rollups: tiles 1–6, 8 and 9
 * come from ONE scan of the range's successful payments joined to their batches, grouped by local
 * hour, merchant, stage and settlement date (a few thousand cells) and folded here; tile 7 reads
 * the payments rollups. With a report currency every amount is also converted, per currency
 * total, with the FX rate of the range's last local date. Exact definitions:
 * docs/analytics-api.md#settlement-tiles.
 */

export const MAX_TREND_HOURS = 744;
const TOP_MERCHANTS = 10;

const COLLECTED_SQL = sqlStrings(COLLECTED_STATUSES);

/** The zone's UTC offset at `column` in milliseconds, as SQL: the offsets in force over the range as a CASE (no per-row zone lookup). */
function offsetMsSql(d: SqlDialect, tz: string, from: number, to: number, column: string): string {
  const segments = offsetSegments(tz, from, to);
  if (segments.length === 1) return String(segments[0]?.offsetMs);
  const cases = segments
    .slice(1)
    .map((s, i) => `WHEN ${column} < ${d.timestamp(s.from)} THEN ${segments[i]?.offsetMs}`)
    .join(' ');
  return `CASE ${cases} ELSE ${segments.at(-1)?.offsetMs} END`;
}

/** Dimension filters on raw payment rows: NULL stands for '(unknown)', as in the rollups. */
function paymentFilterSql(filters: AnalyticsFilters, params: unknown[]): string {
  return filterSql('payments', filters, params, 'p', PAYMENT_FILTER_COLUMNS).replace(/p\.(\w+) IN/g, "coalesce(p.$1, '(unknown)') IN");
}

const STAGES = ['UNBATCHED', ...SETTLEMENT_STATUSES] as const;
type Stage = (typeof STAGES)[number];

/** One cell of the scan: the successful payments of one local hour, currency, merchant, stage and settlement date. */
interface Cell {
  hour: number;
  localDate: string;
  currency: string;
  merchantId: string;
  merchantName: string | null;
  cycle: string | null;
  stage: Stage;
  settlementDate: string | null;
  count: number;
  amount: number;
  oldest: number;
}

interface StageSums {
  UNBATCHED: number;
  PENDING: number;
  RECONCILED: number;
  SETTLED: number;
}

const noStages = (): StageSums => ({ UNBATCHED: 0, PENDING: 0, RECONCILED: 0, SETTLED: 0 });
const DAY_MS = 86_400_000;

/**
 * The successful payments of a range per local hour (with the offset in force), currency,
 * merchant, stage and settlement date. Grouped by the local wall hour and the offset in force (so
 * the hour's UTC start is exact, also around a DST change); the merchant's name and cycle are
 * joined from the merchant dimension (what the payments carry) after the grouping, and dates
 * become text only then: string keys, any_value over strings and casts per row cost more than the
 * scan (bench/analytics.bench.ts).
 */
const settlementCells = defineQuery({
  name: 'settlement_cells',
  params: z.object({ from: z.number().int(), to: z.number().int(), tz: z.string(), filters: analyticsFiltersSchema }),
  row: z.object({
    local_hour: column.instant,
    offset_ms: column.integer,
    currency: column.text,
    merchant_id: column.text,
    merchant_name: column.nullableText,
    settlement_cycle: column.nullableText,
    stage: z.enum(STAGES),
    settlement_date: column.nullableText,
    n: column.integer,
    amount: column.integer,
    oldest: column.instant,
  }),
  sql: (d, p) => {
    const params: unknown[] = [];
    const filter = paymentFilterSql(p.filters, params);
    const offsetMs = offsetMsSql(d, p.tz, p.from, p.to, 'p.payment_time');
    const sql = `SELECT g.local_hour, g.offset_ms, g.currency, g.merchant_id, m.name AS merchant_name, m.settlement_cycle, g.stage,
            g.settlement_date::VARCHAR AS settlement_date, g.n, g.amount, g.oldest
     FROM (
       SELECT ${d.truncate(d.plusMs('p.payment_time', offsetMs), 'hour')} AS local_hour, ${offsetMs} AS offset_ms,
              p.currency, coalesce(p.merchant_id, '(unknown)') AS merchant_id,
              coalesce(s.status, p.settlement_status, 'UNBATCHED') AS stage, s.settlement_date,
              count(*)::BIGINT AS n, sum(coalesce(p.captured_minor, p.amount_minor))::BIGINT AS amount, min(p.payment_time) AS oldest
       FROM payments p LEFT JOIN settlements s ON s.batch_id = p.settlement_batch_id
       WHERE p.payment_time >= ${d.timestamp(p.from)} AND p.payment_time < ${d.timestamp(p.to)} AND p.status IN (${COLLECTED_SQL})${filter}
       GROUP BY ALL) g
     LEFT JOIN merchants m ON m.merchant_id = g.merchant_id`;
    return { sql, params };
  },
});

async function scanCells(warehouse: QueryRunner, q: AnalyticsQuery): Promise<Cell[]> {
  const { from, to, tz } = q.range;
  const rows = await runQuery(warehouse, settlementCells, { from, to, tz, filters: q.filters });
  return rows.map((r) => ({
    hour: r.local_hour.getTime() - r.offset_ms,
    localDate: r.local_hour.toISOString().slice(0, 10),
    currency: r.currency,
    merchantId: r.merchant_id,
    merchantName: r.merchant_name,
    cycle: r.settlement_cycle,
    stage: r.stage,
    settlementDate: r.settlement_date,
    count: r.n,
    amount: r.amount,
    oldest: r.oldest.getTime(),
  }));
}

/** Folds items into groups keyed by `keyOf`. */
function groupBy<T, K, V>(items: readonly T[], keyOf: (item: T) => K, init: () => V, add: (v: V, item: T) => void): Map<K, V> {
  const out = new Map<K, V>();
  for (const c of items) {
    const k = keyOf(c);
    let v = out.get(k);
    if (v === undefined) {
      v = init();
      out.set(k, v);
    }
    add(v, c);
  }
  return out;
}

interface CurrencyTotals {
  count: number;
  amount: StageSums;
  settledCount: number;
  lagSamples: number;
  lagDays: number;
}

/** Days from the payment's local date to its batch's settlement date (T+N). */
const lagDaysOf = (c: Cell) => (Date.parse(c.settlementDate as string) - Date.parse(c.localDate)) / DAY_MS;

function addToTotals(t: CurrencyTotals, c: Cell): void {
  t.count += c.count;
  t.amount[c.stage] += c.amount;
  if (c.stage !== 'SETTLED') return;
  t.settledCount += c.count;
  if (c.settlementDate === null) return;
  t.lagSamples += c.count;
  t.lagDays += lagDaysOf(c) * c.count;
}

const gmvOf = (s: StageSums) => s.UNBATCHED + s.PENDING + s.RECONCILED + s.SETTLED;
const lagOf = (days: number, samples: number) => (samples === 0 ? null : Math.round((days / samples) * 100) / 100);
const byStageView = (s: StageSums) => ({ UNBATCHED: s.UNBATCHED, PENDING: s.PENDING, RECONCILED: s.RECONCILED });

interface Unsettled {
  merchantId: string;
  merchantName: string | null;
  cycle: string | null;
  currency: string;
  /** The open amount: the stages' sum, or with a report currency each currency's sum converted. */
  openMinor: number;
  amount: StageSums;
  count: number;
  oldest: number;
}

const noUnsettled = (): Unsettled => ({
  merchantId: '',
  merchantName: null,
  cycle: null,
  currency: '',
  openMinor: 0,
  amount: noStages(),
  count: 0,
  oldest: Number.POSITIVE_INFINITY,
});

/** Adds `more` (one merchant's unsettled payments) into `sum`. */
function addUnsettled(sum: Unsettled, more: Unsettled): void {
  sum.merchantId = more.merchantId;
  sum.merchantName ??= more.merchantName;
  sum.cycle ??= more.cycle;
  sum.currency = more.currency;
  sum.openMinor += more.openMinor;
  sum.amount = addStages(sum.amount, more.amount);
  sum.count += more.count;
  sum.oldest = Math.min(sum.oldest, more.oldest);
}

/** The unsettled (not yet SETTLED) payments per currency and merchant. */
function unsettledByMerchant(cells: readonly Cell[]): Unsettled[] {
  const asUnsettled = (c: Cell): Unsettled => ({
    merchantId: c.merchantId,
    merchantName: c.merchantName,
    cycle: c.cycle,
    currency: c.currency,
    openMinor: c.amount,
    amount: { ...noStages(), [c.stage]: c.amount },
    count: c.count,
    oldest: c.oldest,
  });
  const open = cells.filter((c) => c.stage !== 'SETTLED').map(asUnsettled);
  return [...groupBy(open, (u) => `${u.currency}|${u.merchantId}`, noUnsettled, addUnsettled).values()];
}

export async function querySettlementTiles(
  warehouse: QueryRunner,
  q: AnalyticsQuery,
  now = Date.now(),
): Promise<Result<Record<string, unknown>>> {
  const { from, to, tz } = q.range;
  const hours = localBucketStarts(tz, 'hour', from, to, MAX_TREND_HOURS);
  if (hours.length > MAX_TREND_HOURS) {
    return err(
      failure(
        ErrorCode.TOO_MANY_POINTS,
        `the hourly settlement-rate trend allows at most ${MAX_TREND_HOURS} hours (31 days); shorten from/to`,
        { max_points: MAX_TREND_HOURS },
      ),
    );
  }
  const cells = await scanCells(warehouse, q);
  const modeCells = await readTotals(warehouse, [{ from, to }], q.filters, { payments: 'payment_method' });
  const currencies = [...new Set([...cells.map((c) => c.currency), ...modeCells.map((c) => c.currency)])].sort();
  let rates: Map<string, UsedRate> | null = null;
  if (q.reportCurrency) {
    const found = await ratesFor(warehouse, currencies, q.reportCurrency, localDateOf(tz, to - 1));
    if (!found.ok) return found;
    rates = found.value;
  }

  const totals = groupBy(
    cells,
    (c) => c.currency,
    (): CurrencyTotals => ({ count: 0, amount: noStages(), settledCount: 0, lagSamples: 0, lagDays: 0 }),
    addToTotals,
  );
  const perCurrency = <T>(pick: (t: CurrencyTotals) => T) =>
    [...totals].sort(([a], [b]) => a.localeCompare(b)).map(([currency, t]) => ({ currency, ...pick(t) }));
  const lagByCycle = groupBy(
    cells.filter((c) => c.stage === 'SETTLED' && c.settlementDate !== null),
    (c) => c.cycle ?? '(unknown)',
    () => ({ samples: 0, days: 0 }),
    (l, c) => {
      l.samples += c.count;
      l.days += lagDaysOf(c) * c.count;
    },
  );

  // Hourly trend: a cell carries the instant its local hour starts at (wall hour − offset); the
  // point is the last local hour starting at or before it (the same unless an offset changed
  // mid-hour, as on Lord Howe Island).
  const hourIndex = (t: number) => {
    let lo = 0;
    let hi = hours.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((hours[mid] as number) <= t) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const trendOf = (list: readonly Cell[], amountOf: (currency: string, amount: number) => number) => {
    const points = hours.map((h) => ({
      start: formatLocal(tz, h),
      gmv_minor: 0,
      settled_minor: 0,
      settlement_rate: null as number | null,
    }));
    const perHour = groupBy(
      list,
      (c) => `${c.hour}|${c.currency}`,
      () => ({ hour: 0, currency: '', gmv: 0, settled: 0 }),
      (h, c) => {
        h.hour = c.hour;
        h.currency = c.currency;
        h.gmv += c.amount;
        if (c.stage === 'SETTLED') h.settled += c.amount;
      },
    );
    for (const h of perHour.values()) {
      const p = points[hourIndex(h.hour)] as (typeof points)[number];
      p.gmv_minor += amountOf(h.currency, h.gmv);
      p.settled_minor += amountOf(h.currency, h.settled);
    }
    for (const p of points) p.settlement_rate = ratio(p.settled_minor, p.gmv_minor);
    return points;
  };
  const trend = currencies
    .filter((currency) => totals.has(currency))
    .map((currency) => ({
      currency,
      points: trendOf(
        cells.filter((c) => c.currency === currency),
        (_, amount) => amount,
      ),
    }));

  const unsettledView = (u: Unsettled, rank: number) => ({
    rank,
    merchant_id: u.merchantId,
    merchant_name: u.merchantName,
    settlement_cycle: u.cycle,
    currency: u.currency,
    unsettled_minor: u.openMinor,
    unsettled_count: u.count,
    by_stage: byStageView(u.amount),
    oldest_payment_time: formatLocal(tz, u.oldest),
  });
  const byUnsettled = (a: Unsettled, b: Unsettled) => b.openMinor - a.openMinor || a.merchantId.localeCompare(b.merchantId);
  const unsettled = unsettledByMerchant(cells);
  const topUnsettled = currencies.flatMap((currency) =>
    unsettled
      .filter((u) => u.currency === currency)
      .sort(byUnsettled)
      .slice(0, TOP_MERCHANTS)
      .map((u, i) => unsettledView(u, i + 1)),
  );

  const tiles = {
    gmv: perCurrency((t) => ({ gmv_minor: gmvOf(t.amount) })),
    transactions: perCurrency((t) => ({ count: t.count })),
    settled_amount: perCurrency((t) => ({ settled_minor: t.amount.SETTLED, settled_count: t.settledCount })),
    pending_amount: perCurrency((t) => ({ pending_minor: gmvOf(t.amount) - t.amount.SETTLED, by_stage: byStageView(t.amount) })),
    settlement_rate: perCurrency((t) => ({
      by_amount: ratio(t.amount.SETTLED, gmvOf(t.amount)),
      by_count: ratio(t.settledCount, t.count),
    })),
    settlement_lag: {
      by_currency: perCurrency((t) => {
        const days = lagOf(t.lagDays, t.lagSamples);
        return { average_days: days, label: days === null ? null : `T+${Math.round(days)}`, samples: t.lagSamples };
      }),
      by_settlement_cycle: [...lagByCycle]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([settlement_cycle, l]) => ({ settlement_cycle, samples: l.samples, average_days: lagOf(l.days, l.samples) })),
    },
    gmv_by_payment_mode: modeCells
      .filter((c) => c.totals.gmv_minor !== 0 || c.totals.successful_count !== 0)
      .map((c) => ({ payment_method: c.value, currency: c.currency, gmv_minor: c.totals.gmv_minor, count: c.totals.successful_count }))
      .sort(
        (a, b) => a.currency.localeCompare(b.currency) || b.gmv_minor - a.gmv_minor || a.payment_method.localeCompare(b.payment_method),
      ),
    hourly_settlement_rate: trend,
    top_unsettled_merchants: topUnsettled,
  };
  const out: Record<string, unknown> = { range: rangeView(q.range), as_of: formatLocal(tz, now), tiles };
  if (rates && q.reportCurrency) {
    const rateMap = rates;
    const convert = (currency: string, amount: number) => convertMinor(amount, rateMap.get(currency) as UsedRate);
    // Each currency's total is converted (half-even to the report currency's minor units), then
    // summed: GMV and settled as the analytics KPIs convert GMV; each stage of the pending amount
    // on its own, so the stages may differ from pending_minor by the rounding (< 1 unit a currency).
    let count = 0;
    let settledCount = 0;
    let gmv = 0;
    let amount = noStages();
    for (const [currency, t] of totals) {
      count += t.count;
      settledCount += t.settledCount;
      gmv += convert(currency, gmvOf(t.amount));
      amount = addStages(
        amount,
        mapStages(t.amount, (a) => convert(currency, a)),
      );
    }
    const modes = new Map<string, { gmv_minor: number; count: number }>();
    for (const m of tiles.gmv_by_payment_mode) {
      const sum = modes.get(m.payment_method) ?? { gmv_minor: 0, count: 0 };
      modes.set(m.payment_method, { gmv_minor: sum.gmv_minor + convert(m.currency, m.gmv_minor), count: sum.count + m.count });
    }
    const report = q.reportCurrency;
    const converted = unsettled.map((u) => ({
      ...u,
      currency: report,
      openMinor: convert(u.currency, u.openMinor),
      amount: mapStages(u.amount, (a) => convert(u.currency, a)),
    }));
    const merchants = groupBy(converted, (u) => u.merchantId, noUnsettled, addUnsettled);
    out.report = {
      currency: report,
      rates: ratesView(rateMap),
      tiles: {
        gmv_minor: gmv,
        transactions: count,
        settled_minor: amount.SETTLED,
        settled_count: settledCount,
        pending_minor: gmv - amount.SETTLED,
        by_stage: byStageView(amount),
        settlement_rate: { by_amount: ratio(amount.SETTLED, gmv), by_count: ratio(settledCount, count) },
        gmv_by_payment_mode: [...modes]
          .map(([payment_method, m]) => ({ payment_method, ...m }))
          .sort((a, b) => b.gmv_minor - a.gmv_minor || a.payment_method.localeCompare(b.payment_method)),
        hourly_settlement_rate: trendOf(cells, convert),
        top_unsettled_merchants: [...merchants.values()]
          .sort(byUnsettled)
          .slice(0, TOP_MERCHANTS)
          .map((u, i) => unsettledView(u, i + 1)),
      },
    };
  }
  return ok(out);
}

const addStages = (a: StageSums, b: StageSums): StageSums => ({
  UNBATCHED: a.UNBATCHED + b.UNBATCHED,
  PENDING: a.PENDING + b.PENDING,
  RECONCILED: a.RECONCILED + b.RECONCILED,
  SETTLED: a.SETTLED + b.SETTLED,
});

const mapStages = (s: StageSums, f: (amount: number) => number): StageSums => ({
  UNBATCHED: f(s.UNBATCHED),
  PENDING: f(s.PENDING),
  RECONCILED: f(s.RECONCILED),
  SETTLED: f(s.SETTLED),
});
