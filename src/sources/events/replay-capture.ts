import { listDeadLetters, markDeadLettersReplayed, writeDeadLetters } from '../../store/dead-letter-table.js';
import type { SqlExecutor } from '../../store/store-port.js';
import type { EventIntake } from './event-intake.js';

export interface CaptureReplayResult {
  replayed: number;
  still_failing: number;
  ids: { id: number; outcome: 'accepted' | 'duplicate' | 'dead_letter'; error?: string }[];
}

/**
 * Runs open capture-stage dead letters (events the capture topic rejected) through the intake
 * again — e.g. after a new contract version was deployed. Accepted and duplicate ones are marked
 * replayed; one rejected again stays open with its new error and one more attempt.
 */
export async function replayCaptureDeadLetters(
  db: SqlExecutor,
  intake: EventIntake,
  options: { ids?: readonly number[]; limit?: number },
): Promise<CaptureReplayResult> {
  const letters = await listDeadLetters(db, {
    stage: 'capture',
    includeReplayed: false,
    limit: options.limit ?? 1000,
    ...(options.ids ? { ids: [...options.ids] } : {}),
  });
  const inputs = letters.map((l) => {
    try {
      return JSON.parse(l.payload) as unknown;
    } catch {
      return l.payload; // still not JSON: the intake rejects it with its reason
    }
  });
  const results = letters.length > 0 ? await intake.capture(inputs, 'replay') : [];
  const ids: CaptureReplayResult['ids'] = [];
  const done: number[] = [];
  const again = [];
  for (const [i, l] of letters.entries()) {
    const r = results[i];
    if (r && r.status !== 'rejected') {
      ids.push({ id: l.id, outcome: r.status });
      done.push(l.id);
    } else {
      const message = r?.error?.message ?? 'no result';
      ids.push({ id: l.id, outcome: 'dead_letter', error: message });
      again.push({ ...l, errorCode: r?.error?.code ?? l.errorCode, errorMessage: message });
    }
  }
  await markDeadLettersReplayed(db, done);
  if (again.length > 0) await writeDeadLetters(db, again);
  return { replayed: done.length, still_failing: again.length, ids };
}
