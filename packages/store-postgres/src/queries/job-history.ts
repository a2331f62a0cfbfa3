import type { SqlExecutor } from '../sql-driver.js';
import type { ArtifactRow, HistoryRow } from '../row-mappers.js';

// The job row is joined so that "no such job" (no row) differs from "no entries" (one row of NULLs).
const LIST_JOB_HISTORY = `
SELECT j.job_id::text AS job_id, h.seq IS NOT NULL AS present,
  (row_number() OVER (ORDER BY h.seq))::int AS sequence,
  h.from_status, h.to_status, h.attempt, h.reason, h.actor, h.details, h.occurred_at
FROM orch.jobs j
LEFT JOIN orch.job_history h ON h.tenant_id = j.tenant_id AND h.job_id = j.job_id
WHERE j.tenant_id = $1 AND j.job_id = $2::uuid
ORDER BY h.seq`;

const LIST_JOB_ARTIFACTS = `
SELECT j.job_id::text AS job_id, a.seq IS NOT NULL AS present, a.artifact_id::text AS artifact_id,
  a.attempt, a.uri, a.digest, a.size_bytes::float8 AS size_bytes, a.media_type, a.created_at
FROM orch.jobs j
LEFT JOIN orch.job_artifacts a ON a.tenant_id = j.tenant_id AND a.job_id = j.job_id
WHERE j.tenant_id = $1 AND j.job_id = $2::uuid
ORDER BY a.seq`;

type Present<T> = T & { readonly present: boolean };

/** A job's history rows, oldest first; null when the job does not exist. */
export async function listJobHistory(
  db: SqlExecutor,
  tenantId: string,
  jobId: string,
): Promise<HistoryRow[] | null> {
  const rows = await db.query<Present<HistoryRow>>(LIST_JOB_HISTORY, [tenantId, jobId]);
  return rows.length === 0 ? null : rows.filter((row) => row.present);
}

/** A job's artifacts, oldest first; null when the job does not exist. */
export async function listJobArtifacts(
  db: SqlExecutor,
  tenantId: string,
  jobId: string,
): Promise<ArtifactRow[] | null> {
  const rows = await db.query<Present<ArtifactRow>>(LIST_JOB_ARTIFACTS, [tenantId, jobId]);
  return rows.length === 0 ? null : rows.filter((row) => row.present);
}
