import type { SqlExecutor } from '../sql-driver.js';

type SqlTimestamp = Date | string;

/** A row of orch.throttles as the queries below return it, with whether it is in force now. */
export interface ThrottleRow {
  readonly tenant_id: string;
  readonly throttle_id: string;
  readonly seq: number;
  readonly source_id: string | null;
  readonly job_type: string | null;
  readonly pause: boolean;
  readonly max_per_second: number | null;
  readonly max_concurrent: number | null;
  readonly reason: string;
  readonly ticket: string;
  readonly expires_at: SqlTimestamp;
  readonly revoked_at: SqlTimestamp | null;
  readonly revoked_by: string | null;
  readonly revoke_reason: string | null;
  readonly idempotency_key: string | null;
  readonly request_digest: string;
  readonly created_by: string;
  readonly created_at: SqlTimestamp;
  /** Not revoked and not expired, by the database clock of the statement. */
  readonly active: boolean;
}

// `active` is computed with the database clock, as the lease grant computes it.
const THROTTLE_COLUMNS = `t.tenant_id, t.throttle_id::text AS throttle_id, t.seq::float8 AS seq, t.source_id,
  t.job_type, t.pause, t.max_per_second, t.max_concurrent, t.reason, t.ticket, t.expires_at, t.revoked_at,
  t.revoked_by, t.revoke_reason, t.idempotency_key, t.request_digest, t.created_by, t.created_at,
  (t.revoked_at IS NULL AND t.expires_at > now()) AS active`;

// A conflict on the idempotency key inserts nothing; the caller reads what the key made.
const INSERT_THROTTLE = `
INSERT INTO orch.throttles AS t (
  tenant_id, throttle_id, source_id, job_type, pause, max_per_second, max_concurrent, reason, ticket,
  expires_at, idempotency_key, request_digest, created_by
)
VALUES ($1, $2::uuid, $3, $4, $5, $6, $7, $8, $9, $10::timestamptz, $11, $12, $13)
ON CONFLICT DO NOTHING
RETURNING ${THROTTLE_COLUMNS}`;

const GET_THROTTLE = `
SELECT ${THROTTLE_COLUMNS}
FROM orch.throttles t
WHERE t.tenant_id = $1 AND t.throttle_id = $2::uuid`;

// A revoke takes the row first: the state it decides on is the one it writes over.
const LOCK_THROTTLE = `${GET_THROTTLE}
FOR UPDATE`;

const GET_THROTTLE_BY_KEY = `
SELECT ${THROTTLE_COLUMNS}
FROM orch.throttles t
WHERE t.tenant_id = $1 AND t.idempotency_key = $2`;

const LIST_THROTTLES = `
SELECT ${THROTTLE_COLUMNS}
FROM orch.throttles t
WHERE t.tenant_id = $1
  AND ($2::text IS NULL OR t.source_id = $2::text)
  AND ($3::text IS NULL OR t.job_type = $3::text)
  AND ($4::boolean IS NULL OR (t.revoked_at IS NULL AND t.expires_at > now()) = $4::boolean)
  AND ($5::bigint IS NULL OR t.seq < $5::bigint)
ORDER BY t.seq DESC
LIMIT $6`;

const REVOKE_THROTTLE = `
UPDATE orch.throttles AS t
SET revoked_at = now(), revoked_by = $3, revoke_reason = $4
WHERE t.tenant_id = $1 AND t.throttle_id = $2::uuid
RETURNING ${THROTTLE_COLUMNS}`;

/** A throttle to insert. */
export interface InsertThrottleParams {
  readonly tenantId: string;
  readonly throttleId: string;
  readonly sourceId: string | null;
  readonly jobType: string | null;
  readonly pause: boolean;
  readonly maxPerSecond: number | null;
  readonly maxConcurrent: number | null;
  readonly reason: string;
  readonly ticket: string;
  /** ISO-8601. */
  readonly expiresAt: string;
  readonly idempotencyKey: string | null;
  readonly requestDigest: string;
  readonly createdBy: string;
}

/** Inserts a throttle; `null` when its idempotency key is taken. */
export async function insertThrottle(db: SqlExecutor, p: InsertThrottleParams): Promise<ThrottleRow | null> {
  const rows = await db.query<ThrottleRow>(INSERT_THROTTLE, [
    p.tenantId,
    p.throttleId,
    p.sourceId,
    p.jobType,
    p.pause,
    p.maxPerSecond,
    p.maxConcurrent,
    p.reason,
    p.ticket,
    p.expiresAt,
    p.idempotencyKey,
    p.requestDigest,
    p.createdBy,
  ]);
  return rows[0] ?? null;
}

/** A throttle (`throttleId` must be a UUID), or `null`; `lock` takes its row until the transaction ends. */
export async function getThrottle(
  db: SqlExecutor,
  tenantId: string,
  throttleId: string,
  options: { readonly lock?: boolean } = {},
): Promise<ThrottleRow | null> {
  const statement = options.lock === true ? LOCK_THROTTLE : GET_THROTTLE;
  const rows = await db.query<ThrottleRow>(statement, [tenantId, throttleId]);
  return rows[0] ?? null;
}

/** The throttle an idempotency key created, or `null`. */
export async function getThrottleByIdempotencyKey(
  db: SqlExecutor,
  tenantId: string,
  key: string,
): Promise<ThrottleRow | null> {
  const rows = await db.query<ThrottleRow>(GET_THROTTLE_BY_KEY, [tenantId, key]);
  return rows[0] ?? null;
}

/** Filters and keyset page of {@link listThrottles}. */
export interface ListThrottlesParams {
  readonly tenantId: string;
  readonly sourceId: string | null;
  readonly jobType: string | null;
  readonly active: boolean | null;
  readonly beforeSeq: number | null;
  readonly limit: number;
}

/** Throttles, newest first. */
export function listThrottles(db: SqlExecutor, p: ListThrottlesParams): Promise<ThrottleRow[]> {
  return db.query<ThrottleRow>(LIST_THROTTLES, [
    p.tenantId,
    p.sourceId,
    p.jobType,
    p.active,
    p.beforeSeq,
    p.limit,
  ]);
}

/** Marks a throttle revoked now; `null` when it does not exist. */
export async function revokeThrottle(
  db: SqlExecutor,
  tenantId: string,
  throttleId: string,
  revokedBy: string,
  reason: string | null,
): Promise<ThrottleRow | null> {
  const rows = await db.query<ThrottleRow>(REVOKE_THROTTLE, [tenantId, throttleId, revokedBy, reason]);
  return rows[0] ?? null;
}
