import type { NewArtifact } from '@stella-orch/core';
import type { SqlExecutor } from '../sql-driver.js';
import type { ArtifactRow } from '../row-mappers.js';

const ADD_ARTIFACTS = `
-- 1. the job of this lease, only while the lease is current; locked so a completion cannot slip between
WITH held AS (
  SELECT j.tenant_id, j.job_id, j.attempt
  FROM orch.jobs j
  WHERE j.tenant_id = $1
    AND j.lease_id = $2::uuid
    AND j.fencing_token = $3
    AND j.status IN ('leased', 'running')
    AND j.lease_until > now()
  FOR NO KEY UPDATE
),
-- 2. the artifacts, recorded against the current attempt
inserted AS (
  INSERT INTO orch.job_artifacts (tenant_id, job_id, artifact_id, attempt, uri, digest, size_bytes, media_type)
  SELECT h.tenant_id, h.job_id, a.artifact_id, h.attempt, a.uri, a.digest, a.size_bytes, a.media_type
  FROM held h
  CROSS JOIN unnest($4::uuid[], $5::text[], $6::text[], $7::bigint[], $8::text[]) WITH ORDINALITY
    AS a(artifact_id, uri, digest, size_bytes, media_type, ord)
  ORDER BY a.ord
  RETURNING *
)
SELECT h.job_id::text AS job_id, a.artifact_id::text AS artifact_id, a.attempt, a.uri, a.digest,
  a.size_bytes::float8 AS size_bytes, a.media_type, a.created_at, a.seq IS NOT NULL AS present
FROM held h
LEFT JOIN inserted a ON true
ORDER BY a.seq`;

/** Inserts artifacts for the job of a current lease; null when the lease is not current. */
export async function addArtifacts(
  db: SqlExecutor,
  params: {
    readonly tenantId: string;
    readonly leaseId: string;
    readonly fencingToken: number;
    readonly artifacts: readonly NewArtifact[];
  },
): Promise<ArtifactRow[] | null> {
  const { artifacts } = params;
  const rows = await db.query<ArtifactRow & { readonly present: boolean }>(ADD_ARTIFACTS, [
    params.tenantId,
    params.leaseId,
    params.fencingToken,
    artifacts.map((a) => a.artifactId),
    artifacts.map((a) => a.uri),
    artifacts.map((a) => a.digest),
    artifacts.map((a) => a.sizeBytes),
    artifacts.map((a) => a.mediaType),
  ]);
  return rows.length === 0 ? null : rows.filter((row) => row.present);
}
