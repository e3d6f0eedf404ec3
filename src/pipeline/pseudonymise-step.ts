import { createHmac } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { type ValidEvent, contractOfEvent, mapFields, omitFields } from '../contracts/index.js';

/**
 * Replaces every personal field the data contract lists (`piiFields`: cif, loan account numbers,
 * customer/user/session ids, emails, phones…) by a keyed HMAC-SHA256 of it, and drops free-form
 * fields (`freeFormFields`: metadata, typed-in text). A keyed HMAC, not a bare hash: a CIF or a
 * phone number is short enough to brute-force from an unkeyed hash. Equal values give equal
 * HMACs, so joins and distinct counts keep working on the pseudonymised columns.
 */
export interface Pseudonymiser {
  /** The event with its personal fields replaced and free-form fields removed. */
  pseudonymise(event: ValidEvent): ValidEvent;
  /** The HMAC of one value (what a personal field becomes), e.g. to look a customer up. */
  hash(value: string): string;
}

/** Hex characters kept of the HMAC: 128 bits, ample against collisions, half the storage. */
const HASH_HEX_LENGTH = 32;

export function createPseudonymiseStep(deps: { key: string; cacheSize?: number }): Pseudonymiser {
  if (deps.key.length < 16) throw new Error('the PII hash key must be at least 16 characters');
  // Customers and sessions repeat; the cache saves most HMAC computations on a busy stream.
  const cache = new LRUCache<string, string>({ max: deps.cacheSize ?? 100_000 });
  const hash = (value: string): string => {
    let h = cache.get(value);
    if (h === undefined) {
      h = createHmac('sha256', deps.key).update(value).digest('hex').slice(0, HASH_HEX_LENGTH);
      cache.set(value, h);
    }
    return h;
  };
  return {
    hash,
    pseudonymise(event) {
      const contract = contractOfEvent(event);
      if (contract.piiFields.length === 0 && contract.freeFormFields.length === 0) return event;
      // An empty string carries no identity; it stays empty rather than becoming the HMAC of ''.
      const data = omitFields(
        mapFields(event.data, contract.piiFields, (v) => (v === '' ? v : hash(v))),
        contract.freeFormFields,
      );
      return { ...event, data } as ValidEvent;
    },
  };
}
