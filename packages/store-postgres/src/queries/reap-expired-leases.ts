import type { SqlExecutor } from '../sql-driver.js';
import { endAttemptSteps } from './end-attempt.js';

/** The actor recorded in the history of reaped attempts. */
export const LEASE_REAPER_ACTOR = 'system:lease-reaper';

const REAP_EXPIRED_LEASES = `
-- 1. lapsed leases of every tenant, oldest first; rows another transaction holds are left for later
WITH lapsed AS (
  SELECT j.tenant_id, j.job_id, j.status, j.attempt, j.max_attempts, j.cancel_requested
  FROM orch.jobs j
  WHERE j.status IN ('leased', 'running') AND j.lease_until < now()
  ORDER BY j.lease_until
  LIMIT $1
  FOR NO KEY UPDATE SKIP LOCKED
),
-- 2. each is a failed attempt of type timed_out: retried while attempts are left, unless canceled
decided AS (
  SELECT l.tenant_id, l.job_id, l.status AS from_status,
    CASE
      WHEN l.cancel_requested THEN 'canceled'
      WHEN l.attempt < l.max_attempts THEN 'retry_scheduled'
      ELSE 'dead_lettered'
    END AS disposition,
    jsonb_build_object(
      'type', 'timed_out',
      'message', 'the lease expired before the worker ended the attempt',
      'retryable', true
    ) AS error,
    NULL::jsonb AS result,
    coalesce(($2::int[])[l.attempt], ($2::int[])[cardinality($2::int[])], 0) AS retry_delay_ms,
    '${LEASE_REAPER_ACTOR}' AS actor,
    'timed_out' AS reason
  FROM lapsed l
),${endAttemptSteps(3)}
SELECT e.tenant_id, e.job_id::text AS job_id, e.job_type, e.disposition, e.has_dependents
FROM ended e
ORDER BY e.tenant_id, e.seq`;

/** One reaped lease. */
export interface ReapedRow {
  readonly tenant_id: string;
  readonly job_id: string;
  readonly job_type: string;
  readonly disposition: 'retry_scheduled' | 'dead_lettered' | 'canceled';
  /** Whether jobs depend on it (their release or cancel is the caller's, in the same transaction). */
  readonly has_dependents: boolean;
}

/** Turns up to `limit` lapsed leases into failed attempts in one statement. */
export function reapExpiredLeases(
  db: SqlExecutor,
  params: { readonly limit: number; readonly retryDelaysMs: readonly number[] },
): Promise<ReapedRow[]> {
  return db.query<ReapedRow>(REAP_EXPIRED_LEASES, [params.limit, params.retryDelaysMs]);
}
