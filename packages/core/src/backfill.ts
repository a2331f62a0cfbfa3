import type { AuditMetadata, AuditRecord, AuditState } from './audit-entry.js';
import type { JsonValue } from './canonical-json.js';
import type { Actor } from './job.js';
import type { JobStatus } from './job-state.js';
import type { SourceRateLimit } from './source.js';

/**
 * What operators made of a backfill: `active` (its jobs run), `paused` (its unfinished jobs are held),
 * `canceled`; `completed` once every job of its run is terminal (computed when read).
 */
export type BackfillStatus = 'active' | 'paused' | 'completed' | 'canceled';

/** Every {@link BackfillStatus}. */
export const BACKFILL_STATUSES: readonly BackfillStatus[] = ['active', 'paused', 'completed', 'canceled'];

/** A backfill (SPEC §2): one run of jobs reprocessing a source over an event-time window, step by step. */
export interface Backfill {
  readonly tenantId: string;
  readonly backfillId: string;
  readonly sourceId: string;
  readonly jobType: string;
  readonly windowStart: string;
  readonly windowEnd: string;
  /** The step as an ISO-8601 duration (`PT1H`), and in seconds. */
  readonly step: string;
  readonly stepSeconds: number;
  readonly status: BackfillStatus;
  /** The run holding the backfill's jobs. */
  readonly runId: string;
  readonly totalJobs: number;
  readonly reason: string;
  readonly ticket: string;
  readonly payloadTemplate: JsonValue;
  readonly priority: number;
  readonly maxAttempts: number;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedBy: string;
  readonly updatedAt: string;
  readonly pausedBy: string | null;
  readonly pausedAt: string | null;
  readonly canceledReason: string | null;
  readonly canceledBy: string | null;
  readonly canceledAt: string | null;
}

/** How far a backfill got: its run's jobs by status, and the live watermark of its source and job type. */
export interface BackfillProgress {
  /** Status → count, only statuses with jobs. */
  readonly counts: Readonly<Partial<Record<JobStatus, number>>>;
  /** Jobs in a terminal state (succeeded, failed, canceled). */
  readonly finished: number;
  /** `finished / totalJobs` in percent, one decimal. */
  readonly percentDone: number;
  /** The watermark of the source and job type (live jobs only), or `null` when none has advanced it. */
  readonly watermark: string | null;
}

/** A backfill with its progress (`GET /backfills/{id}`). */
export interface BackfillWithProgress extends Backfill {
  readonly progress: BackfillProgress;
}

/** The live watermark of a source and job type: the greatest event time of its succeeded live jobs. */
export interface Watermark {
  readonly tenantId: string;
  readonly sourceId: string;
  readonly jobType: string;
  readonly watermark: string;
  readonly updatedAt: string;
}

/** What the history of a source and job type says about how long a job takes. */
export interface BackfillHistory {
  /** Succeeded jobs sampled (the latest, up to a bound). */
  readonly sampledJobs: number;
  /** Their mean run time (started → completed), or `null` without any. */
  readonly meanDurationMs: number | null;
  /**
   * How many ran at once on average over the sample: the sum of their run times over the span from the
   * first start to the last completion (at least 1), or `null` without any.
   */
  readonly observedConcurrency: number | null;
}

/** The estimated duration of a backfill, and what it rests on. */
export interface BackfillEstimate {
  /** `null` when there is nothing to estimate from (no history, no rate limit). */
  readonly durationMs: number | null;
  readonly basis: 'history' | 'rate_limit' | 'history_and_rate_limit' | 'none';
  readonly meanJobDurationMs: number | null;
  readonly observedConcurrency: number | null;
  /** The source's stored refill rate (jobs per second), used as a cap. */
  readonly rateLimitPerSecond: number | null;
  readonly note: string;
}

const ESTIMATE_NOTE =
  'jobs × mean run time ÷ observed concurrency, and at least jobs ÷ the source’s stored refill rate; rate limits and the backfill lane share are not enforced yet, so this is an estimate under today’s behaviour';

/**
 * The estimated duration of `jobs` jobs: from history, `jobs × meanDurationMs ÷ observedConcurrency`; from
 * the source's rate limit (stored, not enforced yet: used as a cap), at least `jobs ÷ refillPerSecond`
 * seconds; the larger of the two when both are known.
 */
export function estimateBackfillDuration(
  jobs: number,
  history: BackfillHistory,
  rateLimit: SourceRateLimit | null,
): BackfillEstimate {
  const { meanDurationMs, observedConcurrency } = history;
  const byHistory =
    meanDurationMs === null ? null : (jobs * meanDurationMs) / Math.max(1, observedConcurrency ?? 1);
  const byRate = rateLimit === null ? null : (jobs / rateLimit.refillPerSecond) * 1_000;
  const basis =
    byHistory === null
      ? byRate === null
        ? 'none'
        : 'rate_limit'
      : byRate === null
        ? 'history'
        : 'history_and_rate_limit';
  const known = [byHistory, byRate].filter((value): value is number => value !== null);
  return {
    durationMs: known.length === 0 ? null : Math.round(Math.max(...known)),
    basis,
    meanJobDurationMs: meanDurationMs === null ? null : Math.round(meanDurationMs),
    observedConcurrency:
      observedConcurrency === null ? null : Math.round(Math.max(1, observedConcurrency) * 100) / 100,
    rateLimitPerSecond: rateLimit?.refillPerSecond ?? null,
    note:
      basis === 'none'
        ? 'no succeeded job of this source and job type to learn from, and no rate limit: no estimate'
        : ESTIMATE_NOTE,
  };
}

/** The progress of a backfill from its run's counts. */
export function backfillProgress(
  totalJobs: number,
  counts: Readonly<Partial<Record<JobStatus, number>>>,
  watermark: string | null,
): BackfillProgress {
  const finished = (counts.succeeded ?? 0) + (counts.failed ?? 0) + (counts.canceled ?? 0);
  const percentDone = totalJobs === 0 ? 100 : Math.floor((finished / totalJobs) * 1_000) / 10;
  return { counts, finished, percentDone, watermark };
}

/** The operator actions on a backfill, each audited. */
export const BACKFILL_AUDIT_ACTIONS = [
  'backfill.create',
  'backfill.pause',
  'backfill.resume',
  'backfill.cancel',
] as const;

/** An operator action on a backfill. */
export type BackfillAuditAction = (typeof BACKFILL_AUDIT_ACTIONS)[number];

/** The backfill state an audit entry keeps before and after an action. */
export function backfillAuditState(backfill: Backfill): AuditState {
  return {
    sourceId: backfill.sourceId,
    jobType: backfill.jobType,
    windowStart: backfill.windowStart,
    windowEnd: backfill.windowEnd,
    step: backfill.step,
    status: backfill.status,
    runId: backfill.runId,
    totalJobs: backfill.totalJobs,
    canceledReason: backfill.canceledReason,
  };
}

/**
 * The record of an operator action on a backfill: `resourceType` `backfill`, its id as the resource, the
 * backfill before (absent for `backfill.create`) and after, and the action's reasons and tickets.
 */
export function backfillAuditRecord(params: {
  readonly action: BackfillAuditAction;
  readonly actor: Actor;
  readonly before: Backfill | null;
  readonly after: Backfill;
  readonly audit?: AuditMetadata | undefined;
  /** What the action did besides the backfill row, such as the jobs a cancel canceled. */
  readonly effect?: AuditState | undefined;
}): AuditRecord {
  const { audit = {}, before, after } = params;
  return {
    actor: params.actor,
    action: params.action,
    resourceType: 'backfill',
    resourceId: after.backfillId,
    ...(before === null ? {} : { before: backfillAuditState(before) }),
    after: { ...backfillAuditState(after), ...params.effect },
    ...(audit.reason === undefined ? {} : { reason: audit.reason }),
    ...(audit.ticket === undefined ? {} : { ticket: audit.ticket }),
    ...(audit.requestReason === undefined ? {} : { requestReason: audit.requestReason }),
    ...(audit.requestTicket === undefined ? {} : { requestTicket: audit.requestTicket }),
    correlationId: audit.correlationId ?? `backfill:${after.backfillId}`,
  };
}
