/**
 * The warehouse schema, declared once: every fact table, its key and its typed columns. The DuckDB
 * adapter creates the tables from it, appends rows column by column from it, and the Parquet
 * export and the documented SQL views read their column lists from it.
 *
 * Conventions: money is integer minor units (`*_minor BIGINT`) next to its `currency`; times are
 * UTC `TIMESTAMP`s; personal identifiers arrive only as keyed HMACs (`*_hash` columns) — the
 * pipeline pseudonymises them before a row is built.
 */

export type ColumnType = 'VARCHAR' | 'BIGINT' | 'INTEGER' | 'BOOLEAN' | 'TIMESTAMP' | 'DATE' | 'JSON';

export interface TableDef {
  /** One sentence for the documentation and the SQL catalogue. */
  readonly description: string;
  /** The column that identifies a row for `replace` (merge-by-version tables); absent for append-only tables. */
  readonly key?: string;
  /** The time column that partitions exports (`date=YYYY-MM-DD/`) and prunes duplicate checks. */
  readonly timeColumn: string;
  readonly columns: Readonly<Record<string, ColumnType>>;
}

const paymentDimensions = {
  gateway: 'VARCHAR',
  payment_method: 'VARCHAR',
  payment_channel: 'VARCHAR',
  merchant_id: 'VARCHAR',
  merchant_name: 'VARCHAR',
  settlement_cycle: 'VARCHAR',
  region: 'VARCHAR',
  country: 'VARCHAR',
} as const;

export const TABLES = {
  applied_events: {
    description: 'Every event the consumer applied, by id: the exact duplicate check (an event id is applied at most once).',
    timeColumn: 'event_time',
    columns: { event_id: 'VARCHAR', event_type: 'VARCHAR', event_time: 'TIMESTAMP', recorded_at: 'TIMESTAMP', applied_at: 'TIMESTAMP' },
  },
  payments: {
    description:
      "One row per payment (by reference) with its latest status and amounts; the ledger's payment.recorded / payment.status_changed win by ledger version, other payment.* events merge by event time.",
    key: 'reference_number',
    timeColumn: 'payment_time',
    columns: {
      reference_number: 'VARCHAR',
      payment_id: 'VARCHAR',
      amount_minor: 'BIGINT',
      currency: 'VARCHAR',
      status: 'VARCHAR',
      source: 'VARCHAR',
      ...paymentDimensions,
      customer_hash: 'VARCHAR',
      cif_hash: 'VARCHAR',
      loan_account_hash: 'VARCHAR',
      order_id: 'VARCHAR',
      fee_minor: 'BIGINT',
      tax_minor: 'BIGINT',
      gateway_txn_id: 'VARCHAR',
      failure_code: 'VARCHAR',
      failure_reason: 'VARCHAR',
      /** insufficient_funds, authentication, … (src/contracts/failure-categories.ts); null unless failed. */
      failure_category: 'VARCHAR',
      /** Authorised amount; null until the payment reached authorized, or when only a capture/success said so (events API). */
      authorized_minor: 'BIGINT',
      /** Captured amount (GMV counts it when the status is collected); may be less than authorised. */
      captured_minor: 'BIGINT',
      /** Refunded so far, as the ledger counts it (payment.recorded / payment.status_changed). */
      refunded_minor: 'BIGINT',
      disputed_minor: 'BIGINT',
      /** The ledger's version of this row (1 = payment.recorded; 2, 3… = payment.status_changed); null before the ledger spoke. */
      ledger_version: 'INTEGER',
      payment_time: 'TIMESTAMP',
      recorded_at: 'TIMESTAMP',
      status_time: 'TIMESTAMP',
      /** True once payment.recorded arrived (the ledger's copy); false for a status that came first. */
      in_ledger: 'BOOLEAN',
      settlement_batch_id: 'VARCHAR',
      settlement_status: 'VARCHAR',
      updated_at: 'TIMESTAMP',
    },
  },
  payment_status_history: {
    description:
      'Every status a payment went through, one row per event, in event time; `status` is what the event reported, from/to/applied what the ledger did with it.',
    timeColumn: 'event_time',
    columns: {
      event_id: 'VARCHAR',
      reference_number: 'VARCHAR',
      event_type: 'VARCHAR',
      status: 'VARCHAR',
      event_time: 'TIMESTAMP',
      amount_minor: 'BIGINT',
      currency: 'VARCHAR',
      failure_code: 'VARCHAR',
      failure_reason: 'VARCHAR',
      failure_category: 'VARCHAR',
      /** The ledger's state before and after this event; null for events that did not come from the ledger. */
      from_status: 'VARCHAR',
      to_status: 'VARCHAR',
      /** False when the ledger kept the event in history without moving the state; null for non-ledger events. */
      applied: 'BOOLEAN',
      /** The payment's ledger version after this event; null for non-ledger events. */
      version: 'INTEGER',
    },
  },
  refunds: {
    description: 'One row per refund (payment.refunded); a refund that arrives before its payment is kept.',
    key: 'refund_id',
    timeColumn: 'refunded_at',
    columns: {
      refund_id: 'VARCHAR',
      reference_number: 'VARCHAR',
      payment_id: 'VARCHAR',
      amount_minor: 'BIGINT',
      currency: 'VARCHAR',
      reason: 'VARCHAR',
      gateway: 'VARCHAR',
      gateway_refund_id: 'VARCHAR',
      merchant_id: 'VARCHAR',
      order_id: 'VARCHAR',
      customer_hash: 'VARCHAR',
      refunded_at: 'TIMESTAMP',
      event_id: 'VARCHAR',
    },
  },
  disputes: {
    description: 'One row per dispute with its latest status (payment.dispute_opened / dispute_updated, merged by version).',
    key: 'dispute_id',
    timeColumn: 'opened_at',
    columns: {
      dispute_id: 'VARCHAR',
      reference_number: 'VARCHAR',
      payment_id: 'VARCHAR',
      amount_minor: 'BIGINT',
      currency: 'VARCHAR',
      reason: 'VARCHAR',
      status: 'VARCHAR',
      evidence_due_by: 'TIMESTAMP',
      gateway: 'VARCHAR',
      merchant_id: 'VARCHAR',
      order_id: 'VARCHAR',
      customer_hash: 'VARCHAR',
      opened_at: 'TIMESTAMP',
      status_time: 'TIMESTAMP',
    },
  },
  settlements: {
    description: 'One row per settlement batch with its lifecycle status PENDING → RECONCILED → SETTLED.',
    key: 'batch_id',
    timeColumn: 'created_at',
    columns: {
      batch_id: 'VARCHAR',
      merchant_id: 'VARCHAR',
      merchant_name: 'VARCHAR',
      gateway: 'VARCHAR',
      settlement_cycle: 'VARCHAR',
      currency: 'VARCHAR',
      gross_minor: 'BIGINT',
      fee_minor: 'BIGINT',
      tax_minor: 'BIGINT',
      refund_minor: 'BIGINT',
      net_minor: 'BIGINT',
      payment_count: 'INTEGER',
      status: 'VARCHAR',
      created_at: 'TIMESTAMP',
      expected_settlement_date: 'DATE',
      settlement_date: 'DATE',
      bank_reference: 'VARCHAR',
      status_time: 'TIMESTAMP',
    },
  },
  orders: {
    description: 'One row per order with its latest status (placed, completed, cancelled).',
    key: 'order_id',
    timeColumn: 'placed_at',
    columns: {
      order_id: 'VARCHAR',
      status: 'VARCHAR',
      customer_hash: 'VARCHAR',
      session_hash: 'VARCHAR',
      merchant_id: 'VARCHAR',
      seller_id: 'VARCHAR',
      channel: 'VARCHAR',
      currency: 'VARCHAR',
      total_minor: 'BIGINT',
      subtotal_minor: 'BIGINT',
      discount_minor: 'BIGINT',
      shipping_minor: 'BIGINT',
      tax_minor: 'BIGINT',
      item_count: 'INTEGER',
      items: 'JSON',
      reference_number: 'VARCHAR',
      coupon_code: 'VARCHAR',
      country: 'VARCHAR',
      region: 'VARCHAR',
      cancel_reason: 'VARCHAR',
      placed_at: 'TIMESTAMP',
      completed_at: 'TIMESTAMP',
      cancelled_at: 'TIMESTAMP',
      status_time: 'TIMESTAMP',
    },
  },
  behaviour_events: {
    description: 'Checkout, product, search and user events, one row each, with the visitor context (funnels, cohorts).',
    timeColumn: 'event_time',
    columns: {
      event_id: 'VARCHAR',
      event_type: 'VARCHAR',
      event_time: 'TIMESTAMP',
      session_hash: 'VARCHAR',
      user_hash: 'VARCHAR',
      anonymous_hash: 'VARCHAR',
      device_type: 'VARCHAR',
      os: 'VARCHAR',
      browser: 'VARCHAR',
      traffic_source: 'VARCHAR',
      traffic_medium: 'VARCHAR',
      campaign: 'VARCHAR',
      customer_segment: 'VARCHAR',
      country: 'VARCHAR',
      region: 'VARCHAR',
      merchant_id: 'VARCHAR',
      product_id: 'VARCHAR',
      category: 'VARCHAR',
      checkout_id: 'VARCHAR',
      amount_minor: 'BIGINT',
      currency: 'VARCHAR',
      quantity: 'INTEGER',
      properties: 'JSON',
    },
  },
  experiment_exposures: {
    description: 'Experiment exposures (experiment.exposure_recorded), one row each; the unit is pseudonymised.',
    timeColumn: 'event_time',
    columns: {
      event_id: 'VARCHAR',
      event_time: 'TIMESTAMP',
      experiment_id: 'VARCHAR',
      variant: 'VARCHAR',
      unit_type: 'VARCHAR',
      unit_hash: 'VARCHAR',
      bucket: 'INTEGER',
      session_hash: 'VARCHAR',
      user_hash: 'VARCHAR',
      device_type: 'VARCHAR',
      country: 'VARCHAR',
    },
  },
  escrow_releases: {
    description: 'Marketplace escrow releases to sellers (escrow.released).',
    key: 'escrow_id',
    timeColumn: 'released_at',
    columns: {
      escrow_id: 'VARCHAR',
      order_id: 'VARCHAR',
      seller_id: 'VARCHAR',
      currency: 'VARCHAR',
      amount_minor: 'BIGINT',
      commission_minor: 'BIGINT',
      reference_number: 'VARCHAR',
      release_reason: 'VARCHAR',
      customer_hash: 'VARCHAR',
      released_at: 'TIMESTAMP',
    },
  },
  tax_lines: {
    description: 'Tax lines per order, payment, fee or refund (tax.line_recorded).',
    key: 'tax_line_id',
    timeColumn: 'recorded_at',
    columns: {
      tax_line_id: 'VARCHAR',
      tax_type: 'VARCHAR',
      rate_percent: 'VARCHAR',
      currency: 'VARCHAR',
      taxable_minor: 'BIGINT',
      tax_minor: 'BIGINT',
      direction: 'VARCHAR',
      country: 'VARCHAR',
      region: 'VARCHAR',
      order_id: 'VARCHAR',
      reference_number: 'VARCHAR',
      refund_id: 'VARCHAR',
      merchant_id: 'VARCHAR',
      seller_id: 'VARCHAR',
      invoice_number: 'VARCHAR',
      tax_category: 'VARCHAR',
      recorded_at: 'TIMESTAMP',
    },
  },
  fx_rates: {
    description: 'Uploaded FX rates (PUT /api/v1/fx-rates): 1 base = rate_units / 10^rate_scale quote on rate_date; exact, never float.',
    key: 'rate_id',
    timeColumn: 'uploaded_at',
    columns: {
      /** `date|base|quote`: one rate per day and pair, a new upload replaces it. */
      rate_id: 'VARCHAR',
      rate_date: 'DATE',
      base: 'VARCHAR',
      quote: 'VARCHAR',
      rate_units: 'BIGINT',
      rate_scale: 'INTEGER',
      uploaded_at: 'TIMESTAMP',
    },
  },
  merchants: {
    description: 'The merchant dimension (name, category, settlement cycle), loaded from CSV or the API; enriches facts.',
    key: 'merchant_id',
    timeColumn: 'updated_at',
    columns: {
      merchant_id: 'VARCHAR',
      name: 'VARCHAR',
      category: 'VARCHAR',
      settlement_cycle: 'VARCHAR',
      region: 'VARCHAR',
      country: 'VARCHAR',
      updated_at: 'TIMESTAMP',
    },
  },
} as const satisfies Record<string, TableDef>;

export type TableName = keyof typeof TABLES;
/** Tables whose rows are merged by key (read, merged, replaced). */
export type KeyedTable = { [T in TableName]: (typeof TABLES)[T] extends { key: string } ? T : never }[TableName];
/** Append-only tables. */
export type AppendTable = Exclude<TableName, KeyedTable>;

type JsOf<C> = C extends 'BIGINT' | 'INTEGER'
  ? number
  : C extends 'BOOLEAN'
    ? boolean
    : C extends 'TIMESTAMP'
      ? Date
      : C extends 'JSON'
        ? unknown
        : string;

/** A row of `T` as the pipeline builds it and the adapter returns it: every column, null when absent. */
export type RowOf<T extends TableName> = {
  -readonly [C in keyof (typeof TABLES)[T]['columns']]: JsOf<(typeof TABLES)[T]['columns'][C]> | null;
};

export const TABLE_NAMES = Object.keys(TABLES) as TableName[];

// ── rollups ───────────────────────────────────────────────────────────────────────────────────────

/**
 * Rollup grains: the bucket is the UTC start of the minute, quarter hour, hour or day. Quarter
 * hours exist so a local day or hour in a +05:30 or +05:45 zone can be cut from rollups (every
 * zone offset in use is a multiple of 15 minutes) without reading minutes (issue 4, ADR 0006).
 */
export const GRAINS = ['minute', 'quarter_hour', 'hour', 'day'] as const;
export type Grain = (typeof GRAINS)[number];

/** A dimension value that is not known is stored as this, so rollup keys are never NULL. */
export const UNKNOWN = '(unknown)';

export const ROLLUPS = {
  payments: {
    description:
      'Payments by payment time: count, amount, fee and tax per status and dimension; how many reached authorized, the captured amount of collected payments (GMV) and the refunded amount.',
    dimensions: ['merchant_id', 'gateway', 'payment_method', 'region', 'currency', 'status', 'failure_code', 'failure_category'],
    measures: ['payments', 'amount_minor', 'fee_minor', 'tax_minor', 'authorized_payments', 'captured_minor', 'refunded_minor'],
  },
  refunds: {
    description: 'Refunds by refund time: count and amount per reason and dimension.',
    dimensions: ['merchant_id', 'gateway', 'currency', 'reason'],
    measures: ['refunds', 'amount_minor'],
  },
  disputes: {
    description: 'Disputes by opening time: count and amount per reason, latest status and dimension.',
    dimensions: ['merchant_id', 'gateway', 'currency', 'reason', 'status'],
    measures: ['disputes', 'amount_minor'],
  },
} as const;
export type RollupName = keyof typeof ROLLUPS;

export function rollupTable(rollup: RollupName, grain: Grain): string {
  return `${rollup}_by_${grain}`;
}

/**
 * A change to one rollup cell: measures to add (negative to take a fact out of a cell, as when a
 * payment moves from pending to succeeded). The adapter applies it to every grain.
 */
export type RollupDelta<R extends RollupName = RollupName> = R extends RollupName
  ? {
      rollup: R;
      /** The fact's time; bucketed per grain by the adapter. */
      time: Date;
      dimensions: Record<(typeof ROLLUPS)[R]['dimensions'][number], string>;
      measures: Record<(typeof ROLLUPS)[R]['measures'][number], number>;
    }
  : never;
