import type { Admission, JobLane } from './admission.js';
import { queueHolds } from './queue-holds.js';
import type { JsonValue } from './canonical-json.js';
import type { Job } from './job.js';
import type { JobStatus } from './job-state.js';
import type { Source } from './source.js';
import { instantInWords } from './time-words.js';

/**
 * The stable codes of the conditions `GET /jobs/{id}/why` reports (docs/api.md). They are not error
 * codes: a held job is never failed, it waits.
 */
export const JOB_CONDITION_CODES = [
  'DEPENDENCY_NOT_MET',
  'NOT_BEFORE',
  'BACKOFF',
  'SOURCE_PAUSED',
  'SOURCE_DISABLED',
  'BACKFILL_PAUSED',
  'QUOTA_PAUSED',
  'QUOTA_ACTIVE_LIMIT',
  'QUOTA_RATE_LIMIT',
  'SOURCE_CONCURRENCY_LIMIT',
  'SOURCE_RATE_LIMIT',
  'THROTTLED',
  'CIRCUIT_OPEN',
  'CIRCUIT_HALF_OPEN',
  'BACKFILL_LANE_LIMIT',
  'HELD',
  'READY',
  'LEASED',
  'CANCEL_REQUESTED',
  'TERMINAL',
] as const;

/** One stable condition code. */
export type JobConditionCode = (typeof JOB_CONDITION_CODES)[number];

/** One condition on a job: what holds it (or, when nothing does, where it stands). */
export interface JobCondition {
  readonly code: JobConditionCode;
  /** The condition in plain words, times in ISO-8601 and relative to the database clock. */
  readonly message: string;
  /** When the condition lifts by itself, if it does (ISO-8601). */
  readonly until?: string;
  readonly details: Readonly<Record<string, JsonValue>>;
}

/** The answer of `GET /jobs/{id}/why`. */
export interface JobWhy {
  readonly jobId: string;
  readonly status: JobStatus;
  /** Whether a worker may lease the job now: pending and held by nothing. */
  readonly runnable: boolean;
  /** In the order of the issue: dependencies, time, source, backfill, [limits], then where it stands. */
  readonly conditions: readonly JobCondition[];
  /** The database clock the answer was computed at. */
  readonly evaluatedAt: string;
}

/** A parent of a job that has not succeeded yet. */
export interface UnmetParent {
  readonly jobId: string;
  readonly status: JobStatus;
}

/** How many ready jobs a lease call would take before this one (same tenant and job type). */
export interface QueueAhead {
  readonly count: number;
  /** The count stopped at its cap: there are more than `count`. */
  readonly capped: boolean;
}

/** The state of the job's source that can hold it. */
export type SourceHoldFacts = Pick<
  Source,
  'sourceId' | 'enabled' | 'paused' | 'pauseReason' | 'pauseTicket' | 'pausedBy' | 'pausedAt'
>;

/** The backfill whose run the job belongs to (docs/decisions/0017-backfills-and-watermarks.md). */
export interface BackfillHoldFacts {
  readonly backfillId: string;
  readonly paused: boolean;
  readonly pausedBy: string | null;
  readonly pausedAt: string | null;
}

/**
 * Everything besides the job that decides what holds it, read by the store in one snapshot with the
 * database clock. Each future limit (quota, rate, concurrency, circuit, throttle) adds its facts here and
 * one evaluator to {@link explainJob}.
 */
export interface JobHoldFacts {
  /** The database clock at the read (ISO-8601). */
  readonly now: string;
  /** The job's standing-hold marker (`orch.jobs.held`): the lease query skips held jobs. */
  readonly held: boolean;
  /** Why the job was canceled (`dependency_failed: <parent id>`, an operator's reason …), if it was. */
  readonly cancelReason: string | null;
  /** The parents that have not succeeded, in submission order. */
  readonly unmetParents: readonly UnmetParent[];
  /** The job's source, `null` without one. */
  readonly source: SourceHoldFacts | null;
  /** The backfill that made the job, `null` for a job of no backfill. */
  readonly backfill: BackfillHoldFacts | null;
  /**
   * The tenant's limits evaluated at `now` with the bucket levels and in-flight counts the lease grant
   * reads (docs/decisions/0016-admission-and-limits.md); `null` when the job is not pending.
   */
  readonly limits: Admission | null;
  /** The job's lane: a backfill job is also held by the backfill lane's part of each limit. */
  readonly lane: JobLane;
  /** Set for a pending job that nothing holds; `null` otherwise. */
  readonly queueAhead: QueueAhead | null;
}

/** One evaluator: the conditions of one kind that apply to the job, in order. */
type Evaluator = (job: Job, facts: JobHoldFacts) => JobCondition[];

const UNSTARTED: readonly JobStatus[] = ['waiting', 'pending'];

function dependencies(job: Job, facts: JobHoldFacts): JobCondition[] {
  if (job.status !== 'waiting') return [];
  const parents = facts.unmetParents;
  const named = parents.map((p) => `${p.jobId} (${p.status})`).join(', ');
  return [
    {
      code: 'DEPENDENCY_NOT_MET',
      message:
        `waiting for ${parents.length} of ${job.dependsOn.length} parent job(s) to succeed` +
        (parents.length > 0 ? `: ${named}` : ''),
      details: { parents: parents.map((p) => ({ jobId: p.jobId, status: p.status })) },
    },
  ];
}

function eligibleTime(job: Job, facts: JobHoldFacts): JobCondition[] {
  if (!UNSTARTED.includes(job.status)) return [];
  const until = job.nextEligibleAt;
  if (Date.parse(until) <= Date.parse(facts.now)) return [];
  const when = instantInWords(until, facts.now);
  if (job.attempt === 0) {
    return [
      {
        code: 'NOT_BEFORE',
        message: `scheduled: not before ${when}`,
        until,
        details: { notBefore: job.notBefore ?? until },
      },
    ];
  }
  const error = job.lastError;
  return [
    {
      code: 'BACKOFF',
      message:
        `backing off after attempt ${job.attempt} of ${job.maxAttempts} failed` +
        (error === null ? '' : ` (${error.type}: ${error.message})`) +
        `; next attempt not before ${when}`,
      until,
      details: {
        attempt: job.attempt,
        maxAttempts: job.maxAttempts,
        errorType: error?.type ?? null,
        errorMessage: error?.message ?? null,
      },
    },
  ];
}

function sourceState(job: Job, facts: JobHoldFacts): JobCondition[] {
  const source = facts.source;
  if (source === null || !UNSTARTED.includes(job.status)) return [];
  const conditions: JobCondition[] = [];
  if (source.paused) {
    const at = source.pausedAt === null ? '' : ` at ${instantInWords(source.pausedAt, facts.now)}`;
    const ticket = source.pauseTicket === null ? '' : ` (ticket ${source.pauseTicket})`;
    conditions.push({
      code: 'SOURCE_PAUSED',
      message:
        `source ${source.sourceId} is paused by ${source.pausedBy ?? 'unknown'}${at}: ` +
        `${source.pauseReason ?? 'no reason given'}${ticket}`,
      details: {
        sourceId: source.sourceId,
        pausedBy: source.pausedBy,
        pausedAt: source.pausedAt,
        reason: source.pauseReason,
        ticket: source.pauseTicket,
      },
    });
  }
  if (!source.enabled) {
    conditions.push({
      code: 'SOURCE_DISABLED',
      message: `source ${source.sourceId} is disabled: its queued jobs wait until it is enabled`,
      details: { sourceId: source.sourceId },
    });
  }
  return conditions;
}

function backfillState(job: Job, facts: JobHoldFacts): JobCondition[] {
  const backfill = facts.backfill;
  if (backfill === null || !backfill.paused || !UNSTARTED.includes(job.status)) return [];
  const at = backfill.pausedAt === null ? '' : ` at ${instantInWords(backfill.pausedAt, facts.now)}`;
  return [
    {
      code: 'BACKFILL_PAUSED',
      message: `backfill ${backfill.backfillId} is paused by ${backfill.pausedBy ?? 'unknown'}${at}`,
      details: { backfillId: backfill.backfillId, pausedBy: backfill.pausedBy, pausedAt: backfill.pausedAt },
    },
  ];
}

function limits(job: Job, facts: JobHoldFacts): JobCondition[] {
  if (job.status !== 'pending' || facts.limits === null) return [];
  return queueHolds(facts.limits, { jobType: job.jobType, sourceId: job.sourceId }, facts.lane);
}

const EXPLAINED_HOLDS: readonly JobConditionCode[] = ['SOURCE_PAUSED', 'SOURCE_DISABLED', 'BACKFILL_PAUSED'];

/**
 * The scheduler's marker says held but no known cause explains it (a cause added later, or a marker
 * being recomputed): say so rather than call the job ready, which the lease query would not agree with.
 */
function unexplainedHold(job: Job, facts: JobHoldFacts, found: readonly JobCondition[]): JobCondition[] {
  if (!facts.held || !UNSTARTED.includes(job.status)) return [];
  if (found.some((c) => EXPLAINED_HOLDS.includes(c.code))) return [];
  return [
    {
      code: 'HELD',
      message: 'held by a standing hold (the lease query skips it) with no known cause at this moment',
      details: {},
    },
  ];
}

function ready(job: Job, facts: JobHoldFacts): JobCondition[] {
  const ahead = facts.queueAhead ?? { count: 0, capped: false };
  const count = ahead.capped ? `more than ${ahead.count}` : String(ahead.count);
  return [
    {
      code: 'READY',
      message:
        `ready: waiting for a worker to lease a ${job.jobType} job; ` +
        `${count} ready job(s) of this type are ahead of it`,
      details: { jobType: job.jobType, jobsAhead: ahead.count, jobsAheadCapped: ahead.capped },
    },
  ];
}

function leased(job: Job, facts: JobHoldFacts): JobCondition[] {
  const lease = job.lease;
  if (lease === null) return [];
  const conditions: JobCondition[] = [
    {
      code: 'LEASED',
      message:
        `${job.status === 'running' ? 'running' : 'leased'} on worker ${lease.workerId}, attempt ` +
        `${job.attempt} of ${job.maxAttempts}; lease until ${instantInWords(lease.leaseUntil, facts.now)}`,
      until: lease.leaseUntil,
      details: {
        workerId: lease.workerId,
        leaseUntil: lease.leaseUntil,
        attempt: job.attempt,
        maxAttempts: job.maxAttempts,
      },
    },
  ];
  if (job.cancelRequested) {
    conditions.push({
      code: 'CANCEL_REQUESTED',
      message: 'a cancel was requested: the worker learns it at its next heartbeat and ends the attempt',
      details: { reason: facts.cancelReason },
    });
  }
  return conditions;
}

const DEPENDENCY_FAILED = /^dependency_failed: (\S+)$/;

function terminal(job: Job, facts: JobHoldFacts): JobCondition[] {
  const at = job.completedAt ?? job.updatedAt;
  const details: Record<string, JsonValue> = { status: job.status, completedAt: at };
  let message = `${job.status} at ${instantInWords(at, facts.now)}`;
  if (job.status === 'failed' && job.lastError !== null) {
    message += ` after attempt ${job.attempt} of ${job.maxAttempts}: ${job.lastError.type}: ${job.lastError.message}`;
    details['errorType'] = job.lastError.type;
    details['errorMessage'] = job.lastError.message;
  }
  if (job.status === 'canceled' && facts.cancelReason !== null) {
    const parent = DEPENDENCY_FAILED.exec(facts.cancelReason)?.[1];
    message +=
      parent === undefined
        ? `: ${facts.cancelReason}`
        : `: parent job ${parent} ended without succeeding (${facts.cancelReason})`;
    details['reason'] = facts.cancelReason;
    if (parent !== undefined) details['dependencyJobId'] = parent;
  }
  return [{ code: 'TERMINAL', message, details }];
}

/**
 * The conditions that can hold an unstarted job, in the order they are reported: its own (parents, time),
 * its source and backfill, then the limits of its queue (quotas, source limits, throttles).
 */
const HOLD_EVALUATORS: readonly Evaluator[] = [
  dependencies,
  eligibleTime,
  sourceState,
  backfillState,
  limits,
];

/**
 * Why a job is (not) running, from the job and a snapshot of the facts that hold it. Pure: the same
 * inputs give the same answer, so the scheduler and `GET /jobs/{id}/why` can share it.
 */
export function explainJob(job: Job, facts: JobHoldFacts): JobWhy {
  const answer = (conditions: JobCondition[], runnable = false): JobWhy => ({
    jobId: job.jobId,
    status: job.status,
    runnable,
    conditions,
    evaluatedAt: facts.now,
  });
  switch (job.status) {
    case 'succeeded':
    case 'failed':
    case 'canceled':
      return answer(terminal(job, facts));
    case 'leased':
    case 'running':
      return answer(leased(job, facts));
    case 'waiting':
    case 'pending': {
      const holds = HOLD_EVALUATORS.flatMap((evaluate) => evaluate(job, facts));
      holds.push(...unexplainedHold(job, facts, holds));
      if (holds.length > 0) return answer(holds);
      return answer(ready(job, facts), true);
    }
  }
}
