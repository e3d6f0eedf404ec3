/**
 * A DuckDB warehouse filled with N payments for the analytics query benchmark, written DIRECTLY
 * with SQL (`INSERT … SELECT … FROM range(N)`), not through the pipeline: the pipeline's own
 * throughput is the issue-3 consumer benchmark; this one measures queries over a warehouse of the
 * size the issue names. The schema is the real one (`openDuckDbWarehouse` creates it); the rollups
 * are then built from the fact tables with the same bucketing and the same dimension values the
 * pipeline's `paymentContribution` / `refundContribution` / `disputeContribution` produce
 * (src/pipeline/facts/), so every rollup row is what the consumer would have upserted.
 *
 * The data is deterministic (DuckDB `hash()` of the row number, no `random()`): the same N and
 * end day give the same warehouse.
 */
import { UNKNOWN } from '../../src/warehouse/tables.js';
import type { Warehouse } from '../../src/warehouse/warehouse-port.js';

export const DAY_MS = 86_400_000;

/** The merchant dimension: skewed shares of payments (like a real book), each with its settlement cycle. */
export const MERCHANTS = [
  { id: 'M-001', name: 'Kirana Mart', category: 'grocery', cycle: 'T+1', share: 0.22 },
  { id: 'M-002', name: 'Urban Threads', category: 'apparel', cycle: 'T+2', share: 0.18 },
  { id: 'M-003', name: 'SkyHop Travels', category: 'travel', cycle: 'T+3', share: 0.14 },
  { id: 'M-004', name: 'ByteBazaar', category: 'electronics', cycle: 'T+2', share: 0.11 },
  { id: 'M-005', name: 'FreshBowl Foods', category: 'food_delivery', cycle: 'T+1', share: 0.09 },
  { id: 'M-006', name: 'EduSpark', category: 'education', cycle: 'T+2', share: 0.08 },
  { id: 'M-007', name: 'MediQuick Pharmacy', category: 'pharmacy', cycle: 'T+1', share: 0.06 },
  { id: 'M-008', name: 'PlayArena Games', category: 'gaming', cycle: 'T+3', share: 0.05 },
  { id: 'M-009', name: 'HomeNest Decor', category: 'home', cycle: 'T+2', share: 0.04 },
  { id: 'M-010', name: 'GreenLeaf Insurance', category: 'insurance', cycle: 'T+3', share: 0.03 },
] as const;

type Weighted = readonly (readonly [string | null, number])[];

export const GATEWAYS: Weighted = [
  ['razorpay', 0.4],
  ['stripe', 0.25],
  ['payu', 0.2],
  ['cashfree', 0.15],
];
export const METHODS: Weighted = [
  ['upi', 0.45],
  ['card', 0.35],
  ['netbanking', 0.12],
  ['wallet', 0.08],
];
/** 1 % of payments arrive without a region: stored NULL, rolled up as '(unknown)'. */
export const REGIONS: Weighted = [
  ['north', 0.24],
  ['south', 0.22],
  ['west', 0.22],
  ['east', 0.14],
  ['central', 0.1],
  ['northeast', 0.07],
  [null, 0.01],
];
export const CURRENCIES: Weighted = [
  ['INR', 0.8],
  ['USD', 0.14],
  ['EUR', 0.06],
];
/** ~90 % of payments succeed (captured or succeeded), 8 % fail, 2 % are still pending/authorized. */
export const STATUSES: Weighted = [
  ['succeeded', 0.6],
  ['captured', 0.3],
  ['failed', 0.08],
  ['pending', 0.015],
  ['authorized', 0.005],
];
/** A failed payment's code; 5 % carry only a reason text, 3 % neither (rolled up as '(unknown)'). */
export const FAILURE_CODES: Weighted = [
  ['insufficient_funds', 0.27],
  ['card_declined', 0.2],
  ['bank_timeout', 0.15],
  ['upi_pin_incorrect', 0.12],
  ['do_not_honor', 0.1],
  ['expired_card', 0.08],
  [null, 0.08],
];
const REFUND_REASONS: Weighted = [
  ['customer_request', 0.5],
  ['duplicate', 0.15],
  ['product_not_received', 0.15],
  ['fraudulent', 0.05],
  ['other', 0.15],
];
const DISPUTE_REASONS: Weighted = [
  ['fraudulent', 0.4],
  ['product_not_received', 0.25],
  ['duplicate', 0.1],
  ['credit_not_processed', 0.15],
  ['general', 0.1],
];
const DISPUTE_STATUSES: Weighted = [
  ['needs_response', 0.2],
  ['under_review', 0.25],
  ['won', 0.3],
  ['lost', 0.2],
  ['accepted', 0.05],
];
/** Share of successful payments refunded (by refund time within the window) and disputed. */
export const REFUND_SHARE = 0.04;
export const DISPUTE_SHARE = 0.004;

const lit = (v: string | null) => (v === null ? 'NULL' : `'${v.replaceAll("'", "''")}'`);

/** `CASE WHEN u < w1 THEN v1 WHEN u < w1+w2 …` over a uniform draw `u` in [0, 1). */
function pick(u: string, table: Weighted): string {
  let cumulative = 0;
  const whens = table.slice(0, -1).map(([value, weight]) => {
    cumulative += weight;
    return `WHEN ${u} < ${cumulative.toFixed(6)} THEN ${lit(value)}`;
  });
  return `CASE ${whens.join(' ')} ELSE ${lit((table.at(-1) as readonly [string | null, number])[0])} END`;
}

/** A uniform draw in [0, 1) from 16 bits of a hash: `bits(h, 0)`, `bits(h, 16)`… are independent. */
const u16 = (hash: string, shift: number) => `((${hash} >> ${shift}) & 65535)::DOUBLE / 65536`;

const ts = (ms: number) => `TIMESTAMP '${new Date(ms).toISOString().slice(0, 23).replace('T', ' ')}'`;

export interface LoadOptions {
  payments: number;
  days: number;
  /** The end of the data: a UTC midnight; payments fill [end − days, end). */
  endMs: number;
  log: (line: string) => void;
}

export interface LoadReport {
  steps: { name: string; rows: number; seconds: number }[];
  counts: Record<string, number>;
  seconds: number;
}

/** Fills the (empty, freshly created) warehouse: facts first, then every rollup from them. */
export async function loadAnalyticsWarehouse(warehouse: Warehouse, options: LoadOptions): Promise<LoadReport> {
  const started = performance.now();
  const steps: LoadReport['steps'] = [];
  const run = async (name: string, sql: string) => {
    const t0 = performance.now();
    const rows = await warehouse.query<{ Count?: number }>(sql);
    const seconds = (performance.now() - t0) / 1000;
    const n = Number(rows[0]?.Count ?? 0);
    steps.push({ name, rows: n, seconds });
    options.log(`  ${name}: ${n.toLocaleString('en-US')} rows in ${seconds.toFixed(1)} s`);
  };
  const { payments: n, days, endMs } = options;
  const startMs = endMs - days * DAY_MS;
  const stepMs = (days * DAY_MS) / n;

  // Merchant → cumulative share (a skewed book), cycle and name.
  let cumulative = 0;
  const merchantCase = `CASE ${MERCHANTS.slice(0, -1)
    .map((m) => {
      cumulative += m.share;
      return `WHEN um < ${cumulative.toFixed(6)} THEN ${lit(m.id)}`;
    })
    .join(' ')} ELSE ${lit((MERCHANTS.at(-1) as (typeof MERCHANTS)[number]).id)} END`;

  await run(
    'merchants',
    `INSERT INTO merchants VALUES ${MERCHANTS.map(
      (m) => `(${lit(m.id)}, ${lit(m.name)}, ${lit(m.category)}, ${lit(m.cycle)}, 'south', 'IN', ${ts(startMs)})`,
    ).join(', ')}`,
  );

  // Payments in time order (as the consumer appends them), one every ~0.78 s on average with jitter.
  // Amounts: a long tail from ₹1 to ~₹50,000 (minor units); fee 2 % of the amount, GST 18 % of the fee.
  // Settlement: successful payments are batched per merchant, gateway, currency and UTC payment
  // date; a batch is created the next day and moves PENDING → RECONCILED → SETTLED over the
  // merchant's cycle, so the last days of the window are still unbatched / pending (0.5 % of
  // successful payments are never listed by a batch).
  const cycleDays = `CASE merchant_id ${MERCHANTS.map((m) => `WHEN ${lit(m.id)} THEN ${m.cycle.slice(2)}`).join(' ')} END`;
  await run(
    'payments',
    `INSERT INTO payments
     WITH g AS (
       SELECT i, hash(i) AS h1, hash(i + 1000000000000) AS h2, hash(i + 2000000000000) AS h3 FROM range(${n}) t(i)
     ), d AS (
       SELECT i, h1, h2, h3,
         ${u16('h1', 0)} AS um,
         ${pick(u16('h1', 16), GATEWAYS)} AS gateway,
         ${pick(u16('h1', 32), METHODS)} AS payment_method,
         ${pick(u16('h1', 48), REGIONS)} AS region,
         ${pick(u16('h2', 0), CURRENCIES)} AS currency,
         ${pick(u16('h2', 16), STATUSES)} AS status,
         ${u16('h2', 32)} AS ua,
         ${u16('h2', 48)} AS uf,
         ${ts(startMs)} + to_milliseconds((i * ${stepMs})::BIGINT + (h3 % ${Math.max(1, Math.floor(stepMs))})::BIGINT) AS payment_time
       FROM g
     ), p AS (
       SELECT *, ${merchantCase} AS merchant_id,
         (100 + pow(ua, 3) * 4999900)::BIGINT AS amount_minor,
         CASE WHEN status = 'failed' THEN ${pick('uf', FAILURE_CODES)} END AS failure_code0
       FROM d
     ), s AS (
       SELECT *, status IN ('captured', 'succeeded') AS collected, ${cycleDays} AS cycle_days,
         date_diff('day', payment_time::DATE, ${ts(endMs)}::DATE) AS age_days
       FROM p
     )
     SELECT
       'REF-' || lpad(i::VARCHAR, 9, '0') AS reference_number,
       'pay_' || lpad(i::VARCHAR, 9, '0') AS payment_id,
       amount_minor, currency, status,
       CASE WHEN (h3 >> 20) % 10 < 7 THEN 'webhook' WHEN (h3 >> 20) % 10 < 9 THEN 'staging' ELSE 'events' END AS source,
       gateway, payment_method,
       CASE WHEN (h3 >> 24) % 3 = 0 THEN 'web' WHEN (h3 >> 24) % 3 = 1 THEN 'app' ELSE 'pos' END AS payment_channel,
       merchant_id,
       CASE merchant_id ${MERCHANTS.map((m) => `WHEN ${lit(m.id)} THEN ${lit(m.name)}`).join(' ')} END AS merchant_name,
       CASE merchant_id ${MERCHANTS.map((m) => `WHEN ${lit(m.id)} THEN ${lit(m.cycle)}`).join(' ')} END AS settlement_cycle,
       region,
       CASE WHEN currency = 'INR' THEN 'IN' WHEN currency = 'USD' THEN 'US' ELSE 'DE' END AS country,
       printf('%016x%016x', hash((h3 >> 28) % 2000000), hash((h3 >> 28) % 2000000 + 7)) AS customer_hash,
       NULL AS cif_hash, NULL AS loan_account_hash,
       'ORD-' || lpad(i::VARCHAR, 9, '0') AS order_id,
       amount_minor * 2 // 100 AS fee_minor,
       (amount_minor * 2 // 100) * 18 // 100 AS tax_minor,
       'gtx_' || i::VARCHAR AS gateway_txn_id,
       CASE WHEN status = 'failed' AND uf < 0.87 THEN failure_code0 END AS failure_code,
       CASE WHEN status = 'failed' THEN coalesce(replace(failure_code0, '_', ' '), CASE WHEN uf < 0.95 THEN 'issuer unavailable' END) END AS failure_reason,
       NULL AS failure_category,
       CASE WHEN status IN ('authorized', 'captured', 'succeeded') THEN amount_minor END AS authorized_minor,
       CASE WHEN collected THEN amount_minor END AS captured_minor,
       0 AS refunded_minor, 0 AS disputed_minor, 1 AS ledger_version,
       payment_time,
       payment_time + INTERVAL 2 SECOND AS recorded_at,
       payment_time + INTERVAL 1 SECOND AS status_time,
       true AS in_ledger,
       CASE WHEN collected AND age_days > 1 AND (h3 >> 40) % 200 <> 0
         THEN merchant_id || '-' || gateway || '-' || currency || '-' || strftime(payment_time, '%Y%m%d') END AS settlement_batch_id,
       CASE WHEN NOT collected OR age_days <= 1 OR (h3 >> 40) % 200 = 0 THEN NULL
         WHEN age_days <= cycle_days THEN 'PENDING'
         WHEN age_days <= cycle_days + 1 THEN 'RECONCILED'
         ELSE 'SETTLED' END AS settlement_status,
       payment_time + INTERVAL 2 SECOND AS updated_at
     FROM s ORDER BY i`,
  );

  await run(
    'settlements',
    `INSERT INTO settlements
     SELECT settlement_batch_id AS batch_id, any_value(merchant_id), any_value(merchant_name), any_value(gateway),
       any_value(settlement_cycle), any_value(currency),
       sum(amount_minor)::BIGINT AS gross_minor, sum(fee_minor)::BIGINT, sum(tax_minor)::BIGINT, 0::BIGINT AS refund_minor,
       (sum(amount_minor) - sum(fee_minor) - sum(tax_minor))::BIGINT AS net_minor, count(*)::INTEGER AS payment_count,
       any_value(settlement_status) AS status,
       min(payment_time)::DATE + INTERVAL 1 DAY + INTERVAL 2 HOUR AS created_at,
       (min(payment_time)::DATE + to_days(any_value(${cycleDays})::INTEGER))::DATE AS expected_settlement_date,
       CASE WHEN any_value(settlement_status) = 'SETTLED' THEN (min(payment_time)::DATE + to_days(any_value(${cycleDays})::INTEGER))::DATE END AS settlement_date,
       CASE WHEN any_value(settlement_status) = 'SETTLED' THEN 'UTR' || upper(substr(md5(settlement_batch_id), 1, 12)) END AS bank_reference,
       min(payment_time)::DATE + INTERVAL 1 DAY + INTERVAL 2 HOUR AS status_time
     FROM payments WHERE settlement_batch_id IS NOT NULL GROUP BY settlement_batch_id ORDER BY created_at, batch_id`,
  );

  // Refunds: REFUND_SHARE of successful payments, 1–15 days after the payment, inside the window.
  await run(
    'refunds',
    `INSERT INTO refunds
     WITH r AS (
       SELECT *, hash(reference_number || '#refund') AS hr FROM payments WHERE status IN ('captured', 'succeeded')
     ), c AS (
       SELECT *, payment_time + to_milliseconds((${DAY_MS} + (hr >> 8) % ${14 * DAY_MS})::BIGINT) AS refunded_at0 FROM r
       WHERE (hr & 65535)::DOUBLE / 65536 < ${REFUND_SHARE}
     )
     SELECT 'rfnd_' || substr(reference_number, 5) AS refund_id, reference_number, payment_id,
       CASE WHEN (hr >> 40) % 3 = 0 THEN amount_minor // 2 ELSE amount_minor END AS amount_minor, currency,
       ${pick(u16('hr', 44), REFUND_REASONS)} AS reason, gateway, 'grf_' || substr(reference_number, 5), merchant_id, order_id, customer_hash,
       refunded_at0 AS refunded_at, 'evt-refund-' || substr(reference_number, 5) AS event_id
     FROM c WHERE refunded_at0 < ${ts(endMs)} ORDER BY refunded_at`,
  );

  // Disputes: DISPUTE_SHARE of successful payments, opened 5–35 days later, inside the window.
  await run(
    'disputes',
    `INSERT INTO disputes
     WITH r AS (
       SELECT *, hash(reference_number || '#dispute') AS hd FROM payments WHERE status IN ('captured', 'succeeded')
     ), c AS (
       SELECT *, payment_time + to_milliseconds((${5 * DAY_MS} + (hd >> 8) % ${30 * DAY_MS})::BIGINT) AS opened_at0 FROM r
       WHERE (hd & 65535)::DOUBLE / 65536 < ${DISPUTE_SHARE}
     )
     SELECT 'dp_' || substr(reference_number, 5) AS dispute_id, reference_number, payment_id, amount_minor, currency,
       ${pick(u16('hd', 44), DISPUTE_REASONS)} AS reason, ${pick(u16('hd', 28), DISPUTE_STATUSES)} AS status,
       opened_at0 + INTERVAL 7 DAY AS evidence_due_by, gateway, merchant_id, order_id, customer_hash,
       opened_at0 AS opened_at, opened_at0 + INTERVAL 3 DAY AS status_time
     FROM c WHERE opened_at0 < ${ts(endMs)} ORDER BY opened_at`,
  );

  // Rollups: what the consumer upserts, cell by cell (facts/contributions.ts *Contribution, duckdb-adapter
  // bucketOf), built here with one GROUP BY per grain, in bucket order as the consumer's
  // append-as-time-passes leaves them on disk.
  const dim = (column: string) => `coalesce(nullif(${column}, ''), '${UNKNOWN}')`;
  const grainBucket = {
    minute: (c: string) => `time_bucket(INTERVAL 1 MINUTE, ${c})`,
    quarter_hour: (c: string) => `time_bucket(INTERVAL 15 MINUTE, ${c})`,
    hour: (c: string) => `time_bucket(INTERVAL 1 HOUR, ${c})`,
    day: (c: string) => `time_bucket(INTERVAL 1 DAY, ${c})`,
  } as const;
  for (const [grain, bucket] of Object.entries(grainBucket)) {
    await run(
      `payments_by_${grain}`,
      `INSERT INTO payments_by_${grain}
       SELECT ${bucket('payment_time')} AS bucket, ${dim('merchant_id')}, ${dim('gateway')}, ${dim('payment_method')}, ${dim('region')},
         ${dim('currency')}, ${dim('status')},
         CASE WHEN status = 'failed' THEN ${dim('coalesce(failure_code, left(failure_reason, 100))')} ELSE '' END AS failure_code,
         CASE WHEN status = 'failed' THEN ${dim('failure_category')} ELSE '' END AS failure_category,
         count(*)::BIGINT, coalesce(sum(amount_minor), 0)::BIGINT, coalesce(sum(fee_minor), 0)::BIGINT, coalesce(sum(tax_minor), 0)::BIGINT,
         count(authorized_minor)::BIGINT, coalesce(sum(captured_minor), 0)::BIGINT, coalesce(sum(refunded_minor), 0)::BIGINT
       FROM payments GROUP BY ALL ORDER BY ALL`,
    );
    await run(
      `refunds_by_${grain}`,
      `INSERT INTO refunds_by_${grain}
       SELECT ${bucket('refunded_at')} AS bucket, ${dim('merchant_id')}, ${dim('gateway')}, ${dim('currency')}, ${dim('reason')},
         count(*)::BIGINT, coalesce(sum(amount_minor), 0)::BIGINT
       FROM refunds GROUP BY ALL ORDER BY ALL`,
    );
    await run(
      `disputes_by_${grain}`,
      `INSERT INTO disputes_by_${grain}
       SELECT ${bucket('coalesce(opened_at, status_time)')} AS bucket, ${dim('merchant_id')}, ${dim('gateway')}, ${dim('currency')},
         ${dim('reason')}, ${dim('status')}, count(*)::BIGINT, coalesce(sum(amount_minor), 0)::BIGINT
       FROM disputes GROUP BY ALL ORDER BY ALL`,
    );
  }
  await warehouse.query('CHECKPOINT');

  const counts: Record<string, number> = {};
  for (const table of [
    'payments',
    'refunds',
    'disputes',
    'settlements',
    'merchants',
    ...['payments', 'refunds', 'disputes'].flatMap((r) => ['minute', 'quarter_hour', 'hour', 'day'].map((g) => `${r}_by_${g}`)),
  ]) {
    counts[table] = Number((await warehouse.query<{ n: number }>(`SELECT count(*)::BIGINT AS n FROM ${table}`))[0]?.n ?? 0);
  }
  return { steps, counts, seconds: (performance.now() - started) / 1000 };
}
