import type { SqlExecutor } from '../sql-driver.js';

// The tenants with ready work of some job types, for a pool worker's lease (decision 0016 §6), without
// reading the backlog: a skip scan over the ready-work index `jobs_ready (tenant_id, job_type, ready_rank,
// seq) WHERE status = 'pending' AND NOT held`, whose leading column is the tenant. Each step of the
// recursion is one index probe, `min(tenant_id) > the previous one`, so the cost follows the number of
// tenants with pending work, not the number of pending jobs (10,000 jobs of one tenant are one probe).
//
// A tenant is kept when it has an eligible job (`next_eligible_at <= now()`) of a requested type: per type,
// its index range is read in lease order up to the first eligible job, which comes first unless jobs of a
// higher priority wait in back-off (a ready rank is the time a job becomes eligible less its priority), as
// in the tenant's own lease statement. The scan starts after `$1` and stops at
// `$4` (inclusive; NULL: the end), after `$3` tenants kept or `$5` tenants visited, whichever comes first:
// the outer LIMIT ends the recursion, which PostgreSQL evaluates only as far as it is read.
const READY_TENANTS = `
WITH RECURSIVE tenants (tenant_id, visited) AS (
  SELECT (SELECT min(j.tenant_id) FROM orch.jobs j
          WHERE j.status = 'pending' AND NOT j.held AND j.tenant_id > $1::text), 1
  UNION ALL
  SELECT (SELECT min(j.tenant_id) FROM orch.jobs j
          WHERE j.status = 'pending' AND NOT j.held AND j.tenant_id > t.tenant_id), t.visited + 1
  FROM tenants t
  WHERE t.tenant_id IS NOT NULL AND t.visited < $5::int AND ($4::text IS NULL OR t.tenant_id < $4::text)
)
SELECT t.tenant_id
FROM tenants t
WHERE t.tenant_id IS NOT NULL
  AND ($4::text IS NULL OR t.tenant_id <= $4::text)
  AND EXISTS (
    SELECT 1
    FROM unnest($2::text[]) AS r(job_type)
    CROSS JOIN LATERAL (
      SELECT 1
      FROM orch.jobs j
      WHERE j.tenant_id = t.tenant_id AND j.job_type = r.job_type
        AND j.status = 'pending' AND NOT j.held AND j.next_eligible_at <= now()
      ORDER BY j.ready_rank, j.seq
      LIMIT 1
    ) eligible
  )
LIMIT $3::int`;

/** Parameters of {@link readyTenants}. */
export interface ReadyTenantsParams {
  /** Distinct job types. */
  readonly jobTypes: readonly string[];
  /** Start after this tenant (`''`: from the first). */
  readonly after: string;
  /** Stop at this tenant, inclusive; `null`: at the last. */
  readonly through: string | null;
  /** The most tenants returned. */
  readonly limit: number;
  /** The most tenants with pending work looked at (a bound on the scan's cost). */
  readonly maxVisited: number;
}

/**
 * The tenants (in the index's order, from after `after` through `through`) that have an eligible job of
 * one of `jobTypes`, in one statement.
 */
export async function readyTenants(db: SqlExecutor, params: ReadyTenantsParams): Promise<string[]> {
  const rows = await db.query<{ readonly tenant_id: string }>(READY_TENANTS, [
    params.after,
    params.jobTypes,
    params.limit,
    params.through,
    params.maxVisited,
  ]);
  return rows.map((row) => row.tenant_id);
}
