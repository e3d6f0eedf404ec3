import { createRequire } from 'node:module';
import { type Logger, pino } from 'pino';
import type { PrettyOptions } from 'pino-pretty';

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

/** `LOG_FORMAT`: one JSON object per line, human lines, or human lines only on a terminal (the default). */
export const LOG_FORMATS = ['json', 'pretty', 'auto'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/**
 * Where log lines go. pino hands it one JSON line per `write`; it writes that line as it is, or as
 * a human line (pino-pretty's formatter, run synchronously so lines keep their order with
 * everything else on the terminal). `divert` sends lines elsewhere for a while: a progress bar
 * takes them and prints them above itself, so no line is ever written through a bar.
 */
export interface LogOutput {
  write(line: string): void;
  /** True when lines are written human-readable. */
  readonly pretty: boolean;
  /** True when the stream is a terminal (a progress bar on the same terminal must take the lines). */
  readonly isTTY: boolean;
  /** Sends lines (already formatted, newline-terminated) to `to` until called with null. */
  divert(to: ((text: string) => void) | null): void;
}

type Stream = NodeJS.WritableStream & { isTTY?: boolean };

/**
 * @example createLogOutput(process.stdout, 'auto') // human lines on a terminal, JSON in a pipe or file
 */
export function createLogOutput(stream: Stream = process.stdout, format: LogFormat = 'auto'): LogOutput {
  const isTTY = stream.isTTY === true;
  const pretty = format === 'pretty' || (format === 'auto' && isTTY);
  const format1 = pretty ? prettyFormatter(isTTY && !process.env.NO_COLOR) : null;
  let diverted: ((text: string) => void) | null = null;
  return {
    pretty,
    isTTY,
    write(line) {
      const text = format1 ? format1(line) : line;
      if (diverted) diverted(text);
      else stream.write(text);
    },
    divert(to) {
      diverted = to;
    },
  };
}

// pino-pretty is loaded only when a human format is chosen (~35 ms of start-up, measured here).
const require = createRequire(import.meta.url);
function prettyFormatter(colorize: boolean): (line: string) => string {
  const { prettyFactory } = require('pino-pretty') as { prettyFactory(options: PrettyOptions): (line: string) => string };
  return prettyFactory({ colorize, singleLine: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,service' });
}

const isLogOutput = (d: unknown): d is LogOutput => typeof d === 'object' && d !== null && typeof (d as LogOutput).divert === 'function';

/** A pino logger writing to `destination` (default stdout) in `format` (default auto: human on a terminal). */
export function createLogger(level: string, destination?: Stream | LogOutput, format: LogFormat = 'auto'): Logger {
  const output = isLogOutput(destination) ? destination : createLogOutput(destination ?? process.stdout, format);
  return pino(
    { level, base: { service: 'payscope' }, redact: { paths: REDACT, censor: '[redacted]' }, timestamp: pino.stdTimeFunctions.isoTime },
    output,
  );
}

export type { Logger } from 'pino';
