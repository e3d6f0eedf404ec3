import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAnalytics } from '../harness/analytics-data.js';
import { clickHouseTestEnv } from '../harness/warehouses.js';
import { TEST_SECRETS, type TestApp, startTestApp } from '../harness/app.js';
import { seedBody, sendWebhook } from '../harness/webhook-client.js';

/**
 * One event stream, two warehouses: the same seeded payments, refunds, disputes, lifecycle
 * webhooks and FX rates go through the real ingestion paths of two servers — one on DuckDB, one
 * on ClickHouse (in-process chDB) — and every analytics endpoint must answer the same JSON, in
 * several zones (half-hour, 45-minute, −03:30, a DST change), with filters, breakdowns and a
 * report currency. Only the per-request timing fields may differ.
 */

const START = Date.UTC(2026, 9, 20); // Europe/London leaves summer time on 2026-10-25
const SPAN = 10 * 86_400_000;
const RANGE = `from=${new Date(START).toISOString()}&to=${new Date(START + SPAN).toISOString()}`;
const ZONES = ['UTC', 'Asia/Kolkata', 'Asia/Kathmandu', 'America/St_Johns', 'Europe/London'];
const RATES = 'date,base,quote,rate\n2026-10-29,USD,INR,83.2512\n2026-10-29,INR,USD,0.012012\n';

const PATHS = [
  ...ZONES.flatMap((tz) => [
    `/api/v1/analytics/kpis?${RANGE}&tz=${tz}`,
    `/api/v1/analytics/timeseries?${RANGE}&tz=${tz}&granularity=day`,
    `/api/v1/analytics/timeseries?${RANGE}&tz=${tz}&granularity=hour&currency=INR`,
    `/api/v1/settlement/tiles?${RANGE}&tz=${tz}`,
  ]),
  `/api/v1/analytics/timeseries?${RANGE}&tz=Asia/Kolkata&granularity=week`,
  `/api/v1/analytics/timeseries?${RANGE}&tz=Europe/London&granularity=month&report_currency=INR`,
  `/api/v1/analytics/timeseries?from=2026-10-24T22:00:00Z&to=2026-10-25T03:00:00Z&tz=Europe/London&granularity=minute`,
  ...['gateway', 'payment_method', 'region', 'merchant', 'currency', 'status'].map(
    (d) => `/api/v1/analytics/breakdown?${RANGE}&tz=Asia/Kolkata&dimension=${d}`,
  ),
  `/api/v1/analytics/breakdown?${RANGE}&dimension=merchant&report_currency=USD`,
  `/api/v1/analytics/kpis?${RANGE}&gateway=razorpay,stripe&method=upi&report_currency=INR`,
  `/api/v1/analytics/kpis?${RANGE}&status=failed,succeeded&region=north`,
  `/api/v1/analytics/top?${RANGE}&dimension=merchant&n=2&metric=gmv`,
  `/api/v1/analytics/failure-reasons?${RANGE}`,
  `/api/v1/analytics/failure-reasons?${RANGE}&group=code&tz=Asia/Kathmandu`,
  `/api/v1/analytics/refund-reasons?${RANGE}`,
  `/api/v1/settlement/tiles?${RANGE}&tz=Asia/Kolkata&report_currency=USD&gateway=razorpay`,
  '/api/v1/payments?limit=50',
  `/api/v1/payments?limit=20&status=failed&${RANGE}`,
  '/api/v1/payments/PAR-WH-1',
  '/api/v1/payments/PAR-WH-2',
  '/api/v1/fx-rates',
];

/**
 * Fields that differ between two servers fed the same stream: the request's own timing, the
 * wall-clock times each server recorded at, and the ids each ledger generated.
 */
const VOLATILE = new Set(['elapsed_ms', 'generated_at', 'as_of', 'request_id', 'recorded_at', 'updated_at', 'applied_at']);
const GENERATED_IDS = new Set(['payment_id', 'event_id', 'id']);
/** One pseudonymisation key for both, so the personal-field hashes compare. */
const PII = { PII_HASH_KEY: 'parity-test-pii-hash-key-0123456789' };

function withoutVolatile(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutVolatile);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([k]) => !VOLATILE.has(k))
        .map(([k, v]) => [k, GENERATED_IDS.has(k) && typeof v === 'string' ? '<generated>' : withoutVolatile(v)]),
    );
  }
  return value;
}

async function feed(t: TestApp): Promise<void> {
  await seedAnalytics(t, { start: START, spanMs: SPAN, payments: 600, seed: 11 });
  const appliedBefore = t.app.analytics?.status().applied ?? 0;
  // Lifecycle through the ledger: a pending payment that succeeds, and one refunded in part.
  const at = (h: number) => new Date(START + h * 3_600_000).toISOString();
  const sends = [
    { reference_number: 'PAR-WH-1', amount: 1500.5, status: 'PENDING', payment_date: at(30) },
    { reference_number: 'PAR-WH-1', amount: 1500.5, status: 'SUCCESS', payment_date: at(30), event_time: at(31) },
    { reference_number: 'PAR-WH-2', amount: 99.99, status: 'FAILED', payment_date: at(50), failure_reason: 'card declined' },
  ];
  for (const body of sends) {
    const res = await sendWebhook(t.url, seedBody(body.reference_number, body), { secret: TEST_SECRETS.default });
    expect([200, 201]).toContain(res.status);
  }
  const put = await fetch(`${t.url}/api/v1/fx-rates`, { method: 'PUT', headers: { ...t.auth, 'content-type': 'text/csv' }, body: RATES });
  expect(put.status).toBe(200);
  const wh = t.app.warehouse;
  if (!wh) throw new Error('no warehouse');
  for (let i = 0; i < 200; i++) {
    const rows = await wh.query<{ n: unknown }>(`SELECT count(*) AS n FROM payment_status_history WHERE reference_number LIKE 'PAR-WH-%'`);
    // Three ledger events (two recorded, one status change), committed (see seedAnalytics).
    if (Number(rows[0]?.n) >= 3 && (t.app.analytics?.status().applied ?? 0) - appliedBefore >= 3) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the lifecycle webhooks did not reach the warehouse');
}

describe('DuckDB and ClickHouse answer every analytics endpoint alike', () => {
  let duck: TestApp;
  let click: TestApp;

  beforeAll(async () => {
    [duck, click] = await Promise.all([startTestApp('pglite', PII), startTestApp('pglite', { ...PII, ...clickHouseTestEnv() })]);
    await Promise.all([feed(duck), feed(click)]);
  }, 240_000);
  afterAll(async () => {
    await Promise.all([duck?.stop(), click?.stop()]);
  });

  it('runs on the two engines', () => {
    expect(duck.app.warehouse?.engine).toBe('duckdb');
    expect(click.app.warehouse?.engine).toBe('clickhouse');
  });

  it.each(PATHS)('%s', async (path) => {
    const [a, b] = await Promise.all(
      [duck, click].map(async (t) => {
        const res = await fetch(`${t.url}${path}`, { headers: t.auth });
        return { status: res.status, body: withoutVolatile(await res.json()) };
      }),
    );
    expect(a?.status, JSON.stringify(a?.body).slice(0, 300)).toBe(200);
    expect(b).toEqual(a);
  });
});
