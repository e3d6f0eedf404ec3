import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WebhookChannel } from './plan-types.js';

/**
 * Where the demo finds what a real sender would have: the webhook secrets (configured sources,
 * else the ones the embedded default generated into DATA_DIR/webhook-secrets.json) and an API key
 * for the non-webhook calls (`--api-key`, PAYSCOPE_API_KEY, else DATA_DIR/admin-api-key).
 */
export function demoSecretsOf(
  configured: Readonly<Record<string, { secret: string }>>,
  dataDir: string,
): { secrets: Partial<Record<WebhookChannel, string>>; from: string } {
  const pick = (sources: Readonly<Record<string, { secret?: string }>>) => {
    const secrets: Partial<Record<WebhookChannel, string>> = {};
    for (const name of ['default', 'razorpay', 'stripe'] as const) {
      const secret = sources[name]?.secret;
      if (secret) secrets[name] = secret;
    }
    return secrets;
  };
  if (Object.keys(configured).length > 0) return { secrets: pick(configured), from: 'WEBHOOK_SOURCES / WEBHOOK_SECRET' };
  const file = join(dataDir, 'webhook-secrets.json');
  if (existsSync(file)) {
    return { secrets: pick(JSON.parse(readFileSync(file, 'utf8')) as Record<string, { secret?: string }>), from: file };
  }
  return { secrets: {}, from: 'nowhere' };
}

export function resolveApiKey(flag: string | undefined, env: NodeJS.ProcessEnv, dataDir: string): string | null {
  if (flag) return flag;
  if (env.PAYSCOPE_API_KEY) return env.PAYSCOPE_API_KEY;
  const file = join(dataDir, 'admin-api-key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim() || null;
  return null;
}
