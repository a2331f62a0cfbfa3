import type { JobRow } from '../row-mappers.js';
import type { SqlExecutor } from '../sql-driver.js';
import type { InFlightRow } from './limit-facts.js';
import { READY_QUEUES_CTES } from './ready-queues.js';
import { JOB_COLUMNS } from './job-columns.js';

// The lease grant of a tenant with limits (docs/decisions/0016-admission-and-limits.md), in two statements
// of one transaction around the pure admission in core.
//
// 1. Candidates. The queues of the requested types with ready work are found by a skip scan of
//    jobs_ready_by_source (one index descent per source, however deep each backlog is); each queue (and
//    lane: live, backfill) is then scanned in lease order up to its budget — the least of the limits that apply to it, as rows
//    ($3 job type, $4 source, $5 budget; NULL matches any) — and its rows locked with SKIP LOCKED. A queue
//    whose budget is 0 is never scanned, so a throttled or paused backlog costs nothing.
const LEASE_CANDIDATES = `
WITH RECURSIVE ${READY_QUEUES_CTES},
budgets AS (
  SELECT * FROM unnest($3::text[], $4::text[], $5::int[]) AS b(job_type, source_id, budget)
),
sized AS (
  SELECT q.job_type, q.source_id,
    LEAST($6::int, coalesce((SELECT min(b.budget) FROM budgets b
      WHERE (b.job_type IS NULL OR b.job_type = q.job_type)
        AND (b.source_id IS NULL OR b.source_id = q.source_id)), $6::int)) AS budget
  FROM queues q
),
candidates AS (
SELECT c.job_id::text AS job_id, z.job_type, z.source_id, l.lane, c.ready_rank, c.seq::float8 AS seq
FROM sized z
CROSS JOIN (VALUES ('live'), ('backfill')) AS l(lane)
CROSS JOIN LATERAL (
  SELECT j.job_id, j.ready_rank, j.seq
  FROM orch.jobs j
  WHERE j.tenant_id = $1 AND j.status = 'pending' AND NOT j.held AND j.job_type = z.job_type
    AND j.source_id = z.source_id AND j.lane = l.lane AND j.next_eligible_at <= now()
  ORDER BY j.ready_rank, j.seq
  LIMIT z.budget
  FOR NO KEY UPDATE SKIP LOCKED
) c
WHERE z.source_id IS NOT NULL AND z.budget > 0
UNION ALL
SELECT c.job_id::text, z.job_type, NULL, l.lane, c.ready_rank, c.seq::float8
FROM sized z
CROSS JOIN (VALUES ('live'), ('backfill')) AS l(lane)
CROSS JOIN LATERAL (
  SELECT j.job_id, j.ready_rank, j.seq
  FROM orch.jobs j
  WHERE j.tenant_id = $1 AND j.status = 'pending' AND NOT j.held AND j.job_type = z.job_type
    AND j.source_id IS NULL AND j.lane = l.lane AND j.next_eligible_at <= now()
  ORDER BY j.ready_rank, j.seq
  LIMIT z.budget
  FOR NO KEY UPDATE SKIP LOCKED
) c
WHERE z.source_id IS NULL AND z.budget > 0
),
-- the jobs in flight per queue and lane ($7: when a concurrency cap needs them): counted here, after the
-- limit rows were locked, so this statement's snapshot includes every grant that held the lock before
in_flight AS (
  SELECT j.job_type, j.source_id, j.lane, count(*)::int AS count
  FROM orch.jobs j
  WHERE $7::boolean AND j.tenant_id = $1 AND j.status IN ('leased', 'running')
  GROUP BY j.job_type, j.source_id, j.lane
)
SELECT (SELECT coalesce(jsonb_agg(to_jsonb(c)), '[]'::jsonb) FROM candidates c) AS candidates,
  (SELECT coalesce(jsonb_agg(to_jsonb(i)), '[]'::jsonb) FROM in_flight i) AS in_flight,
  -- the queues with eligible work that a limit left at budget 0 (for the limit-hold metric)
  (SELECT coalesce(jsonb_agg(jsonb_build_object('jobType', z.job_type, 'sourceId', z.source_id)), '[]'::jsonb)
   FROM sized z
   WHERE z.budget = 0 AND EXISTS (
     SELECT 1 FROM orch.jobs j
     WHERE j.tenant_id = $1 AND j.status = 'pending' AND NOT j.held AND j.job_type = z.job_type
       AND j.source_id IS NOT DISTINCT FROM z.source_id AND j.next_eligible_at <= now())) AS held_queues`;

/** A locked ready job found by the queue scan. */
export interface CandidateRow {
  readonly job_id: string;
  readonly job_type: string;
  readonly source_id: string | null;
  readonly lane: 'live' | 'backfill';
  /** The job's place in lease order: eligible time less a minute per priority level (migration 000011). */
  readonly ready_rank: number;
  readonly seq: number;
}

/** The least budget of the limits of one scope (`null`: any job type / any source). */
export interface ScopeBudget {
  readonly jobType: string | null;
  readonly sourceId: string | null;
  readonly budget: number;
}

/** What {@link leaseCandidates} found: the locked candidates and the jobs in flight. */
export interface CandidatesRow {
  readonly candidates: readonly CandidateRow[];
  readonly in_flight: readonly InFlightRow[];
  readonly held_queues: readonly { readonly jobType: string; readonly sourceId: string | null }[];
}

/**
 * Finds and locks up to `limit` ready jobs per queue of `jobTypes`, each queue within its budgets, and
 * counts the jobs in flight (when `countInFlight`), in one statement.
 */
export async function leaseCandidates(
  tx: SqlExecutor,
  params: {
    readonly tenantId: string;
    readonly jobTypes: readonly string[];
    readonly budgets: readonly ScopeBudget[];
    readonly limit: number;
    readonly countInFlight: boolean;
  },
): Promise<CandidatesRow> {
  const { budgets } = params;
  const [row] = await tx.query<CandidatesRow>(LEASE_CANDIDATES, [
    params.tenantId,
    params.jobTypes,
    budgets.map((b) => b.jobType),
    budgets.map((b) => b.sourceId),
    budgets.map((b) => b.budget),
    params.limit,
    params.countInFlight,
  ]);
  return row ?? { candidates: [], in_flight: [], held_queues: [] };
}

// 2. The grant: the admitted jobs ($2, in lease order; locked by statement 1 in this transaction) are
//    leased, their history rows and job.leased events written, and the buckets they drew from stored at
//    their new levels ($6 keys, $7 tokens, $8 times: never earlier than the stored time, so no refill is
//    counted twice).
const LEASE_ADMITTED = `
WITH picked AS (
  SELECT p.job_id, p.ord FROM unnest($2::uuid[]) WITH ORDINALITY AS p(job_id, ord)
),
leased AS (
  UPDATE orch.jobs AS j
  SET status = 'leased',
      lease_id = gen_random_uuid(),
      fencing_token = j.fencing_token + 1,
      attempt = j.attempt + 1,
      lease_until = now() + $3::int * interval '1 millisecond',
      worker_id = $4::text,
      updated_at = now()
  FROM picked p
  WHERE j.tenant_id = $1 AND j.job_id = p.job_id AND j.status = 'pending'
  RETURNING j.*, p.ord
),
history AS (
  INSERT INTO orch.job_history (tenant_id, job_id, from_status, to_status, attempt, reason, actor)
  SELECT l.tenant_id, l.job_id, 'pending', 'leased', l.attempt, 'leased', l.worker_id
  FROM leased l
  ORDER BY l.ord
),
events AS (
  INSERT INTO orch.events (tenant_id, event_type, job_id, attempt, actor, data)
  SELECT l.tenant_id, 'job.leased', l.job_id, l.attempt, l.worker_id,
    jsonb_build_object('leaseId', l.lease_id, 'fencingToken', l.fencing_token, 'workerId', l.worker_id)
  FROM leased l
  ORDER BY l.ord
),
levels AS (
  UPDATE orch.limit_state AS s
  SET tokens = v.tokens, refilled_at = greatest(s.refilled_at, v.at)
  FROM unnest($5::text[], $6::float8[], $7::timestamptz[]) AS v(limit_key, tokens, at)
  WHERE s.tenant_id = $1 AND s.limit_key = v.limit_key
)
SELECT ${JOB_COLUMNS}
FROM leased j
ORDER BY j.ord`;

/** A bucket's level to store after a grant. */
export interface LevelWrite {
  readonly key: string;
  readonly tokens: number;
  /** The database clock the level was computed at (ISO-8601). */
  readonly at: string;
}

/** Leases the admitted jobs (locked by {@link leaseCandidates}) and stores the buckets' new levels. */
export function leaseAdmitted(
  tx: SqlExecutor,
  params: {
    readonly tenantId: string;
    readonly jobIds: readonly string[];
    readonly leaseDurationMs: number;
    readonly workerId: string;
    readonly levels: readonly LevelWrite[];
  },
): Promise<JobRow[]> {
  const { levels } = params;
  return tx.query<JobRow>(LEASE_ADMITTED, [
    params.tenantId,
    params.jobIds,
    params.leaseDurationMs,
    params.workerId,
    levels.map((l) => l.key),
    levels.map((l) => l.tokens),
    levels.map((l) => l.at),
  ]);
}
