import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FAILURE_CATEGORIES } from '../../../contracts/index.js';
import { normalisePayment } from '../../../recorder/payment.js';
import { GENERIC_FAILURE_CODES, withFailureCategory } from './generic-failure-codes.js';

const base = { reference_number: 'R-1', amount: '10.00', currency: 'INR', payment_date: '2026-11-20T10:00:00Z', status: 'failed' };
const normalise = (body: unknown) => normalisePayment(withFailureCategory(body), { source: 'webhook', defaultCurrency: 'INR' });

describe('the generic body’s failure codes', () => {
  it.each([
    ['Z9', 'insufficient_funds'],
    ['U30', 'issuer_unavailable'],
    ['ZM', 'authentication'],
    ['ZA', 'customer_cancelled'],
    ['U69', 'expired'],
    ['U16', 'risk_declined'],
    ['BANK_TIMEOUT', 'issuer_unavailable'],
    ['USER_CANCELLED', 'customer_cancelled'],
    ['INSUFFICIENT_BALANCE', 'insufficient_funds'],
    ['SOMETHING_NEW', 'other'],
  ])('maps failure_code %s to %s', (code, category) => {
    expect(normalise({ ...base, failure_code: code, failure_reason: 'text' })).toMatchObject({
      ok: true,
      value: { failure_code: code, failure_category: category, failure_reason: 'text' },
    });
  });

  it('reads the code from metadata.failure_code (object or JSON string, as a staging row holds it)', () => {
    expect(withFailureCategory({ ...base, metadata: { failure_code: 'Z9' } })).toMatchObject({
      failure_code: 'Z9',
      failure_category: 'insufficient_funds',
    });
    expect(withFailureCategory({ ...base, metadata: '{"failure_code":"U69"}' })).toMatchObject({
      failure_code: 'U69',
      failure_category: 'expired',
    });
  });

  it('splits a known "CODE: text" reason into code and text, so one failure is not counted under two reasons', () => {
    const a = withFailureCategory({ ...base, failure_reason: 'U30: Debit failed at the remitter bank' });
    const b = withFailureCategory({ ...base, failure_code: 'U30', failure_reason: 'Debit failed at the remitter bank' });
    const c = withFailureCategory({ ...base, failure_code: 'U30', failure_reason: 'U30: Debit failed at the remitter bank' });
    for (const x of [a, b, c])
      expect(x).toMatchObject({
        failure_code: 'U30',
        failure_reason: 'Debit failed at the remitter bank',
        failure_category: 'issuer_unavailable',
      });
    // A colon after a word no table knows is part of the text.
    expect(withFailureCategory({ ...base, failure_reason: 'Note: customer retried' })).toMatchObject({
      failure_reason: 'Note: customer retried',
      failure_category: 'other',
    });
  });

  it('keeps a valid category the sender gave, and lets the recorder refuse an invalid one by name', () => {
    expect(withFailureCategory({ ...base, failure_code: 'X1', failure_category: 'risk_declined' })).toMatchObject({
      failure_category: 'risk_declined',
    });
    const bad = normalise({ ...base, failure_category: 'declined' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.message).toMatch(/failure_category/);
  });

  it('leaves a successful payment without a code untouched, and a failed one without a code is other', () => {
    const ok = { ...base, status: 'succeeded' };
    expect(withFailureCategory(ok)).toBe(ok);
    expect(withFailureCategory({ ...base })).toMatchObject({ failure_category: 'other' });
  });

  it('maps every code in its table to a category of the vocabulary', () => {
    for (const [code, category] of Object.entries(GENERIC_FAILURE_CODES)) {
      expect(code).toBe(code.toLowerCase());
      expect(FAILURE_CATEGORIES).toContain(category);
    }
  });

  it('never throws and returns anything that is not an object unchanged', () => {
    fc.assert(
      fc.property(fc.anything(), (body) => {
        const out = withFailureCategory(body);
        if (typeof body !== 'object' || body === null || Array.isArray(body)) expect(out).toBe(body);
      }),
    );
    fc.assert(
      fc.property(
        fc.record({ failure_reason: fc.string(), failure_code: fc.option(fc.string()), status: fc.constantFrom('failed', 'succeeded') }),
        (b) => {
          withFailureCategory(b);
        },
      ),
    );
  });
});
