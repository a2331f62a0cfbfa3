import {
  assertTransition,
  isTerminalStatus,
  jobAuditRecord,
  type Actor,
  type AuditMetadata,
  type Job,
} from '@stella-orch/core';
import { appendAuditEntry } from './audit-append.js';
import { cloneJob, type CloneIdentity, type CloneKind, type CloneOutcome } from './clone-job.js';
import type { JobsReadyNotifier } from './jobs-ready-notifier.js';
import { jobNotFound } from './ledger-errors.js';
import { cancelJob } from './queries/cancel-job.js';
import { settleDependents } from './queries/job-dependencies.js';
import { mapJob, toJobStatus } from './row-mappers.js';
import type { SqlExecutor } from './sql-driver.js';

/** Who acts, and the audit metadata of the action. */
interface Attribution {
  readonly actor: Actor;
  readonly audit?: AuditMetadata | undefined;
}

/**
 * Cancels (or flags) a job and writes its `job.cancel` audit entry, inside the caller's transaction: the
 * entry commits with the state change, and a refused cancel (terminal job) throws before anything is
 * appended, so the transaction rolls back with no entry. A job canceled at once cancels its waiting
 * descendants (`dependency_failed: <job id>`) in the same transaction.
 *
 * @throws OrchestratorError `JOB_NOT_FOUND`, `INVALID_TRANSITION`
 */
export async function cancelJobAudited(
  tx: SqlExecutor,
  tenantId: string,
  params: Attribution & { readonly jobId: string; readonly reason: string },
): Promise<Job> {
  const row = await cancelJob(tx, {
    tenantId,
    jobId: params.jobId,
    reason: params.reason,
    actor: params.actor.subject,
    actorScopes: params.actor.scopes,
  });
  if (row === null) throw jobNotFound(params.jobId);
  const job = mapJob(row);
  // Unchanged: terminal (refused here), or a cancel already requested from the worker (a repeat).
  if (!row.changed && isTerminalStatus(job.status)) assertTransition(job.status, 'canceled', job.jobId);
  // A job canceled now takes its waiting descendants with it, in this transaction.
  if (row.changed && job.status === 'canceled') {
    await settleDependents(tx, tenantId, { succeeded: [], failed: [job.jobId] }, null);
  }
  const before: Job = {
    ...job,
    status: toJobStatus(row.before_status),
    cancelRequested: row.before_cancel_requested,
  };
  await appendAuditEntry(
    tx,
    tenantId,
    jobAuditRecord({
      action: 'job.cancel',
      actor: params.actor,
      before,
      after: job,
      ...(params.audit === undefined ? {} : { audit: params.audit }),
    }),
  );
  return job;
}

/**
 * Retries or replays a job (see `cloneJob`) and writes its `job.retry` / `job.replay` audit entry inside
 * the caller's transaction. The entry's `after` is the original job's state, plus the id of the job the
 * action made (or found again, on an idempotent repeat); a retry that ended a back-off records the job
 * made eligible.
 *
 * @throws OrchestratorError `JOB_NOT_FOUND`, `INVALID_TRANSITION`, `IDEMPOTENCY_CONFLICT`
 */
export async function cloneJobAudited(
  tx: SqlExecutor,
  tenantId: string,
  notifier: JobsReadyNotifier,
  kind: CloneKind,
  params: Attribution & { readonly jobId: string; readonly newJob: CloneIdentity },
): Promise<CloneOutcome> {
  const outcome = await cloneJob(tx, tenantId, notifier, kind, params);
  const original = mapJob(outcome.original);
  const { job, created } = outcome.result;
  const sameJob = job.jobId === original.jobId;
  await appendAuditEntry(
    tx,
    tenantId,
    jobAuditRecord({
      action: kind === 'retry' ? 'job.retry' : 'job.replay',
      actor: params.actor,
      before: original,
      after: sameJob ? job : original,
      ...(sameJob ? {} : { newJob: { jobId: job.jobId, correlationId: job.correlationId, created } }),
      ...(params.audit === undefined ? {} : { audit: params.audit }),
    }),
  );
  return outcome;
}
