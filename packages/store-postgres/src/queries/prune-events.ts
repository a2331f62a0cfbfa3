import type { SqlExecutor } from '../sql-driver.js';

// Walks the distinct tenants through the primary key, one index probe per tenant (a loose index scan),
// instead of reading every event.
const LIST_EVENT_TENANTS = `
WITH RECURSIVE tenants AS (
  (SELECT e.tenant_id FROM orch.events e ORDER BY e.tenant_id LIMIT 1)
  UNION ALL
  SELECT (SELECT e.tenant_id FROM orch.events e WHERE e.tenant_id > t.tenant_id ORDER BY e.tenant_id LIMIT 1)
  FROM tenants t
  WHERE t.tenant_id IS NOT NULL
)
SELECT tenant_id FROM tenants WHERE tenant_id IS NOT NULL`;

// The log is pruned from its start: the work of one call is bounded by $3 whatever the log holds, and an
// event is only removed together with, or after, the events before it (but for clock skew between writers).
const PRUNE_EVENTS = `
-- 1. the first events of the tenant's log
WITH oldest AS (
  SELECT e.tx_id, e.event_id
  FROM orch.events e
  WHERE e.tenant_id = $1
  ORDER BY e.tx_id, e.event_id
  LIMIT $3
),
-- 2. of which those older than the cut-off
pruned AS (
  DELETE FROM orch.events AS e
  USING oldest o
  WHERE e.tenant_id = $1 AND e.tx_id = o.tx_id AND e.event_id = o.event_id
    AND e.occurred_at < $2::timestamptz
  RETURNING 1
)
SELECT count(*)::int AS n FROM pruned`;

/** Every tenant with events, by tenant id. */
export async function listEventTenants(db: SqlExecutor): Promise<string[]> {
  const rows = await db.query<{ tenant_id: string }>(LIST_EVENT_TENANTS);
  return rows.map((row) => row.tenant_id);
}

/** Removes those of the tenant's first `limit` events that occurred before `olderThan`. */
export async function pruneEvents(
  db: SqlExecutor,
  params: { readonly tenantId: string; readonly olderThan: string; readonly limit: number },
): Promise<number> {
  const [row] = await db.query<{ n: number }>(PRUNE_EVENTS, [
    params.tenantId,
    params.olderThan,
    params.limit,
  ]);
  return row?.n ?? 0;
}
