import type { SqlExecutor } from '../sql-driver.js';

type SqlTimestamp = Date | string;

/** A row of orch.sources as the queries below return it. */
export interface SourceRow {
  readonly tenant_id: string;
  readonly source_id: string;
  readonly source_type: string;
  readonly display_name: string | null;
  readonly description: string | null;
  readonly enabled: boolean;
  readonly paused: boolean;
  readonly pause_reason: string | null;
  readonly pause_ticket: string | null;
  readonly paused_by: string | null;
  readonly paused_at: SqlTimestamp | null;
  readonly rate_limit_burst: number | null;
  readonly rate_limit_refill_per_second: number | null;
  readonly max_concurrent: number | null;
  readonly version: number;
  readonly idempotency_key: string | null;
  readonly request_digest: string;
  readonly seq: number;
  readonly created_by: string;
  readonly created_at: SqlTimestamp;
  readonly updated_by: string;
  readonly updated_at: SqlTimestamp;
}

const SOURCE_COLUMNS = `s.tenant_id, s.source_id, s.source_type, s.display_name, s.description, s.enabled,
  s.paused, s.pause_reason, s.pause_ticket, s.paused_by, s.paused_at, s.rate_limit_burst,
  s.rate_limit_refill_per_second, s.max_concurrent, s.version, s.idempotency_key, s.request_digest, s.seq::float8 AS seq,
  s.created_by, s.created_at, s.updated_by, s.updated_at`;

// A conflict on the id or on the idempotency key inserts nothing; the caller finds out which.
const INSERT_SOURCE = `
INSERT INTO orch.sources AS s (
  tenant_id, source_id, source_type, display_name, description, rate_limit_burst,
  rate_limit_refill_per_second, max_concurrent, idempotency_key, request_digest, created_by, updated_by
)
VALUES ($1, $2, $3, $4, $5, $6, $7, $11, $8, $9, $10, $10)
ON CONFLICT DO NOTHING
RETURNING ${SOURCE_COLUMNS}`;

const GET_SOURCE = `
SELECT ${SOURCE_COLUMNS}
FROM orch.sources s
WHERE s.tenant_id = $1 AND s.source_id = $2`;

// Changes take the row first: the state they compute from is the one they write over.
const LOCK_SOURCE = `${GET_SOURCE}
FOR UPDATE`;

// A backfill's pause or resume reads the source's hold and keeps it until its jobs are written.
const SHARE_SOURCE = `${GET_SOURCE}
FOR SHARE`;

const GET_SOURCE_BY_KEY = `
SELECT ${SOURCE_COLUMNS}
FROM orch.sources s
WHERE s.tenant_id = $1 AND s.idempotency_key = $2`;

const LIST_SOURCES = `
SELECT ${SOURCE_COLUMNS}
FROM orch.sources s
WHERE s.tenant_id = $1
  AND ($2::text IS NULL OR s.source_type = $2::text)
  AND ($3::boolean IS NULL OR s.enabled = $3::boolean)
  AND ($4::boolean IS NULL OR s.paused = $4::boolean)
  AND ($5::bigint IS NULL OR s.seq > $5::bigint)
ORDER BY s.seq
LIMIT $6`;

const UPDATE_SOURCE = `
UPDATE orch.sources AS s
SET source_type = $3, display_name = $4, description = $5, rate_limit_burst = $6,
  rate_limit_refill_per_second = $7, enabled = $8, paused = $9, pause_reason = $10, pause_ticket = $11,
  paused_by = $12, paused_at = CASE WHEN $9::boolean THEN coalesce(s.paused_at, now()) END,
  max_concurrent = $14, version = s.version + 1, updated_by = $13, updated_at = now()
WHERE s.tenant_id = $1 AND s.source_id = $2
RETURNING ${SOURCE_COLUMNS}`;

// The unfinished jobs of the source follow its hold; finished jobs never run again, so they keep theirs.
// A release leaves alone the jobs of a paused backfill: they stay held until it is resumed.
const SET_JOBS_HELD = `
WITH changed AS (
  UPDATE orch.jobs AS j
  SET held = $3
  WHERE j.tenant_id = $1 AND j.source_id = $2
    AND j.status IN ('waiting', 'pending', 'leased', 'running')
    AND j.held <> $3
    AND ($3 OR j.run_id IS NULL OR NOT EXISTS (
      SELECT 1 FROM orch.backfills b
      WHERE b.tenant_id = j.tenant_id AND b.run_id = j.run_id AND b.status = 'paused'
    ))
  RETURNING 1
)
SELECT count(*)::int AS changed FROM changed`;

// The sources jobs are about to name, locked against a concurrent pause or disable until the jobs commit.
const LOCK_NAMED_SOURCES = `
SELECT s.source_id, s.enabled, s.paused
FROM orch.sources s
WHERE s.tenant_id = $1 AND s.source_id = ANY($2::text[])
FOR SHARE`;

const HOLD_JOBS = `
UPDATE orch.jobs AS j
SET held = true
WHERE j.tenant_id = $1 AND j.job_id = ANY($2::uuid[])`;

/** A source to insert. */
export interface InsertSourceParams {
  readonly tenantId: string;
  readonly sourceId: string;
  readonly sourceType: string;
  readonly displayName: string | null;
  readonly description: string | null;
  readonly rateLimitBurst: number | null;
  readonly rateLimitRefillPerSecond: number | null;
  readonly maxConcurrent: number | null;
  readonly idempotencyKey: string | null;
  readonly requestDigest: string;
  readonly createdBy: string;
}

/** Inserts a source; `null` when its id or its idempotency key is taken. */
export async function insertSource(db: SqlExecutor, p: InsertSourceParams): Promise<SourceRow | null> {
  const rows = await db.query<SourceRow>(INSERT_SOURCE, [
    p.tenantId,
    p.sourceId,
    p.sourceType,
    p.displayName,
    p.description,
    p.rateLimitBurst,
    p.rateLimitRefillPerSecond,
    p.idempotencyKey,
    p.requestDigest,
    p.createdBy,
    p.maxConcurrent,
  ]);
  return rows[0] ?? null;
}

/**
 * A source, or `null`; `lock` takes its row until the transaction ends, `share` keeps it from changing
 * until then.
 */
export async function getSource(
  db: SqlExecutor,
  tenantId: string,
  sourceId: string,
  options: { readonly lock?: boolean; readonly share?: boolean } = {},
): Promise<SourceRow | null> {
  const statement = options.lock === true ? LOCK_SOURCE : options.share === true ? SHARE_SOURCE : GET_SOURCE;
  const rows = await db.query<SourceRow>(statement, [tenantId, sourceId]);
  return rows[0] ?? null;
}

/** The source an idempotency key registered, or `null`. */
export async function getSourceByIdempotencyKey(
  db: SqlExecutor,
  tenantId: string,
  key: string,
): Promise<SourceRow | null> {
  const rows = await db.query<SourceRow>(GET_SOURCE_BY_KEY, [tenantId, key]);
  return rows[0] ?? null;
}

/** Filters and keyset page of {@link listSources}. */
export interface ListSourcesParams {
  readonly tenantId: string;
  readonly sourceType: string | null;
  readonly enabled: boolean | null;
  readonly paused: boolean | null;
  readonly afterSeq: number | null;
  readonly limit: number;
}

/** Sources in registration order. */
export function listSources(db: SqlExecutor, p: ListSourcesParams): Promise<SourceRow[]> {
  return db.query<SourceRow>(LIST_SOURCES, [
    p.tenantId,
    p.sourceType,
    p.enabled,
    p.paused,
    p.afterSeq,
    p.limit,
  ]);
}

/** The whole writable state of a source (the version grows by one). */
export interface SourceState {
  readonly sourceType: string;
  readonly displayName: string | null;
  readonly description: string | null;
  readonly rateLimitBurst: number | null;
  readonly rateLimitRefillPerSecond: number | null;
  readonly maxConcurrent: number | null;
  readonly enabled: boolean;
  readonly paused: boolean;
  readonly pauseReason: string | null;
  readonly pauseTicket: string | null;
  readonly pausedBy: string | null;
}

/** Writes a source's new state; `null` when it does not exist. */
export async function updateSource(
  db: SqlExecutor,
  tenantId: string,
  sourceId: string,
  state: SourceState,
  updatedBy: string,
): Promise<SourceRow | null> {
  const rows = await db.query<SourceRow>(UPDATE_SOURCE, [
    tenantId,
    sourceId,
    state.sourceType,
    state.displayName,
    state.description,
    state.rateLimitBurst,
    state.rateLimitRefillPerSecond,
    state.enabled,
    state.paused,
    state.pauseReason,
    state.pauseTicket,
    state.pausedBy,
    updatedBy,
    state.maxConcurrent,
  ]);
  return rows[0] ?? null;
}

/** Holds (or releases) the unfinished jobs of a source; returns how many changed. */
export async function setSourceJobsHeld(
  db: SqlExecutor,
  tenantId: string,
  sourceId: string,
  held: boolean,
): Promise<number> {
  const rows = await db.query<{ changed: number }>(SET_JOBS_HELD, [tenantId, sourceId, held]);
  return rows[0]?.changed ?? 0;
}

/** The state of each named source that exists, each locked (FOR SHARE) until the transaction ends. */
export function lockNamedSources(
  db: SqlExecutor,
  tenantId: string,
  sourceIds: readonly string[],
): Promise<{ source_id: string; enabled: boolean; paused: boolean }[]> {
  return db.query(LOCK_NAMED_SOURCES, [tenantId, sourceIds]);
}

/** Marks the given (new) jobs held. */
export async function holdJobs(db: SqlExecutor, tenantId: string, jobIds: readonly string[]): Promise<void> {
  await db.query(HOLD_JOBS, [tenantId, jobIds]);
}
