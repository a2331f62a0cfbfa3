import type { SqlExecutor } from '../sql-driver.js';

type SqlTimestamp = Date | string;

/**
 * A row of orch.circuit_breakers as the queries below return it, with the attempts of its scope that ended
 * in its window (by the database clock of the statement).
 */
export interface CircuitBreakerRow {
  readonly tenant_id: string;
  readonly breaker_id: string;
  readonly seq: number;
  readonly source_id: string | null;
  readonly job_type: string | null;
  readonly failure_ratio: number;
  readonly min_volume: number;
  readonly window_seconds: number;
  readonly cool_down_seconds: number;
  readonly probe_leases: number;
  readonly state: string;
  readonly state_changed_at: SqlTimestamp;
  readonly open_until: SqlTimestamp | null;
  readonly opened_with: unknown;
  readonly probe_successes: number;
  readonly probe_failures: number;
  readonly version: number;
  readonly idempotency_key: string | null;
  readonly request_digest: string;
  readonly created_by: string;
  readonly created_at: SqlTimestamp;
  readonly updated_by: string;
  readonly updated_at: SqlTimestamp;
  readonly window_successes: number;
  readonly window_failures: number;
}

const BREAKER_COLUMNS = `b.tenant_id, b.breaker_id::text AS breaker_id, b.seq::float8 AS seq, b.source_id,
  b.job_type, b.failure_ratio, b.min_volume, b.window_seconds, b.cool_down_seconds, b.probe_leases, b.state,
  b.state_changed_at, b.open_until, b.opened_with, b.probe_successes, b.probe_failures, b.version,
  b.idempotency_key, b.request_digest, b.created_by, b.created_at, b.updated_by, b.updated_at,
  w.window_successes, w.window_failures`;

// The window of each breaker `b`: the outcome buckets that started at most window_seconds ago, through the
// primary key's range (tenant, breaker, bucket_start). An aggregate without GROUP BY: always one row.
const WINDOW = `CROSS JOIN LATERAL (
  SELECT coalesce(sum(o.successes), 0)::int AS window_successes,
    coalesce(sum(o.failures), 0)::int AS window_failures
  FROM orch.circuit_outcomes o
  WHERE o.tenant_id = b.tenant_id AND o.breaker_id = b.breaker_id
    AND o.bucket_start >= now() - make_interval(secs => b.window_seconds)
) w`;

/** The breakers a data-modifying CTE `changed` returned, with their windows. */
const VIEW_OF_CHANGED = `SELECT ${BREAKER_COLUMNS} FROM changed b ${WINDOW}`;

// A conflict on the scope (a breaker on this source or job type) or on the idempotency key inserts nothing;
// the caller finds out which.
const INSERT_BREAKER = `
WITH changed AS (
  INSERT INTO orch.circuit_breakers (
    tenant_id, breaker_id, source_id, job_type, failure_ratio, min_volume, window_seconds, cool_down_seconds,
    probe_leases, idempotency_key, request_digest, created_by, updated_by
  )
  VALUES ($1, $2::uuid, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
  ON CONFLICT DO NOTHING
  RETURNING *
)
${VIEW_OF_CHANGED}`;

const GET_BREAKER = `
SELECT ${BREAKER_COLUMNS}
FROM orch.circuit_breakers b ${WINDOW}
WHERE b.tenant_id = $1 AND b.breaker_id = $2::uuid`;

// Changes take the row first: the state they compute from is the one they write over (the evaluator and
// the completion statement's probe counts take the same row lock).
const LOCK_BREAKER = `${GET_BREAKER}
FOR UPDATE OF b`;

const GET_BREAKER_BY_KEY = `
SELECT ${BREAKER_COLUMNS}
FROM orch.circuit_breakers b ${WINDOW}
WHERE b.tenant_id = $1 AND b.idempotency_key = $2`;

// The breaker of a source or of a job type, as the unique indexes circuit_breakers_source / _job_type pair them.
const GET_BREAKER_BY_SCOPE = `
SELECT ${BREAKER_COLUMNS}
FROM orch.circuit_breakers b ${WINDOW}
WHERE b.tenant_id = $1 AND (b.source_id = $2::text OR b.job_type = $3::text)
ORDER BY b.seq
LIMIT 1`;

const LIST_BREAKERS = `
SELECT ${BREAKER_COLUMNS}
FROM orch.circuit_breakers b ${WINDOW}
WHERE b.tenant_id = $1
  AND ($2::text IS NULL OR b.state = $2::text)
  AND ($3::text IS NULL OR b.source_id = $3::text)
  AND ($4::text IS NULL OR b.job_type = $4::text)
  AND ($5::bigint IS NULL OR b.seq > $5::bigint)
ORDER BY b.seq
LIMIT $6`;

const UPDATE_SETTINGS = `
WITH changed AS (
  UPDATE orch.circuit_breakers AS b
  SET failure_ratio = $3, min_volume = $4, window_seconds = $5, cool_down_seconds = $6, probe_leases = $7,
    version = b.version + 1, updated_by = $8, updated_at = now()
  WHERE b.tenant_id = $1 AND b.breaker_id = $2::uuid
  RETURNING b.*
)
${VIEW_OF_CHANGED}`;

// Back to closed; the version (of the settings) stays. The outcome counts are deleted first, by their own
// statement, so that the window this statement reads is the emptied one.
const RESET_BREAKER = `
WITH changed AS (
  UPDATE orch.circuit_breakers AS b
  SET state = 'closed', open_until = NULL, probe_successes = 0, probe_failures = 0, state_changed_at = now(),
    updated_by = $3, updated_at = now()
  WHERE b.tenant_id = $1 AND b.breaker_id = $2::uuid
  RETURNING b.*
)
${VIEW_OF_CHANGED}`;

const DELETE_OUTCOMES = `
DELETE FROM orch.circuit_outcomes o
WHERE o.tenant_id = $1 AND o.breaker_id = $2::uuid`;

// Its outcome buckets go with it (ON DELETE CASCADE).
const DELETE_BREAKER = `
DELETE FROM orch.circuit_breakers b
WHERE b.tenant_id = $1 AND b.breaker_id = $2::uuid`;

// Every tenant's breakers by state: the metrics gauge's one read (a breaker table holds a few per tenant).
const BREAKER_COUNTS = `
SELECT b.tenant_id, b.state, count(*)::int AS count
FROM orch.circuit_breakers b
GROUP BY b.tenant_id, b.state
ORDER BY b.tenant_id, b.state`;

/** A breaker to insert: validated, its settings complete. */
export interface InsertBreakerParams {
  readonly tenantId: string;
  readonly breakerId: string;
  readonly sourceId: string | null;
  readonly jobType: string | null;
  readonly settings: BreakerSettings;
  readonly idempotencyKey: string | null;
  readonly requestDigest: string;
  readonly createdBy: string;
}

/** The settings columns of a breaker. */
export interface BreakerSettings {
  readonly failureRatio: number;
  readonly minVolume: number;
  readonly windowSeconds: number;
  readonly coolDownSeconds: number;
  readonly probeLeases: number;
}

/** Inserts a closed breaker; `null` when its scope or its idempotency key is taken. */
export async function insertBreaker(
  db: SqlExecutor,
  p: InsertBreakerParams,
): Promise<CircuitBreakerRow | null> {
  const rows = await db.query<CircuitBreakerRow>(INSERT_BREAKER, [
    p.tenantId,
    p.breakerId,
    p.sourceId,
    p.jobType,
    p.settings.failureRatio,
    p.settings.minVolume,
    p.settings.windowSeconds,
    p.settings.coolDownSeconds,
    p.settings.probeLeases,
    p.idempotencyKey,
    p.requestDigest,
    p.createdBy,
  ]);
  return rows[0] ?? null;
}

/** A breaker (`breakerId` must be a UUID), or `null`; `lock` takes its row until the transaction ends. */
export async function getBreaker(
  db: SqlExecutor,
  tenantId: string,
  breakerId: string,
  options: { readonly lock?: boolean } = {},
): Promise<CircuitBreakerRow | null> {
  const statement = options.lock === true ? LOCK_BREAKER : GET_BREAKER;
  const rows = await db.query<CircuitBreakerRow>(statement, [tenantId, breakerId]);
  return rows[0] ?? null;
}

/** The breaker an idempotency key created, or `null`. */
export async function getBreakerByIdempotencyKey(
  db: SqlExecutor,
  tenantId: string,
  key: string,
): Promise<CircuitBreakerRow | null> {
  const rows = await db.query<CircuitBreakerRow>(GET_BREAKER_BY_KEY, [tenantId, key]);
  return rows[0] ?? null;
}

/** The breaker on this source, or on this job type (give one, the other `null`); `null` when none. */
export async function getBreakerByScope(
  db: SqlExecutor,
  tenantId: string,
  scope: { readonly sourceId: string | null; readonly jobType: string | null },
): Promise<CircuitBreakerRow | null> {
  const rows = await db.query<CircuitBreakerRow>(GET_BREAKER_BY_SCOPE, [
    tenantId,
    scope.sourceId,
    scope.jobType,
  ]);
  return rows[0] ?? null;
}

/** Filters and keyset page of {@link listBreakers}. */
export interface ListBreakersParams {
  readonly tenantId: string;
  readonly state: string | null;
  readonly sourceId: string | null;
  readonly jobType: string | null;
  readonly afterSeq: number | null;
  readonly limit: number;
}

/** Breakers in creation order. */
export function listBreakers(db: SqlExecutor, p: ListBreakersParams): Promise<CircuitBreakerRow[]> {
  return db.query<CircuitBreakerRow>(LIST_BREAKERS, [
    p.tenantId,
    p.state,
    p.sourceId,
    p.jobType,
    p.afterSeq,
    p.limit,
  ]);
}

/** Writes a breaker's settings (the version grows by one); `null` when it does not exist. */
export async function updateBreakerSettings(
  db: SqlExecutor,
  tenantId: string,
  breakerId: string,
  settings: BreakerSettings,
  updatedBy: string,
): Promise<CircuitBreakerRow | null> {
  const rows = await db.query<CircuitBreakerRow>(UPDATE_SETTINGS, [
    tenantId,
    breakerId,
    settings.failureRatio,
    settings.minVolume,
    settings.windowSeconds,
    settings.coolDownSeconds,
    settings.probeLeases,
    updatedBy,
  ]);
  return rows[0] ?? null;
}

/** Closes a breaker and empties its window; `null` when it does not exist. */
export async function resetBreaker(
  db: SqlExecutor,
  tenantId: string,
  breakerId: string,
  updatedBy: string,
): Promise<CircuitBreakerRow | null> {
  await db.query(DELETE_OUTCOMES, [tenantId, breakerId]);
  const rows = await db.query<CircuitBreakerRow>(RESET_BREAKER, [tenantId, breakerId, updatedBy]);
  return rows[0] ?? null;
}

/** Deletes a breaker and its outcome counts. */
export async function deleteBreaker(db: SqlExecutor, tenantId: string, breakerId: string): Promise<void> {
  await db.query(DELETE_BREAKER, [tenantId, breakerId]);
}

/** One row of {@link breakerCounts}. */
export interface BreakerCountRow {
  readonly tenant_id: string;
  readonly state: string;
  readonly count: number;
}

/** Every tenant's breakers counted by state. */
export function breakerCounts(db: SqlExecutor): Promise<BreakerCountRow[]> {
  return db.query<BreakerCountRow>(BREAKER_COUNTS);
}
