import type { SqlExecutor } from '../sql-driver.js';
import type { JobRow } from '../row-mappers.js';
import { JOB_COLUMNS } from './job-columns.js';

const CANCEL_JOB = `
-- 1. the job, locked against a concurrent lease or completion
WITH target AS (
  SELECT j.*
  FROM orch.jobs j
  WHERE j.tenant_id = $1 AND j.job_id = $2::uuid
  FOR NO KEY UPDATE
),
-- 2. a waiting or pending job ends canceled now; a leased or running one is flagged (once) so that its
--    worker learns it at the next heartbeat; a terminal one is left alone
changed AS (
  UPDATE orch.jobs AS j
  SET status = CASE WHEN t.status IN ('waiting', 'pending') THEN 'canceled' ELSE j.status END,
      completed_at = CASE WHEN t.status IN ('waiting', 'pending') THEN now() ELSE j.completed_at END,
      cancel_requested = true,
      cancel_reason = $3::text,
      updated_at = now()
  FROM target t
  WHERE j.tenant_id = t.tenant_id
    AND j.job_id = t.job_id
    AND (t.status IN ('waiting', 'pending') OR (t.status IN ('leased', 'running') AND NOT t.cancel_requested))
  RETURNING j.*, t.status AS from_status, t.cancel_requested AS from_cancel_requested
),
-- 3. a history row for the transition (a flag is not a transition)
history AS (
  INSERT INTO orch.job_history (tenant_id, job_id, from_status, to_status, attempt, reason, actor, details)
  SELECT c.tenant_id, c.job_id, c.from_status, c.status, c.attempt, 'canceled', $4::text,
    jsonb_build_object('reason', $3::text)
  FROM changed c
  WHERE c.status = 'canceled'
),
-- 4. job.canceled, or job.cancel_requested for a job a worker holds
events AS (
  INSERT INTO orch.events (tenant_id, event_type, job_id, attempt, actor, actor_scopes, data)
  SELECT c.tenant_id, CASE WHEN c.status = 'canceled' THEN 'job.canceled' ELSE 'job.cancel_requested' END,
    c.job_id, c.attempt, $4::text, $5::text[], jsonb_build_object('reason', $3::text)
  FROM changed c
)
-- 5. the job after the cancel, with what it was before (for the audit entry)
SELECT ${JOB_COLUMNS}, true AS changed, j.from_status AS before_status,
  j.from_cancel_requested AS before_cancel_requested
FROM changed j
UNION ALL
SELECT ${JOB_COLUMNS}, false AS changed, j.status AS before_status,
  j.cancel_requested AS before_cancel_requested
FROM target j
WHERE NOT EXISTS (SELECT 1 FROM changed)`;

/** A job after a cancel, whether the cancel changed it, and its status and flag before. */
export interface CanceledJobRow extends JobRow {
  readonly changed: boolean;
  readonly before_status: string;
  readonly before_cancel_requested: boolean;
}

/** Cancels or flags a job in one statement; no row when the job does not exist. */
export async function cancelJob(
  db: SqlExecutor,
  params: {
    readonly tenantId: string;
    readonly jobId: string;
    readonly reason: string;
    readonly actor: string;
    /** The scopes of the actor's token, kept with the event. */
    readonly actorScopes: readonly string[];
  },
): Promise<CanceledJobRow | null> {
  const rows = await db.query<CanceledJobRow>(CANCEL_JOB, [
    params.tenantId,
    params.jobId,
    params.reason,
    params.actor,
    params.actorScopes,
  ]);
  return rows[0] ?? null;
}
