/**
 * The one catalogue of error codes Payscope returns. Every rejection a client can see carries one
 * of these codes; `httpStatusOf` maps each to its HTTP status with an exhaustive switch so a new
 * code cannot be added without deciding its status.
 */
export const ErrorCode = {
  MALFORMED_JSON: 'MALFORMED_JSON',
  INVALID_UTF8: 'INVALID_UTF8',
  INVALID_TEXT: 'INVALID_TEXT',
  NESTING_TOO_DEEP: 'NESTING_TOO_DEEP',
  AMOUNT_ZERO: 'AMOUNT_ZERO',
  PAYMENT_DATE_IN_FUTURE: 'PAYMENT_DATE_IN_FUTURE',
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  AMOUNT_PRECISION: 'AMOUNT_PRECISION',
  UNKNOWN_CURRENCY: 'UNKNOWN_CURRENCY',
  UNSUPPORTED_CHANNEL: 'UNSUPPORTED_CHANNEL',
  UNSUPPORTED_EVENT_TYPE: 'UNSUPPORTED_EVENT_TYPE',
  EVENT_TYPE_NOT_CAPTURABLE: 'EVENT_TYPE_NOT_CAPTURABLE',
  CURRENCY_MISMATCH: 'CURRENCY_MISMATCH',
  AMOUNT_CONFLICT: 'AMOUNT_CONFLICT',
  REFUND_CURRENCY_MISMATCH: 'REFUND_CURRENCY_MISMATCH',
  REFUND_EXCEEDS_CAPTURED: 'REFUND_EXCEEDS_CAPTURED',
  PAYMENT_NOT_RECORDED: 'PAYMENT_NOT_RECORDED',
  EXPERIMENT_CONFLICT: 'EXPERIMENT_CONFLICT',
  PIPELINE_STEP_FAILED: 'PIPELINE_STEP_FAILED',
  INVALID_BATCH: 'INVALID_BATCH',
  BATCH_EMPTY: 'BATCH_EMPTY',
  INVALID_CURSOR: 'INVALID_CURSOR',
  BATCH_TOO_LARGE: 'BATCH_TOO_LARGE',
  SIGNATURE_MISSING: 'SIGNATURE_MISSING',
  SIGNATURE_INVALID: 'SIGNATURE_INVALID',
  TIMESTAMP_OUT_OF_TOLERANCE: 'TIMESTAMP_OUT_OF_TOLERANCE',
  SOURCE_NOT_CONFIGURED: 'SOURCE_NOT_CONFIGURED',
  IP_NOT_ALLOWED: 'IP_NOT_ALLOWED',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  RATE_LIMITED: 'RATE_LIMITED',
  REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  NOT_FOUND: 'NOT_FOUND',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  API_KEY_MISSING: 'API_KEY_MISSING',
  API_KEY_INVALID: 'API_KEY_INVALID',
  ROLE_FORBIDDEN: 'ROLE_FORBIDDEN',
  SQL_NOT_ALLOWED: 'SQL_NOT_ALLOWED',
  SQL_INVALID: 'SQL_INVALID',
  SQL_TIMEOUT: 'SQL_TIMEOUT',
  SQL_BUSY: 'SQL_BUSY',
  TOO_MANY_POINTS: 'TOO_MANY_POINTS',
  FX_RATE_MISSING: 'FX_RATE_MISSING',
  FUNNEL_NOT_FOUND: 'FUNNEL_NOT_FOUND',
  FUNNEL_NAME_TAKEN: 'FUNNEL_NAME_TAKEN',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  TIMEOUT: 'TIMEOUT',
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export function httpStatusOf(code: ErrorCode): number {
  switch (code) {
    case ErrorCode.MALFORMED_JSON:
    case ErrorCode.INVALID_UTF8:
    case ErrorCode.INVALID_BATCH:
    case ErrorCode.BATCH_EMPTY:
    case ErrorCode.INVALID_CURSOR:
      return 400;
    case ErrorCode.SIGNATURE_MISSING:
    case ErrorCode.SIGNATURE_INVALID:
    case ErrorCode.TIMESTAMP_OUT_OF_TOLERANCE:
    case ErrorCode.API_KEY_MISSING:
    case ErrorCode.API_KEY_INVALID:
      return 401;
    case ErrorCode.IP_NOT_ALLOWED:
    case ErrorCode.ROLE_FORBIDDEN:
      return 403;
    case ErrorCode.NOT_FOUND:
    case ErrorCode.UNSUPPORTED_CHANNEL:
    case ErrorCode.SOURCE_NOT_CONFIGURED:
    case ErrorCode.FUNNEL_NOT_FOUND:
      return 404;
    case ErrorCode.REQUEST_TIMEOUT:
      return 408;
    case ErrorCode.AMOUNT_CONFLICT:
    case ErrorCode.REFUND_CURRENCY_MISMATCH:
    case ErrorCode.REFUND_EXCEEDS_CAPTURED:
    case ErrorCode.PAYMENT_NOT_RECORDED:
    case ErrorCode.EXPERIMENT_CONFLICT:
    case ErrorCode.FUNNEL_NAME_TAKEN:
      return 409;
    case ErrorCode.METHOD_NOT_ALLOWED:
      return 405;
    case ErrorCode.PAYLOAD_TOO_LARGE:
    case ErrorCode.BATCH_TOO_LARGE:
      return 413;
    case ErrorCode.UNSUPPORTED_MEDIA_TYPE:
      return 415;
    case ErrorCode.VALIDATION_FAILED:
    case ErrorCode.INVALID_TEXT:
    case ErrorCode.NESTING_TOO_DEEP:
    case ErrorCode.AMOUNT_ZERO:
    case ErrorCode.PAYMENT_DATE_IN_FUTURE:
    case ErrorCode.AMOUNT_PRECISION:
    case ErrorCode.UNKNOWN_CURRENCY:
    case ErrorCode.UNSUPPORTED_EVENT_TYPE:
    case ErrorCode.EVENT_TYPE_NOT_CAPTURABLE:
    case ErrorCode.CURRENCY_MISMATCH:
    case ErrorCode.SQL_NOT_ALLOWED:
    case ErrorCode.SQL_INVALID:
    case ErrorCode.TOO_MANY_POINTS:
    case ErrorCode.FX_RATE_MISSING:
      return 422;
    case ErrorCode.RATE_LIMITED:
      return 429;
    case ErrorCode.INTERNAL:
    case ErrorCode.PIPELINE_STEP_FAILED:
      return 500;
    case ErrorCode.SERVICE_UNAVAILABLE:
    case ErrorCode.SQL_BUSY:
      return 503;
    case ErrorCode.TIMEOUT:
    case ErrorCode.SQL_TIMEOUT:
      return 504;
    default: {
      const unreachable: never = code;
      throw new Error(`unmapped error code ${String(unreachable)}`);
    }
  }
}

/** An expected failure: a stable code, a message that says what to fix, optional details. */
export interface Failure {
  readonly code: ErrorCode;
  readonly message: string;
  readonly details?: unknown;
  /** Whether sending the same thing again later may succeed. */
  readonly retryable?: boolean;
}

export type Result<T, E = Failure> = { ok: true; value: T } | { ok: false; error: E };

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const err = <E = Failure>(error: E): Result<never, E> => ({ ok: false, error });

export function failure(code: ErrorCode, message: string, details?: unknown): Failure {
  return details === undefined ? { code, message } : { code, message, details };
}

/** An expected failure raised across a boundary that cannot return a Result (HTTP hooks). */
export class PayscopeError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;
  constructor(f: Failure) {
    super(f.message);
    this.name = 'PayscopeError';
    this.code = f.code;
    this.details = f.details;
  }
}

/** Where an error body's `docs` link points: the catalogue (docs/errors.md) as the server serves it. */
export const DOCS_BASE = '/docs/errors#';
