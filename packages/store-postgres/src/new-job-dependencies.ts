import { OrchestratorError, type CreatedJob, type NewJob } from '@stella-orch/core';
import { isUuid } from './ledger-errors.js';
import { selectJobsByIdempotencyKey, type WakeUp } from './queries/create-jobs.js';
import {
  flagParents,
  insertDependencyEdges,
  lockParents,
  settleDependents,
} from './queries/job-dependencies.js';
import { getJob } from './queries/list-jobs.js';
import { mapJob } from './row-mappers.js';
import { SqlError } from './sql-errors.js';
import type { SqlExecutor } from './sql-driver.js';

/** The dependencies of the jobs of one create call, resolved and checked before they are inserted. */
export interface DependencyPlan {
  /** The jobs, `dependsOn` naming the ids the parents really have (a repeat's sibling: its first id). */
  readonly jobs: readonly NewJob[];
  /** The status each job starts in, by job id; empty when no job has dependencies. */
  readonly statuses: ReadonlyMap<string, 'pending' | 'waiting'>;
  /** Parents outside the call that ended `failed` or `canceled`: their new children are canceled. */
  readonly failedParents: readonly string[];
  /** Jobs of the call found again by their idempotency key before the insert, by the id chosen now. */
  readonly foundAgain: ReadonlyMap<string, string>;
}

const NO_DEPENDENCIES = new Map<string, 'pending' | 'waiting'>();

function dependencyNotFound(jobIds: readonly string[]): OrchestratorError {
  const which = jobIds.length === 1 ? `job ${jobIds[0]}` : `jobs ${jobIds.join(', ')}`;
  return new OrchestratorError('DEPENDENCY_NOT_FOUND', `dependsOn names ${which}, which does not exist`, {
    details: { jobIds },
  });
}

/**
 * Resolves and checks the dependencies of a create call inside its transaction, before anything is
 * inserted: a parent that is another job of the call stays that job (or the job its idempotency key finds
 * again); every other parent must be a job of the tenant, and is locked (in job order) and marked as having
 * dependents, so that its state cannot change until the call commits and a completion that waited for it
 * sees the new edges. Nothing is read or locked when no job has dependencies.
 *
 * @throws OrchestratorError `DEPENDENCY_NOT_FOUND` naming the parents that are no job of the tenant
 */
export async function planDependencies(
  tx: SqlExecutor,
  tenantId: string,
  jobs: readonly NewJob[],
): Promise<DependencyPlan> {
  if (jobs.every((job) => job.dependsOn.length === 0)) {
    return { jobs, statuses: NO_DEPENDENCIES, failedParents: [], foundAgain: new Map() };
  }
  const callJobs = new Map(jobs.map((job) => [job.jobId.toLowerCase(), job]));
  const siblingParents = new Set(
    jobs.flatMap((job) => job.dependsOn.filter((id) => callJobs.has(id.toLowerCase()))),
  );
  // A repeated batch may hold parents created by its first submission: they are parents like any other.
  const keys = [...siblingParents].flatMap((id) => callJobs.get(id)?.idempotencyKey ?? []);
  const earlier = keys.length === 0 ? [] : await selectJobsByIdempotencyKey(tx, tenantId, keys);
  const earlierByKey = new Map(earlier.map((row) => [row.idempotency_key, row.job_id]));
  const foundAgain = new Map<string, string>();
  for (const id of siblingParents) {
    const key = callJobs.get(id)?.idempotencyKey;
    const existing = key === null || key === undefined ? undefined : earlierByKey.get(key);
    if (existing !== undefined) foundAgain.set(id, existing);
  }
  const resolved = jobs.map((job) => ({
    ...job,
    dependsOn: job.dependsOn.map((id) => foundAgain.get(id.toLowerCase()) ?? id.toLowerCase()),
  }));
  const isNewSibling = (id: string): boolean => callJobs.has(id) && !foundAgain.has(id);
  const outside = [...new Set(resolved.flatMap((job) => job.dependsOn.filter((id) => !isNewSibling(id))))];
  const malformed = outside.filter((id) => !isUuid(id));
  if (malformed.length > 0) throw dependencyNotFound(malformed);
  const locked = outside.length === 0 ? [] : await lockParents(tx, tenantId, outside.sort());
  const statusOf = new Map(locked.map((row) => [row.job_id, row.status]));
  const missing = outside.filter((id) => !statusOf.has(id));
  if (missing.length > 0) throw dependencyNotFound(missing);
  const statuses = new Map<string, 'pending' | 'waiting'>(
    resolved.map((job) => [
      job.jobId.toLowerCase(),
      job.dependsOn.every((id) => statusOf.get(id) === 'succeeded') ? 'pending' : 'waiting',
    ]),
  );
  const failedParents = outside.filter((id) => ['failed', 'canceled'].includes(statusOf.get(id) ?? ''));
  return { jobs: resolved, statuses, failedParents, foundAgain };
}

/**
 * Writes the edges of the jobs a create call inserted, marks their new parents of the same call as having
 * dependents, and cancels at once the new jobs with a parent that already failed (and their new
 * descendants). Returns the call's results with those jobs as they now are.
 *
 * A parent of the call that was neither inserted nor found again before the insert was created by a
 * concurrent call with the same idempotency key: the statuses planned for its children may be wrong, so the
 * transaction is failed as a serialization failure, and run again (it then finds that job again).
 */
export async function writeDependencies(
  tx: SqlExecutor,
  tenantId: string,
  plan: DependencyPlan,
  results: readonly CreatedJob[],
  wakeUp: WakeUp,
): Promise<CreatedJob[]> {
  if (plan.statuses.size === 0) return [...results];
  const idOf = new Map<string, string>();
  plan.jobs.forEach((job, i) => {
    const result = results[i];
    if (result !== undefined) idOf.set(job.jobId.toLowerCase(), result.job.jobId);
  });
  const edges: { jobId: string; dependsOnJobId: string }[] = [];
  const newParents = new Set<string>();
  plan.jobs.forEach((job, i) => {
    if (results[i]?.created !== true) return;
    for (const parent of job.dependsOn) {
      const actual = idOf.get(parent) ?? parent;
      if (idOf.has(parent) && actual !== parent) {
        throw new SqlError('40001', `job ${parent} of this call was created by a concurrent call`, {
          cause: null,
        });
      }
      if (idOf.has(parent)) newParents.add(actual);
      edges.push({ jobId: job.jobId.toLowerCase(), dependsOnJobId: actual });
    }
  });
  await insertDependencyEdges(tx, tenantId, edges);
  await flagParents(tx, tenantId, [...newParents]);
  const changed = await settleDependents(tx, tenantId, { succeeded: [], failed: plan.failedParents }, wakeUp);
  if (changed.length === 0) return [...results];
  const changedIds = new Set(changed.map((c) => c.job_id));
  return Promise.all(
    results.map(async (result) => {
      if (!changedIds.has(result.job.jobId)) return result;
      const row = await getJob(tx, tenantId, result.job.jobId);
      return row === null ? result : { ...result, job: mapJob(row) };
    }),
  );
}
