/**
 * Today's webhook counters for `GET /api/v1/payments/stats`. They live in this process (reset at
 * UTC midnight and on restart); Prometheus has the durable, per-instance series.
 */
export interface WebhookStats {
  observe(outcome: 'created' | 'duplicate' | 'transitioned' | 'rejected', ms: number): void;
  snapshot(): { received_today: number; duplicate_rate: number; average_response_time_ms: number };
}

export function createWebhookStats(now: () => Date = () => new Date()): WebhookStats {
  let day = '';
  let received = 0;
  let duplicates = 0;
  let totalMs = 0;
  const roll = () => {
    const today = now().toISOString().slice(0, 10);
    if (today !== day) {
      day = today;
      received = 0;
      duplicates = 0;
      totalMs = 0;
    }
  };
  return {
    observe(outcome, ms) {
      roll();
      received++;
      if (outcome === 'duplicate') duplicates++;
      totalMs += ms;
    },
    snapshot() {
      roll();
      return {
        received_today: received,
        duplicate_rate: received === 0 ? 0 : Number((duplicates / received).toFixed(4)),
        average_response_time_ms: received === 0 ? 0 : Number((totalMs / received).toFixed(2)),
      };
    },
  };
}
