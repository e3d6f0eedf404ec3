/**
 * The filter vocabulary of payment reads — the analytics API, settlement tiles and the payments
 * explorer — declared once: each filter a list of accepted values (OR), filters combined with AND.
 */
export interface PaymentFilters {
  merchant?: readonly string[];
  gateway?: readonly string[];
  method?: readonly string[];
  region?: readonly string[];
  currency?: readonly string[];
  status?: readonly string[];
}

export type FilterName = keyof PaymentFilters;
export const FILTER_NAMES: readonly FilterName[] = ['merchant', 'gateway', 'method', 'region', 'currency', 'status'];

/** The column of the payments facts and rollup that each filter reads. */
export const PAYMENT_FILTER_COLUMNS: Readonly<Record<FilterName, string>> = {
  merchant: 'merchant_id',
  gateway: 'gateway',
  method: 'payment_method',
  region: 'region',
  currency: 'currency',
  status: 'status',
};
