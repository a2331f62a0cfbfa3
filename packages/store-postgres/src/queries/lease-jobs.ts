import type { SqlExecutor } from '../sql-driver.js';
import type { JobRow } from '../row-mappers.js';
import { JOB_COLUMNS } from './job-columns.js';

// One statement grants the leases: eligible rows are locked with SKIP LOCKED (so concurrent callers never
// hand out the same job and never wait for each other), updated, and their history rows and events written.
// The per-type LATERAL lets each type use the ready-work index in lease order, so the cost stays flat as
// the backlog grows instead of sorting every pending job of the listed types. Jobs of a paused or disabled
// source are held (NOT j.held): the ready index leaves them out, so they cost this scan nothing.
//
// This is the grant of a tenant without limits. Step 0 checks that (a few index probes); when the tenant
// has a limit that can apply, the statement leases nothing and answers `limited`, and the caller grants
// through the limits (limited-lease.ts).
const LEASE_JOBS = `
-- 0. whether a limit can apply: a quota for the tenant or a requested type, a limited source, a throttle,
--    a breaker that is not closed
WITH guard AS (
  SELECT EXISTS (SELECT 1 FROM orch.quotas q
      WHERE q.tenant_id = $1 AND (q.job_type IS NULL OR q.job_type = ANY($2::text[])))
    OR EXISTS (SELECT 1 FROM orch.sources s
      WHERE s.tenant_id = $1 AND (s.rate_limit_burst IS NOT NULL OR s.max_concurrent IS NOT NULL))
    OR EXISTS (SELECT 1 FROM orch.throttles t
      WHERE t.tenant_id = $1 AND t.revoked_at IS NULL AND t.expires_at > now()
        AND (t.job_type IS NULL OR t.job_type = ANY($2::text[])))
    OR EXISTS (SELECT 1 FROM orch.circuit_breakers b
      WHERE b.tenant_id = $1 AND b.state <> 'closed'
        AND (b.job_type IS NULL OR b.job_type = ANY($2::text[]))) AS limited
),
-- 1. per job type, the first eligible pending jobs in lease order, locked
candidates AS (
  SELECT c.job_id, c.ready_rank, c.seq
  FROM guard g
  CROSS JOIN unnest($2::text[]) AS t(job_type)
  CROSS JOIN LATERAL (
    SELECT j.job_id, j.ready_rank, j.seq
    FROM orch.jobs j
    WHERE j.tenant_id = $1
      AND j.status = 'pending'
      AND NOT j.held
      AND j.job_type = t.job_type
      AND j.next_eligible_at <= now()
    ORDER BY j.ready_rank, j.seq
    LIMIT $3
    FOR NO KEY UPDATE SKIP LOCKED
  ) c
  WHERE NOT g.limited
),
-- 2. across the types, in lease order: priority aged by the wait (ready_rank, migration 000011), then FIFO
picked AS (
  SELECT job_id FROM candidates ORDER BY ready_rank, seq LIMIT $3
),
-- 3. lease them: a new lease id, the next fencing token, the next attempt; timed by the database clock
leased AS (
  UPDATE orch.jobs AS j
  SET status = 'leased',
      lease_id = gen_random_uuid(),
      fencing_token = j.fencing_token + 1,
      attempt = j.attempt + 1,
      lease_until = now() + $4::int * interval '1 millisecond',
      worker_id = $5::text,
      updated_at = now()
  FROM picked p
  WHERE j.tenant_id = $1 AND j.job_id = p.job_id
  RETURNING j.*
),
-- 4. one history row per lease
history AS (
  INSERT INTO orch.job_history (tenant_id, job_id, from_status, to_status, attempt, reason, actor)
  SELECT l.tenant_id, l.job_id, 'pending', 'leased', l.attempt, 'leased', l.worker_id
  FROM leased l
  ORDER BY l.ready_rank, l.seq
),
-- 5. one job.leased event per lease
events AS (
  INSERT INTO orch.events (tenant_id, event_type, job_id, attempt, actor, data)
  SELECT l.tenant_id, 'job.leased', l.job_id, l.attempt, l.worker_id,
    jsonb_build_object('leaseId', l.lease_id, 'fencingToken', l.fencing_token, 'workerId', l.worker_id)
  FROM leased l
  ORDER BY l.ready_rank, l.seq
)
-- one row per leased job; a single row without a job when nothing was leased
SELECT g.limited, ${JOB_COLUMNS}
FROM guard g
LEFT JOIN leased j ON true
ORDER BY j.ready_rank, j.seq`;

/** Parameters of {@link leaseJobs}. */
export interface LeaseJobsParams {
  readonly tenantId: string;
  /** Distinct job types. */
  readonly jobTypes: readonly string[];
  readonly limit: number;
  readonly leaseDurationMs: number;
  readonly workerId: string;
}

/** What {@link leaseJobs} did: the leased rows, or `limited` when the tenant's limits must decide. */
export interface UnlimitedLease {
  readonly limited: boolean;
  readonly rows: JobRow[];
}

/**
 * Leases up to `limit` eligible jobs in one statement when no limit can apply to them; the rows come back
 * leased, in lease order. Leases nothing and answers `limited: true` otherwise.
 */
export async function leaseJobs(db: SqlExecutor, params: LeaseJobsParams): Promise<UnlimitedLease> {
  const rows = await db.query<JobRow & { readonly limited: boolean }>(LEASE_JOBS, [
    params.tenantId,
    params.jobTypes,
    params.limit,
    params.leaseDurationMs,
    params.workerId,
  ]);
  return {
    limited: rows.some((row) => row.limited),
    rows: rows.filter((row) => row.job_id !== null),
  };
}
