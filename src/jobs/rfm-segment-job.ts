import type { Logger } from 'pino';
import { type CustomerSegmentChangedV1, dataschemaOf } from '../contracts/index.js';
import type { OperationalStore, SqlExecutor } from '../store/store-port.js';

/**
 * The weekly RFM job (issue 12 §3): scores every customer (the scoring is handed in — it lives in
 * analytics, which jobs may not import), stores each one's segment in `customer_segments`, and
 * publishes one `customer.segment_changed` per customer whose segment changed — entered, moved or
 * left the scored population — to the transactional outbox, in the same transaction as the rows.
 * So the event log says exactly what the table says: a run that changes nothing publishes nothing,
 * and a run that fails publishes nothing and stores nothing.
 *
 * Event ids are `customer.segment_changed:<customer>:<as_of>`: a rerun for the same `as_of` after
 * a crash finds its events already there (ON CONFLICT DO NOTHING) rather than sending them twice.
 */

export type CustomerSegment = NonNullable<CustomerSegmentChangedV1['segment']>;

export interface ScoredCustomer {
  customer: string;
  segment: CustomerSegment;
  r: number;
  f: number;
  m: number;
  recency_days: number;
  orders: number;
  monetary_minor: number;
}

export interface SegmentScoring {
  /** The currency M is counted in. */
  currency: string;
  customers: readonly ScoredCustomer[];
}

export interface RfmSegmentJobDeps {
  store: OperationalStore;
  /** Scores every customer as of an instant (analytics' computeRfm, wired in app.ts). */
  score(asOf: Date): Promise<SegmentScoring>;
  logger: Logger;
  now?: () => Date;
  /** Rows per statement (default 5,000). */
  chunk?: number;
}

export interface RfmSegmentRunSummary {
  as_of: string;
  customers: number;
  entered: number;
  moved: number;
  left: number;
  published: number;
}

const LOCK_KEY = 7_406_139_112; // serialises two runs (two processes with the jobs role)
const SOURCE = '/payscope/jobs/rfm-segments';

export function createRfmSegmentJob(deps: RfmSegmentJobDeps): { readonly name: string; run(): Promise<RfmSegmentRunSummary> } {
  const chunk = deps.chunk ?? 5000;
  return {
    name: 'rfm-segments',
    async run() {
      const asOf = (deps.now ?? (() => new Date()))();
      const scoring = await deps.score(asOf);
      const summary = await deps.store.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
        const { rows: stored } = await tx.query<{ customer_hash: string; segment: CustomerSegment }>(
          'SELECT customer_hash, segment FROM payment_service.customer_segments',
        );
        const before = new Map(stored.map((r) => [r.customer_hash, r.segment]));
        const events: ReturnType<typeof segmentEvent>[] = [];
        let entered = 0;
        let moved = 0;
        const seen = new Set<string>();
        for (const c of scoring.customers) {
          seen.add(c.customer);
          const previous = before.get(c.customer) ?? null;
          if (previous === c.segment) continue;
          if (previous === null) entered++;
          else moved++;
          events.push(segmentEvent(c.customer, c, previous, scoring.currency, asOf));
        }
        const left = [...before.keys()].filter((c) => !seen.has(c));
        for (const customer of left) events.push(segmentEvent(customer, null, before.get(customer) ?? null, scoring.currency, asOf));
        const changed = new Set(events.map((e) => e.subject));
        for (let i = 0; i < scoring.customers.length; i += chunk) {
          await upsertSegments(tx, scoring.customers.slice(i, i + chunk), scoring.currency, asOf, changed);
        }
        for (let i = 0; i < left.length; i += chunk) {
          await tx.query('DELETE FROM payment_service.customer_segments WHERE customer_hash = ANY($1::text[])', [left.slice(i, i + chunk)]);
        }
        let published = 0;
        for (let i = 0; i < events.length; i += chunk) published += await insertOutbox(tx, events.slice(i, i + chunk));
        return { as_of: asOf.toISOString(), customers: scoring.customers.length, entered, moved, left: left.length, published };
      });
      deps.logger.info({ job: 'rfm-segments', ...summary }, 'customer segments stored');
      return summary;
    },
  };
}

function segmentEvent(customer: string, c: ScoredCustomer | null, previous: CustomerSegment | null, currency: string, asOf: Date) {
  const data: CustomerSegmentChangedV1 = {
    customer_hash: customer,
    segment: c?.segment ?? null,
    previous_segment: previous,
    r: c?.r ?? null,
    f: c?.f ?? null,
    m: c?.m ?? null,
    recency_days: c?.recency_days ?? null,
    orders: c?.orders ?? null,
    monetary: c ? { amount_minor: c.monetary_minor, currency } : null,
    as_of: asOf.toISOString(),
  };
  return {
    specversion: '1.0' as const,
    id: `customer.segment_changed:${customer}:${asOf.toISOString()}`,
    source: SOURCE,
    type: 'customer.segment_changed' as const,
    time: asOf.toISOString(),
    subject: customer,
    datacontenttype: 'application/json' as const,
    dataschema: dataschemaOf('customer.segment_changed', 1),
    data,
  };
}

async function upsertSegments(
  tx: SqlExecutor,
  rows: readonly ScoredCustomer[],
  currency: string,
  asOf: Date,
  changed: ReadonlySet<string>,
): Promise<void> {
  const json = JSON.stringify(rows.map((c) => ({ ...c, changed: changed.has(c.customer) })));
  await tx.query(
    `INSERT INTO payment_service.customer_segments
       (customer_hash, segment, r, f, m, recency_days, orders, monetary_minor, currency, as_of, changed_at, updated_at)
     SELECT x.customer, x.segment, x.r, x.f, x.m, x.recency_days, x.orders, x.monetary_minor, $2, $3::timestamptz, $3::timestamptz, NOW()
     FROM json_to_recordset($1::json) AS x(customer text, segment text, r int, f int, m int, recency_days int, orders int, monetary_minor bigint, changed boolean)
     ON CONFLICT (customer_hash) DO UPDATE SET
       segment = EXCLUDED.segment, r = EXCLUDED.r, f = EXCLUDED.f, m = EXCLUDED.m, recency_days = EXCLUDED.recency_days,
       orders = EXCLUDED.orders, monetary_minor = EXCLUDED.monetary_minor, currency = EXCLUDED.currency, as_of = EXCLUDED.as_of,
       changed_at = CASE WHEN customer_segments.segment = EXCLUDED.segment THEN customer_segments.changed_at ELSE EXCLUDED.changed_at END,
       updated_at = NOW()`,
    [json, currency, asOf.toISOString()],
  );
}

async function insertOutbox(tx: SqlExecutor, events: readonly ReturnType<typeof segmentEvent>[]): Promise<number> {
  const { rows } = await tx.query<{ event_id: string }>(
    `INSERT INTO payment_service.outbox (event_id, event_type, aggregate_id, payload)
     SELECT x.event_id, x.event_type, x.aggregate_id, x.payload
     FROM json_to_recordset($1::json) AS x(i int, event_id text, event_type text, aggregate_id text, payload json)
     ORDER BY x.i
     ON CONFLICT (event_id) DO NOTHING
     RETURNING event_id`,
    [JSON.stringify(events.map((e, i) => ({ i, event_id: e.id, event_type: e.type, aggregate_id: e.subject, payload: e })))],
  );
  return rows.length;
}
