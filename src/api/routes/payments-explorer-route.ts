import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AnalyticsFilters } from '../../analytics/filters.js';
import { analyticsQuerySchema, resolveRange, validationFailure } from '../../analytics/query-params.js';
import { ErrorCode, type Failure, failure } from '../../core/errors.js';
import type { PaymentPosition, PaymentSelection } from '../../warehouse/payment-reads.js';
import { TABLES } from '../../warehouse/tables.js';
import type { Warehouse } from '../../warehouse/warehouse-port.js';
import { sendFailure } from '../http-errors.js';

/**
 * The payments explorer: `GET /api/v1/payments` (search, filters, keyset pages),
 * `GET /api/v1/payments/export` (the same selection as CSV, streamed) and
 * `GET /api/v1/payments/:id` (one payment with its history, refunds, disputes, settlement and
 * events). Analyst role; every call is written to the audit log with the rows it returned.
 * Personal fields (`*_hash`) are null (JSON) or empty (CSV) unless the caller is admin.
 */

export const MAX_PAGE_SIZE = 500;
const DEFAULT_PAGE_SIZE = 50;

const { report_currency: _reportCurrency, ...shared } = analyticsQuerySchema.shape;
const selectionQuery = z.object({
  ...shared,
  q: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .optional()
    .describe('Exact reference, payment id, order id or gateway id, or the start of a reference'),
});
export const paymentListQuery = selectionQuery.extend({
  cursor: z.string().max(2048).optional().describe('`next_cursor` of the previous page, unchanged (opaque)'),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE).describe(`Rows per page, at most ${MAX_PAGE_SIZE}`),
});

/** Columns a non-admin never sees: the pseudonymised personal identifiers. */
const PERSONAL = Object.keys(TABLES.payments.columns).filter((c) => c.endsWith('_hash'));
/** The columns of a listed payment, in CSV order. */
const COLUMNS = [
  'payment_id',
  'reference_number',
  'payment_time',
  'status',
  'amount_minor',
  'currency',
  'gateway',
  'payment_method',
  'payment_channel',
  'merchant_id',
  'merchant_name',
  'region',
  'country',
  'order_id',
  'gateway_txn_id',
  'failure_code',
  'failure_reason',
  'fee_minor',
  'tax_minor',
  'authorized_minor',
  'captured_minor',
  'refunded_minor',
  'disputed_minor',
  'ledger_version',
  'source',
  'status_time',
  'settlement_status',
  'settlement_batch_id',
  ...PERSONAL,
] as const;

const nullableString = z.string().nullable();
const minor = z.number().int().nullable().describe('Integer minor units of `currency`');
export const paymentItem = z.object(
  Object.fromEntries(
    COLUMNS.map((c) => [
      c,
      c.endsWith('_minor')
        ? minor
        : c === 'ledger_version'
          ? z.number().int().nullable().describe("The ledger's version of the payment (1 = recorded); null before the ledger spoke")
          : PERSONAL.includes(c)
            ? nullableString.describe('Personal (HMAC pseudonym): null unless admin')
            : nullableString,
    ]),
  ),
);
export const listResponse = z.object({
  items: z.array(paymentItem),
  total: z.number().int().describe('Payments matching the selection, on every page'),
  limit: z.number().int(),
  next_cursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page'),
  masked: z.array(z.string()).describe('Columns nulled for this caller'),
});
const eventItem = z.object({ time: z.string().nullable(), type: z.string(), id: z.string().nullable(), summary: z.string() });
/** One row of payment_status_history: what an event reported, and what the ledger did with it. */
const historyItem = z.object({
  event_id: nullableString,
  reference_number: nullableString,
  event_type: nullableString,
  status: nullableString.describe('The status the event reported'),
  event_time: nullableString.describe("The event's own (gateway) time"),
  amount_minor: minor.describe("The event's amount: authorised, captured, refunded or disputed"),
  currency: nullableString,
  failure_code: nullableString,
  failure_reason: nullableString,
  failure_category: nullableString,
  from_status: nullableString.describe("The ledger's state before the event; null for events not from the ledger"),
  to_status: nullableString.describe("The ledger's state after it"),
  applied: z.boolean().nullable().describe('False when kept in history without moving the state; null for events not from the ledger'),
  version: z.number().int().nullable().describe("The payment's ledger version after the event"),
});
export const detailResponse = z.object({
  payment: paymentItem,
  status_history: z.array(historyItem).describe('One row per event, ordered by event time'),
  refunds: z.array(z.record(z.string(), z.unknown())),
  disputes: z.array(z.record(z.string(), z.unknown())),
  settlement: z.record(z.string(), z.unknown()).nullable(),
  events: z.array(eventItem).describe('Everything that happened to the payment, oldest first'),
  masked: z.array(z.string()),
});

// ── cursor ─────────────────────────────────────────────────────────────────────────────────────────

export function encodeCursor(p: PaymentPosition): string {
  return Buffer.from(JSON.stringify({ v: 1, t: p.timeMicros.toString(), r: p.reference }), 'utf8').toString('base64url');
}

/** The position in a cursor this server issued; null for anything else. */
export function decodeCursor(cursor: string): PaymentPosition | null {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  try {
    const o = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (!o || typeof o !== 'object') return null;
    const { v, t, r } = o as Record<string, unknown>;
    if (v !== 1 || typeof t !== 'string' || !/^-?\d{1,19}$/.test(t) || typeof r !== 'string' || r.length === 0 || r.length > 512)
      return null;
    const timeMicros = BigInt(t);
    if (timeMicros > 9_223_372_036_854_775_807n || timeMicros < -9_223_372_036_854_775_807n) return null;
    return { timeMicros, reference: r };
  } catch {
    return null;
  }
}

// ── helpers ────────────────────────────────────────────────────────────────────────────────────────

function selectionOf(query: unknown): { ok: true; selection: PaymentSelection } | { ok: false; error: Failure } {
  const parsed = selectionQuery.passthrough().safeParse(query ?? {});
  if (!parsed.success) return { ok: false, error: validationFailure(parsed.error.issues) };
  const q = parsed.data;
  const selection: PaymentSelection = { filters: {} };
  if (q.from !== undefined || q.to !== undefined) {
    const range = resolveRange(q);
    if (!range.ok) return { ok: false, error: range.error };
    selection.from = new Date(range.value.from);
    selection.to = new Date(range.value.to);
  }
  const filters: AnalyticsFilters = {};
  for (const k of ['merchant', 'gateway', 'method', 'region', 'currency', 'status'] as const) {
    const v = q[k];
    if (v && v.length > 0) filters[k] = k === 'currency' ? v.map((c) => c.toUpperCase()) : v;
  }
  selection.filters = filters;
  if (q.q) selection.search = q.q;
  return { ok: true, selection };
}

/** What the ledger did with a history event: `authorized → captured`, or `kept (captured)` when it did not move the state. */
function ledgerMove(h: { from_status: string | null; to_status: string | null; applied: boolean | null }): string | null {
  if (h.to_status === null || h.from_status === null) return null;
  return h.applied === false ? `kept (${h.to_status})` : `${h.from_status} → ${h.to_status}`;
}

const isAdmin = (request: FastifyRequest) => request.access?.roles.includes('admin') ?? false;

function plain(v: unknown): unknown {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  return v ?? null;
}

function view(row: Record<string, unknown>, admin: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of COLUMNS) out[c] = !admin && PERSONAL.includes(c) ? null : plain(row[c]);
  return out;
}

function viewAll(row: Record<string, unknown>, admin: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[k] = !admin && k.endsWith('_hash') ? null : plain(v);
  return out;
}

/** RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. A leading =+-@ is prefixed with ' (no spreadsheet formulas). */
function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = v instanceof Date ? v.toISOString() : String(v);
  if (/^[=+\-@\t\r]/.test(s) && typeof v === 'string') s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export async function registerPaymentsExplorerRoutes(app: FastifyInstance, deps: { warehouse: Warehouse }): Promise<void> {
  const { warehouse } = deps;

  app.get(
    '/api/v1/payments',
    {
      config: {
        access: ['analyst'],
        audit: true,
        docs: {
          summary: 'Payments: search and filter, newest first, in keyset pages',
          description:
            'Filters as the analytics routes (from/to in tz bound payment_time; without both, all time). `q` finds a payment by exact reference, payment id, order id or gateway id, or by the start of a reference. Pages: pass `next_cursor` back as `cursor` (opaque; INVALID_CURSOR when damaged). Personal `*_hash` columns are null unless admin. Audited.',
          tags: ['payments'],
          query: paymentListQuery,
          response: listResponse,
        },
      },
    },
    async (request, reply) => {
      const parsed = paymentListQuery.passthrough().safeParse(request.query ?? {});
      if (!parsed.success) return sendFailure(reply, validationFailure(parsed.error.issues));
      const s = selectionOf(request.query);
      if (!s.ok) return sendFailure(reply, s.error);
      let after: PaymentPosition | null = null;
      if (parsed.data.cursor !== undefined) {
        after = decodeCursor(parsed.data.cursor);
        if (!after) {
          return sendFailure(
            reply,
            failure(
              ErrorCode.INVALID_CURSOR,
              'cursor is not a next_cursor this server issued: send it back unchanged, or leave it out for the first page',
            ),
          );
        }
      }
      const limit = parsed.data.limit;
      // One row more than the page tells whether another page follows, without a second query.
      const [rows, total] = await Promise.all([
        warehouse.listPayments(s.selection, { after, limit: limit + 1 }),
        warehouse.countPayments(s.selection),
      ]);
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      const admin = isAdmin(request);
      request.auditRows = page.length;
      return {
        items: page.map((r) => view(r as unknown as Record<string, unknown>, admin)),
        total,
        limit,
        next_cursor: rows.length > limit && last ? encodeCursor(last.position) : null,
        masked: admin ? [] : PERSONAL,
      };
    },
  );

  app.get(
    '/api/v1/payments/export',
    {
      config: {
        access: ['analyst'],
        audit: true,
        docs: {
          summary: 'Payments of a selection as CSV (text/csv), streamed',
          description:
            'The selection of `GET /api/v1/payments` (no paging): every matching payment, newest first, one line each with a header line. Streamed from the warehouse a chunk at a time with backpressure, so any number of rows. Personal `*_hash` columns are empty unless admin. Audited with the row count.',
          tags: ['payments'],
          query: selectionQuery,
          responseContentType: 'text/csv',
        },
      },
    },
    async (request, reply) => {
      const s = selectionOf(request.query);
      if (!s.ok) return sendFailure(reply, s.error);
      const admin = isAdmin(request);
      request.auditRows = 0;
      const selection = s.selection;
      async function* lines(): AsyncGenerator<string> {
        yield `${COLUMNS.join(',')}\r\n`;
        for await (const chunk of warehouse.streamPayments(selection)) {
          let text = '';
          for (const row of chunk) {
            const r = row as unknown as Record<string, unknown>;
            text += `${COLUMNS.map((c) => csvField(!admin && PERSONAL.includes(c) ? null : r[c])).join(',')}\r\n`;
          }
          request.auditRows = (request.auditRows ?? 0) + chunk.length;
          yield text;
        }
      }
      const day = new Date().toISOString().slice(0, 10);
      reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="payments-${day}.csv"`)
        .header('x-masked-columns', admin ? '' : PERSONAL.join(','));
      return reply.send(Readable.from(lines(), { objectMode: false, highWaterMark: 64 * 1024 }));
    },
  );

  app.get(
    '/api/v1/payments/:id',
    {
      config: {
        access: ['analyst'],
        audit: true,
        docs: {
          summary: 'One payment (by payment id or reference) with its status history, refunds, disputes, settlement and events',
          tags: ['payments'],
          params: z.object({ id: z.string().min(1).max(512) }),
          response: detailResponse,
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      if (id.length === 0 || id.length > 512) return sendFailure(reply, failure(ErrorCode.VALIDATION_FAILED, 'id: 1 to 512 characters'));
      const found = await warehouse.findPayment(id);
      if (!found) {
        request.auditRows = 0;
        return sendFailure(
          reply,
          failure(ErrorCode.NOT_FOUND, `no payment with payment id or reference ${JSON.stringify(id)} in the warehouse`),
        );
      }
      const admin = isAdmin(request);
      request.auditRows = 1;
      const events: z.infer<typeof eventItem>[] = [];
      for (const h of found.statusHistory) {
        events.push({
          time: plain(h.event_time) as string | null,
          type: h.event_type ?? 'payment.status',
          id: h.event_id,
          summary: [h.status, ledgerMove(h), h.failure_code, h.failure_reason].filter(Boolean).join(' · '),
        });
      }
      for (const r of found.refunds) {
        events.push({
          time: plain(r.refunded_at) as string | null,
          type: 'payment.refunded',
          id: r.event_id ?? r.refund_id,
          summary: `refund ${r.refund_id ?? ''} ${r.amount_minor ?? ''} ${r.currency ?? ''}${r.reason ? ` · ${r.reason}` : ''}`.trim(),
        });
      }
      for (const d of found.disputes) {
        events.push({
          time: plain(d.opened_at) as string | null,
          type: 'payment.dispute_opened',
          id: d.dispute_id,
          summary: `dispute ${d.amount_minor ?? ''} ${d.currency ?? ''}${d.reason ? ` · ${d.reason}` : ''}`.trim(),
        });
        if (d.status_time && d.opened_at && d.status_time.getTime() !== d.opened_at.getTime()) {
          events.push({
            time: plain(d.status_time) as string,
            type: 'payment.dispute_updated',
            id: d.dispute_id,
            summary: `dispute ${d.status ?? ''}`,
          });
        }
      }
      const b = found.settlement;
      if (b) {
        events.push({
          time: plain(b.created_at) as string | null,
          type: 'settlement.batch_created',
          id: b.batch_id,
          summary: `batch ${b.batch_id}`,
        });
        if (b.status_time && b.created_at && b.status_time.getTime() !== b.created_at.getTime()) {
          events.push({
            time: plain(b.status_time) as string,
            type: 'settlement.status',
            id: b.batch_id,
            summary: `batch ${b.status ?? ''}`,
          });
        }
      }
      events.sort((x, y) => (x.time ?? '').localeCompare(y.time ?? ''));
      const all = (rows: readonly object[]) => rows.map((r) => viewAll(r as Record<string, unknown>, admin));
      return {
        payment: view(found.payment as unknown as Record<string, unknown>, admin),
        status_history: all(found.statusHistory),
        refunds: all(found.refunds),
        disputes: all(found.disputes),
        settlement: b ? viewAll(b as unknown as Record<string, unknown>, admin) : null,
        events,
        masked: admin ? [] : PERSONAL,
      };
    },
  );
}
