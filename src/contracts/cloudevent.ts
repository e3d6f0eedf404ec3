import { z } from 'zod';
import { ErrorCode, type Failure, type Result, err, failure, ok } from '../core/errors.js';
import { type EventContract, type JsonSchema, dataschemaOf, parseDataschema } from './event-contract.js';
import { text, timestamp } from './fields.js';
import { type AnyEventContract, EVENT_TYPES, type EventType, findContract, versionsOf } from './registry.js';

/**
 * The CloudEvents 1.0 envelope (JSON format) every Payscope event travels in. `data` is described
 * by the contract of `type` (and `dataschema`, when given). Extension attributes are kept.
 */
export interface CloudEvent<D = unknown, T extends string = string> {
  specversion: '1.0';
  id: string;
  source: string;
  type: T;
  time: string;
  subject?: string;
  datacontenttype: 'application/json';
  dataschema?: string;
  data: D;
}

/** An event whose envelope and `data` passed the contract: `data` is typed by `type`. */
export type ValidEvent = {
  [C in AnyEventContract as C['type']]: CloudEvent<z.output<C['data']>, C['type']>;
}[EventType];

const CORE_ATTRIBUTES = new Set(['specversion', 'id', 'source', 'type', 'time', 'subject', 'datacontenttype', 'dataschema', 'data']);
const EXTENSION_NAME_RE = /^[a-z0-9]{1,20}$/;

/** The envelope, with `data` left to the contract of its type. */
export const cloudEventEnvelopeSchema = z
  .object({
    specversion: z.literal('1.0', { error: "must be '1.0' (CloudEvents 1.0)" }),
    id: text(255).describe('Unique per event; consumers deduplicate by it.'),
    source: text(1024)
      .regex(/^\S+$/, { error: 'must be a URI-reference without spaces, e.g. /orders-service' })
      .describe('Who produced the event, as a URI-reference, e.g. /payscope/recorder.'),
    type: text(255).describe('The event type, e.g. payment.recorded; GET /api/v1/schemas lists them.'),
    time: timestamp().describe('When the occurrence happened.'),
    subject: text(1024).optional().describe('What the event is about within the source (a payment id, an order id…).'),
    datacontenttype: z.literal('application/json', { error: "must be 'application/json'" }),
    dataschema: text(1024).optional().describe('payscope:schemas/<type>/v<N>; omitted means the latest version of type.'),
    data: z.unknown(),
  })
  .catchall(z.union([z.string(), z.boolean(), z.int()], { error: 'an extension attribute must be a string, boolean or integer' }));

let envelopeJson: JsonSchema | null = null;

/** The JSON Schema (draft 2020-12) of the envelope; `data` is any JSON, checked by the type's own schema. */
export function envelopeJsonSchema(): JsonSchema {
  if (envelopeJson) return envelopeJson;
  const { $schema, ...body } = z.toJSONSchema(cloudEventEnvelopeSchema, { target: 'draft-2020-12', io: 'input' }) as Record<
    string,
    unknown
  >;
  envelopeJson = Object.freeze({
    $schema,
    $id: 'payscope:schemas/cloudevent/v1',
    title: 'CloudEvents 1.0 envelope',
    description: 'The JSON envelope of every Payscope event; data follows the schema named by type (and dataschema).',
    ...body,
    propertyNames: { anyOf: [{ enum: [...CORE_ATTRIBUTES] }, { pattern: EXTENSION_NAME_RE.source }] },
  });
  return envelopeJson;
}

/**
 * Checks an event against the contract: the CloudEvents envelope, then `data` against the schema
 * of its type and version (`dataschema`, or the latest version when absent). Pure; never throws.
 * Failures: `VALIDATION_FAILED` with `details.issues` ([{field, message}], fields like
 * `data.amount.amount_minor`), or `UNSUPPORTED_EVENT_TYPE` for a type or version not published.
 * @example
 * const r = validateEvent(JSON.parse(body));
 * if (!r.ok) return reject(r.error);
 * if (r.value.type === 'payment.refunded') r.value.data.amount.amount_minor; // typed
 */
export function validateEvent(input: unknown): Result<ValidEvent, Failure> {
  const envelope = cloudEventEnvelopeSchema.safeParse(input);
  const known = identify(input);
  if (!envelope.success) return err(validationFailure(input, envelope.error.issues, [], known));
  const extensionIssues = Object.keys(envelope.data)
    .filter((k) => !CORE_ATTRIBUTES.has(k) && !EXTENSION_NAME_RE.test(k))
    .map((k) => ({
      field: k,
      message: 'is not a CloudEvents attribute; extension attribute names are 1–20 lower-case letters and digits',
    }));
  if (extensionIssues.length > 0) return err(issuesFailure(extensionIssues, known));

  const contract = resolveContract(envelope.data.type, envelope.data.dataschema);
  if (!contract.ok) return contract;
  const data = contract.value.data.safeParse(envelope.data.data);
  if (!data.success) {
    return err(validationFailure(input, data.error.issues, ['data'], { ...known, version: contract.value.version }, contract.value));
  }
  return ok({ ...envelope.data, data: data.data } as ValidEvent);
}

/**
 * The contract an event's `data` is checked against: its `dataschema` version, or the latest
 * version of its type.
 */
export function resolveContract(type: string, dataschema?: string): Result<EventContract, Failure> {
  const latest = findContract(type);
  if (!latest) {
    return err(
      failure(
        ErrorCode.UNSUPPORTED_EVENT_TYPE,
        `type '${type}' is not in the data contract; GET /api/v1/schemas lists the ${EVENT_TYPES.length} published types`,
        { type, known_types: EVENT_TYPES },
      ),
    );
  }
  if (dataschema === undefined) return ok(latest);
  const named = parseDataschema(dataschema);
  if (!named) {
    return err(
      issuesFailure(
        [
          {
            field: 'dataschema',
            message: `'${dataschema}' is not a Payscope schema; send ${dataschemaOf(type, latest.version)} or omit it`,
          },
        ],
        { type },
      ),
    );
  }
  if (named.type !== type) {
    return err(
      issuesFailure(
        [{ field: 'dataschema', message: `names ${named.type} but type is ${type}; send ${dataschemaOf(type, latest.version)}` }],
        {
          type,
        },
      ),
    );
  }
  const contract = findContract(type, named.version);
  if (!contract) {
    return err(
      failure(
        ErrorCode.UNSUPPORTED_EVENT_TYPE,
        `${type} v${named.version} is not published; published versions: ${versionsOf(type).join(', ')}`,
        { type, version: named.version, known_versions: versionsOf(type) },
      ),
    );
  }
  return ok(contract);
}

/**
 * The contract a validated event was checked against, e.g. for its PII fields.
 * @example contractOfEvent(event).piiFields // ['payment.loan_account_number', …]
 */
export function contractOfEvent(event: Pick<CloudEvent, 'type' | 'dataschema'>): EventContract {
  const r = resolveContract(event.type, event.dataschema);
  if (!r.ok) throw new Error(`contractOfEvent called with an event that did not pass validateEvent: ${r.error.message}`);
  return r.value;
}

// ── failures ───────────────────────────────────────────────────────────────────────────────────

interface Issue {
  field: string;
  message: string;
}
interface Known {
  id?: string;
  type?: string;
  version?: number;
}

const MAX_ISSUES_IN_MESSAGE = 10;

function identify(input: unknown): Known {
  if (typeof input !== 'object' || input === null) return {};
  const { id, type } = input as Record<string, unknown>;
  return { ...(typeof id === 'string' ? { id } : {}), ...(typeof type === 'string' ? { type } : {}) };
}

function issuesFailure(issues: Issue[], known: Known): Failure {
  const shown = issues.slice(0, MAX_ISSUES_IN_MESSAGE).map((i) => `${i.field}: ${i.message}`);
  if (issues.length > MAX_ISSUES_IN_MESSAGE) shown.push(`… and ${issues.length - MAX_ISSUES_IN_MESSAGE} more in details.issues`);
  return failure(ErrorCode.VALIDATION_FAILED, shown.join('; '), { ...known, issues });
}

function validationFailure(
  input: unknown,
  zodIssues: readonly z.core.$ZodIssue[],
  prefix: (string | number)[],
  known: Known,
  contract?: EventContract,
): Failure {
  const root = prefix.length > 0 ? valueAt(input, prefix) : input;
  const issues = zodIssues.flatMap((issue): Issue[] => {
    const path = [...prefix, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))];
    const field = path.join('.') || '(event)';
    if (issue.code === 'unrecognized_keys') {
      const where = contract
        ? `${contract.type} v${contract.version} (GET /api/v1/schemas/${contract.type} lists its fields)`
        : 'the event';
      return issue.keys.map((k) => ({ field: [...path, k].join('.'), message: `is not a field of ${where}; remove it` }));
    }
    if (issue.code === 'invalid_type' && path.length > 0 && valueAt(root, issue.path as (string | number)[]) === undefined) {
      return [{ field, message: 'is required' }];
    }
    return [{ field, message: issue.message }];
  });
  return issuesFailure(issues, known);
}

function valueAt(value: unknown, path: readonly (string | number)[]): unknown {
  let v = value;
  for (const key of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string | number, unknown>)[key];
  }
  return v;
}
