import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';
import { type LogFormat, createLogOutput, createLogger } from './logger.js';

/** A stream that keeps what was written; `tty` makes it look like a terminal (isTTY), as process.stdout does on one. */
function capture(tty: boolean) {
  const stream = Object.assign(new PassThrough(), { isTTY: tty });
  const writes: string[] = [];
  stream.on('data', (c: Buffer) => writes.push(c.toString()));
  return { stream, text: () => writes.join('') };
}

function linesFor(format: LogFormat, tty: boolean): string[] {
  const out = capture(tty);
  const logger = createLogger('info', out.stream, format);
  logger.info({ port: 3004, cif: 'CIF-SECRET-1' }, 'listening');
  logger.warn('slow consumer');
  return out.text().trimEnd().split('\n');
}

describe('LOG_FORMAT', () => {
  it('json writes one JSON object per line, whatever the stream', () => {
    for (const tty of [false, true]) {
      const lines = linesFor('json', tty);
      expect(lines).toHaveLength(2);
      expect(JSON.parse(lines[0] as string)).toMatchObject({ level: 30, msg: 'listening', port: 3004, service: 'payscope' });
    }
  });

  it('pretty writes one human line per event: time, level, message, fields — no JSON object, personal fields still redacted', () => {
    const lines = linesFor('pretty', false);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\[\d{2}:\d{2}:\d{2}\] INFO: listening \{"port":3004,"cif":"\[redacted\]"\}$/);
    expect(lines[1]).toMatch(/^\[\d{2}:\d{2}:\d{2}\] WARN: slow consumer$/);
    expect(lines.join('\n')).not.toContain('CIF-SECRET-1');
  });

  it('auto is human on a terminal and JSON in a pipe or file', () => {
    expect(() => JSON.parse(linesFor('auto', false)[0] as string)).not.toThrow();
    const onTerminal = linesFor('auto', true)[0] as string;
    expect(onTerminal.startsWith('{')).toBe(false);
    // eslint-disable-next-line no-control-regex
    expect(onTerminal.replace(/\u001b\[[0-9;]*m/g, '')).toMatch(/INFO: listening/);
  });

  it('is a configuration variable, auto by default, refused with the allowed values when misspelt', () => {
    expect(loadConfig({}).env.LOG_FORMAT).toBe('auto');
    expect(loadConfig({ LOG_FORMAT: 'json' }).env.LOG_FORMAT).toBe('json');
    try {
      loadConfig({ LOG_FORMAT: 'text' });
      expect.fail('LOG_FORMAT=text was accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toMatch(/LOG_FORMAT.*json.*pretty.*auto/);
    }
  });

  it('sends lines elsewhere while diverted, and to the stream again after', () => {
    const out = capture(true);
    const logs = createLogOutput(out.stream, 'json');
    const logger = createLogger('info', logs);
    const taken: string[] = [];
    logs.divert((text) => taken.push(text));
    logger.info('held');
    logs.divert(null);
    logger.info('direct');
    expect(taken.map((t) => JSON.parse(t).msg)).toEqual(['held']);
    expect(JSON.parse(out.text()).msg).toBe('direct');
  });
});
