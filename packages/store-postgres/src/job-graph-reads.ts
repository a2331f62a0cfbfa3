import { OrchestratorError, type JobGraph } from '@stella-orch/core';
import { componentJobIds, graphOf, runJobIds } from './queries/job-graph.js';
import { toIsoOrNull, toJobStatus } from './row-mappers.js';
import type { SqlExecutor } from './sql-driver.js';

function tooLarge(maxNodes: number, what: string): OrchestratorError {
  return new OrchestratorError(
    'DAG_TOO_LARGE',
    `${what} has more than ${maxNodes} jobs; read it in parts (GET /jobs?runId=…)`,
    { details: { maxNodes } },
  );
}

async function readGraph(db: SqlExecutor, tenantId: string, jobIds: readonly string[]): Promise<JobGraph> {
  const { nodes, edges } = await graphOf(db, tenantId, jobIds);
  return {
    nodes: nodes.map((n) => ({
      jobId: n.job_id,
      jobType: n.job_type,
      status: toJobStatus(n.status),
      runId: n.run_id,
      startedAt: toIsoOrNull(n.started_at),
      completedAt: toIsoOrNull(n.completed_at),
    })),
    edges: edges.map((e) => ({ from: e.from_job_id, to: e.to_job_id })),
  };
}

/**
 * The graph of every job connected to `jobId` by dependencies; `null` when the job does not exist.
 * @throws OrchestratorError `DAG_TOO_LARGE` past `maxNodes` jobs (the walk stops there)
 */
export async function readJobGraph(
  db: SqlExecutor,
  tenantId: string,
  jobId: string,
  maxNodes: number,
): Promise<JobGraph | null> {
  const ids = await componentJobIds(db, tenantId, jobId, maxNodes + 1);
  if (ids.length === 0) return null;
  if (ids.length > maxNodes) throw tooLarge(maxNodes, `the dependency graph of job ${jobId}`);
  return readGraph(db, tenantId, ids);
}

/**
 * The graph of the jobs of a run (the caller checks that the run exists).
 * @throws OrchestratorError `DAG_TOO_LARGE` past `maxNodes` jobs
 */
export async function readRunGraph(
  db: SqlExecutor,
  tenantId: string,
  runId: string,
  maxNodes: number,
): Promise<JobGraph> {
  const ids = await runJobIds(db, tenantId, runId, maxNodes + 1);
  if (ids.length > maxNodes) throw tooLarge(maxNodes, `run ${runId}`);
  return readGraph(db, tenantId, ids);
}
