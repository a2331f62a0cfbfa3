import { canonicalJson, sha256Digest } from './canonical-json.js';
import { validationError, type FieldError } from './errors.js';
import { IDENTIFIER_PATTERN } from './job-submission.js';
import { OPERATOR_METADATA_LIMITS, operatorTextProblem } from './operator-metadata.js';
import type { SourceRateLimit } from './source.js';

/** Bounds of a source's fields; the ledger's CHECK constraints hold the same. */
export const SOURCE_LIMITS = {
  maxDisplayNameLength: 256,
  maxDescriptionLength: 2048,
  maxBurst: 1_000_000,
  maxRefillPerSecond: 100_000,
  maxConcurrent: 1_000_000,
} as const;

/** A source type: lower case, `concelier`, `excititor`, `scheduler`, `export`, `policy` or any other. */
export const SOURCE_TYPE_PATTERN = /^[a-z][a-z0-9._-]{0,63}$/;

/** What a caller registers. */
export interface SourceRegistration {
  readonly sourceId: string;
  readonly sourceType: string;
  readonly displayName?: string | null;
  readonly description?: string | null;
  /** Absent or `null`: unlimited. */
  readonly rateLimit?: SourceRateLimit | null;
  /** The most jobs leased or running at once; absent or `null`: unlimited. */
  readonly maxConcurrent?: number | null;
}

/** What an update may change; an absent field stays, `null` clears it. */
export interface SourcePatch {
  readonly sourceType?: string;
  readonly displayName?: string | null;
  readonly description?: string | null;
  readonly rateLimit?: SourceRateLimit | null;
  readonly maxConcurrent?: number | null;
}

/** Why a source is paused. */
export interface SourcePause {
  readonly reason: string;
  readonly ticket?: string | null;
}

function checkPatchFields(input: SourcePatch, errors: FieldError[]): void {
  if (input.sourceType !== undefined && !SOURCE_TYPE_PATTERN.test(input.sourceType)) {
    errors.push({
      path: 'sourceType',
      message: 'must be 1–64 of a-z 0-9 . _ - starting with a lower-case letter',
    });
  }
  if (input.displayName !== undefined && input.displayName !== null) {
    const problem = operatorTextProblem(input.displayName, SOURCE_LIMITS.maxDisplayNameLength);
    if (problem !== null) errors.push({ path: 'displayName', message: problem });
  }
  if (input.description !== undefined && input.description !== null) {
    const problem = operatorTextProblem(input.description, SOURCE_LIMITS.maxDescriptionLength);
    if (problem !== null) errors.push({ path: 'description', message: problem });
  }
  if (input.rateLimit !== undefined && input.rateLimit !== null) {
    errors.push(...checkRateLimit(input.rateLimit));
  }
  if (input.maxConcurrent !== undefined && input.maxConcurrent !== null) {
    const n = input.maxConcurrent;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > SOURCE_LIMITS.maxConcurrent) {
      errors.push({
        path: 'maxConcurrent',
        message: `must be an integer from 1 to ${SOURCE_LIMITS.maxConcurrent}, or null (unlimited)`,
      });
    }
  }
}

/** Field errors of a rate limit: a whole burst from 1 to 1,000,000 and a finite refill rate in (0, 100,000]. */
export function checkRateLimit(rateLimit: SourceRateLimit, prefix = 'rateLimit.'): FieldError[] {
  const errors: FieldError[] = [];
  const { burst, refillPerSecond } = rateLimit;
  if (typeof burst !== 'number' || !Number.isInteger(burst) || burst < 1 || burst > SOURCE_LIMITS.maxBurst) {
    errors.push({
      path: `${prefix}burst`,
      message: `must be an integer from 1 to ${SOURCE_LIMITS.maxBurst}`,
    });
  }
  if (
    typeof refillPerSecond !== 'number' ||
    !Number.isFinite(refillPerSecond) ||
    refillPerSecond <= 0 ||
    refillPerSecond > SOURCE_LIMITS.maxRefillPerSecond
  ) {
    errors.push({
      path: `${prefix}refillPerSecond`,
      message: `must be a number greater than 0 and at most ${SOURCE_LIMITS.maxRefillPerSecond}`,
    });
  }
  return errors;
}

/** Field errors of a registration. */
export function checkSourceRegistration(input: SourceRegistration): FieldError[] {
  const errors: FieldError[] = [];
  if (!IDENTIFIER_PATTERN.test(input.sourceId)) {
    errors.push({
      path: 'sourceId',
      message: 'must be 1–256 of A-Z a-z 0-9 . _ : / @ - starting with a letter or digit',
    });
  }
  checkPatchFields(input, errors);
  return errors;
}

/** Field errors of an update; an update that names no field is refused too. */
export function checkSourcePatch(input: SourcePatch): FieldError[] {
  const errors: FieldError[] = [];
  const named = ['sourceType', 'displayName', 'description', 'rateLimit', 'maxConcurrent'] as const;
  if (named.every((field) => input[field] === undefined)) {
    errors.push({ path: 'body', message: `must name at least one of ${named.join(', ')}` });
  }
  checkPatchFields(input, errors);
  return errors;
}

/** Field errors of a pause: a reason (required) and an optional ticket, under the operator text policy. */
export function checkSourcePause(input: SourcePause): FieldError[] {
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
 * Throws the field errors of `errors` as one `VALIDATION_FAILED`.
 * @throws OrchestratorError `VALIDATION_FAILED`
 */
export function assertNoFieldErrors(errors: readonly FieldError[]): void {
  if (errors.length > 0) throw validationError(errors);
}

/**
 * The digest of a registration: an `Idempotency-Key` reused with another registration conflicts. Absent
 * and `null` optional fields count the same. `maxConcurrent` enters only when set, so the digests of
 * registrations made before it existed stay what they were.
 */
export function sourceRegistrationDigest(input: SourceRegistration): string {
  return sha256Digest(
    canonicalJson({
      sourceId: input.sourceId,
      sourceType: input.sourceType,
      displayName: input.displayName ?? null,
      description: input.description ?? null,
      rateLimit:
        input.rateLimit === undefined || input.rateLimit === null
          ? null
          : { burst: input.rateLimit.burst, refillPerSecond: input.rateLimit.refillPerSecond },
      ...(input.maxConcurrent === undefined || input.maxConcurrent === null
        ? {}
        : { maxConcurrent: input.maxConcurrent }),
    }),
  );
}
