/**
 * The data contract: the schema of every event Payscope publishes or accepts. Import from here.
 * See README.md in this folder and docs/data-contract.md.
 */
export {
  type CloudEvent,
  type ValidEvent,
  cloudEventEnvelopeSchema,
  contractOfEvent,
  envelopeJsonSchema,
  resolveContract,
  validateEvent,
} from './cloudevent.js';
export { type BreakingChange, findBreakingChanges } from './compatibility.js';
export { type EventContract, type JsonSchema, dataschemaOf, jsonSchemaOf, parseDataschema } from './event-contract.js';
export {
  FAILURE_CATEGORIES,
  type FailureCategory,
  type FailureCodeTable,
  categoriseFailure,
  failureCategoryField,
  isFailureCategory,
} from './failure-categories.js';
export type { Money } from './fields.js';
export * from './events/behaviour-events.js';
export * from './events/experiment-events.js';
export * from './events/customer-events.js';
export * from './events/finance-events.js';
export * from './experiment-assignment.js';
export * from './experiment-definition.js';
export * from './experiment-guardrails.js';
export * from './experiment-lifecycle.js';
export * from './events/order-events.js';
export * from './events/payment-events.js';
export * from './payment-lifecycle.js';
export { mapFields, omitFields } from './pii.js';
export {
  type AnyEventContract,
  EVENT_CONTRACTS,
  EVENT_TYPES,
  type EventDataOf,
  type EventType,
  type SchemaListing,
  findContract,
  isEventType,
  listSchemas,
  versionsOf,
} from './registry.js';
