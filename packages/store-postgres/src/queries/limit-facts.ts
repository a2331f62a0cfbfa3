import type { SqlExecutor } from '../sql-driver.js';

// The limits of a tenant that can hold jobs of the given types (all types when $2 is NULL), read in one
// statement with the database clock: its sources with a rate limit or a concurrency cap, its quotas for
// the whole tenant or one of the types, and its throttles in force for the types.
const READ_LIMIT_DEFINITIONS = `
SELECT now() AS db_now,
  (SELECT coalesce(jsonb_agg(jsonb_build_object(
      'sourceId', s.source_id, 'burst', s.rate_limit_burst, 'refillPerSecond', s.rate_limit_refill_per_second,
      'maxConcurrent', s.max_concurrent) ORDER BY s.source_id), '[]'::jsonb)
   FROM orch.sources s
   WHERE s.tenant_id = $1 AND (s.rate_limit_burst IS NOT NULL OR s.max_concurrent IS NOT NULL)) AS sources,
  (SELECT coalesce(jsonb_agg(jsonb_build_object(
      'quotaId', q.quota_id::text, 'jobType', q.job_type, 'maxActive', q.max_active,
      'maxPerHour', q.max_per_hour, 'burst', q.burst, 'paused', q.paused, 'pausedBy', q.paused_by,
      'pausedAt', q.paused_at, 'pauseReason', q.pause_reason, 'pauseTicket', q.pause_ticket) ORDER BY q.seq),
      '[]'::jsonb)
   FROM orch.quotas q
   WHERE q.tenant_id = $1 AND (q.job_type IS NULL OR $2::text[] IS NULL OR q.job_type = ANY($2::text[]))) AS quotas,
  (SELECT coalesce(jsonb_agg(jsonb_build_object(
      'throttleId', t.throttle_id::text, 'sourceId', t.source_id, 'jobType', t.job_type, 'pause', t.pause,
      'maxPerSecond', t.max_per_second, 'maxConcurrent', t.max_concurrent, 'reason', t.reason,
      'ticket', t.ticket, 'createdBy', t.created_by, 'createdAt', t.created_at, 'expiresAt', t.expires_at,
      'revokedAt', t.revoked_at) ORDER BY t.seq), '[]'::jsonb)
   FROM orch.throttles t
   WHERE t.tenant_id = $1 AND t.revoked_at IS NULL AND t.expires_at > now()
     AND (t.job_type IS NULL OR $2::text[] IS NULL OR t.job_type = ANY($2::text[]))) AS throttles`;

/** A source's limits as `jsonb_build_object` gives them. */
export interface SourceLimitsJson {
  readonly sourceId: string;
  readonly burst: number | null;
  readonly refillPerSecond: number | null;
  readonly maxConcurrent: number | null;
}

/** A quota's limits as `jsonb_build_object` gives them (timestamps as JSON text). */
export interface QuotaLimitsJson {
  readonly quotaId: string;
  readonly jobType: string | null;
  readonly maxActive: number | null;
  readonly maxPerHour: number | null;
  readonly burst: number | null;
  readonly paused: boolean;
  readonly pausedBy: string | null;
  readonly pausedAt: string | null;
  readonly pauseReason: string | null;
  readonly pauseTicket: string | null;
}

/** A throttle in force as `jsonb_build_object` gives it. */
export interface ThrottleLimitsJson {
  readonly throttleId: string;
  readonly sourceId: string | null;
  readonly jobType: string | null;
  readonly pause: boolean;
  readonly maxPerSecond: number | null;
  readonly maxConcurrent: number | null;
  readonly reason: string;
  readonly ticket: string;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly revokedAt: string | null;
}

/** The row of {@link readLimitDefinitions}. */
export interface LimitDefinitionsRow {
  readonly db_now: Date | string;
  readonly sources: readonly SourceLimitsJson[];
  readonly quotas: readonly QuotaLimitsJson[];
  readonly throttles: readonly ThrottleLimitsJson[];
}

/** The limit definitions of a tenant for `jobTypes` (`null`: every type), with the database clock. */
export async function readLimitDefinitions(
  db: SqlExecutor,
  tenantId: string,
  jobTypes: readonly string[] | null,
): Promise<LimitDefinitionsRow> {
  const [row] = await db.query<LimitDefinitionsRow>(READ_LIMIT_DEFINITIONS, [tenantId, jobTypes]);
  if (row === undefined) throw new Error('the limit definitions query returned no row');
  return row;
}

/** A stored limit level. */
export interface LimitStateRow {
  readonly limit_key: string;
  readonly tokens: number;
  readonly refilled_at: Date | string;
}

// Keys compare in the "C" collation everywhere, so every session locks them in the same order.
const LOCK_LIMIT_STATES = `
SELECT limit_key, tokens, refilled_at
FROM orch.limit_state
WHERE tenant_id = $1 AND limit_key = ANY($2::text[])
ORDER BY limit_key COLLATE "C"
FOR UPDATE`;

const READ_LIMIT_STATES = `
SELECT limit_key, tokens, refilled_at
FROM orch.limit_state
WHERE tenant_id = $1 AND limit_key = ANY($2::text[])`;

// A limit seen for the first time starts full (its capacity) at the database clock.
const CREATE_LIMIT_STATES = `
INSERT INTO orch.limit_state (tenant_id, limit_key, tokens, refilled_at)
SELECT $1, k.limit_key, k.tokens, now()
FROM unnest($2::text[], $3::float8[]) AS k(limit_key, tokens)
ORDER BY k.limit_key COLLATE "C"
ON CONFLICT (tenant_id, limit_key) DO NOTHING`;

/**
 * Locks the state rows of `keys` (in key order, creating the missing ones full at `initialTokens`) for
 * the rest of the transaction, and returns them. Two grants against one limit queue up on its row; grants
 * against disjoint limits never wait for each other.
 */
export async function lockLimitStates(
  tx: SqlExecutor,
  tenantId: string,
  keys: readonly string[],
  initialTokens: ReadonlyMap<string, number>,
): Promise<LimitStateRow[]> {
  if (keys.length === 0) return [];
  const rows = await tx.query<LimitStateRow>(LOCK_LIMIT_STATES, [tenantId, keys]);
  if (rows.length === keys.length) return rows;
  const present = new Set(rows.map((r) => r.limit_key));
  const missing = keys.filter((k) => !present.has(k));
  await tx.query(CREATE_LIMIT_STATES, [tenantId, missing, missing.map((k) => initialTokens.get(k) ?? 0)]);
  return tx.query<LimitStateRow>(LOCK_LIMIT_STATES, [tenantId, keys]);
}

/** The stored state rows of `keys`, unlocked (for `why`). */
export function readLimitStates(
  db: SqlExecutor,
  tenantId: string,
  keys: readonly string[],
): Promise<LimitStateRow[]> {
  if (keys.length === 0) return Promise.resolve([]);
  return db.query<LimitStateRow>(READ_LIMIT_STATES, [tenantId, keys]);
}

/** Jobs leased or running per job type and source. */
export interface InFlightRow {
  readonly job_type: string;
  readonly source_id: string | null;
  readonly count: number;
}

// Through jobs_in_flight: the cost is the number of jobs in flight, which the concurrency caps bound.
const COUNT_IN_FLIGHT = `
SELECT job_type, source_id, count(*)::int AS count
FROM orch.jobs
WHERE tenant_id = $1 AND status IN ('leased', 'running')
GROUP BY job_type, source_id`;

/**
 * The tenant's jobs in flight per queue. In a lease grant it runs after the limit rows are locked, as a
 * statement of its own: under READ COMMITTED its snapshot then includes every grant that held the lock
 * before (a count in the locking statement would see the snapshot from before the wait).
 */
export function countInFlight(db: SqlExecutor, tenantId: string): Promise<InFlightRow[]> {
  return db.query<InFlightRow>(COUNT_IN_FLIGHT, [tenantId]);
}
