import type { SqlExecutor } from '../sql-driver.js';

const HEARTBEAT = `
-- 1. the job of this lease, only while the lease is current (fenced and not lapsed)
WITH held AS (
  SELECT j.tenant_id, j.job_id, j.status
  FROM orch.jobs j
  WHERE j.tenant_id = $1
    AND j.lease_id = $2::uuid
    AND j.fencing_token = $3
    AND j.status IN ('leased', 'running')
    AND j.lease_until > now()
  FOR NO KEY UPDATE
),
-- 2. extend the lease from the database clock; the first heartbeat starts the attempt
beat AS (
  UPDATE orch.jobs AS j
  SET status = 'running',
      lease_until = now() + $4::int * interval '1 millisecond',
      started_at = coalesce(j.started_at, now()),
      progress = coalesce($5::text::jsonb, j.progress),
      updated_at = now()
  FROM held h
  WHERE j.tenant_id = h.tenant_id AND j.job_id = h.job_id
  RETURNING j.tenant_id, j.job_id, j.attempt, j.worker_id, j.lease_until, j.cancel_requested, j.status,
    h.status AS from_status
),
-- 3. a history row when the attempt starts
history AS (
  INSERT INTO orch.job_history (tenant_id, job_id, from_status, to_status, attempt, reason, actor)
  SELECT b.tenant_id, b.job_id, b.from_status, b.status, b.attempt, 'heartbeat', b.worker_id
  FROM beat b
  WHERE b.from_status = 'leased'
),
-- 4. a job.running event when the attempt starts
events AS (
  INSERT INTO orch.events (tenant_id, event_type, job_id, attempt, data)
  SELECT b.tenant_id, 'job.running', b.job_id, b.attempt, jsonb_build_object('workerId', b.worker_id)
  FROM beat b
  WHERE b.from_status = 'leased'
)
SELECT b.job_id::text AS job_id, b.lease_until, b.cancel_requested, b.status
FROM beat b`;

/** The answer of a heartbeat. */
export interface HeartbeatRow {
  readonly job_id: string;
  readonly lease_until: Date | string;
  readonly cancel_requested: boolean;
  readonly status: string;
}

/** Parameters of {@link heartbeat}. */
export interface HeartbeatParams {
  readonly tenantId: string;
  readonly leaseId: string;
  readonly fencingToken: number;
  readonly leaseDurationMs: number;
  /** JSON text of the progress to store, or `null` to keep the stored one. */
  readonly progressJson: string | null;
}

/** Extends a current lease in one statement; no row when the lease is not current. */
export async function heartbeat(db: SqlExecutor, params: HeartbeatParams): Promise<HeartbeatRow | null> {
  const rows = await db.query<HeartbeatRow>(HEARTBEAT, [
    params.tenantId,
    params.leaseId,
    params.fencingToken,
    params.leaseDurationMs,
    params.progressJson,
  ]);
  return rows[0] ?? null;
}
