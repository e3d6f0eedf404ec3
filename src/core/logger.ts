import { type Logger, pino } from 'pino';

/** Fields that may carry personal data or secrets; they never reach a log line. */
const REDACT = [
  'cif',
  'loan_account_number',
  'customer_id',
  'email',
  'contact',
  'phone',
  '*.cif',
  '*.loan_account_number',
  '*.customer_id',
  '*.email',
  '*.contact',
  '*.phone',
  'req.headers.authorization',
  'req.headers["webhook-signature"]',
  'req.headers["x-signature"]',
  'secret',
  '*.secret',
];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    { level, base: { service: 'payscope' }, redact: { paths: REDACT, censor: '[redacted]' }, timestamp: pino.stdTimeFunctions.isoTime },
    destination as pino.DestinationStream | undefined,
  );
}

export type { Logger } from 'pino';
