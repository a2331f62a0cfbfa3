import type { SqlExecutor } from '../sql-driver.js';

// $1 tenant; $2–$5 the heartbeats as parallel arrays (lease ids, fencing tokens, lease durations, progress
// JSON or null to keep the stored progress).
const HEARTBEATS = `
-- 1. the heartbeats, numbered in input order
WITH beats AS (
  SELECT b.lease_id, b.fencing_token, b.lease_duration_ms, b.progress, b.ord::int AS ord
  FROM unnest($2::uuid[], $3::int[], $4::int[], $5::text[])
    WITH ORDINALITY AS b(lease_id, fencing_token, lease_duration_ms, progress, ord)
),
-- 2. one per lease and token: the last one, as if the heartbeats had been sent one after another
latest AS (
  SELECT DISTINCT ON (b.lease_id, b.fencing_token) b.*
  FROM beats b
  ORDER BY b.lease_id, b.fencing_token, b.ord DESC
),
-- 3. the jobs whose lease is current (fenced and not lapsed), locked in job order: two batches over the
--    same jobs then queue behind each other instead of deadlocking
held AS (
  SELECT j.tenant_id, j.job_id, j.status, l.lease_duration_ms, l.progress
  FROM latest l
  JOIN orch.jobs j
    ON j.tenant_id = $1 AND j.lease_id = l.lease_id AND j.fencing_token = l.fencing_token
  WHERE j.status IN ('leased', 'running') AND j.lease_until > now()
  ORDER BY j.job_id
  FOR NO KEY UPDATE OF j
),
-- 4. extend each lease from the database clock; the first heartbeat starts the attempt
beat AS (
  UPDATE orch.jobs AS j
  SET status = 'running',
      lease_until = now() + h.lease_duration_ms * interval '1 millisecond',
      started_at = coalesce(j.started_at, now()),
      progress = coalesce(h.progress::jsonb, j.progress),
      updated_at = now()
  FROM held h
  WHERE j.tenant_id = h.tenant_id AND j.job_id = h.job_id
  RETURNING j.tenant_id, j.job_id, j.lease_id, j.fencing_token, j.attempt, j.worker_id, j.lease_until,
    j.cancel_requested, j.status, h.status AS from_status
),
-- 5. a history row when the attempt starts
history AS (
  INSERT INTO orch.job_history (tenant_id, job_id, from_status, to_status, attempt, reason, actor)
  SELECT b.tenant_id, b.job_id, b.from_status, b.status, b.attempt, 'heartbeat', b.worker_id
  FROM beat b
  WHERE b.from_status = 'leased'
),
-- 6. a job.running event when the attempt starts
events AS (
  INSERT INTO orch.events (tenant_id, event_type, job_id, attempt, actor, data)
  SELECT b.tenant_id, 'job.running', b.job_id, b.attempt, b.worker_id, jsonb_build_object('workerId', b.worker_id)
  FROM beat b
  WHERE b.from_status = 'leased'
)
-- every heartbeat of an extended lease answers its state, a repeat too
SELECT i.ord, b.job_id::text AS job_id, b.lease_until, b.cancel_requested, b.status
FROM beats i
JOIN beat b ON b.lease_id = i.lease_id AND b.fencing_token = i.fencing_token`;

/** The answer of one heartbeat. */
export interface HeartbeatRow {
  /** The 1-based position of the heartbeat in the batch. */
  readonly ord: number;
  readonly job_id: string;
  readonly lease_until: Date | string;
  readonly cancel_requested: boolean;
  readonly status: string;
}

/** One heartbeat of {@link extendLeases}: the lease id must be a UUID, the token a 32-bit integer. */
export interface HeartbeatItem {
  readonly leaseId: string;
  readonly fencingToken: number;
  readonly leaseDurationMs: number;
  /** JSON text of the progress to store, or `null` to keep the stored one. */
  readonly progressJson: string | null;
}

/**
 * Extends current leases in one statement. Returns one row per heartbeat whose lease is current, with its
 * position (`ord`, from 1); a heartbeat without a row changed nothing.
 */
export async function extendLeases(
  db: SqlExecutor,
  tenantId: string,
  items: readonly HeartbeatItem[],
): Promise<HeartbeatRow[]> {
  if (items.length === 0) return [];
  return db.query<HeartbeatRow>(HEARTBEATS, [
    tenantId,
    items.map((i) => i.leaseId),
    items.map((i) => i.fencingToken),
    items.map((i) => i.leaseDurationMs),
    items.map((i) => i.progressJson),
  ]);
}
