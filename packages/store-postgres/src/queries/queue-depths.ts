import type { QueueDepthState } from '@stella-orch/core';
import type { SqlExecutor } from '../sql-driver.js';

// One statement, three partial scans: pending rows through the ready-work index's predicate, held leases
// through the lapsed-lease index's, and the dead-letter table. Terminal jobs, the bulk of a ledger, are
// never read, so the cost follows the backlog, not the history.
const QUEUE_DEPTHS = `
-- 1. pending jobs: held by a paused or disabled source or a paused backfill, ready now, or waiting for a
--    back-off (a failed attempt) or for their notBefore (none yet);
--    the age of the oldest ready job counts from when it became eligible
SELECT p.tenant_id, p.job_type, p.state, count(*)::int AS count,
  CASE WHEN p.state = 'ready' THEN extract(epoch FROM now() - min(p.next_eligible_at))::float8 END
    AS oldest_age_seconds
FROM (
  SELECT j.tenant_id, j.job_type, j.next_eligible_at,
    CASE
      WHEN j.held THEN 'paused'
      WHEN j.next_eligible_at <= now() THEN 'ready'
      WHEN j.attempt > 0 THEN 'backoff'
      ELSE 'not_before'
    END AS state
  FROM orch.jobs j
  WHERE j.status = 'pending'
) p
GROUP BY p.tenant_id, p.job_type, p.state
UNION ALL
-- 2. jobs a worker holds
SELECT j.tenant_id, j.job_type, 'in_flight', count(*)::int, NULL
FROM orch.jobs j
WHERE j.status IN ('leased', 'running')
GROUP BY j.tenant_id, j.job_type
UNION ALL
-- 3. open dead-letter entries
SELECT d.tenant_id, d.job_type, 'dead_letter', count(*)::int, NULL
FROM orch.dead_letters d
WHERE d.status = 'open'
GROUP BY d.tenant_id, d.job_type`;

/** One row of {@link queueDepths}. */
export interface QueueDepthRow {
  readonly tenant_id: string;
  readonly job_type: string;
  readonly state: QueueDepthState;
  readonly count: number;
  readonly oldest_age_seconds: number | null;
}

/** The depth of every queue of every tenant, by job type and state, in one statement. */
export function queueDepths(db: SqlExecutor): Promise<QueueDepthRow[]> {
  return db.query<QueueDepthRow>(QUEUE_DEPTHS);
}
