import type { JsonValue } from '@stella-orch/core';
import type { SqlExecutor } from '../sql-driver.js';

// The horizon: every transaction with a lower id has ended (committed or rolled back), as of this
// statement's snapshot, so every event below it that will ever be readable is readable now. Events of
// transactions at or above it wait: one of them may still commit an event with a lower event_id.
const HORIZON = 'pg_snapshot_xmin(pg_current_snapshot())';

const READ_EVENTS = `
-- 1. the log after the position, in log order, below the horizon
WITH readable AS (
  SELECT e.*
  FROM orch.events e
  WHERE e.tenant_id = $1
    AND (e.tx_id, e.event_id) > ($2::text::xid8, $3::bigint)
    AND e.tx_id < ${HORIZON}
  ORDER BY e.tx_id, e.event_id
  LIMIT $4
)
-- 2. with the fields of their jobs that never change
SELECT r.tx_id::text AS tx_id, r.event_id::text AS event_id, r.event_type, r.occurred_at,
  r.job_id::text AS job_id, r.attempt, r.actor, r.actor_scopes, r.correlation_id, r.data,
  j.job_type, j.run_id, j.project_id, j.source_id, j.correlation_id AS job_correlation_id, j.payload_digest
FROM readable r
LEFT JOIN orch.jobs j ON j.tenant_id = $1 AND j.job_id = r.job_id
ORDER BY r.tx_id, r.event_id`;

const LATEST_POSITION = `
SELECT e.tx_id::text AS tx_id, e.event_id::text AS event_id
FROM orch.events e
WHERE e.tenant_id = $1 AND e.tx_id < ${HORIZON}
ORDER BY e.tx_id DESC, e.event_id DESC
LIMIT 1`;

// The log's first row, by its key: retention removes from there.
const OLDEST_POSITION = `
SELECT e.tx_id::text AS tx_id, e.event_id::text AS event_id
FROM orch.events e
WHERE e.tenant_id = $1
ORDER BY e.tx_id, e.event_id
LIMIT 1`;

/** A row of the log as read, with its job's immutable fields (`null` when it names no job, or it is gone). */
export interface EventRow {
  readonly tx_id: string;
  readonly event_id: string;
  readonly event_type: string;
  readonly occurred_at: Date | string;
  readonly job_id: string | null;
  readonly attempt: number | null;
  readonly actor: string | null;
  readonly actor_scopes: string[] | null;
  readonly correlation_id: string | null;
  readonly data: Record<string, JsonValue> | null;
  readonly job_type: string | null;
  readonly run_id: string | null;
  readonly project_id: string | null;
  readonly source_id: string | null;
  readonly job_correlation_id: string | null;
  readonly payload_digest: string | null;
}

/** A position as the ledger gives it: both parts as decimal text (they are 64-bit). */
export interface PositionRow {
  readonly tx_id: string;
  readonly event_id: string;
}

/** Up to `limit` readable events of the tenant after (`txId`, `eventId`), in log order. */
export function readEvents(
  db: SqlExecutor,
  params: {
    readonly tenantId: string;
    readonly txId: string;
    readonly eventId: string;
    readonly limit: number;
  },
): Promise<EventRow[]> {
  return db.query<EventRow>(READ_EVENTS, [params.tenantId, params.txId, params.eventId, params.limit]);
}

/** The position of the tenant's first event kept, or `null` when it has none. */
export async function oldestEventPosition(db: SqlExecutor, tenantId: string): Promise<PositionRow | null> {
  const [row] = await db.query<PositionRow>(OLDEST_POSITION, [tenantId]);
  return row ?? null;
}

/** The position of the tenant's last readable event, or `null` when it has none. */
export async function latestEventPosition(db: SqlExecutor, tenantId: string): Promise<PositionRow | null> {
  const [row] = await db.query<PositionRow>(LATEST_POSITION, [tenantId]);
  return row ?? null;
}
