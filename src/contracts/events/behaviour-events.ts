import { z } from 'zod';
import { defineEventContract } from '../event-contract.js';
import { VISITOR_PII, count, money, oneCurrency, optionalVisitorContext, text, timestamp, visitorContext } from '../fields.js';

// What visitors and users do: the funnel (product view → add to cart → checkout → order), search,
// sign-up and sign-in, experiment exposures. Every event carries the visitor context (session,
// device, traffic source, segment) so funnels can be cut per session and segmented.

const visit = {
  session_id: 'sess_9f2',
  anonymous_id: 'anon_71c',
  device: { type: 'mobile', os: 'Android' },
  traffic: { source: 'google', medium: 'cpc' },
} as const;

// ── checkout ───────────────────────────────────────────────────────────────────────────────────

export const CHECKOUT_STEPS = ['cart', 'contact', 'shipping', 'payment', 'review'] as const;

export const checkoutStartedV1 = defineEventContract({
  type: 'checkout.started',
  version: 1,
  description: 'A visitor started checkout with a cart.',
  subject: 'the checkout id',
  data: z
    .strictObject({
      ...visitorContext(),
      checkout_id: text(255),
      cart_id: text(255).nullish(),
      cart_amount: money(),
      item_count: count(),
      merchant_id: text(100).nullish(),
    })
    .superRefine(oneCurrency),
  piiFields: VISITOR_PII,
  freeFormFields: [],
  keyFields: ['session_id', 'checkout_id', 'cart_amount', 'item_count', 'device', 'traffic'],
  example: { ...visit, checkout_id: 'co_1', cart_amount: { amount_minor: 100_000, currency: 'INR' }, item_count: 2 },
});
export type CheckoutStartedV1 = z.output<typeof checkoutStartedV1.data>;

export const checkoutAbandonedV1 = defineEventContract({
  type: 'checkout.abandoned',
  version: 1,
  description: 'A checkout was left without an order (declared by the shop after its inactivity timeout).',
  subject: 'the checkout id',
  data: z
    .strictObject({
      ...visitorContext(),
      checkout_id: text(255),
      cart_id: text(255).nullish(),
      cart_amount: money(),
      item_count: count(),
      last_step: z.enum(CHECKOUT_STEPS).nullish().describe('The last checkout step the visitor reached.'),
      started_at: timestamp().nullish(),
      merchant_id: text(100).nullish(),
    })
    .superRefine(oneCurrency),
  piiFields: VISITOR_PII,
  freeFormFields: [],
  keyFields: ['session_id', 'checkout_id', 'cart_amount', 'last_step'],
  example: { ...visit, checkout_id: 'co_1', cart_amount: { amount_minor: 100_000, currency: 'INR' }, item_count: 2, last_step: 'payment' },
});
export type CheckoutAbandonedV1 = z.output<typeof checkoutAbandonedV1.data>;

// ── products ───────────────────────────────────────────────────────────────────────────────────

const productFields = () => ({
  product_id: text(255),
  sku: text(255).nullish(),
  category: text(255).nullish(),
  price: money().nullish().describe('The unit price shown.'),
  merchant_id: text(100).nullish(),
  seller_id: text(100).nullish(),
});

export const productViewedV1 = defineEventContract({
  type: 'product.viewed',
  version: 1,
  description: "A visitor viewed a product's page or detail.",
  subject: 'the product id',
  data: z
    .strictObject({
      ...visitorContext(),
      ...productFields(),
      list_name: text(100).nullish().describe('Where the product was listed when clicked: search, category, recommendations…'),
      position: count().min(1).nullish().describe('1-based position in that list.'),
    })
    .superRefine(oneCurrency),
  piiFields: VISITOR_PII,
  freeFormFields: [],
  keyFields: ['session_id', 'product_id', 'category', 'price', 'device', 'traffic'],
  example: { ...visit, product_id: 'P-1', category: 'shoes', price: { amount_minor: 50_000, currency: 'INR' } },
});
export type ProductViewedV1 = z.output<typeof productViewedV1.data>;

export const productAddedToCartV1 = defineEventContract({
  type: 'product.added_to_cart',
  version: 1,
  description: 'A visitor added a product to their cart.',
  subject: 'the product id',
  data: z
    .strictObject({
      ...visitorContext(),
      ...productFields(),
      quantity: count().min(1, { error: 'must be at least 1' }),
      cart_id: text(255).nullish(),
    })
    .superRefine(oneCurrency),
  piiFields: VISITOR_PII,
  freeFormFields: [],
  keyFields: ['session_id', 'product_id', 'quantity', 'price', 'cart_id'],
  example: { ...visit, product_id: 'P-1', quantity: 2, price: { amount_minor: 50_000, currency: 'INR' }, cart_id: 'cart_1' },
});
export type ProductAddedToCartV1 = z.output<typeof productAddedToCartV1.data>;

// ── search ─────────────────────────────────────────────────────────────────────────────────────

export const searchQueryV1 = defineEventContract({
  type: 'search.query',
  version: 1,
  description: 'A visitor ran a search; search_id links the results they click.',
  subject: 'the search id',
  data: z.strictObject({
    ...visitorContext(),
    search_id: text(255),
    query: text(500).describe('What the visitor typed; may hold personal data, so it never reaches the warehouse as is.'),
    results_count: count(),
    page: count().min(1).nullish(),
    filters: z.record(z.string(), text(200)).nullish().describe('Facet filters applied, name → value.'),
  }),
  piiFields: VISITOR_PII,
  freeFormFields: ['query', 'filters'],
  keyFields: ['session_id', 'search_id', 'results_count'],
  example: { ...visit, search_id: 'srch_1', query: 'running shoes', results_count: 42, filters: { size: '42' } },
});
export type SearchQueryV1 = z.output<typeof searchQueryV1.data>;

export const searchResultClickedV1 = defineEventContract({
  type: 'search.result_clicked',
  version: 1,
  description: 'A visitor clicked a search result.',
  subject: 'the search id',
  data: z.strictObject({
    ...visitorContext(),
    search_id: text(255),
    result_id: text(255).describe('The clicked result (usually a product id).'),
    result_type: text(50).nullish().describe('product, category, article…'),
    position: count().min(1, { error: 'must be at least 1' }).describe('1-based position of the result.'),
  }),
  piiFields: VISITOR_PII,
  freeFormFields: [],
  keyFields: ['session_id', 'search_id', 'result_id', 'position'],
  example: { ...visit, search_id: 'srch_1', result_id: 'P-1', result_type: 'product', position: 3 },
});
export type SearchResultClickedV1 = z.output<typeof searchResultClickedV1.data>;

// ── users ──────────────────────────────────────────────────────────────────────────────────────

const email = () => z.email({ error: 'must be an email address' }).max(320);
const phone = () => z.string().regex(/^\+[1-9]\d{6,14}$/, { error: 'must be an E.164 phone number such as +919999999999' });
export const AUTH_METHODS = ['password', 'otp', 'magic_link', 'google', 'apple', 'facebook', 'sso', 'other'] as const;

export const userRegisteredV1 = defineEventContract({
  type: 'user.registered',
  version: 1,
  description: 'A user created an account (the acquisition date of cohorts).',
  subject: 'the user id',
  data: z.strictObject({
    ...optionalVisitorContext(),
    user_id: text(255),
    email: email().nullish(),
    phone: phone().nullish(),
    method: z.enum(AUTH_METHODS).nullish(),
    referral_code: text(100).nullish().describe('The code of the user who referred them.'),
    marketing_opt_in: z.boolean().nullish(),
  }),
  piiFields: [...VISITOR_PII, 'email', 'phone', 'referral_code'],
  freeFormFields: [],
  keyFields: ['user_id', 'method', 'traffic', 'country'],
  example: { ...visit, user_id: 'U-1001', email: 'asha@example.com', phone: '+919999999999', method: 'otp', country: 'IN' },
});
export type UserRegisteredV1 = z.output<typeof userRegisteredV1.data>;

export const userLoggedInV1 = defineEventContract({
  type: 'user.logged_in',
  version: 1,
  description: 'A user signed in (activity for retention and RFM recency).',
  subject: 'the user id',
  data: z.strictObject({
    ...optionalVisitorContext(),
    user_id: text(255),
    method: z.enum(AUTH_METHODS).nullish(),
    is_new_device: z.boolean().nullish(),
  }),
  piiFields: VISITOR_PII,
  freeFormFields: [],
  keyFields: ['user_id', 'method', 'device'],
  example: { ...visit, user_id: 'U-1001', method: 'password' },
});
export type UserLoggedInV1 = z.output<typeof userLoggedInV1.data>;

// ── experiments ────────────────────────────────────────────────────────────────────────────────

export const experimentExposureRecordedV1 = defineEventContract({
  type: 'experiment.exposure_recorded',
  version: 1,
  description: 'A unit (user, session…) was exposed to a variant of an experiment; the first exposure counts.',
  subject: 'the experiment id',
  data: z.strictObject({
    ...optionalVisitorContext(),
    experiment_id: text(100),
    variant: text(100).describe('The variant shown, e.g. control, treatment.'),
    unit_type: z.enum(['user', 'customer', 'session', 'device', 'merchant']),
    unit_id: text(255).describe('The randomisation unit; pseudonymised with the same key as user_id, so joins survive.'),
    bucket: z.int().min(0).max(9_999).nullish().describe('The sticky hash bucket (0–9999) the unit fell in.'),
  }),
  piiFields: [...VISITOR_PII, 'unit_id'],
  freeFormFields: [],
  keyFields: ['experiment_id', 'variant', 'unit_type', 'unit_id'],
  example: {
    ...visit,
    experiment_id: 'exp_checkout_button',
    variant: 'treatment',
    unit_type: 'session',
    unit_id: 'sess_9f2',
    bucket: 4821,
  },
});
export type ExperimentExposureRecordedV1 = z.output<typeof experimentExposureRecordedV1.data>;
