import { type ValidEvent, validateEvent } from '../contracts/index.js';
import { ErrorCode } from '../core/errors.js';
import type { LogRecord } from '../log/event-log-port.js';
import type { StepResult } from './step.js';

/**
 * Parses a log record's CloudEvent and checks it against the data contract. Events written by
 * Payscope pass; anything else on the log (another producer on the Kafka topic, a schema this
 * version does not know) is a dead letter with the contract's error, not a crash.
 */
export function createDecodeStep(): (record: LogRecord) => StepResult<ValidEvent> {
  return function decodeEvent(record) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(record.value);
    } catch (error) {
      return { kind: 'dlq', code: ErrorCode.MALFORMED_JSON, message: `the record is not JSON: ${(error as Error).message}` };
    }
    const result = validateEvent(parsed);
    if (!result.ok) return { kind: 'dlq', code: result.error.code, message: result.error.message, details: result.error.details };
    return { kind: 'ok', value: result.value };
  };
}
