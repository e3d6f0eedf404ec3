import { formatMinorUnits } from '../../../core/money.js';
import { stripEmpty } from '../demo-events.js';
import type { DemoPayment, StagingRecord } from '../plan-types.js';

/** The staging-table row (a lender's EMI collection file) that records `p`; empty columns left out. */
export function stagingRecordOf(p: DemoPayment): StagingRecord {
  const loan = p.customer.loan;
  return stripEmpty({
    reference_number: p.reference,
    loan_account_number: loan?.loan_account_number ?? '',
    cif: loan?.cif ?? '',
    amount: formatMinorUnits(BigInt(p.amountMinor), p.currency),
    payment_date: p.time.toISOString(),
    metadata: JSON.stringify({ file: `${p.gateway}-settlement-${p.time.toISOString().slice(0, 10)}.csv`, emi: true }),
    payment_channel: p.method === 'netbanking' ? 'NACH' : p.method.toUpperCase(),
    currency: p.currency,
    status: p.recordedStatus,
    gateway: p.gateway,
    payment_method: p.method,
    merchant_id: p.merchant.merchant_id,
    customer_id: p.customer.user_id,
    region: p.customer.region,
    country: p.customer.country,
    gateway_txn_id: p.chargeId,
    failure_reason: p.failure ? `${p.failure.code}: ${p.failure.reason}` : '',
    fee_amount: p.feeMinor ? formatMinorUnits(BigInt(p.feeMinor), p.currency) : '',
    tax_amount: p.taxMinor ? formatMinorUnits(BigInt(p.taxMinor), p.currency) : '',
  });
}
