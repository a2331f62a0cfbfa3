import type { AuditMetadata, AuditRecord, AuditState } from './audit-entry.js';
import type { JsonValue } from './canonical-json.js';
import { validationError, type FieldError } from './errors.js';
import type { Actor, DeadLetterEntry } from './job.js';
import type { JobStatus } from './job-state.js';
import { operatorTextProblem } from './operator-metadata.js';

/** Where a dead-letter entry stands: waiting for an operator, replayed, or resolved with a note. */
export type DeadLetterStatus = DeadLetterEntry['status'];

/** Every dead-letter status, in lifecycle order. */
export const DEAD_LETTER_STATUSES: readonly DeadLetterStatus[] = ['open', 'replayed', 'resolved'];

/** The terminal job states a replay can start from (SPEC §2: any terminal job). */
export const REPLAYABLE_STATUSES = [
  'failed',
  'canceled',
  'succeeded',
] as const satisfies readonly JobStatus[];

/** A terminal job state a replay can start from. */
export type ReplayableStatus = (typeof REPLAYABLE_STATUSES)[number];

/** The bounds of dead-letter operations and of replay by filter. */
export const DEAD_LETTER_LIMITS = {
  /** A resolution note: 1 to 1,024 characters, no control characters (the operator-text policy). */
  maxNoteLength: 1024,
  /** Error types `stats` lists unless asked otherwise, and at most. */
  defaultTopErrorTypes: 10,
  maxTopErrorTypes: 100,
  /** Groups `summary` answers at most (the largest first). */
  maxSummaryGroups: 500,
  /** The server's default cap on the `max` of one replay by filter (configurable). */
  defaultMaxReplayJobs: 10_000,
} as const;

/** Counts of a tenant's dead-letter entries, the error types of the open ones, and the oldest open one. */
export interface DeadLetterStats {
  readonly total: number;
  readonly byStatus: Readonly<Record<DeadLetterStatus, number>>;
  /** Open entries by error type, the most frequent first (ties by name), at most the `top` asked for. */
  readonly topErrorTypes: readonly { readonly errorType: string; readonly count: number }[];
  /** The oldest open entry, or `null` when nothing is open. */
  readonly oldestOpen: {
    readonly entryId: string;
    readonly jobId: string;
    readonly jobType: string;
    readonly createdAt: string;
  } | null;
}

/** Open entries of one job type, error type and source. */
export interface DeadLetterGroup {
  readonly jobType: string;
  readonly errorType: string;
  readonly sourceId: string | null;
  readonly count: number;
  readonly firstSeenAt: string;
  readonly lastSeenAt: string;
  /** The message of the group's newest entry. */
  readonly sampleMessage: string;
}

/** The open entries grouped by job type × error type × source, the largest groups first. */
export interface DeadLetterSummary {
  readonly totalOpen: number;
  readonly groups: readonly DeadLetterGroup[];
  /** Whether there were more groups than {@link DEAD_LETTER_LIMITS.maxSummaryGroups}. */
  readonly truncated: boolean;
}

/** Which terminal jobs a replay by filter takes: every given field narrows the set. */
export interface ReplayFilter {
  readonly jobType?: string;
  readonly sourceId?: string;
  /** The states of the jobs to replay (at least one). */
  readonly statuses: readonly ReplayableStatus[];
  /** Jobs created at or after this instant (ISO-8601). */
  readonly createdAfter?: string;
  /** Jobs created before this instant (ISO-8601). */
  readonly createdBefore?: string;
  /** `open`: only jobs whose dead-letter entry is open. */
  readonly deadLetterStatus?: 'open';
}

/** What a replay by filter would take: the count, by job type and by source (largest first). */
export interface ReplayPreview {
  readonly total: number;
  readonly byJobType: readonly { readonly jobType: string; readonly count: number }[];
  readonly bySource: readonly { readonly sourceId: string | null; readonly count: number }[];
}

/** What a replay by filter did. */
export interface BulkReplayResult extends ReplayPreview {
  /** The id of this replay: the resource of its audit entry and in every clone's creation history. */
  readonly replayId: string;
  /** Clones this call made, and clones an earlier call with the same idempotency key had made. */
  readonly created: number;
  readonly existing: number;
  /** Open dead-letter entries of the originals that became `replayed`. */
  readonly deadLettersReplayed: number;
  /** Each original and its clone, in the originals' creation order. */
  readonly jobs: readonly { readonly replayOf: string; readonly jobId: string; readonly created: boolean }[];
}

/**
 * Checks a resolution note against the operator-text policy.
 * @throws OrchestratorError `VALIDATION_FAILED`
 */
export function checkResolutionNote(note: string, path = 'note'): void {
  const problem = operatorTextProblem(note, DEAD_LETTER_LIMITS.maxNoteLength);
  if (problem !== null) throw validationError([{ path, message: problem }]);
}

/**
 * The field errors of a replay by filter: at least one state; a time range that is not empty; and, unless
 * it is a dry run, a `max` from 1 to the server's cap.
 */
export function replayRequestErrors(request: {
  readonly filter: ReplayFilter;
  readonly max: number | undefined;
  readonly dryRun: boolean;
  readonly maxCap: number;
}): FieldError[] {
  const { filter, max, dryRun, maxCap } = request;
  const errors: FieldError[] = [];
  if (filter.statuses.length === 0) errors.push({ path: 'status', message: 'must name at least one state' });
  const bad = filter.statuses.filter((s) => !(REPLAYABLE_STATUSES as readonly string[]).includes(s));
  if (bad.length > 0)
    errors.push({ path: 'status', message: `must be among ${REPLAYABLE_STATUSES.join(', ')}` });
  if (
    filter.createdAfter !== undefined &&
    filter.createdBefore !== undefined &&
    Date.parse(filter.createdAfter) >= Date.parse(filter.createdBefore)
  ) {
    errors.push({ path: 'createdBefore', message: 'must be later than createdAfter' });
  }
  if (max === undefined) {
    if (!dryRun) errors.push({ path: 'max', message: 'is required unless dryRun is true' });
  } else if (!Number.isInteger(max) || max < 1 || max > maxCap) {
    errors.push({ path: 'max', message: `must be an integer from 1 to ${maxCap}` });
  }
  return errors;
}

/** The audit fields of the request's metadata (reasons, tickets), and its correlation id or `fallback`. */
function metadataFields(audit: AuditMetadata, fallback: string) {
  return {
    ...(audit.reason === undefined ? {} : { reason: audit.reason }),
    ...(audit.ticket === undefined ? {} : { ticket: audit.ticket }),
    ...(audit.requestReason === undefined ? {} : { requestReason: audit.requestReason }),
    ...(audit.requestTicket === undefined ? {} : { requestTicket: audit.requestTicket }),
    correlationId: audit.correlationId ?? fallback,
  };
}

/** The state of a dead-letter entry an audit entry keeps. */
function entryState(entry: DeadLetterEntry): AuditState {
  return { status: entry.status, jobId: entry.jobId, jobType: entry.jobType, errorType: entry.errorType };
}

/**
 * The record of an operator action on a dead-letter entry (`deadletter.replay`, `deadletter.resolve`):
 * resource `dead_letter`, the entry's state before and after (with its job, the job the replay made, the
 * resolution note).
 */
export function deadLetterAuditRecord(params: {
  readonly action: 'deadletter.replay' | 'deadletter.resolve';
  readonly actor: Actor;
  readonly before: DeadLetterEntry;
  readonly after: DeadLetterEntry;
  /** For a replay: whether the call made the job (`false`: found again by its idempotency key). */
  readonly replayedJobCreated?: boolean;
  readonly audit?: AuditMetadata;
  /** The correlation id when the metadata has none (the replayed job's, or the original job's). */
  readonly correlationId: string;
}): AuditRecord {
  const after: Record<string, JsonValue> = { ...entryState(params.after) };
  if (params.after.replayedJobId !== null) after['replayedJobId'] = params.after.replayedJobId;
  if (params.replayedJobCreated !== undefined) after['replayedJobCreated'] = params.replayedJobCreated;
  if (params.after.resolutionNote !== null) after['note'] = params.after.resolutionNote;
  return {
    actor: params.actor,
    action: params.action,
    resourceType: 'dead_letter',
    resourceId: params.before.entryId,
    before: entryState(params.before),
    after,
    ...metadataFields(params.audit ?? {}, params.correlationId),
  };
}

/**
 * The one record of a replay by filter (`job.bulk_replay`, resource `replay` = the replay id): the filter
 * and `max` before, the counts after. Each clone points at its original (`replayOf`) and its creation
 * history names the replay id, so the record and the jobs lead to each other without one entry per job.
 */
export function bulkReplayAuditRecord(params: {
  readonly actor: Actor;
  readonly filter: ReplayFilter;
  readonly max: number;
  readonly result: Omit<BulkReplayResult, 'jobs'>;
  readonly audit?: AuditMetadata;
  readonly correlationId: string;
}): AuditRecord {
  const { filter, result } = params;
  const before: Record<string, JsonValue> = { statuses: [...filter.statuses], max: params.max };
  for (const key of ['jobType', 'sourceId', 'createdAfter', 'createdBefore', 'deadLetterStatus'] as const) {
    const value = filter[key];
    if (value !== undefined) before[key] = value;
  }
  return {
    actor: params.actor,
    action: 'job.bulk_replay',
    resourceType: 'replay',
    resourceId: result.replayId,
    before,
    after: {
      matched: result.total,
      created: result.created,
      existing: result.existing,
      deadLettersReplayed: result.deadLettersReplayed,
    },
    ...metadataFields(params.audit ?? {}, params.correlationId),
  };
}
