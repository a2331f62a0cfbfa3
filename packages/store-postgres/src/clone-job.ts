import {
  canonicalJson,
  OrchestratorError,
  sha256Digest,
  type Actor,
  type CreatedJob,
  type JobStatus,
  type NewJob,
} from '@stella-orch/core';
import { insertNewJobs } from './insert-new-jobs.js';
import { toIso } from './row-mappers.js';
import type { JobsReadyNotifier } from './jobs-ready-notifier.js';
import { jobNotFound } from './ledger-errors.js';
import { notifyJobsReady } from './queries/create-jobs.js';
import { lockJob, makeEligibleNow, markDeadLetterReplayed } from './queries/retry-job.js';
import { mapJob, toJobStatus, type JobRow } from './row-mappers.js';
import type { SqlExecutor } from './sql-driver.js';

/** Retry (failed/canceled, or a pending job in back-off) or replay (any terminal job). */
export type CloneKind = 'retry' | 'replay';

/**
 * The identity the service chose for the new job of a retry or replay, and the trace context of the
 * operator's request when it has one (else the clone keeps the original's).
 */
export type CloneIdentity = Pick<
  NewJob,
  'jobId' | 'correlationId' | 'idempotencyKey' | 'traceparent' | 'tracestate'
>;

/** What a retry or replay did, to which job, and whether workers should be woken once it commits. */
export interface CloneOutcome {
  readonly result: CreatedJob;
  /** The job retried or replayed, as the action found it (locked). */
  readonly original: JobRow;
  readonly wakeUp: boolean;
}

const CLONEABLE: Readonly<Record<CloneKind, readonly JobStatus[]>> = {
  retry: ['failed', 'canceled'],
  replay: ['succeeded', 'failed', 'canceled'],
};

/** The new job of a retry or replay of `original` (also used by replay by filter). */
export function cloneOf(kind: CloneKind, original: JobRow, identity: CloneIdentity): NewJob {
  return {
    jobId: identity.jobId,
    jobType: original.job_type,
    priority: original.priority,
    payload: original.payload,
    payloadDigest: original.payload_digest,
    // The same key on the same original is a repeat; on another original (or another kind) a conflict.
    requestDigest: sha256Digest(canonicalJson({ kind, replayOf: original.job_id })),
    maxAttempts: original.max_attempts,
    idempotencyKey: identity.idempotencyKey,
    correlationId: identity.correlationId,
    projectId: original.project_id,
    sourceId: original.source_id,
    runId: original.run_id,
    notBefore: null,
    dependsOn: [],
    replayOf: original.job_id,
    // A backfill's job retried or replayed stays in the backfill lane, with its event time.
    lane: original.lane,
    ...(original.event_time === null ? {} : { eventTime: toIso(original.event_time) }),
    ...(identity.traceparent === undefined || identity.traceparent === null
      ? { traceparent: original.traceparent, tracestate: original.tracestate }
      : { traceparent: identity.traceparent, tracestate: identity.tracestate ?? null }),
  };
}

function notCloneable(kind: CloneKind, original: JobRow): OrchestratorError {
  const allowed = CLONEABLE[kind];
  const verb = kind === 'retry' ? 'retried' : 'replayed';
  const hint = kind === 'retry' && original.status === 'succeeded' ? ' (replay a succeeded job instead)' : '';
  return new OrchestratorError(
    'INVALID_TRANSITION',
    `job ${original.job_id} is ${original.status}; only ${allowed.join(', ')} jobs can be ${verb}${hint}`,
    { details: { jobId: original.job_id, status: original.status, allowed } },
  );
}

/**
 * Retries or replays a job inside the caller's transaction. Retry: a pending job becomes eligible now
 * (same job, `created: false`); a failed or canceled one is cloned (`replayOf`) and its open dead-letter
 * entry marked `replayed`. Replay: a terminal job is cloned, the original untouched. The clone's
 * idempotency key behaves as on createJobs.
 *
 * @throws OrchestratorError `JOB_NOT_FOUND`, `INVALID_TRANSITION`, `IDEMPOTENCY_CONFLICT`
 */
export async function cloneJob(
  tx: SqlExecutor,
  tenantId: string,
  notifier: JobsReadyNotifier,
  kind: CloneKind,
  params: { readonly jobId: string; readonly newJob: CloneIdentity; readonly actor: Actor },
): Promise<CloneOutcome> {
  const original = await lockJob(tx, tenantId, params.jobId);
  if (original === null) throw jobNotFound(params.jobId);
  if (kind === 'retry' && original.status === 'pending') {
    const row = await makeEligibleNow(tx, tenantId, params.jobId);
    if (row === null) throw jobNotFound(params.jobId);
    await notifyJobsReady(tx, { channel: notifier.channel, payload: notifier.payload(tenantId) });
    return { result: { job: mapJob(row), created: false }, original, wakeUp: true };
  }
  if (!CLONEABLE[kind].includes(toJobStatus(original.status))) throw notCloneable(kind, original);
  const record = {
    reason: kind === 'retry' ? 'retried' : 'replayed',
    actor: params.actor.subject,
    actorScopes: params.actor.scopes,
    details: { replayOf: original.job_id },
  };
  const [result] = await insertNewJobs(
    tx,
    tenantId,
    [cloneOf(kind, original, params.newJob)],
    record,
    notifier,
  );
  if (result === undefined)
    throw new OrchestratorError('INTERNAL', 'the clone was neither written nor found');
  if (kind === 'retry' && result.created)
    await markDeadLetterReplayed(tx, tenantId, original.job_id, {
      jobId: result.job.jobId,
      actor: params.actor.subject,
    });
  return { result, original, wakeUp: result.created };
}
