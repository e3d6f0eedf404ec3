import { z } from 'zod';

/**
 * Why a payment failed, in a few words every gateway's codes map to. Each channel adapter keeps a
 * table from its gateway's codes to these (src/sources/webhooks/channels); analytics group by it
 * and drill down to the gateway's own codes.
 *   insufficient_funds  the account, card or wallet could not cover the amount (or a limit was hit)
 *   authentication      PIN, OTP, 3-D Secure or CVC check failed
 *   issuer_unavailable  the bank, issuer or network did not answer or had a technical error
 *   customer_cancelled  the customer abandoned or declined on the bank's or app's page
 *   expired             the card, mandate or collect request expired
 *   risk_declined       declined by a risk or fraud rule (the gateway's, the issuer's or the PSP's)
 *   other               a code no table knows, or a generic decline
 */
export const FAILURE_CATEGORIES = [
  'insufficient_funds',
  'authentication',
  'issuer_unavailable',
  'customer_cancelled',
  'expired',
  'risk_declined',
  'other',
] as const;
export type FailureCategory = (typeof FAILURE_CATEGORIES)[number];

/** A gateway's failure codes → category; lookups are case-insensitive (tables are written in lower case). */
export type FailureCodeTable = Readonly<Record<string, FailureCategory>>;

/** The field used by events and requests that carry a category. */
export const failureCategoryField = () =>
  z
    .enum(FAILURE_CATEGORIES, { error: `must be one of ${FAILURE_CATEGORIES.join(', ')}` })
    .describe(
      `Why the payment failed, in Payscope's small vocabulary (${FAILURE_CATEGORIES.join(', ')}); the gateway's own code is failure_code.`,
    );

export const isFailureCategory = (value: unknown): value is FailureCategory =>
  typeof value === 'string' && (FAILURE_CATEGORIES as readonly string[]).includes(value);

/**
 * The category of the first code a table knows (codes are tried in order: the most specific
 * first, e.g. Stripe's decline_code before its code); `other` when none is known, null when no code was given.
 * @example categoriseFailure({ insufficient_funds: 'insufficient_funds' }, 'card_declined', 'insufficient_funds') // 'insufficient_funds'
 */
export function categoriseFailure(table: FailureCodeTable, ...codes: (string | null | undefined)[]): FailureCategory | null {
  const given = codes.filter((c): c is string => typeof c === 'string' && c.trim() !== '');
  if (given.length === 0) return null;
  for (const code of given) {
    const category = table[code.trim().toLowerCase()];
    if (category) return category;
  }
  return 'other';
}
