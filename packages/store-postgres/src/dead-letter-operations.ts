import {
  bulkReplayAuditRecord,
  deadLetterAuditRecord,
  deadLetterNotFound,
  OrchestratorError,
  type BulkReplayResult,
  type CreatedJob,
  type DeadLetterAttribution,
  type DeadLetterEntry,
  type ReplayFilter,
  type ReplayIdentity,
  type ReplayPreview,
} from '@stella-orch/core';
import { appendAuditEntry } from './audit-append.js';
import { cloneJob, cloneOf } from './clone-job.js';
import { insertNewJobs } from './insert-new-jobs.js';
import type { JobsReadyNotifier } from './jobs-ready-notifier.js';
import {
  countReplayMatches,
  getDeadLetter,
  lockReplayMatches,
  markEntryReplayed,
  markEntryResolved,
  markJobsReplayed,
} from './queries/dead-letters.js';
import { getJob } from './queries/list-jobs.js';
import { lockJob } from './queries/retry-job.js';
import { mapDeadLetter, mapJob } from './row-mappers.js';
import type { SqlExecutor } from './sql-driver.js';

/** What a dead-letter replay did, and whether workers should be woken once it commits. */
export interface DeadLetterReplayOutcome {
  readonly entry: DeadLetterEntry;
  readonly result: CreatedJob;
  readonly wakeUp: boolean;
}

function notOpen(entry: DeadLetterEntry): OrchestratorError {
  return new OrchestratorError(
    'DEAD_LETTER_NOT_OPEN',
    `dead-letter entry ${entry.entryId} is ${entry.status}; only open entries can be replayed or resolved`,
    { details: { entryId: entry.entryId, status: entry.status, replayedJobId: entry.replayedJobId } },
  );
}

/** The entry, locked; its job is locked first, in the order retries take their rows (job, then entry). */
async function lockEntryAndJob(tx: SqlExecutor, tenantId: string, entryId: string): Promise<DeadLetterEntry> {
  const found = await getDeadLetter(tx, tenantId, entryId);
  if (found === null) throw deadLetterNotFound(entryId);
  await lockJob(tx, tenantId, found.job_id);
  const locked = await getDeadLetter(tx, tenantId, entryId, true);
  if (locked === null) throw deadLetterNotFound(entryId);
  return mapDeadLetter(locked);
}

/**
 * The job an earlier replay of the entry made with the same idempotency key (a repeated operator
 * click), or `null`.
 */
async function earlierReplay(
  tx: SqlExecutor,
  tenantId: string,
  entry: DeadLetterEntry,
  idempotencyKey: string | null,
): Promise<CreatedJob | null> {
  if (entry.status !== 'replayed' || entry.replayedJobId === null || idempotencyKey === null) return null;
  const row = await getJob(tx, tenantId, entry.replayedJobId);
  return row !== null && row.idempotency_key === idempotencyKey ? { job: mapJob(row), created: false } : null;
}

/**
 * Replays an open entry's job inside the caller's transaction (the clone path of a job replay: the job
 * itself untouched), marks the entry `replayed` with the new job's id, and appends its `deadletter.replay`
 * audit entry. A repeat with the idempotency key of the replay that closed the entry answers that job and
 * writes nothing.
 *
 * @throws OrchestratorError `DEAD_LETTER_NOT_FOUND`, `DEAD_LETTER_NOT_OPEN`, `IDEMPOTENCY_CONFLICT`
 */
export async function replayDeadLetterAudited(
  tx: SqlExecutor,
  tenantId: string,
  notifier: JobsReadyNotifier,
  params: DeadLetterAttribution & { readonly entryId: string; readonly newJob: ReplayIdentity },
): Promise<DeadLetterReplayOutcome> {
  const before = await lockEntryAndJob(tx, tenantId, params.entryId);
  if (before.status !== 'open') {
    const repeat = await earlierReplay(tx, tenantId, before, params.newJob.idempotencyKey);
    if (repeat === null) throw notOpen(before);
    return { entry: before, result: repeat, wakeUp: false };
  }
  const outcome = await cloneJob(tx, tenantId, notifier, 'replay', {
    jobId: before.jobId,
    newJob: params.newJob,
    actor: params.actor,
  });
  const { job, created } = outcome.result;
  const marked = await markEntryReplayed(tx, {
    tenantId,
    entryId: before.entryId,
    jobId: job.jobId,
    actor: params.actor.subject,
  });
  if (marked === null) throw new OrchestratorError('INTERNAL', `entry ${before.entryId} was not marked`);
  const after = mapDeadLetter(marked);
  await appendAuditEntry(
    tx,
    tenantId,
    deadLetterAuditRecord({
      action: 'deadletter.replay',
      actor: params.actor,
      before,
      after,
      replayedJobCreated: created,
      correlationId: job.correlationId,
      ...(params.audit === undefined ? {} : { audit: params.audit }),
    }),
  );
  return { entry: after, result: outcome.result, wakeUp: outcome.wakeUp };
}

/**
 * Resolves an open entry with the operator's note inside the caller's transaction, and appends its
 * `deadletter.resolve` audit entry.
 *
 * @throws OrchestratorError `DEAD_LETTER_NOT_FOUND`, `DEAD_LETTER_NOT_OPEN`
 */
export async function resolveDeadLetterAudited(
  tx: SqlExecutor,
  tenantId: string,
  params: DeadLetterAttribution & { readonly entryId: string; readonly note: string },
): Promise<DeadLetterEntry> {
  const row = await getDeadLetter(tx, tenantId, params.entryId, true);
  if (row === null) throw deadLetterNotFound(params.entryId);
  const before = mapDeadLetter(row);
  if (before.status !== 'open') throw notOpen(before);
  const marked = await markEntryResolved(tx, {
    tenantId,
    entryId: before.entryId,
    note: params.note,
    actor: params.actor.subject,
  });
  if (marked === null) throw new OrchestratorError('INTERNAL', `entry ${before.entryId} was not marked`);
  const after = mapDeadLetter(marked);
  await appendAuditEntry(
    tx,
    tenantId,
    deadLetterAuditRecord({
      action: 'deadletter.resolve',
      actor: params.actor,
      before,
      after,
      correlationId: before.entryId,
      ...(params.audit === undefined ? {} : { audit: params.audit }),
    }),
  );
  return after;
}

/** Counts of jobs by job type and by source, the largest first (ties by name). */
export function replayPreviewOf(
  counts: readonly { readonly jobType: string; readonly sourceId: string | null; readonly count: number }[],
): ReplayPreview {
  const byJobType = new Map<string, number>();
  const bySource = new Map<string | null, number>();
  let total = 0;
  for (const { jobType, sourceId, count } of counts) {
    byJobType.set(jobType, (byJobType.get(jobType) ?? 0) + count);
    bySource.set(sourceId, (bySource.get(sourceId) ?? 0) + count);
    total += count;
  }
  const largestFirst = <K>(a: [K, number], b: [K, number]) =>
    b[1] - a[1] || String(a[0] ?? '').localeCompare(String(b[0] ?? ''));
  return {
    total,
    byJobType: [...byJobType].sort(largestFirst).map(([jobType, count]) => ({ jobType, count })),
    bySource: [...bySource].sort(largestFirst).map(([sourceId, count]) => ({ sourceId, count })),
  };
}

/**
 * Replays every job `filter` matches inside the caller's transaction: locks the matches (oldest first),
 * refuses when there are more than `max`, clones each (`replayOf`, history details `{ replayId }`), marks
 * the originals' open dead-letter entries `replayed`, and appends one `job.bulk_replay` audit entry.
 *
 * @throws OrchestratorError `REPLAY_LIMIT_EXCEEDED`, `IDEMPOTENCY_CONFLICT`
 */
export async function replayJobsAudited(
  tx: SqlExecutor,
  tenantId: string,
  notifier: JobsReadyNotifier,
  params: DeadLetterAttribution & {
    readonly filter: ReplayFilter;
    readonly max: number;
    readonly replayId: string;
    readonly identityFor: (originalJobId: string) => ReplayIdentity;
  },
): Promise<{ readonly result: BulkReplayResult; readonly wakeUp: boolean }> {
  const { filter, max } = params;
  const originals = await lockReplayMatches(tx, tenantId, filter, max + 1);
  if (originals.length > max) {
    const matched = await countReplayMatches(tx, tenantId, filter);
    throw new OrchestratorError(
      'REPLAY_LIMIT_EXCEEDED',
      `the filter matches ${matched} jobs, more than max ${max}: narrow the filter or raise max`,
      { details: { matched, max } },
    );
  }
  const record = {
    reason: 'replayed',
    actor: params.actor.subject,
    actorScopes: params.actor.scopes,
    details: { replayId: params.replayId },
  };
  const clones =
    originals.length === 0
      ? []
      : await insertNewJobs(
          tx,
          tenantId,
          originals.map((original) => cloneOf('replay', original, params.identityFor(original.job_id))),
          record,
          notifier,
        );
  const jobs = originals.map((original, i) => {
    const clone = clones[i];
    if (clone === undefined) throw new OrchestratorError('INTERNAL', 'a clone was neither written nor found');
    return { replayOf: original.job_id, jobId: clone.job.jobId, created: clone.created };
  });
  const deadLettersReplayed = await markJobsReplayed(tx, {
    tenantId,
    clones: jobs,
    actor: params.actor.subject,
  });
  const created = jobs.filter((j) => j.created).length;
  const preview = replayPreviewOf(
    originals.map((o) => ({ jobType: o.job_type, sourceId: o.source_id, count: 1 })),
  );
  const result: BulkReplayResult = {
    replayId: params.replayId,
    ...preview,
    created,
    existing: jobs.length - created,
    deadLettersReplayed,
    jobs,
  };
  await appendAuditEntry(
    tx,
    tenantId,
    bulkReplayAuditRecord({
      actor: params.actor,
      filter,
      max,
      result,
      correlationId: params.replayId,
      ...(params.audit === undefined ? {} : { audit: params.audit }),
    }),
  );
  return { result, wakeUp: created > 0 };
}
