import { randomUUID } from 'node:crypto';
import {
  backfillAuditRecord,
  backfillJobPayload,
  backfillStep,
  BACKFILL_PREVIEW_STEPS,
  estimateBackfillDuration,
  formatStep,
  JOB_LIMITS,
  OrchestratorError,
  payloadDigest,
  sha256Digest,
  canonicalJson,
  type Backfill,
  type BackfillChangeContext,
  type BackfillChangeResult,
  type BackfillPreview,
  type BackfillStateChange,
  type NewBackfill,
  type NewJob,
} from '@stella-orch/core';
import { appendAuditEntry } from './audit-append.js';
import { mapBackfill } from './backfill-rows.js';
import { insertNewJobs } from './insert-new-jobs.js';
import type { JobsReadyNotifier } from './jobs-ready-notifier.js';
import {
  cancelRunJobs,
  getBackfill,
  getBackfillByIdempotencyKey,
  insertBackfill,
  lockBackfillKey,
  markBackfillsCompleted,
  openOverlappingBackfills,
  runHistory,
  setRunJobsHeld,
  updateBackfillState,
} from './queries/backfills.js';
import { settleDependents } from './queries/job-dependencies.js';
import { insertRun } from './queries/runs.js';
import { getSource } from './queries/sources.js';
import { sourceNotFound } from './source-actions.js';
import { holdsJobs } from './source-rows.js';
import type { SqlExecutor } from './sql-driver.js';

/** The succeeded jobs a duration estimate learns from (the latest). */
const HISTORY_SAMPLE = 1_000;

/** The `BACKFILL_NOT_FOUND` answer. */
export function backfillNotFound(backfillId: string): OrchestratorError {
  return new OrchestratorError('BACKFILL_NOT_FOUND', `backfill ${backfillId} does not exist`, {
    details: { backfillId },
  });
}

/** The source of a backfill: registered and enabled. @throws `SOURCE_NOT_FOUND`, `SOURCE_DISABLED` */
async function checkedSource(tx: SqlExecutor, tenantId: string, sourceId: string) {
  const source = await getSource(tx, tenantId, sourceId);
  if (source === null) throw sourceNotFound(sourceId);
  if (!source.enabled) {
    throw new OrchestratorError('SOURCE_DISABLED', `source ${sourceId} is disabled and takes no new jobs`, {
      details: { sourceId, sourceIds: [sourceId] },
    });
  }
  return source;
}

/**
 * Refuses a backfill whose window overlaps an open (active or paused, not yet completed) backfill of the
 * same source and job type; `complete` stores `completed` on those found finished.
 * @throws OrchestratorError `BACKFILL_OVERLAP` naming the oldest overlapping backfill
 */
async function refuseOverlap(
  tx: SqlExecutor,
  tenantId: string,
  backfill: NewBackfill,
  complete: boolean,
): Promise<void> {
  const { request, plan } = backfill;
  const rows = await openOverlappingBackfills(tx, {
    tenantId,
    sourceId: request.sourceId,
    jobType: request.jobType,
    windowStart: new Date(plan.windowStartMs).toISOString(),
    windowEnd: new Date(plan.windowEndMs).toISOString(),
  });
  const finished = rows.filter((row) => row.status === 'completed').map((row) => row.backfill_id);
  if (complete) await markBackfillsCompleted(tx, tenantId, finished);
  const open = rows.find((row) => row.status !== 'completed');
  if (open === undefined) return;
  const other = mapBackfill(open);
  throw new OrchestratorError(
    'BACKFILL_OVERLAP',
    `backfill ${other.backfillId} (${other.status}) of source ${other.sourceId} and job type ${other.jobType} covers ${other.windowStart} to ${other.windowEnd}, which overlaps this window`,
    {
      details: {
        backfillId: other.backfillId,
        status: other.status,
        windowStart: other.windowStart,
        windowEnd: other.windowEnd,
      },
    },
  );
}

/**
 * The preview of a backfill: the steps, and the duration estimate from the source's history and stored
 * rate limit. Refused as the create would be; writes nothing.
 * @throws OrchestratorError `SOURCE_NOT_FOUND`, `SOURCE_DISABLED`, `BACKFILL_OVERLAP`
 */
export async function previewBackfill(
  db: SqlExecutor,
  tenantId: string,
  backfill: NewBackfill,
): Promise<BackfillPreview> {
  const { request, plan } = backfill;
  const source = await checkedSource(db, tenantId, request.sourceId);
  await refuseOverlap(db, tenantId, backfill, false);
  const history = await runHistory(db, {
    tenantId,
    sourceId: request.sourceId,
    jobType: request.jobType,
    sample: HISTORY_SAMPLE,
  });
  const shown = Math.min(plan.jobCount, BACKFILL_PREVIEW_STEPS);
  const rateLimit =
    source.rate_limit_burst === null || source.rate_limit_refill_per_second === null
      ? null
      : { burst: source.rate_limit_burst, refillPerSecond: source.rate_limit_refill_per_second };
  return {
    dryRun: true,
    sourceId: request.sourceId,
    jobType: request.jobType,
    windowStart: new Date(plan.windowStartMs).toISOString(),
    windowEnd: new Date(plan.windowEndMs).toISOString(),
    step: formatStep(plan.stepSeconds),
    jobCount: plan.jobCount,
    firstStep: backfillStep(plan, 0),
    lastStep: backfillStep(plan, plan.jobCount - 1),
    steps: Array.from({ length: shown }, (_, i) => backfillStep(plan, i)),
    stepsTruncated: shown < plan.jobCount,
    estimate: estimateBackfillDuration(
      plan.jobCount,
      {
        sampledJobs: history.sampled,
        meanDurationMs: history.sampled === 0 ? null : history.mean_ms,
        observedConcurrency:
          history.sampled === 0 || history.total_ms === null || history.span_ms === null
            ? null
            : history.span_ms <= 0
              ? 1
              : history.total_ms / history.span_ms,
      },
      rateLimit,
    ),
  };
}

/** The jobs of a backfill: one per step, lane `backfill`, in its run, the step's window in the payload. */
function backfillJobs(backfill: NewBackfill, runId: string): NewJob[] {
  const { request, plan } = backfill;
  return Array.from({ length: plan.jobCount }, (_, i) => {
    const payload = backfillJobPayload(request.payload, backfillStep(plan, i));
    const priority = request.priority ?? JOB_LIMITS.defaultPriority;
    const maxAttempts = request.maxAttempts ?? backfill.defaultMaxAttempts;
    return {
      jobId: randomUUID(),
      jobType: request.jobType,
      priority,
      payload,
      payloadDigest: payloadDigest(payload),
      requestDigest: sha256Digest(canonicalJson({ runId, step: i })),
      maxAttempts,
      idempotencyKey: null,
      correlationId: backfill.correlationId,
      projectId: null,
      sourceId: request.sourceId,
      runId,
      notBefore: null,
      dependsOn: [],
      replayOf: null,
      lane: 'backfill',
    };
  });
}

/**
 * Creates a backfill, its run and its jobs, and writes its `backfill.create` audit entry, inside the
 * caller's transaction; an idempotent repeat (same key, same request) returns the backfill and writes
 * nothing. Creates of one tenant, source and job type are serialised (an advisory lock), so two replicas
 * cannot both pass the overlap check.
 *
 * @throws OrchestratorError `SOURCE_NOT_FOUND`, `SOURCE_DISABLED`, `BACKFILL_OVERLAP`, `IDEMPOTENCY_CONFLICT`
 */
export async function createBackfillAudited(
  tx: SqlExecutor,
  tenantId: string,
  notifier: JobsReadyNotifier,
  params: { readonly backfill: NewBackfill } & BackfillChangeContext,
): Promise<{ backfill: Backfill; created: boolean }> {
  const { backfill, actor } = params;
  const { request, plan } = backfill;
  await lockBackfillKey(tx, tenantId, request.sourceId, request.jobType);
  if (backfill.idempotencyKey !== null) {
    const earlier = await getBackfillByIdempotencyKey(tx, tenantId, backfill.idempotencyKey);
    if (earlier !== null) {
      if (earlier.request_digest === backfill.requestDigest)
        return { backfill: mapBackfill(earlier), created: false };
      throw new OrchestratorError(
        'IDEMPOTENCY_CONFLICT',
        `idempotency key ${backfill.idempotencyKey} was already used for another request (backfill ${earlier.backfill_id})`,
        { details: { idempotencyKey: backfill.idempotencyKey, backfillId: earlier.backfill_id } },
      );
    }
  }
  await checkedSource(tx, tenantId, request.sourceId);
  await refuseOverlap(tx, tenantId, backfill, true);
  const backfillId = randomUUID();
  const runId = `backfill-${backfillId}`;
  const windowStart = new Date(plan.windowStartMs).toISOString();
  const windowEnd = new Date(plan.windowEndMs).toISOString();
  await insertRun(tx, {
    tenantId,
    runId,
    name: `backfill ${request.sourceId} ${request.jobType} ${windowStart}/${windowEnd}`,
    sourceId: request.sourceId,
    idempotencyKey: null,
    requestDigest: backfill.requestDigest,
    createdBy: actor.subject,
  });
  const row = await insertBackfill(tx, {
    tenantId,
    backfillId,
    sourceId: request.sourceId,
    jobType: request.jobType,
    windowStart,
    windowEnd,
    stepSeconds: plan.stepSeconds,
    runId,
    totalJobs: plan.jobCount,
    reason: backfill.reason,
    ticket: backfill.ticket,
    payloadTemplate: request.payload ?? {},
    priority: request.priority ?? JOB_LIMITS.defaultPriority,
    maxAttempts: request.maxAttempts ?? backfill.defaultMaxAttempts,
    idempotencyKey: backfill.idempotencyKey,
    requestDigest: backfill.requestDigest,
    createdBy: actor.subject,
  });
  await insertNewJobs(
    tx,
    tenantId,
    backfillJobs(backfill, runId),
    {
      reason: 'submitted',
      actor: actor.subject,
      actorScopes: actor.scopes,
      details: { backfillId },
    },
    notifier,
  );
  const created = mapBackfill(row);
  await appendAuditEntry(
    tx,
    tenantId,
    backfillAuditRecord({
      action: 'backfill.create',
      actor,
      before: null,
      after: created,
      audit: params.audit,
    }),
  );
  return { backfill: created, created: true };
}

/** What a backfill change did, and whether held jobs were released (workers should be woken). */
export interface BackfillActionOutcome extends BackfillChangeResult {
  readonly released: boolean;
}

function finished(backfill: Backfill): OrchestratorError {
  return new OrchestratorError(
    'BACKFILL_FINISHED',
    `backfill ${backfill.backfillId} is ${backfill.status}: it can no longer be paused, resumed or canceled`,
    { details: { backfillId: backfill.backfillId, status: backfill.status } },
  );
}

/**
 * Pauses, resumes or cancels a backfill inside the caller's transaction, with its `backfill.{action}`
 * audit entry. The source is locked (FOR SHARE) first, as a submit does, so a concurrent pause or resume
 * of the source waits: a paused backfill holds its unfinished jobs; a resumed one releases those its source
 * does not hold (a source resume leaves the jobs of a paused backfill held, queries/sources.ts). A cancel
 * cancels the unfinished jobs (a job a worker holds is flagged) and their waiting dependents.
 *
 * @throws OrchestratorError `BACKFILL_NOT_FOUND`, `BACKFILL_FINISHED`
 */
export async function changeBackfillStateAudited(
  tx: SqlExecutor,
  tenantId: string,
  params: { readonly backfillId: string; readonly change: BackfillStateChange } & BackfillChangeContext,
): Promise<BackfillActionOutcome> {
  const { change, actor } = params;
  const unlocked = await getBackfill(tx, tenantId, params.backfillId);
  if (unlocked === null) throw backfillNotFound(params.backfillId);
  const source = await getSource(tx, tenantId, unlocked.source_id, { share: true });
  const row = await getBackfill(tx, tenantId, params.backfillId, { lock: true });
  if (row === null || source === null) throw backfillNotFound(params.backfillId);
  const before = mapBackfill(row);
  if (before.status === 'completed' || before.status === 'canceled') throw finished(before);
  const target = change.action === 'pause' ? 'paused' : change.action === 'resume' ? 'active' : 'canceled';
  if (before.status === target) return { backfill: before, changed: false, released: false };
  let effect: Record<string, number> = {};
  let released = false;
  if (change.action === 'pause') {
    effect = { jobsHeld: await setRunJobsHeld(tx, tenantId, before.runId, true) };
  } else if (change.action === 'resume') {
    const sourceHolds = holdsJobs({ enabled: source.enabled, paused: source.paused });
    const changed = sourceHolds ? 0 : await setRunJobsHeld(tx, tenantId, before.runId, false);
    effect = { jobsReleased: changed };
    released = changed > 0;
  } else if ('reason' in change) {
    const canceled = await cancelRunJobs(tx, {
      tenantId,
      runId: before.runId,
      reason: change.reason,
      actor: actor.subject,
      actorScopes: actor.scopes,
    });
    const ended = canceled.filter((job) => job.status === 'canceled');
    const parents = ended.filter((job) => job.has_dependents).map((job) => job.job_id);
    if (parents.length > 0) await settleDependents(tx, tenantId, { succeeded: [], failed: parents }, null);
    effect = { jobsCanceled: ended.length, jobsCancelRequested: canceled.length - ended.length };
  }
  const updated = await updateBackfillState(tx, {
    tenantId,
    backfillId: before.backfillId,
    status: target,
    actor: actor.subject,
    canceledReason: 'reason' in change ? change.reason : null,
  });
  if (updated === null) throw backfillNotFound(params.backfillId);
  // A pause of a backfill whose last jobs just ended reads back as completed: still a pause, recorded.
  const after = mapBackfill(updated);
  await appendAuditEntry(
    tx,
    tenantId,
    backfillAuditRecord({
      action: `backfill.${change.action}`,
      actor,
      before,
      after,
      audit: params.audit,
      effect,
    }),
  );
  return { backfill: after, changed: true, released };
}
