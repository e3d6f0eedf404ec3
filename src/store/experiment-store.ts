import type { OperationalStore, SqlExecutor } from './store-port.js';

/**
 * Experiment definitions and their lifecycle in the operational store (migration 0010). The
 * definition is validated upstream (contracts/experiment-definition.ts) and stored as JSON; a
 * status change is one transaction: the row (guarded by the statuses it may leave), a
 * `experiment_status_changes` row, the `experiment.status_changed` CloudEvent in the outbox and an
 * audit row — so no change is published without being stored, or the reverse.
 */

export interface ExperimentRow {
  id: number;
  key: string;
  name: string;
  status: string;
  definition: unknown;
  version: number;
  started_at: Date | null;
  ended_at: Date | null;
  winner_variant: string | null;
  rollout_variant: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface StatusChangeRow {
  id: number;
  experiment_key: string;
  from_status: string;
  to_status: string;
  actor: string;
  actor_key_id: number | null;
  reason: string;
  event_id: string;
  changed_at: Date;
}

const COLUMNS = 'id, key, name, status, definition, version, started_at, ended_at, winner_variant, rollout_variant, created_at, updated_at';

const asRow = (r: ExperimentRow): ExperimentRow => ({
  ...r,
  id: Number(r.id),
  version: Number(r.version),
  definition: typeof r.definition === 'string' ? JSON.parse(r.definition) : r.definition,
});

/** Stores a new DRAFT; null when the key is taken. */
export async function insertExperiment(
  db: SqlExecutor,
  e: { key: string; name: string; definition: unknown },
): Promise<ExperimentRow | null> {
  const { rows } = await db.query<ExperimentRow>(
    `INSERT INTO payment_service.experiments (key, name, definition) VALUES ($1, $2, $3::jsonb)
     ON CONFLICT (key) DO NOTHING RETURNING ${COLUMNS}`,
    [e.key, e.name, JSON.stringify(e.definition)],
  );
  return rows[0] ? asRow(rows[0]) : null;
}

export async function findExperiment(db: SqlExecutor, key: string): Promise<ExperimentRow | null> {
  const { rows } = await db.query<ExperimentRow>(`SELECT ${COLUMNS} FROM payment_service.experiments WHERE key = $1`, [key]);
  return rows[0] ? asRow(rows[0]) : null;
}

/** Every experiment (or those in `statuses`), newest first. */
export async function listExperiments(db: SqlExecutor, statuses?: readonly string[]): Promise<ExperimentRow[]> {
  const { rows } = statuses
    ? await db.query<ExperimentRow>(`SELECT ${COLUMNS} FROM payment_service.experiments WHERE status = ANY($1::text[]) ORDER BY id DESC`, [
        [...statuses],
      ])
    : await db.query<ExperimentRow>(`SELECT ${COLUMNS} FROM payment_service.experiments ORDER BY id DESC`);
  return rows.map(asRow);
}

/** Replaces name and definition; null when the key is unknown or `expectedVersion` is stale. */
export async function updateExperiment(
  db: SqlExecutor,
  key: string,
  e: { name: string; definition: unknown; expectedVersion?: number },
): Promise<ExperimentRow | null> {
  const { rows } = await db.query<ExperimentRow>(
    `UPDATE payment_service.experiments SET name = $2, definition = $3::jsonb, version = version + 1, updated_at = NOW()
     WHERE key = $1 AND ($4::int IS NULL OR version = $4::int) RETURNING ${COLUMNS}`,
    [key, e.name, JSON.stringify(e.definition), e.expectedVersion ?? null],
  );
  return rows[0] ? asRow(rows[0]) : null;
}

/** Deletes a DRAFT (nothing was exposed or published yet); false when absent or not a draft. */
export async function deleteDraftExperiment(db: SqlExecutor, key: string): Promise<boolean> {
  const r = await db.query(`DELETE FROM payment_service.experiments WHERE key = $1 AND status = 'DRAFT'`, [key]);
  return r.rowCount > 0;
}

export interface OutboxFact {
  id: string;
  type: string;
  subject: string;
  payload: unknown;
}

export interface AuditFact {
  keyId: number | null;
  keyName: string | null;
  role: string | null;
  method: string;
  path: string;
  requestId: string;
  ip: string;
}

export interface StatusChange {
  key: string;
  /** The statuses the experiment may be in for this change; anything else refuses it. */
  from: readonly string[];
  to: string;
  actor: 'user' | 'analysis' | 'guardrail';
  actorKeyId: number | null;
  reason: string;
  winnerVariant?: string | null;
  rolloutVariant?: string | null;
  /** When a RUNNING experiment began, if before now (it ran before Payscope recorded it); default now. */
  startedAt?: Date | null;
  /** The event to publish, built once the current status is known. */
  event: (from: string) => OutboxFact;
  audit: AuditFact;
}

export type StatusChangeResult =
  | { ok: true; experiment: ExperimentRow; from: string; eventId: string }
  | { ok: false; current: string | null };

/** Applies a status change atomically (row, history, outbox, audit); refuses it when the current status is not in `from`. */
export async function changeExperimentStatus(store: OperationalStore, change: StatusChange): Promise<StatusChangeResult> {
  return store.transaction(async (tx) => {
    const { rows } = await tx.query<{ status: string }>('SELECT status FROM payment_service.experiments WHERE key = $1 FOR UPDATE', [
      change.key,
    ]);
    const current = rows[0]?.status ?? null;
    if (current === null || !change.from.includes(current)) return { ok: false, current };
    const updated = await tx.query<ExperimentRow>(
      `UPDATE payment_service.experiments SET status = $2::text, updated_at = NOW(),
         started_at = CASE WHEN $2::text = 'RUNNING' AND started_at IS NULL THEN COALESCE($5::timestamptz, NOW()) ELSE started_at END,
         ended_at = CASE WHEN $2::text IN ('STOPPED', 'WINNER_DECLARED', 'INCONCLUSIVE') THEN NOW() WHEN $2::text = 'RUNNING' THEN NULL ELSE ended_at END,
         winner_variant = COALESCE($3::text, winner_variant),
         rollout_variant = COALESCE($4::text, rollout_variant)
       WHERE key = $1 RETURNING ${COLUMNS}`,
      [change.key, change.to, change.winnerVariant ?? null, change.rolloutVariant ?? null, change.startedAt ?? null],
    );
    const event = change.event(current);
    await tx.query(
      `INSERT INTO payment_service.experiment_status_changes (experiment_key, from_status, to_status, actor, actor_key_id, reason, event_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [change.key, current, change.to, change.actor, change.actorKeyId, change.reason, event.id],
    );
    await tx.query('INSERT INTO payment_service.outbox (event_id, event_type, aggregate_id, payload) VALUES ($1, $2, $3, $4::json)', [
      event.id,
      event.type,
      event.subject,
      JSON.stringify(event.payload),
    ]);
    const a = change.audit;
    await tx.query(
      `INSERT INTO payment_service.audit_log (key_id, key_name, role, method, path, query, status, rows, request_id, ip)
       VALUES ($1, $2, $3, $4, $5, $6, 200, 1, $7, $8)`,
      [
        a.keyId,
        a.keyName,
        a.role,
        a.method,
        a.path.slice(0, 2048),
        `${current} -> ${change.to}`,
        a.requestId.slice(0, 128),
        a.ip.slice(0, 64),
      ],
    );
    const experiment = updated.rows[0];
    if (!experiment) throw new Error(`experiment ${change.key} vanished inside its own transaction`);
    return { ok: true, experiment: asRow(experiment), from: current, eventId: event.id };
  });
}

/** The status changes of one experiment, oldest first. */
export async function listStatusChanges(db: SqlExecutor, key: string): Promise<StatusChangeRow[]> {
  const { rows } = await db.query<StatusChangeRow>(
    `SELECT id, experiment_key, from_status, to_status, actor, actor_key_id, reason, event_id, changed_at
     FROM payment_service.experiment_status_changes WHERE experiment_key = $1 ORDER BY id`,
    [key],
  );
  return rows.map((r) => ({ ...r, id: Number(r.id), actor_key_id: r.actor_key_id === null ? null : Number(r.actor_key_id) }));
}
