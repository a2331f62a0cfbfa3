import type { JobStatus } from '@stella-orch/core';
import type { SqlExecutor } from '../sql-driver.js';
import type { JobRow } from '../row-mappers.js';
import { JOB_COLUMNS } from './job-columns.js';

const GET_JOB = `
SELECT ${JOB_COLUMNS}
FROM orch.jobs j
WHERE j.tenant_id = $1 AND j.job_id = $2::uuid`;

// Newest first: created_at DESC, then seq DESC among jobs of one instant. The page key is the last row's
// (created_at, seq); created_at travels as exact microsecond UTC text, so no precision is lost on the way.
const LIST_JOBS = `
SELECT ${JOB_COLUMNS}, j.seq::float8 AS seq,
  to_char(j.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_key
FROM orch.jobs j
WHERE j.tenant_id = $1
  AND ($2::text[] IS NULL OR j.status = ANY($2::text[]))
  AND ($3::text IS NULL OR j.job_type = $3::text)
  AND ($4::text IS NULL OR j.run_id = $4::text)
  AND ($5::timestamptz IS NULL OR j.created_at > $5::timestamptz)
  AND ($6::timestamptz IS NULL OR j.created_at < $6::timestamptz)
  AND ($7::timestamptz IS NULL OR (j.created_at, j.seq) < ($7::timestamptz, $8::bigint))
ORDER BY j.created_at DESC, j.seq DESC
LIMIT $9`;

const SUMMARIZE_JOBS = `
SELECT j.job_type, j.status, count(*)::int AS count
FROM orch.jobs j
WHERE j.tenant_id = $1
  AND ($2::text IS NULL OR j.job_type = $2::text)
  AND ($3::text IS NULL OR j.run_id = $3::text)
GROUP BY j.job_type, j.status
ORDER BY j.job_type, j.status`;

/** One job of a listing, with its page key. */
export interface ListedJobRow extends JobRow {
  readonly seq: number;
  readonly created_key: string;
}

/** Filters and page of {@link listJobs}. */
export interface ListJobsParams {
  readonly tenantId: string;
  readonly statuses: readonly JobStatus[] | null;
  readonly jobType: string | null;
  readonly runId: string | null;
  readonly createdAfter: string | null;
  readonly createdBefore: string | null;
  /** The (created_at, seq) of the last row of the previous page. */
  readonly after: { readonly createdKey: string; readonly seq: number } | null;
  readonly limit: number;
}

/** One job of a tenant, or null. */
export async function getJob(db: SqlExecutor, tenantId: string, jobId: string): Promise<JobRow | null> {
  const rows = await db.query<JobRow>(GET_JOB, [tenantId, jobId]);
  return rows[0] ?? null;
}

/** Up to `limit` jobs, newest first, after the page key. */
export function listJobs(db: SqlExecutor, params: ListJobsParams): Promise<ListedJobRow[]> {
  return db.query<ListedJobRow>(LIST_JOBS, [
    params.tenantId,
    params.statuses,
    params.jobType,
    params.runId,
    params.createdAfter,
    params.createdBefore,
    params.after?.createdKey ?? null,
    params.after?.seq ?? null,
    params.limit,
  ]);
}

/** A count of jobs of one type in one status. */
export interface JobCountRow {
  readonly job_type: string;
  readonly status: string;
  readonly count: number;
}

/** Counts of a tenant's jobs per type and status. */
export function summarizeJobs(
  db: SqlExecutor,
  params: { readonly tenantId: string; readonly jobType: string | null; readonly runId: string | null },
): Promise<JobCountRow[]> {
  return db.query<JobCountRow>(SUMMARIZE_JOBS, [params.tenantId, params.jobType, params.runId]);
}
