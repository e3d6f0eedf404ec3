import { InvalidArgumentError } from 'commander';
import { type Config, ConfigError, loadConfig } from '../core/config.js';

/** What every sub-command shares: the configuration (exit 78 when it is bad) and option parsers. */

/** The environment configuration; a bad value prints what is wrong and exits 78 (EX_CONFIG). */
export function config(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(78);
    }
    throw error;
  }
}

/** Option parser: a whole number ≥ 0. */
export const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number');
  return n;
};

/** Option parser: a calendar date YYYY-MM-DD (UTC). */
export const isoDay = (v: string) => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`))) {
    throw new InvalidArgumentError('expected a calendar date YYYY-MM-DD (UTC)');
  }
  return v;
};
