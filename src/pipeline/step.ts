/**
 * What a pipeline step answers for one event: carry on with a value, drop it (with why — e.g. an
 * event of no interest to the warehouse), or send it to the dead-letter table with a stable code
 * and a message that says what to fix.
 */
export type StepResult<T> =
  | { kind: 'ok'; value: T }
  | { kind: 'drop'; reason: string }
  | { kind: 'dlq'; code: string; message: string; details?: unknown };
