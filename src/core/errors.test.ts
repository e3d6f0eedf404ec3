import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ErrorCode, httpStatusOf } from './errors.js';

describe('error catalogue', () => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

  it('documents every error code with its HTTP status in docs/errors.md', () => {
    for (const code of Object.values(ErrorCode)) {
      const line = doc.split('\n').find((l) => l.includes(`\`${code}\``));
      expect(line, code).toBeDefined();
      expect(line).toContain(`| ${httpStatusOf(code)} |`);
      expect(line).toContain(`id="${code.toLowerCase()}"`);
    }
  });

  it('maps every code to a 4xx or 5xx status', () => {
    for (const code of Object.values(ErrorCode)) expect(httpStatusOf(code)).toBeGreaterThanOrEqual(400);
  });
});
