import { z } from 'zod';
import { ErrorCode, type Failure, type Result, err, failure, ok } from '../../../core/errors.js';
import { isStorableText } from '../../../core/text.js';
import type { DeliveryInput } from '../../../recorder/ledger-delivery.js';

/**
 * The port every payment channel implements: it turns that gateway's webhook body into what the
 * ledger records (a payment status, a refund, a dispute step — a DeliveryInput), so the route, the
 * recorder and the analytics never see a gateway's shape.
 * Adapters are pure (no I/O, no clock) and never throw on any input.
 */
export interface ChannelAdapter {
  /** The `:channel` segment of `POST /api/v1/payments/webhook/:channel`. */
  readonly channel: string;
  /** The gateway event types this adapter maps; anything else is UNSUPPORTED_EVENT_TYPE. */
  readonly supportedEvents: readonly string[];
  /**
   * Maps an already-parsed JSON body to what the ledger records — a payment status, a refund or a
   * dispute step — with the gateway's event time and id; a Failure says which field is wrong and
   * how. `headers` carries what some gateways send only there (Razorpay's x-razorpay-event-id).
   */
  toDelivery(body: unknown, context: DeliveryContext): Result<DeliveryInput, Failure>;
}

/** The request's parts besides the body an adapter may read. */
export interface DeliveryContext {
  headers: Record<string, string | string[] | undefined>;
}

/** Builds the channel → adapter lookup; a repeated channel name is a programming error. */
export function createChannelRegistry(adapters: readonly ChannelAdapter[]): ReadonlyMap<string, ChannelAdapter> {
  const registry = new Map<string, ChannelAdapter>();
  for (const adapter of adapters) {
    if (registry.has(adapter.channel)) throw new Error(`two channel adapters are named '${adapter.channel}'`);
    registry.set(adapter.channel, adapter);
  }
  return registry;
}

/** Finds the adapter for `channel`, or UNSUPPORTED_CHANNEL listing the channels that exist. */
export function findChannelAdapter(registry: ReadonlyMap<string, ChannelAdapter>, channel: string): Result<ChannelAdapter, Failure> {
  const adapter = registry.get(channel);
  if (adapter) return ok(adapter);
  const known = [...registry.keys()];
  return err(
    failure(ErrorCode.UNSUPPORTED_CHANNEL, `channel '${clip(channel)}' is not supported; use one of: ${known.join(', ')}`, {
      supported_channels: known,
    }),
  );
}

/** UNSUPPORTED_EVENT_TYPE whose message lists what the channel does accept. */
export function unsupportedEventFailure(channel: string, eventType: string, supported: readonly string[]): Failure {
  return failure(
    ErrorCode.UNSUPPORTED_EVENT_TYPE,
    `${channel} event '${clip(eventType)}' is not supported; send only ${supported.join(', ')} to this endpoint ` +
      `(unsubscribe the others in the ${channel} dashboard)`,
    { event: eventType, supported_events: supported },
  );
}

/**
 * An event of a type the channel maps that still records nothing (a refund not yet succeeded, a
 * charge.refunded without its refund list). The same UNSUPPORTED_EVENT_TYPE, so the sender is
 * answered 200 `ignored` — a 4xx would only make the gateway retry a delivery that will never record.
 */
export function notRecordedFailure(channel: string, eventType: string, why: string): Failure {
  return failure(ErrorCode.UNSUPPORTED_EVENT_TYPE, `${channel} event '${clip(eventType)}' records nothing: ${why}`, { event: eventType });
}

/**
 * A gateway's event id from a request header, or null: it only labels the ledger's history row, so
 * an absent, repeated-empty or unstorable value is dropped rather than refusing the delivery.
 */
export function eventIdFromHeader(headers: DeliveryContext['headers'], name: string): string | null {
  const raw = headers[name];
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  return value && value.length <= 255 && isStorableText(value) ? value : null;
}

/** VALIDATION_FAILED naming each bad field by its path in the gateway's body. */
export function invalidBodyFailure(channel: string, error: z.ZodError): Failure {
  const issues = error.issues.map((i) => ({ field: i.path.map(String).join('.') || '(body)', message: i.message }));
  return failure(
    ErrorCode.VALIDATION_FAILED,
    `not a valid ${channel} webhook: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`,
    { issues },
  );
}

/** VALIDATION_FAILED for one field a schema cannot check alone (e.g. one of two ids must be present). */
export function fieldFailure(channel: string, field: string, message: string): Failure {
  return failure(ErrorCode.VALIDATION_FAILED, `not a valid ${channel} webhook: ${field}: ${message}`, { issues: [{ field, message }] });
}

/** `value` as a member of `list` (trimmed, any case), or null: a gateway's reason word in Payscope's vocabulary. */
export function memberOf<T extends string>(list: readonly T[], value: unknown): T | null {
  if (typeof value !== 'string') return null;
  const word = value.trim().toLowerCase();
  return (list as readonly string[]).includes(word) ? (word as T) : null;
}

/**
 * Reads a gateway event in two steps — first only its type field, so an event the channel does
 * not map gets UNSUPPORTED_EVENT_TYPE rather than a list of schema errors, then the whole body.
 */
export function parseChannelEvent<T>(
  channel: string,
  body: unknown,
  event: { typeField: string; example: string; supported: readonly string[]; schema: z.ZodType<T> },
): Result<T, Failure> {
  const envelope = z.object({ [event.typeField]: z.string({ message: `must be the event type, e.g. ${event.example}` }) }).safeParse(body);
  if (!envelope.success) return err(invalidBodyFailure(channel, envelope.error));
  const type = envelope.data[event.typeField] as string;
  if (!event.supported.includes(type)) return err(unsupportedEventFailure(channel, type, event.supported));
  const parsed = event.schema.safeParse(body);
  return parsed.success ? ok(parsed.data) : err(invalidBodyFailure(channel, parsed.error));
}

/** The canonical fields a merchant may carry in a gateway's free-form notes/metadata. */
export interface ReferenceFields {
  loan_account_number: string | null;
  cif: string | null;
  merchant_id: string | null;
  customer_id: string | null;
  order_id: string | null;
  region: string | null;
  country: string | null;
}

// Limits mirror paymentInputSchema, so a value taken from notes never fails the whole payment.
const REFERENCE_FIELD_LIMITS: Readonly<Record<keyof ReferenceFields, number>> = {
  loan_account_number: 20,
  cif: 20,
  merchant_id: 100,
  customer_id: 255,
  order_id: 255,
  region: 100,
  country: 2,
};

/**
 * Reads the canonical reference fields (loan account, CIF, merchant, customer, order, region,
 * country) from a gateway's free-form key/value notes. Notes are typed by people at checkout time,
 * so a value that does not fit its field is left out and its key (never its value, which may be
 * personal data) reported in `ignored`, rather than failing a payment the gateway already took.
 */
export function referenceFieldsFromNotes(notes: Record<string, unknown> | null | undefined): {
  fields: ReferenceFields;
  ignored: string[];
} {
  const fields: ReferenceFields = {
    loan_account_number: null,
    cif: null,
    merchant_id: null,
    customer_id: null,
    order_id: null,
    region: null,
    country: null,
  };
  const ignored: string[] = [];
  for (const key of Object.keys(REFERENCE_FIELD_LIMITS) as (keyof ReferenceFields)[]) {
    const raw = notes?.[key];
    if (raw === undefined || raw === null || raw === '') continue;
    const value = noteText(raw);
    const fits =
      value !== null &&
      value.length <= REFERENCE_FIELD_LIMITS[key] &&
      isStorableText(value) &&
      (key !== 'country' || /^[A-Za-z]{2}$/.test(value));
    if (fits) fields[key] = key === 'country' ? value.toUpperCase() : value;
    else ignored.push(key);
  }
  return { fields, ignored };
}

function noteText(raw: unknown): string | null {
  if (typeof raw === 'string') return raw.trim() || null;
  // Account numbers are often sent as JSON numbers; only integers print back exactly.
  if (typeof raw === 'number' && Number.isSafeInteger(raw)) return String(raw);
  return null;
}

/**
 * Cuts free text from a gateway (method, failure description, customer id) to the canonical
 * field's limit instead of rejecting the payment; a NUL is dropped and a lone surrogate becomes
 * U+FFFD, since neither can be stored and the gateway has already taken the payment. Ids that
 * identify the payment are not clipped: a bad one is refused (INVALID_TEXT).
 */
export function clipText(text: string | null | undefined, max: number): string | null {
  if (text == null) return null;
  const clean = text.replaceAll('\u0000', '').toWellFormed();
  if (clean.trim() === '') return null;
  if (clean.length <= max) return clean;
  // Never cut a surrogate pair in half: a lone surrogate is not valid UTF-8 for the database.
  const end = /[\uD800-\uDBFF]/.test(clean.charAt(max - 2)) ? max - 2 : max - 1;
  return `${clean.slice(0, end)}…`;
}

/** A unix-seconds timestamp as a Date. */
export const dateOfUnixSeconds = (seconds: number): Date => new Date(seconds * 1000);

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
