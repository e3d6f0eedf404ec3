import { z } from 'zod';
import { isKnownCurrency } from '../core/money.js';
import { isStorableText, textProblemOf } from '../core/text.js';

/**
 * The building blocks every event's `data` is made of. Reusing them keeps one meaning per field
 * name across the catalogue: a `customer_id` or an `amount` means the same thing in every event.
 */

// PostgreSQL text cannot hold NUL or a lone surrogate; refuse them at the contract so no store ever sees one.
const storable = [isStorableText, { error: (issue: { input: unknown }) => textProblemOf(String(issue.input)) }] as const;

/** A non-empty string of at most `max` characters (ids, codes, names). */
export const text = (max: number) =>
  z
    .string()
    .min(1, { error: 'must not be empty' })
    .max(max, { error: `must be at most ${max} characters` })
    .refine(...storable);

/** A string of at most `max` characters that may be empty (payment.recorded v1 carries these). */
export const anyText = (max: number) =>
  z
    .string()
    .max(max, { error: `must be at most ${max} characters` })
    .refine(...storable);

/** An RFC 3339 date-time with an offset (`Z` or `+05:30`). */
export const timestamp = () => z.iso.datetime({ offset: true, error: 'must be an RFC 3339 date-time such as 2026-11-22T10:15:00Z' });

/** A calendar date, `YYYY-MM-DD`. */
export const calendarDate = () => z.iso.date({ error: 'must be a calendar date YYYY-MM-DD' });

export const currencyCode = () =>
  z
    .string()
    .regex(/^[A-Z]{3}$/, { error: 'must be a three-letter upper-case ISO 4217 code' })
    .refine(isKnownCurrency, { error: 'is not an ISO 4217 currency code' });

export const countryCode = () => z.string().regex(/^[A-Z]{2}$/, { error: 'must be a two-letter upper-case ISO 3166-1 code' });

/** An integer count (items, payments, results). */
export const count = () => z.int({ error: 'must be an integer' }).min(0, { error: 'must not be negative' });

/**
 * Money: integer minor units of an ISO 4217 currency (paise, cents, yen), never a float.
 * @example { amount_minor: 150050, currency: 'INR' } // ₹1,500.50
 */
export const money = () =>
  z
    .strictObject({
      amount_minor: z.int({ error: 'must be an integer number of minor units' }).min(0, { error: 'must not be negative' }),
      currency: currencyCode(),
    })
    .describe('Money: integer minor units of the ISO 4217 currency (INR 2 decimals, JPY 0, KWD 3), never a float.');

/** Money that may be negative (a settlement's net amount after refunds and fees). */
export const signedMoney = () =>
  z
    .strictObject({
      amount_minor: z.int({ error: 'must be an integer number of minor units' }),
      currency: currencyCode(),
    })
    .describe('Money that may be negative: integer minor units of the ISO 4217 currency, never a float.');

export type Money = z.output<ReturnType<typeof money>>;

function isMoney(v: unknown): v is Money {
  return typeof v === 'object' && v !== null && 'amount_minor' in v && 'currency' in v && Object.keys(v).length === 2;
}

/**
 * A refinement for events that carry several amounts: all of them must be in one currency, so a
 * consumer can add and subtract them without an exchange rate.
 */
export function oneCurrency(data: unknown, ctx: z.RefinementCtx): void {
  let first: { currency: string; path: (string | number)[] } | null = null;
  const visit = (value: unknown, path: (string | number)[]) => {
    if (isMoney(value)) {
      if (first === null) first = { currency: value.currency, path };
      else if (value.currency !== first.currency) {
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'currency'],
          message: `is ${value.currency} but ${first.path.join('.')} is ${first.currency}; every amount of one event is in one currency`,
        });
      }
      return;
    }
    if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) visit(v, [...path, i]);
    } else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) visit(v, [...path, k]);
  };
  visit(data, []);
}

/** Where the device of a behavioural event is. */
export const device = () =>
  z.strictObject({
    type: z.enum(['desktop', 'mobile', 'tablet', 'tv', 'other']),
    os: text(50).nullish(),
    browser: text(50).nullish(),
    app_version: text(50).nullish(),
  });

/** How the visitor arrived (UTM parameters and the referring domain, never the full referrer URL). */
export const traffic = () =>
  z.strictObject({
    source: text(100).describe('utm_source or the inferred source: google, newsletter, direct…'),
    medium: text(100).nullish().describe('utm_medium: cpc, email, organic, referral…'),
    campaign: text(200).nullish(),
    referrer_domain: text(255).nullish().describe('Host of the referrer only; the full URL may carry personal data.'),
  });

/**
 * The context every behavioural event carries so funnels can be cut per session and segmented by
 * device, traffic source, customer segment and country.
 */
export const visitorContext = () => ({
  session_id: text(255).describe('The session this event belongs to; funnels are computed per session.'),
  user_id: text(255).nullish().describe('The signed-in user, if any.'),
  anonymous_id: text(255).nullish().describe('A device or cookie id for visitors who are not signed in.'),
  device: device().nullish(),
  traffic: traffic().nullish(),
  customer_segment: text(100).nullish(),
  country: countryCode().nullish(),
  region: text(100).nullish(),
});

/** The same context where a session may be absent (server-side events such as a registration). */
export const optionalVisitorContext = () => ({ ...visitorContext(), session_id: text(255).nullish() });

/**
 * PII paths that `visitorContext` contributes; each behavioural contract lists them. A session id
 * is an online identifier too; a keyed HMAC keeps equal values equal, so funnels per session and
 * joins between events still work on the pseudonymised values.
 */
export const VISITOR_PII = ['session_id', 'user_id', 'anonymous_id'] as const;
