import { canonicalJson, sha256Digest } from './canonical-json.js';
import type { FieldError } from './errors.js';
import { JOB_TYPE_PATTERN } from './job-submission.js';
import { OPERATOR_METADATA_LIMITS, operatorTextProblem } from './operator-metadata.js';

/** Bounds of a quota's limits; the ledger's CHECK constraints hold the same. */
export const QUOTA_LIMITS = {
  maxActive: 1_000_000,
  /** 100,000 an hour per second of the hour: the fastest rate a source may have, over an hour. */
  maxPerHour: 360_000_000,
  maxBurst: 1_000_000,
} as const;

/**
 * The limits of a quota: what `PUT /quotas/{id}` replaces whole (an absent limit is `null`). At least one
 * of `maxActive` and `maxPerHour`; `burst` only with `maxPerHour`.
 */
export interface QuotaLimits {
  readonly maxActive?: number | null;
  readonly maxPerHour?: number | null;
  readonly burst?: number | null;
}

/** What a caller creates: the limits, for one job type or (absent or `null`) the whole tenant. */
export interface QuotaDefinition extends QuotaLimits {
  readonly jobType?: string | null;
}

/** Why a quota is paused. */
export interface QuotaPause {
  readonly reason: string;
  readonly ticket?: string | null;
}

function checkWhole(value: number | null | undefined, path: string, max: number, errors: FieldError[]): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    errors.push({ path, message: `must be an integer from 1 to ${max}, or null` });
  }
}

/**
 * Field errors of a quota's limits: whole numbers within {@link QUOTA_LIMITS}, at least one of
 * `maxActive` and `maxPerHour` (a quota that limits nothing is a mistake), and no `burst` without a
 * `maxPerHour` (it is the capacity of the hourly rate's bucket).
 */
export function checkQuotaLimits(input: QuotaLimits): FieldError[] {
  const errors: FieldError[] = [];
  checkWhole(input.maxActive, 'maxActive', QUOTA_LIMITS.maxActive, errors);
  checkWhole(input.maxPerHour, 'maxPerHour', QUOTA_LIMITS.maxPerHour, errors);
  checkWhole(input.burst, 'burst', QUOTA_LIMITS.maxBurst, errors);
  const maxActive = input.maxActive ?? null;
  const maxPerHour = input.maxPerHour ?? null;
  if (maxActive === null && maxPerHour === null) {
    errors.push({ path: 'body', message: 'must give maxActive, maxPerHour or both' });
  }
  if ((input.burst ?? null) !== null && maxPerHour === null) {
    errors.push({ path: 'burst', message: 'is the bucket of maxPerHour: give maxPerHour with it' });
  }
  return errors;
}

/** Field errors of a new quota: its job type (the rule of job submissions) and its limits. */
export function checkQuotaDefinition(input: QuotaDefinition): FieldError[] {
  const errors: FieldError[] = [];
  if (input.jobType !== undefined && input.jobType !== null && !JOB_TYPE_PATTERN.test(input.jobType)) {
    errors.push({
      path: 'jobType',
      message:
        'must be 1–128 of A-Z a-z 0-9 . _ : / - starting with a letter or digit, or null (every job type)',
    });
  }
  errors.push(...checkQuotaLimits(input));
  return errors;
}

/** Field errors of a pause: a reason (required) and an optional ticket, under the operator text policy. */
export function checkQuotaPause(input: QuotaPause): FieldError[] {
  const errors: FieldError[] = [];
  const reason = operatorTextProblem(input.reason, OPERATOR_METADATA_LIMITS.maxReasonLength);
  if (reason !== null) errors.push({ path: 'reason', message: reason });
  if (input.ticket !== undefined && input.ticket !== null) {
    const ticket = operatorTextProblem(input.ticket, OPERATOR_METADATA_LIMITS.maxTicketLength);
    if (ticket !== null) errors.push({ path: 'ticket', message: ticket });
  }
  return errors;
}

/**
 * The digest of a quota request: an `Idempotency-Key` reused with another request conflicts. Absent and
 * `null` limits count the same.
 */
export function quotaRequestDigest(input: QuotaDefinition): string {
  return sha256Digest(
    canonicalJson({
      jobType: input.jobType ?? null,
      maxActive: input.maxActive ?? null,
      maxPerHour: input.maxPerHour ?? null,
      burst: input.burst ?? null,
    }),
  );
}
