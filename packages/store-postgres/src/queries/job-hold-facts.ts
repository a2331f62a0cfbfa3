import type { JobRow } from '../row-mappers.js';
import type { SqlExecutor } from '../sql-driver.js';
import { JOB_COLUMNS } from './job-columns.js';

// One statement, one snapshot, one database clock: the job, its held marker and cancel reason, its source,
// the backfill whose run it belongs to (unique per run),
// the parents that have not succeeded (through the edges' primary key), and for a pending job that is
// leasable now, the ready jobs of its type that a lease call takes first. That count walks the ready index
// (tenant_id, job_type, ready_rank, seq) from its start and stops at $3 rows, so a deep backlog costs no
// more than the cap.
const READ_JOB_HOLD_FACTS = `
SELECT ${JOB_COLUMNS}, j.held, j.lane, j.cancel_reason, now() AS db_now,
  s.source_id AS s_source_id, s.enabled AS s_enabled, s.paused AS s_paused, s.pause_reason AS s_pause_reason,
  s.pause_ticket AS s_pause_ticket, s.paused_by AS s_paused_by, s.paused_at AS s_paused_at,
  b.backfill_id::text AS b_backfill_id, b.status AS b_status, b.paused_by AS b_paused_by,
  b.paused_at AS b_paused_at,
  CASE WHEN j.status = 'waiting' THEN (
    SELECT coalesce(jsonb_agg(jsonb_build_object('jobId', p.job_id::text, 'status', p.status) ORDER BY p.seq), '[]')
    FROM orch.job_dependencies d
    JOIN orch.jobs p ON p.tenant_id = d.tenant_id AND p.job_id = d.depends_on_job_id
    WHERE d.tenant_id = j.tenant_id AND d.job_id = j.job_id AND p.status <> 'succeeded'
  ) ELSE '[]'::jsonb END AS unmet_parents,
  CASE WHEN j.status = 'pending' AND NOT j.held AND j.next_eligible_at <= now() THEN (
    SELECT count(*)::int FROM (
      SELECT 1
      FROM orch.jobs a
      WHERE a.tenant_id = j.tenant_id
        AND a.job_type = j.job_type
        AND a.status = 'pending'
        AND NOT a.held
        AND (a.ready_rank, a.seq) < (j.ready_rank, j.seq)
        AND a.next_eligible_at <= now()
      LIMIT $3
    ) ahead
  ) END AS queue_ahead
FROM orch.jobs j
LEFT JOIN orch.sources s ON s.tenant_id = j.tenant_id AND s.source_id = j.source_id
LEFT JOIN orch.backfills b ON b.tenant_id = j.tenant_id AND b.run_id = j.run_id
WHERE j.tenant_id = $1 AND j.job_id = $2::uuid`;

/** A job row with the facts that hold it; the `s_` columns are `NULL` for a job without a source. */
export interface JobHoldFactsRow extends JobRow {
  readonly held: boolean;
  readonly lane: 'live' | 'backfill';
  readonly cancel_reason: string | null;
  readonly db_now: Date | string;
  readonly s_source_id: string | null;
  readonly s_enabled: boolean | null;
  readonly s_paused: boolean | null;
  readonly s_pause_reason: string | null;
  readonly s_pause_ticket: string | null;
  readonly s_paused_by: string | null;
  readonly s_paused_at: Date | string | null;
  readonly b_backfill_id: string | null;
  readonly b_status: string | null;
  readonly b_paused_by: string | null;
  readonly b_paused_at: Date | string | null;
  readonly unmet_parents: readonly { readonly jobId: string; readonly status: string }[];
  /** Ready jobs ahead, up to the limit; `NULL` unless the job is pending, not held and eligible. */
  readonly queue_ahead: number | null;
}

/** The job `jobId` with its hold facts, counting at most `aheadLimit` jobs ahead; `null` when absent. */
export async function readJobHoldFacts(
  db: SqlExecutor,
  tenantId: string,
  jobId: string,
  aheadLimit: number,
): Promise<JobHoldFactsRow | null> {
  const rows = await db.query<JobHoldFactsRow>(READ_JOB_HOLD_FACTS, [tenantId, jobId, aheadLimit]);
  return rows[0] ?? null;
}
