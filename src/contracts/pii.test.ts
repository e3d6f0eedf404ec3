import { describe, expect, it } from 'vitest';
import { paymentRecordedV1 } from './events/payment-events.js';
import { userRegisteredV1 } from './events/behaviour-events.js';
import { mapFields, omitFields } from './pii.js';

const hash = (v: string) => `h(${v})`;

describe('mapFields', () => {
  it("replaces every listed personal field of an event's data, nested or not, and nothing else", () => {
    const data = paymentRecordedV1.example;
    const out = mapFields(data, paymentRecordedV1.piiFields, hash);
    expect(out.payment.cif).toBe('h(CIF998877)');
    expect(out.payment.loan_account_number).toBe('h(LN0012345)');
    expect(out.payment.customer_id).toBeNull();
    expect({ ...out.payment, cif: data.payment.cif, loan_account_number: data.payment.loan_account_number }).toEqual(data.payment);
  });

  it('leaves the input unchanged and skips absent fields', () => {
    const data = { ...userRegisteredV1.example };
    const before = structuredClone(data);
    const out = mapFields(data, userRegisteredV1.piiFields, hash);
    expect(data).toEqual(before);
    expect(out).toMatchObject({ user_id: 'h(U-1001)', email: 'h(asha@example.com)', session_id: 'h(sess_9f2)' });
    expect('referral_code' in out).toBe(false);
  });
});

describe('omitFields', () => {
  it('drops free-form fields without touching the input', () => {
    const data = paymentRecordedV1.example;
    const out = omitFields(data, paymentRecordedV1.freeFormFields);
    expect('metadata' in out.payment).toBe(false);
    expect(data.payment.metadata).toEqual({});
  });
});
