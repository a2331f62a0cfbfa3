import type { SqlExecutor } from '../sql-driver.js';

// Every job connected to $2 through dependency edges, either way; at most $3 of them (the walk stops
// there, so a huge graph costs no more than the limit).
const COMPONENT = `
WITH RECURSIVE component(job_id) AS (
  SELECT j.job_id FROM orch.jobs j WHERE j.tenant_id = $1 AND j.job_id = $2::uuid
  UNION
  SELECT n.job_id
  FROM component c
  CROSS JOIN LATERAL (
    SELECT d.depends_on_job_id AS job_id
    FROM orch.job_dependencies d
    WHERE d.tenant_id = $1 AND d.job_id = c.job_id
    UNION ALL
    SELECT d.job_id
    FROM orch.job_dependencies d
    WHERE d.tenant_id = $1 AND d.depends_on_job_id = c.job_id
  ) AS n
)
SELECT c.job_id::text AS job_id
FROM component c
LIMIT $3`;

const RUN_JOB_IDS = `
SELECT j.job_id::text AS job_id
FROM orch.jobs j
WHERE j.tenant_id = $1 AND j.run_id = $2
LIMIT $3`;

// The jobs, in creation order, with when each first ran: its first heartbeat or, failing that, its first
// lease (a job whose worker never reported still ran from its lease).
const GRAPH_NODES = `
SELECT j.job_id::text AS job_id, j.job_type, j.status, j.run_id,
  coalesce(j.started_at, (
    SELECT min(h.occurred_at) FROM orch.job_history h
    WHERE h.tenant_id = j.tenant_id AND h.job_id = j.job_id AND h.to_status = 'leased'
  )) AS started_at,
  j.completed_at
FROM orch.jobs j
WHERE j.tenant_id = $1 AND j.job_id = ANY($2::uuid[])
ORDER BY j.seq`;

const GRAPH_EDGES = `
SELECT d.depends_on_job_id::text AS from_job_id, d.job_id::text AS to_job_id
FROM orch.job_dependencies d
WHERE d.tenant_id = $1 AND d.job_id = ANY($2::uuid[])
ORDER BY d.job_id, d.depends_on_job_id`;

/** A job of a graph as read. */
export interface GraphNodeRow {
  readonly job_id: string;
  readonly job_type: string;
  readonly status: string;
  readonly run_id: string | null;
  readonly started_at: Date | string | null;
  readonly completed_at: Date | string | null;
}

/** An edge: `to_job_id` depends on `from_job_id`. */
export interface GraphEdgeRow {
  readonly from_job_id: string;
  readonly to_job_id: string;
}

/** The ids of up to `limit` jobs connected to `jobId` (itself included; none when it does not exist). */
export async function componentJobIds(
  db: SqlExecutor,
  tenantId: string,
  jobId: string,
  limit: number,
): Promise<string[]> {
  const rows = await db.query<{ job_id: string }>(COMPONENT, [tenantId, jobId, limit]);
  return rows.map((r) => r.job_id);
}

/** The ids of up to `limit` jobs of a run. */
export async function runJobIds(
  db: SqlExecutor,
  tenantId: string,
  runId: string,
  limit: number,
): Promise<string[]> {
  const rows = await db.query<{ job_id: string }>(RUN_JOB_IDS, [tenantId, runId, limit]);
  return rows.map((r) => r.job_id);
}

/** The jobs `jobIds` (creation order) and the edges into them. */
export async function graphOf(
  db: SqlExecutor,
  tenantId: string,
  jobIds: readonly string[],
): Promise<{ nodes: GraphNodeRow[]; edges: GraphEdgeRow[] }> {
  const nodes = await db.query<GraphNodeRow>(GRAPH_NODES, [tenantId, jobIds]);
  const edges = await db.query<GraphEdgeRow>(GRAPH_EDGES, [tenantId, jobIds]);
  return { nodes, edges };
}
