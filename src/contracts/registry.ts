import type { z } from 'zod';
import { type EventContract, type JsonSchema, dataschemaOf, jsonSchemaOf } from './event-contract.js';
import {
  checkoutAbandonedV1,
  checkoutStartedV1,
  experimentExposureRecordedV1,
  productAddedToCartV1,
  productViewedV1,
  searchQueryV1,
  searchResultClickedV1,
  userLoggedInV1,
  userRegisteredV1,
} from './events/behaviour-events.js';
import { experimentStatusChangedV1 } from './events/experiment-events.js';
import { escrowReleasedV1, settlementBatchCreatedV1, settlementCompletedV1, taxLineRecordedV1 } from './events/finance-events.js';
import { orderCancelledV1, orderCompletedV1, orderPlacedV1 } from './events/order-events.js';
import {
  paymentCapturedV1,
  paymentDisputeOpenedV1,
  paymentDisputeUpdatedV1,
  paymentFailedV1,
  paymentRecordedV1,
  paymentRefundedV1,
  paymentStatusChangedV1,
  paymentSucceededV1,
} from './events/payment-events.js';
import { customerSegmentChangedV1 } from './events/customer-events.js';

/**
 * Every published contract, each (type, version) once. A breaking change to a type adds its next
 * major version here and keeps the old one, so events already in the log still validate.
 */
export const EVENT_CONTRACTS = [
  paymentRecordedV1,
  paymentStatusChangedV1,
  paymentSucceededV1,
  paymentFailedV1,
  paymentCapturedV1,
  paymentRefundedV1,
  paymentDisputeOpenedV1,
  paymentDisputeUpdatedV1,
  settlementBatchCreatedV1,
  settlementCompletedV1,
  orderPlacedV1,
  orderCompletedV1,
  orderCancelledV1,
  checkoutStartedV1,
  checkoutAbandonedV1,
  productViewedV1,
  productAddedToCartV1,
  searchQueryV1,
  searchResultClickedV1,
  userRegisteredV1,
  userLoggedInV1,
  experimentExposureRecordedV1,
  experimentStatusChangedV1,
  escrowReleasedV1,
  taxLineRecordedV1,
  customerSegmentChangedV1,
] as const;

export type AnyEventContract = (typeof EVENT_CONTRACTS)[number];
export type EventType = AnyEventContract['type'];
/** The `data` of an event type, as validated (a union over its versions). */
export type EventDataOf<T extends EventType> = z.output<Extract<AnyEventContract, { type: T }>['data']>;

const byType: ReadonlyMap<string, readonly EventContract[]> = (() => {
  const map = new Map<string, EventContract[]>();
  for (const c of EVENT_CONTRACTS as readonly EventContract[]) map.set(c.type, [...(map.get(c.type) ?? []), c]);
  for (const versions of map.values()) versions.sort((a, b) => a.version - b.version);
  return map;
})();

/** The event types in the catalogue, in catalogue order. */
export const EVENT_TYPES: readonly EventType[] = [...byType.keys()] as EventType[];

export function isEventType(type: string): type is EventType {
  return byType.has(type);
}

/** The published versions of a type, oldest first; empty for an unknown type. */
export function versionsOf(type: string): readonly number[] {
  return (byType.get(type) ?? []).map((c) => c.version);
}

/**
 * The contract of a type at a version, or its latest version when none is given.
 * @example findContract('payment.recorded')?.version // 1
 */
export function findContract(type: string, version?: number): EventContract | undefined {
  const versions = byType.get(type);
  if (!versions) return undefined;
  return version === undefined ? versions[versions.length - 1] : versions.find((c) => c.version === version);
}

/** One published schema, as the registry lists it. */
export interface SchemaListing {
  type: string;
  version: number;
  /** Whether this is the newest version of its type (the one producers should send). */
  latest: boolean;
  description: string;
  subject: string | null;
  /** The URI events put in `dataschema`, also the JSON Schema's `$id`. */
  dataschema: string;
  jsonSchema: JsonSchema;
  piiFields: readonly string[];
  freeFormFields: readonly string[];
  keyFields: readonly string[];
}

/** Every published (type, version), in catalogue order, oldest version first. */
export function listSchemas(): SchemaListing[] {
  return [...byType.values()].flatMap((versions) =>
    versions.map((c) => ({
      type: c.type,
      version: c.version,
      latest: c === versions[versions.length - 1],
      description: c.description,
      subject: c.subject ?? null,
      dataschema: dataschemaOf(c.type, c.version),
      jsonSchema: jsonSchemaOf(c),
      piiFields: c.piiFields,
      freeFormFields: c.freeFormFields,
      keyFields: c.keyFields,
    })),
  );
}
