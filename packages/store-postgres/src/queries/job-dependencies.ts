import type { SqlExecutor } from '../sql-driver.js';
import type { WakeUp } from './create-jobs.js';

/** The actor recorded in the history and events of releases and dependency cancels. */
export const DEPENDENCY_ACTOR = 'system:dependencies';

const LOCK_PARENTS = `
-- 1. the parents, locked in job order (a completion of one of them waits, and is then seen ending); a
--    completion that already waits for one of them reads the flag set below when it gets the row
WITH locked AS (
  SELECT j.job_id, j.status, j.has_dependents
  FROM orch.jobs j
  WHERE j.tenant_id = $1 AND j.job_id = ANY($2::uuid[])
  ORDER BY j.job_id
  FOR NO KEY UPDATE
),
-- 2. mark them as having dependents, once
flagged AS (
  UPDATE orch.jobs AS j
  SET has_dependents = true
  FROM locked l
  WHERE j.tenant_id = $1 AND j.job_id = l.job_id AND NOT l.has_dependents
)
SELECT l.job_id::text AS job_id, l.status
FROM locked l`;

const INSERT_EDGES = `
INSERT INTO orch.job_dependencies (tenant_id, job_id, depends_on_job_id)
SELECT $1, e.job_id, e.depends_on_job_id
FROM unnest($2::uuid[], $3::uuid[]) AS e(job_id, depends_on_job_id)
ON CONFLICT DO NOTHING`;

const FLAG_PARENTS = `
UPDATE orch.jobs
SET has_dependents = true
WHERE tenant_id = $1 AND job_id = ANY($2::uuid[]) AND NOT has_dependents`;

// The waiting descendants of the parents that ended failed or canceled ($3), each with the first such
// parent it descends from. Only waiting jobs are walked: a canceled one's descendants were canceled with it.
const DOOMED = `
doomed(job_id, cause) AS (
  SELECT d.job_id, d.depends_on_job_id
  FROM orch.job_dependencies d
  JOIN orch.jobs c ON c.tenant_id = d.tenant_id AND c.job_id = d.job_id AND c.status = 'waiting'
  WHERE d.tenant_id = $1 AND d.depends_on_job_id = ANY($3::uuid[])
  UNION
  SELECT d.job_id, x.cause
  FROM doomed x
  JOIN orch.job_dependencies d ON d.tenant_id = $1 AND d.depends_on_job_id = x.job_id
  JOIN orch.jobs c ON c.tenant_id = d.tenant_id AND c.job_id = d.job_id AND c.status = 'waiting'
)`;

const LOCK_DEPENDENTS = `
WITH RECURSIVE ${DOOMED},
-- the waiting children of the parents that succeeded ($2) and the doomed descendants, locked in job
-- order: two transactions settling the same child queue behind each other instead of deadlocking
candidates AS (
  SELECT x.job_id FROM doomed x
  UNION
  SELECT d.job_id FROM orch.job_dependencies d
  WHERE d.tenant_id = $1 AND d.depends_on_job_id = ANY($2::uuid[])
)
SELECT count(*)::int AS locked
FROM (
  SELECT j.job_id
  FROM orch.jobs j
  JOIN candidates c ON j.tenant_id = $1 AND j.job_id = c.job_id
  WHERE j.status = 'waiting'
  ORDER BY j.job_id
  FOR NO KEY UPDATE OF j
) AS l`;

const SETTLE_DEPENDENTS = `
WITH RECURSIVE ${DOOMED},
-- 1. one cause per doomed job (the lowest id, so the answer does not depend on the walk)
cause AS (
  SELECT DISTINCT ON (x.job_id) x.job_id, x.cause
  FROM doomed x
  ORDER BY x.job_id, x.cause
),
-- 2. the waiting children of the parents that succeeded whose every parent succeeded (this statement's
--    snapshot is taken after the lock statement, so it sees every parent that ended before)
ready AS (
  SELECT DISTINCT d.job_id
  FROM orch.job_dependencies d
  WHERE d.tenant_id = $1 AND d.depends_on_job_id = ANY($2::uuid[])
    AND NOT EXISTS (
      SELECT 1
      FROM orch.job_dependencies p
      JOIN orch.jobs pj ON pj.tenant_id = p.tenant_id AND pj.job_id = p.depends_on_job_id
      WHERE p.tenant_id = $1 AND p.job_id = d.job_id AND pj.status <> 'succeeded'
    )
    AND NOT EXISTS (SELECT 1 FROM cause c WHERE c.job_id = d.job_id)
),
-- 3. the doomed jobs end canceled, with the parent that failed as the reason
canceled AS (
  UPDATE orch.jobs AS j
  SET status = 'canceled',
      completed_at = now(),
      cancel_reason = 'dependency_failed: ' || c.cause::text,
      updated_at = now()
  FROM cause c
  WHERE j.tenant_id = $1 AND j.job_id = c.job_id AND j.status = 'waiting'
  RETURNING j.tenant_id, j.job_id, j.seq, j.attempt, j.cancel_reason, c.cause
),
-- 4. the ready jobs become pending (eligible now, or at their notBefore)
released AS (
  UPDATE orch.jobs AS j
  SET status = 'pending',
      next_eligible_at = greatest(j.next_eligible_at, now()),
      updated_at = now()
  FROM ready r
  WHERE j.tenant_id = $1 AND j.job_id = r.job_id AND j.status = 'waiting'
  RETURNING j.tenant_id, j.job_id, j.seq, j.attempt
),
changed AS (
  SELECT c.tenant_id, c.job_id, c.seq, c.attempt, 'canceled' AS status,
    jsonb_build_object('reason', c.cancel_reason, 'dependencyJobId', c.cause) AS data
  FROM canceled c
  UNION ALL
  SELECT r.tenant_id, r.job_id, r.seq, r.attempt, 'pending' AS status, NULL::jsonb AS data
  FROM released r
),
-- 5. one history row and one event per transition
history AS (
  INSERT INTO orch.job_history (tenant_id, job_id, from_status, to_status, attempt, reason, actor, details)
  SELECT c.tenant_id, c.job_id, 'waiting', c.status, c.attempt,
    CASE c.status WHEN 'canceled' THEN 'dependency_failed' ELSE 'released' END, $4::text, c.data
  FROM changed c
  ORDER BY c.seq
),
events AS (
  INSERT INTO orch.events (tenant_id, event_type, job_id, attempt, actor, data)
  SELECT c.tenant_id, CASE c.status WHEN 'canceled' THEN 'job.canceled' ELSE 'job.released' END,
    c.job_id, c.attempt, $4::text, c.data
  FROM changed c
  ORDER BY c.seq
),
-- 6. wake lessees once the transaction commits, when a job was released
woken AS (
  SELECT pg_notify($5::text, $6::text) AS notified
  FROM (SELECT 1 FROM released LIMIT 1) AS any_released
  WHERE $5::text IS NOT NULL
)
SELECT c.job_id::text AS job_id, c.status
FROM changed c
LEFT JOIN woken ON true
ORDER BY c.seq`;

/**
 * Locks the parents a submit names, in job order, marks them as having dependents, and returns the status
 * of each that exists (read after the lock: the latest).
 */
export function lockParents(
  tx: SqlExecutor,
  tenantId: string,
  parentIds: readonly string[],
): Promise<{ job_id: string; status: string }[]> {
  return tx.query(LOCK_PARENTS, [tenantId, parentIds]);
}

/** Writes the edges `jobId depends on dependsOnJobId`. */
export async function insertDependencyEdges(
  tx: SqlExecutor,
  tenantId: string,
  edges: readonly { readonly jobId: string; readonly dependsOnJobId: string }[],
): Promise<void> {
  if (edges.length === 0) return;
  await tx.query(INSERT_EDGES, [tenantId, edges.map((e) => e.jobId), edges.map((e) => e.dependsOnJobId)]);
}

/** Marks jobs (new parents of the same submit) as having dependents. */
export async function flagParents(
  tx: SqlExecutor,
  tenantId: string,
  jobIds: readonly string[],
): Promise<void> {
  if (jobIds.length === 0) return;
  await tx.query(FLAG_PARENTS, [tenantId, jobIds]);
}

/** Parents that just ended, by how. */
export interface EndedParents {
  /** Parents that ended `succeeded`: their children whose parents all succeeded are released. */
  readonly succeeded: readonly string[];
  /** Parents that ended `failed` or `canceled`: their waiting descendants are canceled. */
  readonly failed: readonly string[];
}

/**
 * Releases and cancels the dependents of parents that ended, inside the caller's transaction (the one that
 * ended them): first the waiting jobs concerned are locked in job order, then a second statement — whose
 * snapshot sees every parent that ended before the locks were granted — cancels the waiting descendants of
 * failed or canceled parents (`dependency_failed: <parent id>`) and makes pending the waiting children of
 * succeeded parents whose parents all succeeded, with one history row and one event (`job.canceled`,
 * `job.released`) each, and the `wakeUp` NOTIFY when it released any (`null`: none, for callers that
 * end no parent `succeeded`).
 *
 * @returns the jobs it changed and their new status
 */
export async function settleDependents(
  tx: SqlExecutor,
  tenantId: string,
  parents: EndedParents,
  wakeUp: WakeUp | null,
): Promise<{ job_id: string; status: 'pending' | 'canceled' }[]> {
  if (parents.succeeded.length === 0 && parents.failed.length === 0) return [];
  const ids = [tenantId, parents.succeeded, parents.failed];
  await tx.query(LOCK_DEPENDENTS, ids);
  return tx.query(SETTLE_DEPENDENTS, [
    ...ids,
    DEPENDENCY_ACTOR,
    wakeUp?.channel ?? null,
    wakeUp?.payload ?? null,
  ]);
}
