import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { demoProgressBars } from '../../src/cli/commands/demo-command.js';
import { createLogOutput, createLogger } from '../../src/core/logger.js';
import { waitFor } from '../harness/event-logs.js';

/**
 * `start --demo` draws progress bars while the server logs: no log line may be written through a
 * bar. The real cli-progress bars are drawn on a stream that says it is a terminal; the logger
 * writes to another "terminal" stream (stdout beside stderr, as in a shell). Every log line made
 * while a bar is drawn must reach the screen through the bars (above them, at a redraw) or after
 * they stop — never on its own stream while they are up.
 */

function terminal() {
  const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 100, rows: 40 });
  let text = '';
  stream.on('data', (c: Buffer) => {
    text += c.toString();
  });
  return { stream, text: () => text };
}

describe('log lines and the demo progress bars', () => {
  it('writes no log line on its own stream while a bar is drawn; the lines appear above the bars, in order', async () => {
    const stdout = terminal();
    const stderr = terminal();
    const logs = createLogOutput(stdout.stream, 'pretty');
    const logger = createLogger('info', logs);
    const bars = demoProgressBars({ logs, stream: stderr.stream });

    logger.info('before the bars');
    const beforeBars = stdout.text();
    expect(beforeBars).toContain('before the bars');

    bars.onProgress({ phase: 'webhooks', done: 1, total: 10 });
    expect(bars.active).toBe(true);
    logger.info({ batch_id: 'b-1' }, 'staging batch recorded');
    bars.onProgress({ phase: 'webhooks', done: 5, total: 10 });
    logger.warn('consumer is behind');
    bars.log('demo: merchant names loaded');
    await waitFor(() => stderr.text().includes('consumer is behind') && stderr.text().includes('merchant names'), 'a redraw of the bars');
    logger.info('just before the end');
    bars.onProgress({ phase: 'webhooks', done: 10, total: 10 });
    expect(stdout.text(), 'a log line was written to stdout while a bar was drawn').toBe(beforeBars);

    bars.stop();
    expect(bars.active).toBe(false);
    // What was still held at the stop is printed below the bars, none lost.
    expect(stderr.text()).toContain('just before the end');
    const onBars = stderr.text();
    const order = ['staging batch recorded', 'consumer is behind', 'demo: merchant names loaded', 'just before the end'].map((m) =>
      onBars.indexOf(m),
    );
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // Each held line is printed whole at the start of a line, not in the middle of a bar's row.
    for (const m of ['staging batch recorded', 'consumer is behind']) {
      const at = onBars.indexOf(m);
      const lineStart = onBars.lastIndexOf('\n', at);
      expect(onBars.slice(lineStart + 1, at)).not.toMatch(/█|░|%/);
    }

    logger.info('after the bars');
    expect(stdout.text()).toContain('after the bars');
  });

  it('leaves logs on their own stream when it is not a terminal (a file or pipe never interleaves with the bars)', () => {
    const file = Object.assign(new PassThrough(), { isTTY: false });
    let written = '';
    file.on('data', (c: Buffer) => {
      written += c.toString();
    });
    const stderr = terminal();
    const logs = createLogOutput(file, 'auto');
    const logger = createLogger('info', logs);
    const bars = demoProgressBars({ logs, stream: stderr.stream });
    bars.onProgress({ phase: 'events', done: 1, total: 3 });
    logger.info('to the file');
    bars.stop();
    expect(JSON.parse(written).msg).toBe('to the file');
    expect(stderr.text()).not.toContain('to the file');
  });
});
