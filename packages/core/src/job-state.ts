import { OrchestratorError } from './errors.js';

/** Every state a job can be in (SPEC §2). */
export const JOB_STATUSES = [
  'waiting',
  'pending',
  'leased',
  'running',
  'succeeded',
  'failed',
  'canceled',
] as const;

/** A job's state. */
export type JobStatus = (typeof JOB_STATUSES)[number];

/** States a job never leaves. */
export const TERMINAL_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'canceled'];

/** States in which a worker holds a lease on the job. */
export const LEASED_STATUSES: readonly JobStatus[] = ['leased', 'running'];

const TRANSITIONS: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  // waiting: dependencies not met yet; released to pending, or canceled with its parent.
  waiting: ['pending', 'canceled'],
  // pending: queued, perhaps held; a worker leases it, an operator cancels it.
  pending: ['leased', 'canceled'],
  // leased: a worker holds it; the first heartbeat or progress report makes it running. A failed attempt
  // with attempts left goes back to pending; an exhausted or non-retryable one ends failed.
  leased: ['running', 'pending', 'succeeded', 'failed', 'canceled'],
  running: ['pending', 'succeeded', 'failed', 'canceled'],
  succeeded: [],
  failed: [],
  canceled: [],
};

/** Whether `value` is a job status. */
export function isJobStatus(value: unknown): value is JobStatus {
  return typeof value === 'string' && (JOB_STATUSES as readonly string[]).includes(value);
}

/** Whether a job in `status` never changes again. */
export function isTerminalStatus(status: JobStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** The states a job in `from` may move to. */
export function allowedTransitions(from: JobStatus): readonly JobStatus[] {
  return TRANSITIONS[from];
}

/** Whether the state machine allows `from` → `to`. */
export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/**
 * Refuses an illegal state change.
 *
 * @throws OrchestratorError `INVALID_TRANSITION` naming both states and the allowed targets
 */
export function assertTransition(from: JobStatus, to: JobStatus, jobId?: string): void {
  if (canTransition(from, to)) return;
  const allowed = TRANSITIONS[from];
  const subject = jobId === undefined ? 'a job' : `job ${jobId}`;
  throw new OrchestratorError(
    'INVALID_TRANSITION',
    `${subject} cannot move from ${from} to ${to}` +
      (allowed.length === 0 ? ` (${from} is terminal)` : ` (allowed: ${allowed.join(', ')})`),
    { details: { from, to, allowed, ...(jobId === undefined ? {} : { jobId }) } },
  );
}
