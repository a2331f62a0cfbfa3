import { canonicalJson, sha256Digest } from './canonical-json.js';
import type { FieldError } from './errors.js';
import { IDENTIFIER_PATTERN, JOB_TYPE_PATTERN } from './job-submission.js';
import { OPERATOR_METADATA_LIMITS, operatorTextProblem } from './operator-metadata.js';

/** Bounds of a throttle; the ledger's CHECK constraints hold the same (the expiry window is checked here). */
export const THROTTLE_LIMITS = {
  maxPerSecond: 100_000,
  maxConcurrent: 1_000_000,
  /** A throttle is temporary: it ends within 30 days of its creation. */
  maxDurationSeconds: 30 * 86_400,
} as const;

/**
 * What an operator asks for: a target (a source, a job type, both, or neither: the whole tenant), at least
 * one effect, and its end — `durationSeconds` from its creation or an `expiresAt`, exactly one of them.
 */
export interface ThrottleRequest {
  readonly sourceId?: string | null;
  readonly jobType?: string | null;
  /** Lease nothing of the target until the throttle ends. */
  readonly pause?: boolean;
  /** Lower the rate to this many leases a second, in (0, 100,000]. */
  readonly maxPerSecond?: number | null;
  /** Lower the concurrency to this many jobs leased or running, 0 to 1,000,000 (0: none more). */
  readonly maxConcurrent?: number | null;
  /** 1 s to 30 days. */
  readonly durationSeconds?: number;
  /** An ISO-8601 date-time with an offset, after now and within 30 days. */
  readonly expiresAt?: string;
}

// An ISO-8601 date-time with an explicit offset: `Date.parse` alone also takes non-ISO strings.
const DATE_TIME_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/i;

function checkTarget(input: ThrottleRequest, errors: FieldError[]): void {
  if (input.sourceId !== undefined && input.sourceId !== null && !IDENTIFIER_PATTERN.test(input.sourceId)) {
    errors.push({ path: 'sourceId', message: 'must be a source id (1–256 of A-Z a-z 0-9 . _ : / @ -)' });
  }
  if (input.jobType !== undefined && input.jobType !== null && !JOB_TYPE_PATTERN.test(input.jobType)) {
    errors.push({
      path: 'jobType',
      message: 'must be 1–128 of A-Z a-z 0-9 . _ : / - starting with a letter or digit',
    });
  }
}

function checkEffects(input: ThrottleRequest, errors: FieldError[]): void {
  const { maxPerSecond, maxConcurrent } = input;
  if (
    maxPerSecond !== undefined &&
    maxPerSecond !== null &&
    (typeof maxPerSecond !== 'number' ||
      !Number.isFinite(maxPerSecond) ||
      maxPerSecond <= 0 ||
      maxPerSecond > THROTTLE_LIMITS.maxPerSecond)
  ) {
    errors.push({
      path: 'maxPerSecond',
      message: `must be a number greater than 0 and at most ${THROTTLE_LIMITS.maxPerSecond}`,
    });
  }
  if (
    maxConcurrent !== undefined &&
    maxConcurrent !== null &&
    (typeof maxConcurrent !== 'number' ||
      !Number.isInteger(maxConcurrent) ||
      maxConcurrent < 0 ||
      maxConcurrent > THROTTLE_LIMITS.maxConcurrent)
  ) {
    errors.push({
      path: 'maxConcurrent',
      message: `must be an integer from 0 to ${THROTTLE_LIMITS.maxConcurrent}`,
    });
  }
  if (input.pause !== true && (maxPerSecond ?? null) === null && (maxConcurrent ?? null) === null) {
    errors.push({ path: 'body', message: 'must have an effect: pause, maxPerSecond or maxConcurrent' });
  }
}

function checkEnd(input: ThrottleRequest, errors: FieldError[]): void {
  const { durationSeconds, expiresAt } = input;
  if ((durationSeconds === undefined) === (expiresAt === undefined)) {
    errors.push({ path: 'body', message: 'must give exactly one of durationSeconds and expiresAt' });
  }
  if (
    durationSeconds !== undefined &&
    (typeof durationSeconds !== 'number' ||
      !Number.isInteger(durationSeconds) ||
      durationSeconds < 1 ||
      durationSeconds > THROTTLE_LIMITS.maxDurationSeconds)
  ) {
    errors.push({
      path: 'durationSeconds',
      message: `must be an integer from 1 to ${THROTTLE_LIMITS.maxDurationSeconds} (30 days)`,
    });
  }
  if (
    expiresAt !== undefined &&
    (typeof expiresAt !== 'string' ||
      !DATE_TIME_PATTERN.test(expiresAt) ||
      Number.isNaN(Date.parse(expiresAt)))
  ) {
    errors.push({ path: 'expiresAt', message: 'must be an ISO-8601 date-time with an offset' });
  }
}

/**
 * Field errors of a throttle request that need no clock: the target's ids, the effects (at least one, each
 * within {@link THROTTLE_LIMITS}) and the form of its end. The end's window is {@link checkThrottleExpiry}.
 */
export function checkThrottleRequest(input: ThrottleRequest): FieldError[] {
  const errors: FieldError[] = [];
  checkTarget(input, errors);
  checkEffects(input, errors);
  checkEnd(input, errors);
  return errors;
}

/**
 * When a throttle created at `nowMs` (the database clock) ends, in epoch milliseconds: `nowMs` plus its
 * duration, or its `expiresAt`. Call it on a request {@link checkThrottleRequest} accepted.
 */
export function throttleExpiryMs(input: ThrottleRequest, nowMs: number): number {
  return input.durationSeconds === undefined
    ? Date.parse(input.expiresAt ?? '')
    : nowMs + input.durationSeconds * 1000;
}

/** Field errors of a throttle's end against the database clock: after `nowMs`, at most 30 days later. */
export function checkThrottleExpiry(expiresAtMs: number, nowMs: number): FieldError[] {
  if (expiresAtMs <= nowMs) return [{ path: 'expiresAt', message: 'must be in the future' }];
  if (expiresAtMs > nowMs + THROTTLE_LIMITS.maxDurationSeconds * 1000) {
    return [{ path: 'expiresAt', message: 'must be at most 30 days from now' }];
  }
  return [];
}

/** Field errors of a revoke's reason (optional), under the operator text policy. */
export function checkThrottleRevoke(input: { readonly reason?: string | null }): FieldError[] {
  if (input.reason === undefined || input.reason === null) return [];
  const problem = operatorTextProblem(input.reason, OPERATOR_METADATA_LIMITS.maxReasonLength);
  return problem === null ? [] : [{ path: 'reason', message: problem }];
}

/**
 * The digest of a throttle request: an `Idempotency-Key` reused with another request conflicts. The end is
 * digested as asked (a duration, or the instant of `expiresAt`), so a repeat asks for the same thing.
 */
export function throttleRequestDigest(input: ThrottleRequest): string {
  return sha256Digest(
    canonicalJson({
      sourceId: input.sourceId ?? null,
      jobType: input.jobType ?? null,
      pause: input.pause ?? false,
      maxPerSecond: input.maxPerSecond ?? null,
      maxConcurrent: input.maxConcurrent ?? null,
      durationSeconds: input.durationSeconds ?? null,
      expiresAt:
        input.expiresAt === undefined || Number.isNaN(Date.parse(input.expiresAt))
          ? (input.expiresAt ?? null)
          : new Date(Date.parse(input.expiresAt)).toISOString(),
    }),
  );
}
