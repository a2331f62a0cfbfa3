import type { CompletionOutcome } from '@stella-orch/core';
import type { SqlExecutor } from '../sql-driver.js';
import type { JobRow } from '../row-mappers.js';
import { endAttemptSteps } from './end-attempt.js';
import { JOB_COLUMNS } from './job-columns.js';

const COMPLETE_JOB = `
-- 1. the job of this lease, only while the lease is current (fenced and not lapsed)
WITH held AS (
  SELECT j.tenant_id, j.job_id, j.status, j.attempt, j.max_attempts, j.cancel_requested, j.worker_id
  FROM orch.jobs j
  WHERE j.tenant_id = $1
    AND j.lease_id = $2::uuid
    AND j.fencing_token = $3
    AND j.status IN ('leased', 'running')
    AND j.lease_until > now()
  FOR NO KEY UPDATE
),
-- 2. what the outcome makes of the job: a success stands even when a cancel was requested; a failure
--    retries while attempts are left, unless a cancel was requested
decided AS (
  SELECT h.tenant_id, h.job_id, h.status AS from_status,
    CASE
      WHEN $4::text = 'succeeded' THEN 'succeeded'
      WHEN $4::text = 'canceled' OR h.cancel_requested THEN 'canceled'
      WHEN ($6::text::jsonb ->> 'retryable')::boolean AND h.attempt < h.max_attempts THEN 'retry_scheduled'
      ELSE 'dead_lettered'
    END AS disposition,
    $6::text::jsonb AS error,
    $5::text::jsonb AS result,
    coalesce(($7::int[])[h.attempt], ($7::int[])[cardinality($7::int[])], 0) AS retry_delay_ms,
    h.worker_id AS actor,
    CASE
      WHEN $4::text = 'succeeded' THEN 'succeeded'
      WHEN $4::text = 'canceled' OR h.cancel_requested THEN 'canceled'
      ELSE 'failed'
    END AS reason
  FROM held h
),${endAttemptSteps(3)}
SELECT ${JOB_COLUMNS}, j.disposition
FROM ended j`;

/** A job row after its attempt ended, with what became of it. */
export interface EndedJobRow extends JobRow {
  readonly disposition: 'succeeded' | 'retry_scheduled' | 'dead_lettered' | 'canceled';
}

/** Parameters of {@link completeJob}. */
export interface CompleteJobQueryParams {
  readonly tenantId: string;
  readonly leaseId: string;
  readonly fencingToken: number;
  readonly outcome: CompletionOutcome;
  readonly resultJson: string | null;
  readonly errorJson: string | null;
  readonly retryDelaysMs: readonly number[];
}

/** Ends the attempt of a current lease in one statement; no row when the lease is not current. */
export async function completeJob(
  db: SqlExecutor,
  params: CompleteJobQueryParams,
): Promise<EndedJobRow | null> {
  const rows = await db.query<EndedJobRow>(COMPLETE_JOB, [
    params.tenantId,
    params.leaseId,
    params.fencingToken,
    params.outcome,
    params.resultJson,
    params.errorJson,
    params.retryDelaysMs,
  ]);
  return rows[0] ?? null;
}
