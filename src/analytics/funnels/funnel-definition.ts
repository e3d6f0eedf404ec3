import { z } from 'zod';

/**
 * What a funnel is: ordered steps (an event type and optional property filters), the unit counted
 * (session or user), the conversion window, how steps must follow each other, optional per-step
 * windows and exclusion steps. One zod schema: the API validates saved and ad-hoc definitions with
 * it, the SQL builder and the test reference read the same type.
 */

/** Virtual event types derived from other tables (see README.md, "Steps and stored data"). */
export const VIRTUAL_EVENTS = {
  /** The session's first behavioural event (one row per session, before any tie at that time). */
  landing: 'session.landed',
  /** A payment of an order placed in the session (payments ⨝ orders on order_id), at payment_time. */
  paymentInitiated: 'payment.initiated',
  /** That payment reached authorized or a collected status, at the first such status in its history. */
  orderConfirmed: 'order.confirmed',
} as const;

/** Behavioural event types stored in behaviour_events (src/pipeline/facts/behaviour-facts.ts). */
export const BEHAVIOUR_EVENT_TYPES = [
  'product.viewed',
  'product.added_to_cart',
  'checkout.started',
  'checkout.abandoned',
  'search.query',
  'search.result_clicked',
  'user.registered',
  'user.logged_in',
] as const;

export const FUNNEL_EVENT_TYPES = [...Object.values(VIRTUAL_EVENTS), ...BEHAVIOUR_EVENT_TYPES] as const;

/** Columns a step filter may name (the funnel source's columns); anything else is `properties.<key>`. */
export const FILTER_COLUMNS = [
  'device_type',
  'traffic_source',
  'customer_segment',
  'category',
  'merchant_id',
  'product_id',
  'country',
  'currency',
  'amount_minor',
] as const;
export type FilterColumn = (typeof FILTER_COLUMNS)[number];
export const NUMERIC_COLUMNS: readonly string[] = ['amount_minor'];

const scalar = z.union([z.string().max(200), z.number().int().refine(Number.isSafeInteger, 'must be a safe integer')]);

export const propertyFilterSchema = z
  .object({
    property: z.string().refine((p) => (FILTER_COLUMNS as readonly string[]).includes(p) || /^properties\.[a-z][a-z0-9_]{0,63}$/.test(p), {
      message: `must be one of ${FILTER_COLUMNS.join(', ')} or properties.<key> (lower-case letters, digits, _)`,
    }),
    op: z.enum(['eq', 'neq', 'in', 'not_in', 'gt', 'gte', 'lt', 'lte', 'is_set', 'is_not_set']),
    value: z.union([scalar, z.array(scalar).min(1).max(100)]).optional(),
  })
  .superRefine((f, ctx) => {
    const list = f.op === 'in' || f.op === 'not_in';
    const none = f.op === 'is_set' || f.op === 'is_not_set';
    const numeric = ['gt', 'gte', 'lt', 'lte'].includes(f.op);
    if (none && f.value !== undefined) ctx.addIssue({ code: 'custom', path: ['value'], message: `${f.op} takes no value` });
    if (!none && f.value === undefined) ctx.addIssue({ code: 'custom', path: ['value'], message: `${f.op} needs a value` });
    if (list && f.value !== undefined && !Array.isArray(f.value))
      ctx.addIssue({ code: 'custom', path: ['value'], message: `${f.op} needs a list of values` });
    if (!list && Array.isArray(f.value)) ctx.addIssue({ code: 'custom', path: ['value'], message: `${f.op} takes one value, not a list` });
    const values = Array.isArray(f.value) ? f.value : f.value === undefined ? [] : [f.value];
    if (NUMERIC_COLUMNS.includes(f.property) && values.some((v) => typeof v !== 'number'))
      ctx.addIssue({ code: 'custom', path: ['value'], message: `${f.property} is compared with integers only` });
    if (numeric && (typeof f.value !== 'number' || !NUMERIC_COLUMNS.includes(f.property)))
      ctx.addIssue({
        code: 'custom',
        path: ['op'],
        message: `${f.op} compares a number with a numeric column (${NUMERIC_COLUMNS.join(', ')})`,
      });
  });
export type PropertyFilter = z.output<typeof propertyFilterSchema>;

const eventType = z.enum(FUNNEL_EVENT_TYPES, { error: `must be one of ${FUNNEL_EVENT_TYPES.join(', ')}` });
const DAY_MS = 86_400_000;
const windowMs = z
  .number()
  .int()
  .min(1)
  .max(90 * DAY_MS);

export const funnelStepSchema = z.object({
  event: eventType,
  label: z.string().min(1).max(80).optional(),
  filters: z.array(propertyFilterSchema).max(10).default([]),
  /** At most this long after the previous step (ordered and strict funnels; not on the first step). */
  window_ms: windowMs.optional(),
});
export type FunnelStep = z.output<typeof funnelStepSchema>;

export const exclusionSchema = z.object({
  event: eventType,
  filters: z.array(propertyFilterSchema).max(10).default([]),
  /** The exclusion applies between these two steps (0-based, from < to). */
  from_step: z.number().int().min(0),
  to_step: z.number().int().min(1),
});
export type FunnelExclusion = z.output<typeof exclusionSchema>;

export const FUNNEL_MODES = ['ordered', 'strict', 'any_order'] as const;
export type FunnelMode = (typeof FUNNEL_MODES)[number];

export const funnelDefinitionSchema = z
  .object({
    steps: z.array(funnelStepSchema).min(2).max(10),
    unit: z.enum(['session', 'user']).default('session'),
    mode: z.enum(FUNNEL_MODES).default('ordered'),
    conversion_window_ms: windowMs.default(DAY_MS),
    exclusions: z.array(exclusionSchema).max(5).default([]),
  })
  .superRefine((d, ctx) => {
    if (d.steps[0]?.window_ms !== undefined)
      ctx.addIssue({ code: 'custom', path: ['steps', 0, 'window_ms'], message: 'the first step has no previous step to be timed from' });
    if (d.mode === 'any_order') {
      d.steps.forEach((s, i) => {
        if (s.window_ms !== undefined)
          ctx.addIssue({ code: 'custom', path: ['steps', i, 'window_ms'], message: 'per-step windows need an ordered or strict funnel' });
      });
      if (d.exclusions.length > 0)
        ctx.addIssue({ code: 'custom', path: ['exclusions'], message: 'exclusion steps need an ordered or strict funnel' });
    }
    d.exclusions.forEach((x, i) => {
      if (x.from_step >= x.to_step || x.to_step >= d.steps.length)
        ctx.addIssue({
          code: 'custom',
          path: ['exclusions', i],
          message: `from_step must be below to_step, and to_step below the number of steps (${d.steps.length})`,
        });
    });
  });
export type FunnelDefinition = z.output<typeof funnelDefinitionSchema>;
export type FunnelDefinitionInput = z.input<typeof funnelDefinitionSchema>;

/** The predefined purchase funnel: landing → product viewed → added to cart → checkout started → payment initiated → order confirmed. */
export const STANDARD_FUNNEL: FunnelDefinition = funnelDefinitionSchema.parse({
  unit: 'session',
  mode: 'ordered',
  conversion_window_ms: DAY_MS,
  steps: [
    { event: VIRTUAL_EVENTS.landing, label: 'Landing' },
    { event: 'product.viewed', label: 'Product viewed' },
    { event: 'product.added_to_cart', label: 'Added to cart' },
    { event: 'checkout.started', label: 'Checkout started' },
    { event: VIRTUAL_EVENTS.paymentInitiated, label: 'Payment initiated' },
    { event: VIRTUAL_EVENTS.orderConfirmed, label: 'Order confirmed' },
  ],
});

export const BREAKDOWNS = ['device', 'traffic_source', 'customer_segment', 'category'] as const;
export type FunnelBreakdown = (typeof BREAKDOWNS)[number];
/** The source column of each breakdown; a unit's value is the first non-null one among its events. */
export const BREAKDOWN_COLUMN: Readonly<Record<FunnelBreakdown, FilterColumn>> = {
  device: 'device_type',
  traffic_source: 'traffic_source',
  customer_segment: 'customer_segment',
  category: 'category',
};
