import { ErrorCode, type Result, err, failure, ok } from '../core/errors.js';
import { currencyExponent, isKnownCurrency } from '../core/money.js';
import { z } from 'zod';
import type { RowOf } from '../warehouse/tables.js';
import { type QueryRunner, column, defineQuery, runQuery } from '../warehouse/typed-query.js';
import type { Warehouse } from '../warehouse/warehouse-port.js';
import { divideHalfEven, formatDecimal, parseDecimal } from './decimal.js';
import type { Kpis, Totals } from './kpis.js';

/**
 * The FX-rate table: uploaded as CSV `date,base,quote,rate` (1 base = rate quote), stored exactly
 * as integer units and a decimal scale, and used to convert per-currency totals into a report
 * currency — each amount rounded half-even to the target's minor units.
 */

export type FxRateRow = RowOf<'fx_rates'>;

/** Parses the CSV; every row must be valid or none is taken. */
export function parseFxRatesCsv(text: string, now = new Date()): Result<FxRateRow[]> {
  // A leading byte-order mark (spreadsheet exports write one) is not part of the header.
  const lines = text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .filter((l) => l.trim().length > 0);
  const header = lines[0]?.split(',').map((h) => h.trim().toLowerCase());
  if (header?.join(',') !== 'date,base,quote,rate') {
    return err(failure(ErrorCode.VALIDATION_FAILED, 'the first line must be the header date,base,quote,rate'));
  }
  const rows: FxRateRow[] = [];
  const problems: { line: number; message: string }[] = [];
  const lineOf = new Map<string, number>();
  for (const [i, line] of lines.slice(1).entries()) {
    const [date = '', base = '', quote = '', rate = '', ...extra] = line.split(',').map((c) => c.trim());
    const lineNo = i + 2;
    const decimal = parseDecimal(rate);
    const problem =
      extra.length > 0
        ? 'expected 4 fields'
        : !isCalendarDate(date)
          ? `date '${date}' is not YYYY-MM-DD`
          : !isKnownCurrency(base.toUpperCase())
            ? `base '${base}' is not an ISO 4217 currency`
            : !isKnownCurrency(quote.toUpperCase())
              ? `quote '${quote}' is not an ISO 4217 currency`
              : base.toUpperCase() === quote.toUpperCase()
                ? 'base and quote are the same currency'
                : !decimal || decimal.units === 0n || decimal.units > BigInt(Number.MAX_SAFE_INTEGER)
                  ? `rate '${rate}' is not a positive decimal whose digits, without the point, are at most 9007199254740991 (15–16 significant digits)`
                  : null;
    const b = base.toUpperCase();
    const q = quote.toUpperCase();
    const rateId = `${date}|${b}|${q}`;
    // One rate per day and pair: two in one file would both be stored, and either could be used.
    const twice = problem ? undefined : lineOf.get(rateId);
    if (problem || twice !== undefined) {
      problems.push({ line: lineNo, message: problem ?? `${date} ${b}/${q} is already on line ${twice}` });
      continue;
    }
    lineOf.set(rateId, lineNo);
    rows.push({
      rate_id: rateId,
      rate_date: date,
      base: b,
      quote: q,
      rate_units: Number((decimal as { units: bigint }).units),
      rate_scale: (decimal as { scale: number }).scale,
      uploaded_at: now,
    });
  }
  if (problems.length > 0) {
    return err(
      failure(ErrorCode.VALIDATION_FAILED, `${problems.length} bad row(s); first: line ${problems[0]?.line}: ${problems[0]?.message}`, {
        rows: problems.slice(0, 100),
      }),
    );
  }
  if (rows.length === 0) return err(failure(ErrorCode.VALIDATION_FAILED, 'no rates after the header'));
  return ok(rows);
}

/** A real day `YYYY-MM-DD` from year 1 on (`2026-02-30` is not one; the warehouse would refuse it). */
function isCalendarDate(date: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || date.startsWith('0000')) return false;
  const ms = Date.parse(`${date}T00:00:00Z`);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === date;
}

export async function storeFxRates(warehouse: Warehouse, rows: readonly FxRateRow[]): Promise<{ loaded: number }> {
  await warehouse.transaction((tx) => tx.replace('fx_rates', rows));
  return { loaded: rows.length };
}

const rateRow = z.object({
  rate_date: column.text,
  base: column.text,
  quote: column.text,
  rate_units: column.integer,
  rate_scale: column.integer,
});
const RATE_COLUMNS = 'rate_date::VARCHAR AS rate_date, base, quote, rate_units, rate_scale';

const allRates = defineQuery({
  name: 'fx_rates_all',
  params: z.object({}),
  row: rateRow,
  sql: () => ({ sql: `SELECT ${RATE_COLUMNS} FROM fx_rates ORDER BY rate_date, base, quote`, params: [] }),
});

/** The stored rates between `report` and any of `currencies` on or before a day, latest first (a direct pair before an inverse one). */
const ratesOnOrBefore = defineQuery({
  name: 'fx_rates_on_or_before',
  params: z.object({ report: z.string(), onOrBefore: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), currencies: z.array(z.string()).min(1) }),
  row: rateRow,
  sql: (_d, p) => {
    const params: unknown[] = [p.report, p.onOrBefore];
    const slots = p.currencies.map((c) => {
      params.push(c);
      return `$${params.length}`;
    });
    return {
      sql: `SELECT ${RATE_COLUMNS} FROM fx_rates
     WHERE rate_date <= $2::DATE AND ((quote = $1 AND base IN (${slots.join(', ')})) OR (base = $1 AND quote IN (${slots.join(', ')})))
     ORDER BY rate_date DESC, (quote = $1) DESC`,
      params,
    };
  },
});

export async function listFxRates(warehouse: QueryRunner): Promise<{ date: string; base: string; quote: string; rate: string }[]> {
  const rows = await runQuery(warehouse, allRates, {});
  return rows.map((r) => ({ date: r.rate_date, base: r.base, quote: r.quote, rate: formatDecimal(BigInt(r.rate_units), r.rate_scale) }));
}

/** The rate that converts one currency into the report currency. */
export interface UsedRate {
  currency: string;
  /** null when the currency is the report currency (rate 1). */
  rate_date: string | null;
  base: string;
  quote: string;
  rate: string;
  /** True when the stored pair is report→currency and was inverted. */
  inverted: boolean;
  /** Multiply minor units by num/den (exponents included) to get report minor units. */
  num: bigint;
  den: bigint;
}

/** The latest rate on or before `onOrBefore` for each currency; FX_RATE_MISSING when one has none. */
export async function ratesFor(
  warehouse: QueryRunner,
  currencies: readonly string[],
  report: string,
  onOrBefore: string,
): Promise<Result<Map<string, UsedRate>>> {
  const out = new Map<string, UsedRate>();
  const others = [...new Set(currencies)].filter((c) => c !== report);
  const te = BigInt(currencyExponent(report) ?? 2);
  if (currencies.includes(report)) {
    out.set(report, { currency: report, rate_date: null, base: report, quote: report, rate: '1', inverted: false, num: 1n, den: 1n });
  }
  if (others.length === 0) return ok(out);
  const rows = await runQuery(warehouse, ratesOnOrBefore, { report, onOrBefore, currencies: others });
  const missing: string[] = [];
  for (const c of others) {
    const r = rows.find((x) => x.base === c || x.quote === c);
    if (!r) {
      missing.push(c);
      continue;
    }
    const se = BigInt(currencyExponent(c) ?? 2);
    const units = BigInt(r.rate_units);
    const scale = 10n ** BigInt(r.rate_scale);
    const inverted = r.base === report;
    // report_minor = minor / 10^se × rate × 10^te, rate = units / scale (or its inverse).
    const [rn, rd] = inverted ? [scale, units] : [units, scale];
    out.set(c, {
      currency: c,
      rate_date: r.rate_date,
      base: r.base,
      quote: r.quote,
      rate: formatDecimal(units, r.rate_scale),
      inverted,
      num: rn * 10n ** te,
      den: rd * 10n ** se,
    });
  }
  if (missing.length > 0) {
    return err(
      failure(
        ErrorCode.FX_RATE_MISSING,
        `no FX rate to convert ${missing.join(', ')} into ${report} on or before ${onOrBefore}; upload one with PUT /api/v1/fx-rates (date,base,quote,rate)`,
        { missing: missing.map((c) => ({ base: c, quote: report, on_or_before: onOrBefore })) },
      ),
    );
  }
  return ok(out);
}

/** An amount in minor units of the rate's currency → minor units of the report currency, rounded half-even. */
export const convertMinor = (minor: number, r: UsedRate): number => Number(divideHalfEven(BigInt(minor) * r.num, r.den));

const conv = (v: number | null, r: UsedRate) => (v === null ? null : convertMinor(v, r));

/** Converts every amount of a currency's totals; counts stay. */
export function convertTotals(t: Totals, rate: UsedRate): Totals {
  return {
    ...t,
    gmv_minor: convertMinor(t.gmv_minor, rate),
    fee_minor: convertMinor(t.fee_minor, rate),
    refunded_minor: convertMinor(t.refunded_minor, rate),
    refund_amount_minor: conv(t.refund_amount_minor, rate),
    dispute_amount_minor: conv(t.dispute_amount_minor, rate),
  };
}

/** The rates as a response lists them. */
export const ratesView = (rates: Map<string, UsedRate>) =>
  [...rates.values()].map(({ currency, rate_date, base, quote, rate, inverted }) => ({ currency, rate_date, base, quote, rate, inverted }));

export type { Kpis };
