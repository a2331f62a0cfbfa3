import type { CompletionDisposition, CompletionOutcome } from '@stella-orch/core';
import type { SqlExecutor } from '../sql-driver.js';
import type { JobRow } from '../row-mappers.js';
import { endAttemptSteps } from './end-attempt.js';
import { JOB_COLUMNS } from './job-columns.js';

// $1 tenant; $2–$6 the completions as parallel arrays (lease ids, fencing tokens, outcomes, result JSON,
// error JSON); $7 the retry schedules, one row per completion: $7[ord][attempt]; $8 whether jobs that
// others depend on are ended too.
const COMPLETE_JOBS = `
-- 1. the completions, numbered in input order; a lease named twice with the same fencing token counts
--    once, the first time (keyed by the token too, so a stale token named first cannot hide the current one)
WITH claims AS (
  SELECT DISTINCT ON (c.lease_id, c.fencing_token)
    c.lease_id, c.fencing_token, c.outcome, c.result, c.error, c.ord::int AS ord
  FROM unnest($2::uuid[], $3::int[], $4::text[], $5::text[], $6::text[])
    WITH ORDINALITY AS c(lease_id, fencing_token, outcome, result, error, ord)
  ORDER BY c.lease_id, c.fencing_token, c.ord
),
-- 2. the jobs whose lease is current (fenced and not lapsed), locked in job order: two batches over the
--    same jobs then queue behind each other instead of deadlocking; with when the lease was granted (its
--    history row, the last of the job's few: a short walk back on the history's primary key)
held AS (
  SELECT j.tenant_id, j.job_id, j.status, j.attempt, j.max_attempts, j.cancel_requested, j.worker_id,
    j.has_dependents, c.ord, c.outcome, c.result::jsonb AS result, c.error::jsonb AS error,
    (SELECT h.occurred_at FROM orch.job_history h
     WHERE h.tenant_id = j.tenant_id AND h.job_id = j.job_id AND h.to_status = 'leased'
     ORDER BY h.seq DESC LIMIT 1) AS leased_at
  FROM claims c
  JOIN orch.jobs j
    ON j.tenant_id = $1 AND j.lease_id = c.lease_id AND j.fencing_token = c.fencing_token
  WHERE j.status IN ('leased', 'running') AND j.lease_until > now()
  ORDER BY j.job_id
  FOR NO KEY UPDATE OF j
),
-- 3. what each outcome makes of its job: a success stands even when a cancel was requested; a failure
--    retries while attempts are left, unless a cancel was requested
decided AS (
  SELECT h.tenant_id, h.job_id, h.ord, h.status AS from_status, h.leased_at,
    CASE
      WHEN h.outcome = 'succeeded' THEN 'succeeded'
      WHEN h.outcome = 'canceled' OR h.cancel_requested THEN 'canceled'
      WHEN (h.error ->> 'retryable')::boolean AND h.attempt < h.max_attempts THEN 'retry_scheduled'
      ELSE 'dead_lettered'
    END AS disposition,
    h.error,
    h.result,
    coalesce(($7::int[])[h.ord][h.attempt], ($7::int[])[h.ord][array_length($7::int[], 2)], 0)
      AS retry_delay_ms,
    h.worker_id AS actor,
    CASE
      WHEN h.outcome = 'succeeded' THEN 'succeeded'
      WHEN h.outcome = 'canceled' OR h.cancel_requested THEN 'canceled'
      ELSE 'failed'
    END AS reason
  FROM held h
  -- a job others depend on is ended only when $8 says so (then in a transaction that settles its
  -- dependents); otherwise it is left alone, and answered deferred below
  WHERE NOT h.has_dependents OR $8::boolean
),${endAttemptSteps(4)},
-- 8. the watermark of each source and job type whose live jobs with an event time succeeded here: the
--    greatest event time, never moved back (docs/decisions/0017-backfills-and-watermarks.md); no row,
--    no write, for jobs without one
watermarked AS (
  INSERT INTO orch.watermarks AS w (tenant_id, source_id, job_type, watermark)
  SELECT e.tenant_id, e.source_id, e.job_type, max(e.event_time)
  FROM ended e
  WHERE e.disposition = 'succeeded' AND e.event_time IS NOT NULL AND e.source_id IS NOT NULL
    AND e.lane = 'live'
  GROUP BY e.tenant_id, e.source_id, e.job_type
  ON CONFLICT (tenant_id, source_id, job_type) DO UPDATE
  SET watermark = GREATEST(w.watermark, excluded.watermark), updated_at = now()
  WHERE excluded.watermark > w.watermark
),
-- 9. the attempts ended here in the scope of each circuit breaker of the tenant (none: no row, no write),
--    per 10-second bucket; a canceled attempt says nothing about the upstream
breaker_counts AS (
  SELECT b.breaker_id, b.state,
    count(*) FILTER (WHERE e.disposition = 'succeeded')::int AS successes,
    count(*) FILTER (WHERE e.disposition IN ('retry_scheduled', 'dead_lettered'))::int AS failures
  FROM ended e
  JOIN orch.circuit_breakers b
    ON b.tenant_id = e.tenant_id AND (b.source_id = e.source_id OR b.job_type = e.job_type)
  WHERE e.disposition <> 'canceled'
  GROUP BY b.breaker_id, b.state
),
breaker_buckets AS (
  INSERT INTO orch.circuit_outcomes AS o (tenant_id, breaker_id, bucket_start, successes, failures)
  SELECT $1, c.breaker_id, date_bin('10 seconds', now(), timestamptz '2000-01-01 00:00:00+00'),
    c.successes, c.failures
  FROM breaker_counts c
  ORDER BY c.breaker_id
  ON CONFLICT (tenant_id, breaker_id, bucket_start) DO UPDATE
  SET successes = o.successes + excluded.successes, failures = o.failures + excluded.failures
),
-- 10. a half-open breaker counts the outcomes of its probes on its own row
breaker_probes AS (
  UPDATE orch.circuit_breakers AS b
  SET probe_successes = b.probe_successes + c.successes, probe_failures = b.probe_failures + c.failures
  FROM breaker_counts c
  WHERE b.tenant_id = $1 AND b.breaker_id = c.breaker_id AND c.state = 'half_open' AND b.state = 'half_open'
)
SELECT ${JOB_COLUMNS}, j.disposition, h.ord, h.leased_at, j.job_id IS NULL AS deferred
FROM held h
LEFT JOIN ended j ON j.tenant_id = h.tenant_id AND j.job_id = h.job_id`;

/** A job row after its attempt ended, with what became of it and the number of its completion. */
export interface EndedJobRow extends JobRow {
  readonly disposition: CompletionDisposition;
  /** The 1-based position of the completion in the batch. */
  readonly ord: number;
  /** When the attempt's lease was granted (its history row); `null` if the history has none. */
  readonly leased_at: Date | string | null;
  /**
   * The lease is current but its job has dependents and `withDependents` was false: nothing changed, and
   * every other column but `ord` and `leased_at` is `null`.
   */
  readonly deferred: boolean;
}

/** One completion of {@link completeJobs}: the lease id must be a UUID, the token a 32-bit integer. */
export interface CompletionItem {
  readonly leaseId: string;
  readonly fencingToken: number;
  readonly outcome: CompletionOutcome;
  /** JSON text of the result of a success, otherwise `null`. */
  readonly resultJson: string | null;
  /** JSON text of the failure of a failed attempt, otherwise `null`. */
  readonly errorJson: string | null;
  /** Whole, non-negative delays indexed by the failed attempt − 1. */
  readonly retryDelaysMs: readonly number[];
}

/**
 * Ends the attempts of current leases in one statement. Returns the ended jobs, each with the position
 * (`ord`, from 1) of its completion; a completion without a row changed nothing (its lease is not current,
 * or it repeats an earlier one). Unless `withDependents`, a job that others depend on is not ended but
 * answered `deferred`: its dependents must be settled in the transaction that ends it.
 */
export async function completeJobs(
  db: SqlExecutor,
  tenantId: string,
  items: readonly CompletionItem[],
  withDependents = false,
): Promise<EndedJobRow[]> {
  if (items.length === 0) return [];
  return db.query<EndedJobRow>(COMPLETE_JOBS, [
    tenantId,
    items.map((i) => i.leaseId),
    items.map((i) => i.fencingToken),
    items.map((i) => i.outcome),
    items.map((i) => i.resultJson),
    items.map((i) => i.errorJson),
    rectangular(items.map((i) => i.retryDelaysMs)),
    withDependents,
  ]);
}

/**
 * The schedules as the rows of one 2-D array, which must be rectangular: a shorter schedule is padded with
 * its last delay (what the statement falls back to past its end anyway), an empty one is `[0]`.
 */
function rectangular(schedules: readonly (readonly number[])[]): number[][] {
  const width = Math.max(1, ...schedules.map((s) => s.length));
  return schedules.map((s) => {
    const last = s.at(-1) ?? 0;
    return Array.from({ length: width }, (_, i) => s[i] ?? last);
  });
}
