import type { SqlExecutor } from '../sql-driver.js';
import type { JobRow } from '../row-mappers.js';
import { JOB_COLUMNS } from './job-columns.js';

// One statement grants the leases: eligible rows are locked with SKIP LOCKED (so concurrent callers never
// hand out the same job and never wait for each other), updated, and their history rows and events written.
// The per-type LATERAL lets each type use the ready-work index in lease order, so the cost stays flat as
// the backlog grows instead of sorting every pending job of the listed types. Jobs of a paused or disabled
// source are held (NOT j.held): the ready index leaves them out, so they cost this scan nothing.
const LEASE_JOBS = `
-- 1. per job type, the first eligible pending jobs in lease order, locked
WITH candidates AS (
  SELECT c.job_id, c.priority, c.seq
  FROM unnest($2::text[]) AS t(job_type)
  CROSS JOIN LATERAL (
    SELECT j.job_id, j.priority, j.seq
    FROM orch.jobs j
    WHERE j.tenant_id = $1
      AND j.status = 'pending'
      AND NOT j.held
      AND j.job_type = t.job_type
      AND j.next_eligible_at <= now()
    ORDER BY j.priority DESC, j.seq
    LIMIT $3
    FOR NO KEY UPDATE SKIP LOCKED
  ) c
),
-- 2. across the types: highest priority first, FIFO within a priority
picked AS (
  SELECT job_id FROM candidates ORDER BY priority DESC, seq LIMIT $3
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
  ORDER BY l.priority DESC, l.seq
),
-- 5. one job.leased event per lease
events AS (
  INSERT INTO orch.events (tenant_id, event_type, job_id, attempt, actor, data)
  SELECT l.tenant_id, 'job.leased', l.job_id, l.attempt, l.worker_id,
    jsonb_build_object('leaseId', l.lease_id, 'fencingToken', l.fencing_token, 'workerId', l.worker_id)
  FROM leased l
  ORDER BY l.priority DESC, l.seq
)
SELECT ${JOB_COLUMNS}
FROM leased j
ORDER BY j.priority DESC, j.seq`;

/** Parameters of {@link leaseJobs}. */
export interface LeaseJobsParams {
  readonly tenantId: string;
  /** Distinct job types. */
  readonly jobTypes: readonly string[];
  readonly limit: number;
  readonly leaseDurationMs: number;
  readonly workerId: string;
}

/** Leases up to `limit` eligible jobs in one statement; the rows come back leased, in lease order. */
export function leaseJobs(db: SqlExecutor, params: LeaseJobsParams): Promise<JobRow[]> {
  return db.query<JobRow>(LEASE_JOBS, [
    params.tenantId,
    params.jobTypes,
    params.limit,
    params.leaseDurationMs,
    params.workerId,
  ]);
}
