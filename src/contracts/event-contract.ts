import { z } from 'zod';

/**
 * One published version of one event type: the zod schema of its `data` is the single source from
 * which validation (`schema.safeParse`), the TypeScript type (`z.output<typeof schema>`) and the
 * published JSON Schema (`jsonSchemaOf`) are all derived.
 */
export interface EventContract<T extends string = string, S extends z.ZodType = z.ZodType> {
  /** The CloudEvents `type`, e.g. `payment.recorded`. */
  readonly type: T;
  /** The major version. Compatible changes keep it; a breaking change adds a new contract with `version + 1`. */
  readonly version: number;
  /** One sentence: when the event is emitted and what it announces. */
  readonly description: string;
  /** What the envelope's `subject` holds for this type, if anything. */
  readonly subject?: string;
  /** The schema of `data`. */
  readonly data: S;
  /**
   * Dotted paths into `data` of personal fields (`payment.cif`, `user_id`). Each names a string
   * field; the analytics consumer replaces its value with a keyed HMAC before the warehouse.
   */
  readonly piiFields: readonly string[];
  /**
   * Dotted paths into `data` of free-form content the contract does not describe (metadata,
   * typed-in text). It may hold personal data, so the consumer must drop or scrub it.
   */
  readonly freeFormFields: readonly string[];
  /** The fields an analyst looks for first; shown in the catalogue in docs/data-contract.md. */
  readonly keyFields: readonly string[];
  /** A valid `data`, used in tests and documentation. */
  readonly example: z.input<S>;
}

/** Declares a contract, keeping its literal type and schema type for `ValidEvent`. */
export function defineEventContract<const T extends string, S extends z.ZodType>(contract: EventContract<T, S>): EventContract<T, S> {
  return contract;
}

/**
 * The URI of a contract, used as the event's `dataschema` and as the JSON Schema's `$id`.
 * @example dataschemaOf('payment.recorded', 1) // 'payscope:schemas/payment.recorded/v1'
 */
export function dataschemaOf(type: string, version: number): string {
  return `payscope:schemas/${type}/v${version}`;
}

const DATASCHEMA_RE = /^payscope:schemas\/([a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+)\/v([1-9]\d{0,5})$/;

/** Reads type and version from a Payscope `dataschema` URI; null when it is not one. */
export function parseDataschema(uri: string): { type: string; version: number } | null {
  const m = DATASCHEMA_RE.exec(uri);
  return m ? { type: m[1] as string, version: Number(m[2]) } : null;
}

/** A JSON Schema document (draft 2020-12) as published; plain JSON. */
export type JsonSchema = { readonly [key: string]: unknown };

const published = new WeakMap<EventContract, JsonSchema>();

/**
 * The JSON Schema (draft 2020-12) of a contract's `data`, as published at
 * `GET /api/v1/schemas/:type` and committed under `src/contracts/snapshots/`.
 * Derived from the zod schema; refinements that JSON Schema cannot express (a known ISO 4217 code,
 * one currency per event) are enforced by `validateEvent` only.
 */
export function jsonSchemaOf(contract: EventContract): JsonSchema {
  const cached = published.get(contract);
  if (cached) return cached;
  const {
    $schema,
    description: _ignored,
    ...body
  } = z.toJSONSchema(contract.data, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'throw',
    cycles: 'throw',
    reused: 'inline',
  }) as Record<string, unknown>;
  const doc = deepFreeze({
    $schema,
    $id: dataschemaOf(contract.type, contract.version),
    title: `${contract.type} v${contract.version}`,
    description: contract.description,
    ...body,
  });
  published.set(contract, doc);
  return doc;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
