import type { SqlExecutor } from '../sql-driver.js';

type SqlTimestamp = Date | string;

/** A row of orch.backfills as the queries below return it, `status` as read (completed computed). */
export interface BackfillRow {
  readonly tenant_id: string;
  readonly backfill_id: string;
  readonly seq: number;
  readonly source_id: string;
  readonly job_type: string;
  readonly window_start: SqlTimestamp;
  readonly window_end: SqlTimestamp;
  readonly step_seconds: number;
  readonly status: string;
  readonly run_id: string;
  readonly total_jobs: number;
  readonly reason: string;
  readonly ticket: string;
  readonly payload_template: unknown;
  readonly priority: number;
  readonly max_attempts: number;
  readonly request_digest: string;
  readonly created_by: string;
  readonly created_at: SqlTimestamp;
  readonly updated_by: string;
  readonly updated_at: SqlTimestamp;
  readonly paused_by: string | null;
  readonly paused_at: SqlTimestamp | null;
  readonly canceled_reason: string | null;
  readonly canceled_by: string | null;
  readonly canceled_at: SqlTimestamp | null;
}

/** A row of orch.watermarks. */
export interface WatermarkRow {
  readonly tenant_id: string;
  readonly source_id: string;
  readonly job_type: string;
  readonly watermark: SqlTimestamp;
  readonly updated_at: SqlTimestamp;
}

// An active or paused backfill none of whose jobs is unfinished reads as completed (through the partial
// index jobs_run_unfinished: no walk over its finished jobs).
const STATUS_AS_READ = `CASE
    WHEN b.status IN ('active', 'paused') AND NOT EXISTS (
      SELECT 1 FROM orch.jobs j
      WHERE j.tenant_id = b.tenant_id AND j.run_id = b.run_id
        AND j.status IN ('waiting', 'pending', 'leased', 'running')
    ) THEN 'completed'
    ELSE b.status
  END`;

const BACKFILL_COLUMNS = `b.tenant_id, b.backfill_id::text AS backfill_id, b.seq::float8 AS seq, b.source_id,
  b.job_type, b.window_start, b.window_end, b.step_seconds::float8 AS step_seconds, ${STATUS_AS_READ} AS status,
  b.run_id, b.total_jobs, b.reason, b.ticket, b.payload_template, b.priority, b.max_attempts, b.request_digest,
  b.created_by, b.created_at, b.updated_by, b.updated_at, b.paused_by, b.paused_at, b.canceled_reason,
  b.canceled_by, b.canceled_at`;

const INSERT_BACKFILL = `
INSERT INTO orch.backfills AS b (
  tenant_id, backfill_id, source_id, job_type, window_start, window_end, step_seconds, run_id, total_jobs,
  reason, ticket, payload_template, priority, max_attempts, idempotency_key, request_digest, created_by,
  updated_by
)
VALUES ($1, $2::uuid, $3, $4, $5::timestamptz, $6::timestamptz, $7, $8, $9, $10, $11, $12::jsonb, $13, $14,
  $15, $16, $17, $17)
RETURNING ${BACKFILL_COLUMNS.replace(STATUS_AS_READ, 'b.status')}`;

const GET_BACKFILL = `
SELECT ${BACKFILL_COLUMNS}
FROM orch.backfills b
WHERE b.tenant_id = $1 AND b.backfill_id = $2::uuid`;

// Changes take the row first: the state they compute from is the one they write over.
const LOCK_BACKFILL = `${GET_BACKFILL}
FOR UPDATE OF b`;

const GET_BACKFILL_BY_KEY = `
SELECT ${BACKFILL_COLUMNS}
FROM orch.backfills b
WHERE b.tenant_id = $1 AND b.idempotency_key = $2`;

const LIST_BACKFILLS = `
SELECT *
FROM (
  SELECT ${BACKFILL_COLUMNS}
  FROM orch.backfills b
  WHERE b.tenant_id = $1
    AND ($2::text IS NULL OR b.source_id = $2::text)
    AND ($3::text IS NULL OR b.job_type = $3::text)
    AND ($5::bigint IS NULL OR b.seq < $5::bigint)
    -- completed is computed: a filter on it (or on active/paused) keeps the stored candidates
    AND ($4::text IS NULL OR b.status = $4::text
      OR ($4::text = 'completed' AND b.status IN ('active', 'paused')))
  ORDER BY b.seq DESC
) listed
WHERE $4::text IS NULL OR listed.status = $4::text
LIMIT $6`;

// The open backfills of a source and job type whose window overlaps [start, end), oldest first.
const OPEN_OVERLAPPING = `
SELECT ${BACKFILL_COLUMNS}
FROM orch.backfills b
WHERE b.tenant_id = $1 AND b.source_id = $2 AND b.job_type = $3 AND b.status IN ('active', 'paused')
  AND b.window_start < $5::timestamptz AND b.window_end > $4::timestamptz
ORDER BY b.seq`;

// Serialises the creates of one tenant, source and job type across replicas until the transaction ends
// (the overlap check and the insert are then one step); other sources and job types do not wait.
const LOCK_BACKFILL_KEY = `
SELECT pg_advisory_xact_lock(hashtextextended($1 || chr(31) || $2 || chr(31) || $3, 17))`;

const MARK_COMPLETED = `
UPDATE orch.backfills AS b
SET status = 'completed', completed_at = now(), updated_at = now()
WHERE b.tenant_id = $1 AND b.backfill_id = ANY($2::uuid[]) AND b.status IN ('active', 'paused')`;

const UPDATE_STATE = `
UPDATE orch.backfills AS b
SET status = $3,
  paused_by = CASE WHEN $3 = 'paused' THEN $4 END,
  paused_at = CASE WHEN $3 = 'paused' THEN now() END,
  canceled_reason = CASE WHEN $3 = 'canceled' THEN $5 END,
  canceled_by = CASE WHEN $3 = 'canceled' THEN $4 END,
  canceled_at = CASE WHEN $3 = 'canceled' THEN now() END,
  updated_by = $4, updated_at = now()
WHERE b.tenant_id = $1 AND b.backfill_id = $2::uuid
RETURNING ${BACKFILL_COLUMNS}`;

const RUN_COUNTS = `
SELECT j.status, count(*)::int AS n
FROM orch.jobs j
WHERE j.tenant_id = $1 AND j.run_id = $2
GROUP BY j.status`;

const SET_RUN_JOBS_HELD = `
WITH changed AS (
  UPDATE orch.jobs AS j
  SET held = $3
  WHERE j.tenant_id = $1 AND j.run_id = $2
    AND j.status IN ('waiting', 'pending', 'leased', 'running')
    AND j.held <> $3
  RETURNING 1
)
SELECT count(*)::int AS changed FROM changed`;

// Like an operator cancel of each unfinished job (queries/cancel-job.ts), for all of a run at once.
const CANCEL_RUN_JOBS = `
WITH target AS (
  SELECT j.tenant_id, j.job_id, j.status
  FROM orch.jobs j
  WHERE j.tenant_id = $1 AND j.run_id = $2
    AND j.status IN ('waiting', 'pending', 'leased', 'running')
  ORDER BY j.job_id
  FOR NO KEY UPDATE
),
changed AS (
  UPDATE orch.jobs AS j
  SET status = CASE WHEN t.status IN ('waiting', 'pending') THEN 'canceled' ELSE j.status END,
      completed_at = CASE WHEN t.status IN ('waiting', 'pending') THEN now() ELSE j.completed_at END,
      cancel_requested = true,
      cancel_reason = $3::text,
      updated_at = now()
  FROM target t
  WHERE j.tenant_id = t.tenant_id AND j.job_id = t.job_id
    AND (t.status IN ('waiting', 'pending') OR NOT j.cancel_requested)
  RETURNING j.tenant_id, j.job_id, j.status, j.attempt, j.has_dependents, t.status AS from_status
),
history AS (
  INSERT INTO orch.job_history (tenant_id, job_id, from_status, to_status, attempt, reason, actor, details)
  SELECT c.tenant_id, c.job_id, c.from_status, c.status, c.attempt, 'canceled', $4::text,
    jsonb_build_object('reason', $3::text)
  FROM changed c
  WHERE c.status = 'canceled'
),
events AS (
  INSERT INTO orch.events (tenant_id, event_type, job_id, attempt, actor, actor_scopes, data)
  SELECT c.tenant_id, CASE WHEN c.status = 'canceled' THEN 'job.canceled' ELSE 'job.cancel_requested' END,
    c.job_id, c.attempt, $4::text, $5::text[], jsonb_build_object('reason', $3::text)
  FROM changed c
)
SELECT c.job_id::text AS job_id, c.status, c.has_dependents FROM changed c`;

// The latest succeeded jobs of a source and job type (newest first, up to $4): their mean run time, and
// how many ran at once on average (the sum of their run times over the span they cover).
const RUN_HISTORY = `
SELECT count(*)::int AS sampled,
  avg(s.ms)::float8 AS mean_ms,
  sum(s.ms)::float8 AS total_ms,
  (extract(epoch FROM max(s.completed_at) - min(s.started_at)) * 1000)::float8 AS span_ms
FROM (
  SELECT t.started_at, t.completed_at, extract(epoch FROM t.completed_at - t.started_at) * 1000 AS ms
  FROM (
    -- started: the first heartbeat, else the last lease (its history row)
    SELECT j.completed_at, coalesce(j.started_at, (
      SELECT h.occurred_at FROM orch.job_history h
      WHERE h.tenant_id = j.tenant_id AND h.job_id = j.job_id AND h.to_status = 'leased'
      ORDER BY h.seq DESC LIMIT 1
    )) AS started_at
    FROM orch.jobs j
    WHERE j.tenant_id = $1 AND j.source_id = $2 AND j.job_type = $3 AND j.status = 'succeeded'
    ORDER BY j.created_at DESC
    LIMIT $4
  ) t
  WHERE t.started_at IS NOT NULL
) s`;

const WATERMARK_COLUMNS = 'w.tenant_id, w.source_id, w.job_type, w.watermark, w.updated_at';

const GET_WATERMARK = `
SELECT ${WATERMARK_COLUMNS}
FROM orch.watermarks w
WHERE w.tenant_id = $1 AND w.source_id = $2 AND w.job_type = $3`;

const LIST_WATERMARKS = `
SELECT ${WATERMARK_COLUMNS}
FROM orch.watermarks w
WHERE w.tenant_id = $1
  AND ($2::text IS NULL OR w.source_id = $2::text)
  AND ($3::text IS NULL OR w.job_type = $3::text)
  AND ($4::text IS NULL OR (w.source_id, w.job_type) > ($4::text, $5::text))
ORDER BY w.source_id, w.job_type
LIMIT $6`;

/** A backfill to insert. */
export interface InsertBackfillParams {
  readonly tenantId: string;
  readonly backfillId: string;
  readonly sourceId: string;
  readonly jobType: string;
  readonly windowStart: string;
  readonly windowEnd: string;
  readonly stepSeconds: number;
  readonly runId: string;
  readonly totalJobs: number;
  readonly reason: string;
  readonly ticket: string;
  readonly payloadTemplate: unknown;
  readonly priority: number;
  readonly maxAttempts: number;
  readonly idempotencyKey: string | null;
  readonly requestDigest: string;
  readonly createdBy: string;
}

/** Inserts a backfill. */
export async function insertBackfill(db: SqlExecutor, p: InsertBackfillParams): Promise<BackfillRow> {
  const rows = await db.query<BackfillRow>(INSERT_BACKFILL, [
    p.tenantId,
    p.backfillId,
    p.sourceId,
    p.jobType,
    p.windowStart,
    p.windowEnd,
    p.stepSeconds,
    p.runId,
    p.totalJobs,
    p.reason,
    p.ticket,
    JSON.stringify(p.payloadTemplate),
    p.priority,
    p.maxAttempts,
    p.idempotencyKey,
    p.requestDigest,
    p.createdBy,
  ]);
  const [row] = rows;
  if (row === undefined) throw new Error('the backfill insert returned no row');
  return row;
}

/** A backfill, or `null`; `lock` takes its row until the transaction ends. */
export async function getBackfill(
  db: SqlExecutor,
  tenantId: string,
  backfillId: string,
  options: { readonly lock?: boolean } = {},
): Promise<BackfillRow | null> {
  const rows = await db.query<BackfillRow>(options.lock === true ? LOCK_BACKFILL : GET_BACKFILL, [
    tenantId,
    backfillId,
  ]);
  return rows[0] ?? null;
}

/** The backfill an idempotency key created, or `null`. */
export async function getBackfillByIdempotencyKey(
  db: SqlExecutor,
  tenantId: string,
  key: string,
): Promise<BackfillRow | null> {
  const rows = await db.query<BackfillRow>(GET_BACKFILL_BY_KEY, [tenantId, key]);
  return rows[0] ?? null;
}

/** Filters and keyset page of {@link listBackfills}. */
export interface ListBackfillsParams {
  readonly tenantId: string;
  readonly sourceId: string | null;
  readonly jobType: string | null;
  readonly status: string | null;
  readonly beforeSeq: number | null;
  readonly limit: number;
}

/** Backfills, newest first. */
export function listBackfills(db: SqlExecutor, p: ListBackfillsParams): Promise<BackfillRow[]> {
  return db.query<BackfillRow>(LIST_BACKFILLS, [
    p.tenantId,
    p.sourceId,
    p.jobType,
    p.status,
    p.beforeSeq,
    p.limit,
  ]);
}

/** Waits (until the transaction ends) for any other create of a backfill of this source and job type. */
export async function lockBackfillKey(
  db: SqlExecutor,
  tenantId: string,
  sourceId: string,
  jobType: string,
): Promise<void> {
  await db.query(LOCK_BACKFILL_KEY, [tenantId, sourceId, jobType]);
}

/** The stored-open backfills of a source and job type overlapping `[start, end)`. */
export function openOverlappingBackfills(
  db: SqlExecutor,
  p: {
    readonly tenantId: string;
    readonly sourceId: string;
    readonly jobType: string;
    readonly windowStart: string;
    readonly windowEnd: string;
  },
): Promise<BackfillRow[]> {
  return db.query<BackfillRow>(OPEN_OVERLAPPING, [
    p.tenantId,
    p.sourceId,
    p.jobType,
    p.windowStart,
    p.windowEnd,
  ]);
}

/** Stores `completed` on backfills found to have no unfinished job. */
export async function markBackfillsCompleted(
  db: SqlExecutor,
  tenantId: string,
  backfillIds: readonly string[],
): Promise<void> {
  if (backfillIds.length > 0) await db.query(MARK_COMPLETED, [tenantId, backfillIds]);
}

/** Writes a backfill's new status and who changed it. */
export async function updateBackfillState(
  db: SqlExecutor,
  p: {
    readonly tenantId: string;
    readonly backfillId: string;
    readonly status: 'active' | 'paused' | 'canceled';
    readonly actor: string;
    readonly canceledReason: string | null;
  },
): Promise<BackfillRow | null> {
  const rows = await db.query<BackfillRow>(UPDATE_STATE, [
    p.tenantId,
    p.backfillId,
    p.status,
    p.actor,
    p.canceledReason,
  ]);
  return rows[0] ?? null;
}

/** The jobs of a run by status (only statuses with jobs). */
export async function runJobCounts(
  db: SqlExecutor,
  tenantId: string,
  runId: string,
): Promise<Record<string, number>> {
  const rows = await db.query<{ status: string; n: number }>(RUN_COUNTS, [tenantId, runId]);
  return Object.fromEntries(rows.map((row) => [row.status, row.n]));
}

/** Holds (or releases) the unfinished jobs of a run; returns how many changed. */
export async function setRunJobsHeld(
  db: SqlExecutor,
  tenantId: string,
  runId: string,
  held: boolean,
): Promise<number> {
  const rows = await db.query<{ changed: number }>(SET_RUN_JOBS_HELD, [tenantId, runId, held]);
  return rows[0]?.changed ?? 0;
}

/** Cancels (or flags, when a worker holds them) the unfinished jobs of a run, with history and events. */
export function cancelRunJobs(
  db: SqlExecutor,
  p: {
    readonly tenantId: string;
    readonly runId: string;
    readonly reason: string;
    readonly actor: string;
    readonly actorScopes: readonly string[];
  },
): Promise<{ job_id: string; status: string; has_dependents: boolean }[]> {
  return db.query(CANCEL_RUN_JOBS, [p.tenantId, p.runId, p.reason, p.actor, p.actorScopes]);
}

/** What the latest succeeded jobs of a source and job type say about run times. */
export async function runHistory(
  db: SqlExecutor,
  p: {
    readonly tenantId: string;
    readonly sourceId: string;
    readonly jobType: string;
    readonly sample: number;
  },
): Promise<{ sampled: number; mean_ms: number | null; total_ms: number | null; span_ms: number | null }> {
  const rows = await db.query<{
    sampled: number;
    mean_ms: number | null;
    total_ms: number | null;
    span_ms: number | null;
  }>(RUN_HISTORY, [p.tenantId, p.sourceId, p.jobType, p.sample]);
  return rows[0] ?? { sampled: 0, mean_ms: null, total_ms: null, span_ms: null };
}

/** The watermark of a source and job type, or `null`. */
export async function getWatermark(
  db: SqlExecutor,
  tenantId: string,
  sourceId: string,
  jobType: string,
): Promise<WatermarkRow | null> {
  const rows = await db.query<WatermarkRow>(GET_WATERMARK, [tenantId, sourceId, jobType]);
  return rows[0] ?? null;
}

/** Watermarks by source and job type, after the keyset `after`. */
export function listWatermarks(
  db: SqlExecutor,
  p: {
    readonly tenantId: string;
    readonly sourceId: string | null;
    readonly jobType: string | null;
    readonly after: readonly [string, string] | null;
    readonly limit: number;
  },
): Promise<WatermarkRow[]> {
  return db.query<WatermarkRow>(LIST_WATERMARKS, [
    p.tenantId,
    p.sourceId,
    p.jobType,
    p.after?.[0] ?? null,
    p.after?.[1] ?? null,
    p.limit,
  ]);
}
