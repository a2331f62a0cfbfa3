import type { SqlExecutor } from '../sql-driver.js';

type SqlTimestamp = Date | string;

/** A row of orch.quotas as the queries below return it. */
export interface QuotaRow {
  readonly tenant_id: string;
  readonly quota_id: string;
  readonly seq: number;
  readonly job_type: string | null;
  readonly max_active: number | null;
  readonly max_per_hour: number | null;
  readonly burst: number | null;
  readonly paused: boolean;
  readonly pause_reason: string | null;
  readonly pause_ticket: string | null;
  readonly paused_by: string | null;
  readonly paused_at: SqlTimestamp | null;
  readonly reason: string;
  readonly ticket: string | null;
  readonly version: number;
  readonly idempotency_key: string | null;
  readonly request_digest: string;
  readonly created_by: string;
  readonly created_at: SqlTimestamp;
  readonly updated_by: string;
  readonly updated_at: SqlTimestamp;
}

const QUOTA_COLUMNS = `q.tenant_id, q.quota_id::text AS quota_id, q.seq::float8 AS seq, q.job_type, q.max_active,
  q.max_per_hour, q.burst, q.paused, q.pause_reason, q.pause_ticket, q.paused_by, q.paused_at, q.reason,
  q.ticket, q.version, q.idempotency_key, q.request_digest, q.created_by, q.created_at, q.updated_by,
  q.updated_at`;

// A conflict on the scope (tenant and job type) or on the idempotency key inserts nothing; the caller
// finds out which.
const INSERT_QUOTA = `
INSERT INTO orch.quotas AS q (
  tenant_id, quota_id, job_type, max_active, max_per_hour, burst, reason, ticket, idempotency_key,
  request_digest, created_by, updated_by
)
VALUES ($1, $2::uuid, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
ON CONFLICT DO NOTHING
RETURNING ${QUOTA_COLUMNS}`;

const GET_QUOTA = `
SELECT ${QUOTA_COLUMNS}
FROM orch.quotas q
WHERE q.tenant_id = $1 AND q.quota_id = $2::uuid`;

// Changes take the row first: the state they compute from is the one they write over.
const LOCK_QUOTA = `${GET_QUOTA}
FOR UPDATE`;

const GET_QUOTA_BY_KEY = `
SELECT ${QUOTA_COLUMNS}
FROM orch.quotas q
WHERE q.tenant_id = $1 AND q.idempotency_key = $2`;

// The quota of a scope: a job type, or (NULL) the whole tenant, as the quotas_scope constraint pairs them.
const GET_QUOTA_BY_SCOPE = `
SELECT ${QUOTA_COLUMNS}
FROM orch.quotas q
WHERE q.tenant_id = $1 AND q.job_type IS NOT DISTINCT FROM $2::text`;

const LIST_QUOTAS = `
SELECT ${QUOTA_COLUMNS}
FROM orch.quotas q
WHERE q.tenant_id = $1
  AND ($2::text IS NULL OR q.job_type = $2::text)
  AND ($3::bigint IS NULL OR q.seq > $3::bigint)
ORDER BY q.seq
LIMIT $4`;

// Every quota of the tenant, for the summary: one per job type and one tenant-wide at most.
const ALL_QUOTAS = `
SELECT ${QUOTA_COLUMNS}
FROM orch.quotas q
WHERE q.tenant_id = $1
ORDER BY q.seq`;

const UPDATE_QUOTA = `
UPDATE orch.quotas AS q
SET max_active = $3, max_per_hour = $4, burst = $5, paused = $6, pause_reason = $7, pause_ticket = $8,
  paused_by = $9, paused_at = CASE WHEN $6::boolean THEN coalesce(q.paused_at, now()) END, reason = $10,
  ticket = $11, version = q.version + 1, updated_by = $12, updated_at = now()
WHERE q.tenant_id = $1 AND q.quota_id = $2::uuid
RETURNING ${QUOTA_COLUMNS}`;

const DELETE_QUOTA = `
DELETE FROM orch.quotas AS q
WHERE q.tenant_id = $1 AND q.quota_id = $2::uuid`;

// The tenant's unfinished load by job type, through the in-flight and ready partial indexes' predicates:
// jobs leased or running (what maxActive caps) and pending jobs that are not held and eligible now (what
// waits for a lease). Finished jobs, the bulk of a ledger, are never read.
const JOB_TYPE_LOADS = `
SELECT j.job_type,
  count(*) FILTER (WHERE j.status IN ('leased', 'running'))::int AS active,
  count(*) FILTER (WHERE j.status = 'pending' AND NOT j.held AND j.next_eligible_at <= now())::int AS ready
FROM orch.jobs j
WHERE j.tenant_id = $1 AND j.status IN ('pending', 'leased', 'running')
GROUP BY j.job_type`;

// The stored levels of the tenant's quota buckets (`quota:<jobType>`, `quota:*`), and the clock they are
// read against: one database clock for the whole summary.
const QUOTA_LEVELS = `
SELECT l.limit_key, l.tokens, (extract(epoch FROM l.refilled_at) * 1000)::float8 AS refilled_at_ms
FROM orch.limit_state l
WHERE l.tenant_id = $1 AND l.limit_key LIKE 'quota:%'`;

/** A quota to insert. */
export interface InsertQuotaParams {
  readonly tenantId: string;
  readonly quotaId: string;
  readonly jobType: string | null;
  readonly maxActive: number | null;
  readonly maxPerHour: number | null;
  readonly burst: number | null;
  readonly reason: string;
  readonly ticket: string | null;
  readonly idempotencyKey: string | null;
  readonly requestDigest: string;
  readonly createdBy: string;
}

/** Inserts a quota; `null` when its scope or its idempotency key is taken. */
export async function insertQuota(db: SqlExecutor, p: InsertQuotaParams): Promise<QuotaRow | null> {
  const rows = await db.query<QuotaRow>(INSERT_QUOTA, [
    p.tenantId,
    p.quotaId,
    p.jobType,
    p.maxActive,
    p.maxPerHour,
    p.burst,
    p.reason,
    p.ticket,
    p.idempotencyKey,
    p.requestDigest,
    p.createdBy,
  ]);
  return rows[0] ?? null;
}

/** A quota (`quotaId` must be a UUID), or `null`; `lock` takes its row until the transaction ends. */
export async function getQuota(
  db: SqlExecutor,
  tenantId: string,
  quotaId: string,
  options: { readonly lock?: boolean } = {},
): Promise<QuotaRow | null> {
  const rows = await db.query<QuotaRow>(options.lock === true ? LOCK_QUOTA : GET_QUOTA, [tenantId, quotaId]);
  return rows[0] ?? null;
}

/** The quota an idempotency key created, or `null`. */
export async function getQuotaByIdempotencyKey(
  db: SqlExecutor,
  tenantId: string,
  key: string,
): Promise<QuotaRow | null> {
  const rows = await db.query<QuotaRow>(GET_QUOTA_BY_KEY, [tenantId, key]);
  return rows[0] ?? null;
}

/** The quota of a job type, or (`null`) the tenant-wide one; `null` when there is none. */
export async function getQuotaByScope(
  db: SqlExecutor,
  tenantId: string,
  jobType: string | null,
): Promise<QuotaRow | null> {
  const rows = await db.query<QuotaRow>(GET_QUOTA_BY_SCOPE, [tenantId, jobType]);
  return rows[0] ?? null;
}

/** Filter and keyset page of {@link listQuotas}. */
export interface ListQuotasParams {
  readonly tenantId: string;
  readonly jobType: string | null;
  readonly afterSeq: number | null;
  readonly limit: number;
}

/** Quotas in creation order. */
export function listQuotas(db: SqlExecutor, p: ListQuotasParams): Promise<QuotaRow[]> {
  return db.query<QuotaRow>(LIST_QUOTAS, [p.tenantId, p.jobType, p.afterSeq, p.limit]);
}

/** Every quota of a tenant, in creation order. */
export function allQuotas(db: SqlExecutor, tenantId: string): Promise<QuotaRow[]> {
  return db.query<QuotaRow>(ALL_QUOTAS, [tenantId]);
}

/** The whole writable state of a quota (the version grows by one). */
export interface QuotaState {
  readonly maxActive: number | null;
  readonly maxPerHour: number | null;
  readonly burst: number | null;
  readonly paused: boolean;
  readonly pauseReason: string | null;
  readonly pauseTicket: string | null;
  readonly pausedBy: string | null;
  readonly reason: string;
  readonly ticket: string | null;
}

/** Writes a quota's new state; `null` when it does not exist. */
export async function updateQuota(
  db: SqlExecutor,
  tenantId: string,
  quotaId: string,
  state: QuotaState,
  updatedBy: string,
): Promise<QuotaRow | null> {
  const rows = await db.query<QuotaRow>(UPDATE_QUOTA, [
    tenantId,
    quotaId,
    state.maxActive,
    state.maxPerHour,
    state.burst,
    state.paused,
    state.pauseReason,
    state.pauseTicket,
    state.pausedBy,
    state.reason,
    state.ticket,
    updatedBy,
  ]);
  return rows[0] ?? null;
}

/** Deletes a quota. */
export async function deleteQuota(db: SqlExecutor, tenantId: string, quotaId: string): Promise<void> {
  await db.query(DELETE_QUOTA, [tenantId, quotaId]);
}

/** One row of {@link jobTypeLoads}. */
export interface JobTypeLoadRow {
  readonly job_type: string;
  readonly active: number;
  readonly ready: number;
}

/** The tenant's jobs leased or running, and ready, by job type. */
export function jobTypeLoads(db: SqlExecutor, tenantId: string): Promise<JobTypeLoadRow[]> {
  return db.query<JobTypeLoadRow>(JOB_TYPE_LOADS, [tenantId]);
}

/** One row of {@link quotaLevels}. */
export interface QuotaLevelRow {
  readonly limit_key: string;
  readonly tokens: number;
  readonly refilled_at_ms: number;
}

/** The stored levels of the tenant's quota buckets. */
export function quotaLevels(db: SqlExecutor, tenantId: string): Promise<QuotaLevelRow[]> {
  return db.query<QuotaLevelRow>(QUOTA_LEVELS, [tenantId]);
}
