/**
 * Sticky experiment assignment: which variant a unit (session, user…) sees, computed from the unit
 * id and the experiment key alone — the same answer on every node, across restarts, and across
 * edits that keep the variants' order and weights. Senders of `experiment.exposure_recorded` may
 * compute it themselves from this documentation:
 *
 * 1. `h1 = FNV-1a-32(UTF-8 bytes of "<experiment key>:<unit id>")`
 * 2. `bucket = FNV-1a-32(UTF-8 bytes of the decimal string of h1) mod 10000` — hashing twice, as
 *    GrowthBook's v2 hash does, so similar ids do not land in neighbouring buckets.
 * 3. Variants own consecutive bucket ranges in their listed order, each as wide as its weight in
 *    basis points (weights sum to 10,000): `[0, w₀)`, `[w₀, w₀ + w₁)`, …
 *
 * FNV-1a 32 (offset basis 0x811c9dc5, prime 0x01000193) is a public-domain, fully specified hash
 * (draft-eastlake-fnv); its test vectors are pinned in the tests.
 */

export const BUCKETS = 10_000;

const encoder = new TextEncoder();

/** FNV-1a 32-bit of a string's UTF-8 bytes, as an unsigned integer. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of encoder.encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The unit's sticky bucket 0…9999 in an experiment. */
export function assignmentBucket(experimentKey: string, unitId: string): number {
  return fnv1a32(String(fnv1a32(`${experimentKey}:${unitId}`))) % BUCKETS;
}

export interface WeightedVariant {
  key: string;
  /** Basis points of traffic (all variants sum to 10,000). */
  weight: number;
}

/** The variant owning `bucket` under cumulative weights (variants in their listed order). */
export function variantOfBucket<V extends WeightedVariant>(variants: readonly V[], bucket: number): V {
  let end = 0;
  for (const v of variants) {
    end += v.weight;
    if (bucket < end) return v;
  }
  const last = variants.at(-1);
  if (!last) throw new RangeError('an experiment needs at least one variant');
  return last;
}

/** The unit's variant and bucket. */
export function assignVariant<V extends WeightedVariant>(
  experimentKey: string,
  variants: readonly V[],
  unitId: string,
): { variant: V; bucket: number } {
  const bucket = assignmentBucket(experimentKey, unitId);
  return { variant: variantOfBucket(variants, bucket), bucket };
}
