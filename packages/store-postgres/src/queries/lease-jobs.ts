import type { SqlExecutor } from '../sql-driver.js';
import type { JobRow } from '../row-mappers.js';
import { JOB_COLUMNS } from './job-columns.js';
import { READY_QUEUES_CTES } from './ready-queues.js';

// The grant of a tenant without limits, in one statement: eligible rows are locked with SKIP LOCKED (so
// concurrent callers never hand out the same job and never wait for each other), updated, and their history
// rows and events written. Jobs of a paused or disabled source are held (NOT j.held): the ready indexes
// leave them out, so they cost the scans nothing.
//
// Step 0 checks that no limit can apply (a few index probes); when one can, the statement leases nothing
// and answers `limited`, and the caller grants through the limits (limited-lease.ts). It also says whether
// the tenant has two sources or more (`multi_source`).
//
// Two statements share it. The plain one scans each requested type through jobs_ready in lease order (one
// index range per type, the cheapest plan) — for a tenant with at most one source, whose jobs form one
// queue per type anyway; for a tenant with more it leases nothing and answers `multi_source`. The fair one
// scans each queue (job type × source × lane) through jobs_ready_by_source and lets the queues take turns
// within a priority level, so one source's backlog cannot fill the batch while another source waits.

// 0. whether a limit can apply (a quota for the tenant or a requested type, a limited source, a throttle, a
//    breaker that is not closed), and whether the tenant has several sources: the first CTE of both.
const GUARD = `
guard AS (
  SELECT EXISTS (SELECT 1 FROM orch.quotas q
      WHERE q.tenant_id = $1 AND (q.job_type IS NULL OR q.job_type = ANY($2::text[])))
    OR EXISTS (SELECT 1 FROM orch.sources s
      WHERE s.tenant_id = $1 AND (s.rate_limit_burst IS NOT NULL OR s.max_concurrent IS NOT NULL))
    OR EXISTS (SELECT 1 FROM orch.throttles t
      WHERE t.tenant_id = $1 AND t.revoked_at IS NULL AND t.expires_at > now()
        AND (t.job_type IS NULL OR t.job_type = ANY($2::text[])))
    OR EXISTS (SELECT 1 FROM orch.circuit_breakers b
      WHERE b.tenant_id = $1 AND b.state <> 'closed'
        AND (b.job_type IS NULL OR b.job_type = ANY($2::text[]))) AS limited,
    -- whether the tenant has two sources or more, whose queues must take turns (the fair statement)
    (SELECT count(*) FROM (SELECT 1 FROM orch.sources s WHERE s.tenant_id = $1 LIMIT 2) two) >= 2
      AS multi_source
),
`;

// 4–6 and the answer, the same in both: the picked jobs leased, with their history rows and events.
const LEASE_PICKED = `
-- 4. lease them: a new lease id, the next fencing token, the next attempt; timed by the database clock
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
-- 5. one history row per lease
history AS (
  INSERT INTO orch.job_history (tenant_id, job_id, from_status, to_status, attempt, reason, actor)
  SELECT l.tenant_id, l.job_id, 'pending', 'leased', l.attempt, 'leased', l.worker_id
  FROM leased l
  ORDER BY l.ready_rank, l.seq
),
-- 6. one job.leased event per lease
events AS (
  INSERT INTO orch.events (tenant_id, event_type, job_id, attempt, actor, data)
  SELECT l.tenant_id, 'job.leased', l.job_id, l.attempt, l.worker_id,
    jsonb_build_object('leaseId', l.lease_id, 'fencingToken', l.fencing_token, 'workerId', l.worker_id)
  FROM leased l
  ORDER BY l.ready_rank, l.seq
)
-- one row per leased job; a single row without a job when nothing was leased
SELECT g.limited, g.multi_source, ${JOB_COLUMNS}
FROM guard g
LEFT JOIN leased j ON true
ORDER BY j.ready_rank, j.seq`;

const LEASE_JOBS_PLAIN = `
WITH ${GUARD}
-- 1–3. per job type, the first eligible pending jobs in lease order, locked
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
  WHERE NOT g.limited AND NOT g.multi_source
),
--      across the types, in lease order: priority aged by the wait (ready_rank, migration 000011), then FIFO
picked AS (
  SELECT job_id FROM candidates ORDER BY ready_rank, seq LIMIT $3
),
${LEASE_PICKED}`;

const LEASE_JOBS_FAIR = `
WITH RECURSIVE ${GUARD}
-- 1. the queues of the requested types with ready work: one per source (and one for jobs of no source),
--    found by a skip scan of jobs_ready_by_source (an index descent per source, however deep its backlog)
${READY_QUEUES_CTES},
-- each queue scans at most twice its share of the batch (all of it when it is the only one)
share AS (
  SELECT least($3::int, greatest(10, ceil($3::float8 * 2 / greatest(count(*), 1))::int)) AS n FROM queues
),
-- 2. per queue and lane, the first eligible pending jobs in lease order, locked (two branches, so that each
--    is one range of jobs_ready_by_source: a source's jobs, and the jobs of no source)
candidates AS (
  SELECT c.job_id, c.ready_rank, c.seq, q.job_type, q.source_id, l.lane
  FROM guard g
  CROSS JOIN share
  CROSS JOIN queues q
  CROSS JOIN (VALUES ('live'), ('backfill')) AS l(lane)
  CROSS JOIN LATERAL (
    SELECT j.job_id, j.ready_rank, j.seq
    FROM orch.jobs j
    WHERE j.tenant_id = $1 AND j.status = 'pending' AND NOT j.held AND j.job_type = q.job_type
      AND j.source_id = q.source_id AND j.lane = l.lane AND j.next_eligible_at <= now()
    ORDER BY j.ready_rank, j.seq
    LIMIT share.n
    FOR NO KEY UPDATE SKIP LOCKED
  ) c
  WHERE NOT g.limited AND q.source_id IS NOT NULL
  UNION ALL
  SELECT c.job_id, c.ready_rank, c.seq, q.job_type, NULL, l.lane
  FROM guard g
  CROSS JOIN share
  CROSS JOIN queues q
  CROSS JOIN (VALUES ('live'), ('backfill')) AS l(lane)
  CROSS JOIN LATERAL (
    SELECT j.job_id, j.ready_rank, j.seq
    FROM orch.jobs j
    WHERE j.tenant_id = $1 AND j.status = 'pending' AND NOT j.held AND j.job_type = q.job_type
      AND j.source_id IS NULL AND j.lane = l.lane AND j.next_eligible_at <= now()
    ORDER BY j.ready_rank, j.seq
    LIMIT share.n
    FOR NO KEY UPDATE SKIP LOCKED
  ) c
  WHERE NOT g.limited AND q.source_id IS NULL
),
-- 3. in lease order: the priority aged by the wait (ready_rank, migration 000011) in whole levels, the queues
--    taking turns within a level (so one source's backlog cannot fill the batch while another waits), FIFO
ranked AS (
  SELECT c.job_id, c.ready_rank, c.seq,
    row_number() OVER (PARTITION BY c.job_type, c.source_id, c.lane ORDER BY c.ready_rank, c.seq) AS turn
  FROM candidates c
),
picked AS (
  SELECT r.job_id FROM ranked r
  ORDER BY floor((extract(epoch FROM (now() - to_timestamp(0))) - r.ready_rank) / 60) DESC, r.turn, r.seq
  LIMIT $3
),
${LEASE_PICKED}`;

/** Parameters of {@link leaseJobs}. */
export interface LeaseJobsParams {
  readonly tenantId: string;
  /** Distinct job types. */
  readonly jobTypes: readonly string[];
  readonly limit: number;
  readonly leaseDurationMs: number;
  readonly workerId: string;
}

/** What {@link leaseJobs} did: the leased rows, or why it leased nothing. */
export interface UnlimitedLease {
  /** A limit can apply: the locked grant (limited-lease.ts) must decide. */
  readonly limited: boolean;
  /** The tenant has two sources or more: the plain statement leased nothing, the fair one must. */
  readonly multiSource: boolean;
  readonly rows: JobRow[];
}

/**
 * Leases up to `limit` eligible jobs in one statement when no limit can apply to them — `fair`: with the
 * queues taking turns (for a tenant with several sources) — and returns the leased rows in lease order.
 * Leases nothing and answers `limited` when a limit can apply, and (plain only) when `multiSource`.
 */
export async function leaseJobs(
  db: SqlExecutor,
  params: LeaseJobsParams,
  fair: boolean,
): Promise<UnlimitedLease> {
  const rows = await db.query<JobRow & { readonly limited: boolean; readonly multi_source: boolean }>(
    fair ? LEASE_JOBS_FAIR : LEASE_JOBS_PLAIN,
    [params.tenantId, params.jobTypes, params.limit, params.leaseDurationMs, params.workerId],
  );
  return {
    limited: rows.some((row) => row.limited),
    multiSource: rows.some((row) => row.multi_source),
    rows: rows.filter((row) => row.job_id !== null),
  };
}
