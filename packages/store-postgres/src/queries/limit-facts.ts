import type { SqlExecutor } from '../sql-driver.js';

// The limits of a tenant that can hold jobs of the given types (all types when $2 is NULL), read in one
// statement with the database clock: its sources with a rate limit or a concurrency cap, its quotas for
// the whole tenant or one of the types, its throttles in force and its breakers that are not closed.
const DEFINITION_COLUMNS = `
  now() AS db_now,
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
     AND (t.job_type IS NULL OR $2::text[] IS NULL OR t.job_type = ANY($2::text[]))) AS throttles,
  (SELECT coalesce(jsonb_agg(jsonb_build_object(
      'breakerId', b.breaker_id::text, 'sourceId', b.source_id, 'jobType', b.job_type, 'state', b.state,
      'openUntil', b.open_until, 'probeLeases', b.probe_leases, 'stateChangedAt', b.state_changed_at)
      ORDER BY b.seq), '[]'::jsonb)
   FROM orch.circuit_breakers b
   WHERE b.tenant_id = $1 AND b.state <> 'closed'
     AND (b.job_type IS NULL OR $2::text[] IS NULL OR b.job_type = ANY($2::text[]))) AS breakers`;

const READ_LIMIT_DEFINITIONS = `SELECT ${DEFINITION_COLUMNS}`;

// The same read, which also locks (FOR UPDATE, in key order) the state rows of the limits it returns, so a
// lease grant reads its limits and takes their locks in one round trip. The keys are those of
// core/src/limit-rules.ts (limitKeys); the caller checks that every key it needs came back locked and locks
// any other (a missing row, a limit added meanwhile) with lockLimitStates, so a drift here costs a
// statement, never a lock. Tokens travel as text: jsonb has no Infinity.
const READ_AND_LOCK_LIMITS = `
WITH keys AS (
  SELECT 'source:' || s.source_id AS limit_key FROM orch.sources s
  WHERE s.tenant_id = $1 AND (s.rate_limit_burst IS NOT NULL OR s.max_concurrent IS NOT NULL)
  UNION ALL
  SELECT 'quota:' || coalesce(q.job_type, '*') FROM orch.quotas q
  WHERE q.tenant_id = $1 AND (q.job_type IS NULL OR q.job_type = ANY($2::text[]))
  UNION ALL
  SELECT 'throttle:' || t.throttle_id FROM orch.throttles t
  WHERE t.tenant_id = $1 AND t.revoked_at IS NULL AND t.expires_at > now()
    AND (t.max_per_second IS NOT NULL OR t.max_concurrent IS NOT NULL)
    AND (t.job_type IS NULL OR t.job_type = ANY($2::text[]))
  UNION ALL
  SELECT 'circuit:' || b.breaker_id FROM orch.circuit_breakers b
  WHERE b.tenant_id = $1 AND b.state <> 'closed' AND (b.job_type IS NULL OR b.job_type = ANY($2::text[]))
),
locked AS (
  SELECT l.limit_key, l.tokens, l.refilled_at
  FROM orch.limit_state l
  WHERE l.tenant_id = $1 AND l.limit_key IN (SELECT k.limit_key FROM keys k)
  ORDER BY l.limit_key COLLATE "C"
  FOR UPDATE
)
SELECT ${DEFINITION_COLUMNS},
  (SELECT coalesce(jsonb_agg(jsonb_build_object('limit_key', l.limit_key, 'tokens', l.tokens::text,
      'refilled_at', l.refilled_at)), '[]'::jsonb)
   FROM locked l) AS levels`;

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

/** A breaker that is not closed, as `jsonb_build_object` gives it. */
export interface BreakerLimitsJson {
  readonly breakerId: string;
  readonly sourceId: string | null;
  readonly jobType: string | null;
  readonly state: 'open' | 'half_open';
  readonly openUntil: string | null;
  readonly probeLeases: number;
  readonly stateChangedAt: string;
}

/** The row of {@link readLimitDefinitions}. */
export interface LimitDefinitionsRow {
  readonly db_now: Date | string;
  readonly sources: readonly SourceLimitsJson[];
  readonly quotas: readonly QuotaLimitsJson[];
  readonly throttles: readonly ThrottleLimitsJson[];
  readonly breakers: readonly BreakerLimitsJson[];
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

/** The row of {@link readAndLockLimits}: the definitions and the locked state rows. */
export interface LockedLimitsRow extends LimitDefinitionsRow {
  readonly levels: readonly {
    readonly limit_key: string;
    readonly tokens: string;
    readonly refilled_at: string;
  }[];
}

/** The limit definitions of a tenant for `jobTypes`, with their state rows locked, in one statement. */
export async function readAndLockLimits(
  tx: SqlExecutor,
  tenantId: string,
  jobTypes: readonly string[],
): Promise<LockedLimitsRow> {
  const [row] = await tx.query<LockedLimitsRow>(READ_AND_LOCK_LIMITS, [tenantId, jobTypes]);
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

/** Jobs leased or running per job type, source and lane. */
export interface InFlightRow {
  readonly job_type: string;
  readonly source_id: string | null;
  readonly lane: 'live' | 'backfill';
  readonly count: number;
}

// Through jobs_in_flight: the cost is the number of jobs in flight, which the concurrency caps bound.
const COUNT_IN_FLIGHT = `
SELECT job_type, source_id, lane, count(*)::int AS count
FROM orch.jobs
WHERE tenant_id = $1 AND status IN ('leased', 'running')
GROUP BY job_type, source_id, lane`;

/**
 * The tenant's jobs in flight per queue. In a lease grant it runs after the limit rows are locked, as a
 * statement of its own: under READ COMMITTED its snapshot then includes every grant that held the lock
 * before (a count in the locking statement would see the snapshot from before the wait).
 */
export function countInFlight(db: SqlExecutor, tenantId: string): Promise<InFlightRow[]> {
  return db.query<InFlightRow>(COUNT_IN_FLIGHT, [tenantId]);
}
