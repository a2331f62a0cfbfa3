import type { LimitHold } from './admission.js';
import type { Job } from './job.js';
import type { CompletedJob, CompletionDisposition, LeasedJob, ReapedLease } from './job-store.js';

/** How a job came to be: a producer's submission, or an operator's retry or replay of another job. */
export type JobOrigin = 'submit' | 'retry' | 'replay';

/** How an attempt ended, in the words of the metrics (SPEC §2 outcomes of one attempt). */
export type AttemptOutcome = 'succeeded' | 'failed-retry' | 'failed-dead-lettered' | 'canceled';

/** The fenced lease calls, as named in lease-lost counts. */
export type LeaseOperation = 'heartbeat' | 'artifacts' | 'complete';

/** One ended attempt, as telemetry records it. */
export interface EndedAttempt {
  readonly tenantId: string;
  readonly jobType: string;
  readonly outcome: AttemptOutcome;
  /** `worker`: a completion through the worker bridge; `reaper`: a lease that lapsed. */
  readonly endedBy: 'worker' | 'reaper';
  /** Seconds from the lease to the end of the attempt (database clock); `null` when not measured. */
  readonly runSeconds: number | null;
}

/** One granted lease, as telemetry records it. */
export interface LeaseGrant {
  readonly tenantId: string;
  readonly jobType: string;
  /** Seconds the job waited from the moment it was eligible (created, or its back-off ended) to the lease. */
  readonly queueWaitSeconds: number;
}

/**
 * The telemetry port of the job lifecycle: the job service reports here what the ledger accepted, once it
 * accepted it, so that every count matches a row of the ledger's history. Implementations record and
 * return at once: they must not throw, block or perform I/O on these calls.
 */
export interface JobMetrics {
  /** Jobs this call created (an idempotent repeat creates none). */
  jobsCreated(jobs: readonly Job[], origin: JobOrigin): void;
  /** Leases granted. */
  jobsLeased(grants: readonly LeaseGrant[]): void;
  /** How long one lease call took the ledger to decide and grant (limits included), granted or not. */
  leaseGrantTimed(seconds: number): void;
  /** The limits that held back ready work at one lease grant of `tenantId` (one entry per limit). */
  limitHolds(tenantId: string, holds: readonly LimitHold[]): void;
  /** Attempts ended, by a worker's completion or by the lease reaper. */
  attemptsEnded(attempts: readonly EndedAttempt[]): void;
  /** A job an operator canceled before any worker held it (waiting or pending). */
  queuedJobCanceled(job: Job): void;
  /** Fenced calls refused `LEASE_LOST` (the lease or fencing token was not current). */
  leasesLost(tenantId: string, operation: LeaseOperation, count: number): void;
}

/** Telemetry that records nothing: the default of the job service. */
export const noJobMetrics: JobMetrics = {
  jobsCreated: () => undefined,
  jobsLeased: () => undefined,
  leaseGrantTimed: () => undefined,
  limitHolds: () => undefined,
  attemptsEnded: () => undefined,
  queuedJobCanceled: () => undefined,
  leasesLost: () => undefined,
};

const OUTCOMES: Readonly<Record<CompletionDisposition, AttemptOutcome>> = {
  succeeded: 'succeeded',
  retry_scheduled: 'failed-retry',
  dead_lettered: 'failed-dead-lettered',
  canceled: 'canceled',
};

/** The metrics outcome of a ledger disposition. */
export function attemptOutcomeOf(disposition: CompletionDisposition): AttemptOutcome {
  return OUTCOMES[disposition];
}

/** Seconds from `from` to `to` (ISO-8601), never negative; `null` when either is not a time. */
function secondsBetween(from: string, to: string): number | null {
  const seconds = (Date.parse(to) - Date.parse(from)) / 1000;
  return Number.isFinite(seconds) ? Math.max(0, seconds) : null;
}

/**
 * The grant of a lease the ledger just made. The lease statement sets `updatedAt` to the moment of the
 * lease and leaves `nextEligibleAt` as it was (creation, `notBefore` or the end of a back-off), both from
 * the database clock, so the wait is measured on one clock.
 */
export function leaseGrantOf(leased: LeasedJob): LeaseGrant {
  const { job } = leased;
  const eligibleAt =
    Date.parse(job.nextEligibleAt) > Date.parse(job.createdAt) ? job.nextEligibleAt : job.createdAt;
  return {
    tenantId: job.tenantId,
    jobType: job.jobType,
    queueWaitSeconds: secondsBetween(eligibleAt, job.updatedAt) ?? 0,
  };
}

/** The attempt a worker's completion ended: from the lease (`leasedAt`) to the completion (`updatedAt`). */
export function completedAttemptOf(completed: CompletedJob): EndedAttempt {
  const { job } = completed;
  return {
    tenantId: job.tenantId,
    jobType: job.jobType,
    outcome: attemptOutcomeOf(completed.disposition),
    endedBy: 'worker',
    runSeconds: completed.leasedAt === null ? null : secondsBetween(completed.leasedAt, job.updatedAt),
  };
}

/** The attempt the lease reaper ended. Its duration is the lease's, not the work's: it is not measured. */
export function reapedAttemptOf(reaped: ReapedLease): EndedAttempt {
  return {
    tenantId: reaped.tenantId,
    jobType: reaped.jobType,
    outcome: attemptOutcomeOf(reaped.disposition),
    endedBy: 'reaper',
    runSeconds: null,
  };
}
