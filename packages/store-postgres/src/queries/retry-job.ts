import type { SqlExecutor } from '../sql-driver.js';
import type { JobRow } from '../row-mappers.js';
import { JOB_COLUMNS } from './job-columns.js';

const LOCK_JOB = `
SELECT ${JOB_COLUMNS}
FROM orch.jobs j
WHERE j.tenant_id = $1 AND j.job_id = $2::uuid
FOR NO KEY UPDATE`;

const MAKE_ELIGIBLE_NOW = `
UPDATE orch.jobs AS j
SET next_eligible_at = least(j.next_eligible_at, now()),
    updated_at = now()
WHERE j.tenant_id = $1 AND j.job_id = $2::uuid AND j.status = 'pending'
RETURNING ${JOB_COLUMNS}`;

const MARK_DEAD_LETTER_REPLAYED = `
UPDATE orch.dead_letters
SET status = 'replayed', replayed_job_id = $3::uuid, replayed_by = $4, replayed_at = now(), updated_at = now()
WHERE tenant_id = $1 AND job_id = $2::uuid AND status = 'open'`;

/** The job, locked until the transaction ends (retry and replay read the original this way). */
export async function lockJob(db: SqlExecutor, tenantId: string, jobId: string): Promise<JobRow | null> {
  const rows = await db.query<JobRow>(LOCK_JOB, [tenantId, jobId]);
  return rows[0] ?? null;
}

/** Ends the back-off (or `notBefore` wait) of a pending job: it is eligible now. */
export async function makeEligibleNow(
  db: SqlExecutor,
  tenantId: string,
  jobId: string,
): Promise<JobRow | null> {
  const rows = await db.query<JobRow>(MAKE_ELIGIBLE_NOW, [tenantId, jobId]);
  return rows[0] ?? null;
}

/**
 * Marks the open dead-letter entry of a job `replayed` by `replayed.actor`, naming the job the retry made
 * (a no-op when it has none).
 */
export async function markDeadLetterReplayed(
  db: SqlExecutor,
  tenantId: string,
  jobId: string,
  replayed: { readonly jobId: string; readonly actor: string },
): Promise<void> {
  await db.query(MARK_DEAD_LETTER_REPLAYED, [tenantId, jobId, replayed.jobId, replayed.actor]);
}
