import {
  OrchestratorError,
  validationError,
  type CreatedJob,
  type FieldError,
  type NewJob,
} from '@stella-orch/core';
import { idempotencyConflict, isUuid } from './ledger-errors.js';
import type { JobsReadyNotifier } from './jobs-ready-notifier.js';
import {
  insertJobs,
  INSERT_BATCH_SIZE,
  selectJobsByIdempotencyKey,
  type CreationRecord,
} from './queries/create-jobs.js';
import { mapJob, type JobRow } from './row-mappers.js';
import { holdJobsOfPausedSources, lockSourcesOfNewWork, sourceIdsOf } from './source-check.js';
import { planDependencies, writeDependencies, type DependencyPlan } from './new-job-dependencies.js';
import { isSqlError } from './sql-errors.js';
import type { SqlExecutor } from './sql-driver.js';

function checkNewJobs(jobs: readonly NewJob[]): void {
  const errors: FieldError[] = [];
  jobs.forEach((job, i) => {
    if (!isUuid(job.jobId)) errors.push({ path: `jobs[${i}].jobId`, message: 'must be a UUID' });
    if (job.replayOf !== null && !isUuid(job.replayOf))
      errors.push({ path: `jobs[${i}].replayOf`, message: 'must be a UUID' });
  });
  if (errors.length > 0) throw validationError(errors);
}

/** The planned status of each job of `chunk`, or `null` (all `pending`) when no job has dependencies. */
function statusesOf(plan: DependencyPlan, chunk: readonly NewJob[]): ('pending' | 'waiting')[] | null {
  if (plan.statuses.size === 0) return null;
  return chunk.map((job) => plan.statuses.get(job.jobId.toLowerCase()) ?? 'pending');
}

function runNotFound(error: unknown, jobs: readonly NewJob[]): unknown {
  if (!isSqlError(error, '23503', 'jobs_run_fk')) return error;
  const runIds = [...new Set(jobs.flatMap((job) => (job.runId === null ? [] : [job.runId])))];
  const which = runIds.length === 1 ? `run ${runIds[0]}` : `one of the runs ${runIds.join(', ')}`;
  return new OrchestratorError('RUN_NOT_FOUND', `${which} does not exist`, {
    details: { runIds },
    cause: error,
  });
}

/**
 * Inserts jobs inside the caller's transaction, in statements of up to {@link INSERT_BATCH_SIZE} rows. A
 * job whose idempotency key exists with the same request digest comes back as it is (`created: false`);
 * with another digest the whole call fails, and the caller's transaction rolls back everything. When
 * anything was created, a NOTIFY (sent by the insert, delivered on commit) wakes other processes.
 *
 * Every source the jobs name must be registered and enabled (checked first, and locked until the caller's
 * transaction ends); the new jobs of a paused source are inserted held.
 *
 * Dependencies (`dependsOn`) are resolved, locked and checked first, written after the jobs, and a new job
 * with a parent that already failed is canceled before the call returns (see `new-job-dependencies.ts`).
 *
 * @throws OrchestratorError `IDEMPOTENCY_CONFLICT`, `RUN_NOT_FOUND`, `SOURCE_NOT_FOUND`, `SOURCE_DISABLED`,
 *   `DEPENDENCY_NOT_FOUND`, `VALIDATION_FAILED`
 */
export async function insertNewJobs(
  tx: SqlExecutor,
  tenantId: string,
  jobs: readonly NewJob[],
  record: CreationRecord,
  notifier: JobsReadyNotifier,
): Promise<CreatedJob[]> {
  checkNewJobs(jobs);
  const pausedSources = await lockSourcesOfNewWork(tx, tenantId, sourceIdsOf(jobs));
  const plan = await planDependencies(tx, tenantId, jobs);
  const wakeUp = { channel: notifier.channel, payload: notifier.payload(tenantId) };
  const results: CreatedJob[] = [];
  for (let start = 0; start < plan.jobs.length; start += INSERT_BATCH_SIZE) {
    const chunk = plan.jobs.slice(start, start + INSERT_BATCH_SIZE);
    let rows: JobRow[];
    try {
      rows = await insertJobs(tx, tenantId, chunk, record, wakeUp, statusesOf(plan, chunk));
    } catch (error) {
      throw runNotFound(error, chunk);
    }
    await holdJobsOfPausedSources(tx, tenantId, rows, pausedSources);
    const inserted = new Map(rows.map((row) => [row.job_id, row]));
    const skippedKeys = chunk.flatMap((job) =>
      inserted.has(job.jobId.toLowerCase()) || job.idempotencyKey === null ? [] : [job.idempotencyKey],
    );
    const existing =
      skippedKeys.length === 0
        ? []
        : await selectJobsByIdempotencyKey(tx, tenantId, [...new Set(skippedKeys)]);
    const byKey = new Map(existing.map((row) => [row.idempotency_key, row]));
    for (const job of chunk) {
      const row = inserted.get(job.jobId.toLowerCase());
      if (row !== undefined) {
        results.push({ job: mapJob(row), created: true });
        continue;
      }
      const earlier = job.idempotencyKey === null ? undefined : byKey.get(job.idempotencyKey);
      if (earlier === undefined)
        throw new OrchestratorError('INTERNAL', `job ${job.jobId} was neither written nor found`);
      if (earlier.request_digest !== job.requestDigest) {
        throw idempotencyConflict(job.idempotencyKey, { jobId: earlier.job_id });
      }
      results.push({ job: mapJob(earlier), created: false });
    }
  }
  return writeDependencies(tx, tenantId, plan, results, wakeUp);
}
