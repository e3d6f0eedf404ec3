import type { AccessRole } from './api-keys.js';

/**
 * Who may call a route. Declare it on the route: `app.get(url, { config: { access: ['analyst'] } }, …)`;
 * `admin` may call every route. Routes that declare nothing get the default of their path
 * (`defaultAccessOf`), and an `/api/` route nobody classified is admin-only: a new route is never
 * open by accident.
 *
 * - `'public'`: no key (signature-authenticated webhooks, health, metrics, docs, the data contract)
 * - `'authenticated'`: any valid key or session, whatever its roles (the session endpoints)
 * - a list of roles: a key holding one of them, or `admin`
 */
export type AccessRule = 'public' | 'authenticated' | readonly AccessRole[];

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call this route (see access-rules.ts). */
    access?: AccessRule;
    /** Write each call to the audit log: the route returns row-level payment detail. */
    audit?: boolean;
  }
}

const PREFIX_DEFAULTS: { prefix: string; methods?: readonly string[]; rule: AccessRule; audit?: boolean }[] = [
  { prefix: '/api/v1/payments/webhook', rule: 'public' },
  { prefix: '/api/v1/schemas', rule: 'public' },
  { prefix: '/api/v1/payments/stats', rule: 'public' },
  { prefix: '/api/v1/analytics/', rule: ['analyst', 'finance'] },
  { prefix: '/api/v1/settlement', rule: ['finance'] },
  { prefix: '/api/v1/fx-rates', methods: ['GET', 'HEAD'], rule: ['analyst', 'finance'] },
  { prefix: '/api/v1/fx-rates', rule: ['finance'] },
];

/** The access of a route that declares none: by its path; anything under `/api/` not listed is admin-only. */
export function defaultAccessOf(url: string, method: string): AccessRule {
  if (!url.startsWith('/api/')) return 'public';
  for (const d of PREFIX_DEFAULTS) {
    if (url.startsWith(d.prefix) && (!d.methods || d.methods.includes(method))) return d.rule;
  }
  return ['admin'];
}

/** The role that admits `roles` under `rule`: the first listed role the key holds, else `admin`; null when none. */
export function admittingRole(rule: AccessRule, roles: readonly AccessRole[]): AccessRole | 'any' | null {
  if (rule === 'public' || rule === 'authenticated') return 'any';
  for (const r of rule) if (roles.includes(r)) return r;
  return roles.includes('admin') ? 'admin' : null;
}

export function describeRule(rule: AccessRule): string {
  if (rule === 'public') return 'public (no API key)';
  if (rule === 'authenticated') return 'any API key';
  return [...new Set([...rule, 'admin'])].join(' or ');
}
