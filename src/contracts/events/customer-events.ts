import { z } from 'zod';
import { defineEventContract } from '../event-contract.js';
import { count, money, text, timestamp } from '../fields.js';

// ── customers ──────────────────────────────────────────────────────────────────────────────────
// Emitted by Payscope itself (the weekly RFM job, src/jobs/rfm-segment-job.ts): never captured.

/** The RFM segments (src/analytics/rfm/README.md), in their precedence order. */
export const CUSTOMER_SEGMENTS = ['champions', 'loyal', 'new', 'potential_loyalists', 'at_risk', 'lost', 'others'] as const;

const score = () => z.int().min(1).max(5);

export const customerSegmentChangedV1 = defineEventContract({
  type: 'customer.segment_changed',
  version: 1,
  description:
    "A customer's RFM segment changed at the weekly scoring (or the customer entered or left the scored population: no order in the 365 days before `as_of`). One event per changed customer; an unchanged customer gets none.",
  subject: 'the customer pseudonym',
  data: z.strictObject({
    customer_hash: text(64).describe(
      "The customer's pseudonym: the keyed HMAC of the customer id that the warehouse holds (never the id itself).",
    ),
    segment: z.enum(CUSTOMER_SEGMENTS).nullable().describe('The new segment; null when the customer left the scored population.'),
    previous_segment: z.enum(CUSTOMER_SEGMENTS).nullable().describe('The segment at the previous run; null for a customer new to it.'),
    r: score().nullable(),
    f: score().nullable(),
    m: score().nullable(),
    recency_days: count().nullable().describe('Whole days since the last order, at as_of.'),
    orders: count().nullable().describe('Orders (collected payments) in the 365 days before as_of.'),
    monetary: money().nullable().describe('Their captured amount, in the currency the scoring counted.'),
    as_of: timestamp().describe('The instant the scores are computed at.'),
  }),
  piiFields: [],
  freeFormFields: [],
  keyFields: ['customer_hash', 'segment', 'previous_segment'],
  example: {
    customer_hash: '3f1c9a0b7d2e4f6a8b9c0d1e2f3a4b5c',
    segment: 'at_risk',
    previous_segment: 'loyal',
    r: 2,
    f: 4,
    m: 4,
    recency_days: 97,
    orders: 6,
    monetary: { amount_minor: 1_245_000, currency: 'INR' },
    as_of: '2026-11-30T00:00:00Z',
  },
});
export type CustomerSegmentChangedV1 = z.output<typeof customerSegmentChangedV1.data>;
