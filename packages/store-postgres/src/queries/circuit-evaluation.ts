import type { SqlExecutor } from '../sql-driver.js';

// The breakers (all tenants) that may change state now, locked so that two replicas evaluating at once
// never apply the same transition twice (the second skips the rows the first holds): every breaker that is
// not closed, and the closed ones with a failed attempt in their window. With each, the attempts of its
// window from the 10-second buckets, and the database clock.
const LOCK_BREAKERS_TO_EVALUATE = `
SELECT b.tenant_id, b.breaker_id::text AS breaker_id, b.source_id, b.job_type, b.state,
  b.failure_ratio::float8 AS failure_ratio, b.min_volume, b.window_seconds, b.cool_down_seconds,
  b.probe_leases, b.open_until, b.probe_successes, b.probe_failures, now() AS db_now,
  (SELECT coalesce(sum(o.successes), 0)::int FROM orch.circuit_outcomes o
   WHERE o.tenant_id = b.tenant_id AND o.breaker_id = b.breaker_id
     AND o.bucket_start >= now() - b.window_seconds * interval '1 second') AS window_successes,
  (SELECT coalesce(sum(o.failures), 0)::int FROM orch.circuit_outcomes o
   WHERE o.tenant_id = b.tenant_id AND o.breaker_id = b.breaker_id
     AND o.bucket_start >= now() - b.window_seconds * interval '1 second') AS window_failures
FROM orch.circuit_breakers b
WHERE b.state <> 'closed'
  OR EXISTS (SELECT 1 FROM orch.circuit_outcomes o
    WHERE o.tenant_id = b.tenant_id AND o.breaker_id = b.breaker_id AND o.failures > 0
      AND o.bucket_start >= now() - b.window_seconds * interval '1 second')
ORDER BY b.tenant_id, b.breaker_id
LIMIT $1
FOR UPDATE OF b SKIP LOCKED`;

/** A breaker to evaluate, with its window's attempts. */
export interface BreakerEvaluationRow {
  readonly tenant_id: string;
  readonly breaker_id: string;
  readonly source_id: string | null;
  readonly job_type: string | null;
  readonly state: 'closed' | 'open' | 'half_open';
  readonly failure_ratio: number;
  readonly min_volume: number;
  readonly window_seconds: number;
  readonly cool_down_seconds: number;
  readonly probe_leases: number;
  readonly open_until: Date | string | null;
  readonly probe_successes: number;
  readonly probe_failures: number;
  readonly db_now: Date | string;
  readonly window_successes: number;
  readonly window_failures: number;
}

/** Locks up to `limit` breakers that may change state (see above). */
export function lockBreakersToEvaluate(tx: SqlExecutor, limit: number): Promise<BreakerEvaluationRow[]> {
  return tx.query<BreakerEvaluationRow>(LOCK_BREAKERS_TO_EVALUATE, [limit]);
}

// A transition: the new state from now on; the probe counters start again at 0.
const APPLY_TRANSITION = `
UPDATE orch.circuit_breakers
SET state = $3, open_until = $4::timestamptz, opened_with = coalesce($5::text::jsonb, opened_with),
  state_changed_at = now(), probe_successes = 0, probe_failures = 0
WHERE tenant_id = $1 AND breaker_id = $2::uuid`;

/** Writes a breaker's new state (`openedWith` kept unless given). */
export async function applyTransition(
  tx: SqlExecutor,
  params: {
    readonly tenantId: string;
    readonly breakerId: string;
    readonly state: string;
    readonly openUntil: string | null;
    readonly openedWith: { readonly attempts: number; readonly failures: number } | null;
  },
): Promise<void> {
  await tx.query(APPLY_TRANSITION, [
    params.tenantId,
    params.breakerId,
    params.state,
    params.openUntil,
    params.openedWith === null ? null : JSON.stringify(params.openedWith),
  ]);
}

// Buckets older than their breaker's window (and one bucket more) count no more.
const PRUNE_OUTCOMES = `
DELETE FROM orch.circuit_outcomes o
USING orch.circuit_breakers b
WHERE o.tenant_id = b.tenant_id AND o.breaker_id = b.breaker_id
  AND o.bucket_start < now() - (b.window_seconds + 10) * interval '1 second'`;

/** Deletes the outcome buckets no window reaches any more; returns how many. */
export async function pruneCircuitOutcomes(db: SqlExecutor): Promise<number> {
  const rows = await db.query<{ n: number }>(
    `WITH pruned AS (${PRUNE_OUTCOMES} RETURNING 1) SELECT count(*)::int AS n FROM pruned`,
  );
  return rows[0]?.n ?? 0;
}
