import { canonicalJson, payloadDigest, sha256Digest, type JsonValue } from './canonical-json.js';
import { validationError, type FieldError } from './errors.js';
import type { NewJob } from './job-store.js';

/** What a producer asks for when submitting a job. */
export interface JobSubmission {
  readonly jobType: string;
  readonly payload?: JsonValue;
  readonly priority?: number;
  readonly maxAttempts?: number;
  readonly idempotencyKey?: string;
  readonly correlationId?: string;
  readonly projectId?: string;
  readonly sourceId?: string;
  readonly runId?: string;
  /** ISO-8601; the job is not leased before it. */
  readonly notBefore?: string;
}

/** Bounds of a submission. */
export const JOB_LIMITS = {
  minPriority: -1000,
  maxPriority: 1000,
  defaultPriority: 0,
  maxAttemptsLimit: 100,
  defaultMaxAttempts: 3,
  maxBatchSize: 1000,
  maxKeyLength: 256,
} as const;

const JOB_TYPE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;
const IDENTIFIER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,255}$/;
// An ISO-8601 date-time with an explicit offset: `Date.parse` alone also takes non-ISO strings ("1",
// "1/2/2024") and reads a date-time without an offset in the server's local time zone.
const DATE_TIME_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/i;

/** Field errors of one submission, with paths under `prefix`. */
export function checkJobSubmission(input: JobSubmission, prefix = ''): FieldError[] {
  const errors: FieldError[] = [];
  const at = (field: string): string => `${prefix}${field}`;
  if (!JOB_TYPE_PATTERN.test(input.jobType)) {
    errors.push({
      path: at('jobType'),
      message: 'must be 1–128 of A-Z a-z 0-9 . _ : / - starting with a letter or digit',
    });
  }
  if (input.priority !== undefined) {
    if (
      !Number.isInteger(input.priority) ||
      input.priority < JOB_LIMITS.minPriority ||
      input.priority > JOB_LIMITS.maxPriority
    ) {
      errors.push({
        path: at('priority'),
        message: `must be an integer from ${JOB_LIMITS.minPriority} to ${JOB_LIMITS.maxPriority}`,
      });
    }
  }
  if (input.maxAttempts !== undefined) {
    if (
      !Number.isInteger(input.maxAttempts) ||
      input.maxAttempts < 1 ||
      input.maxAttempts > JOB_LIMITS.maxAttemptsLimit
    ) {
      errors.push({
        path: at('maxAttempts'),
        message: `must be an integer from 1 to ${JOB_LIMITS.maxAttemptsLimit}`,
      });
    }
  }
  for (const field of ['idempotencyKey', 'correlationId', 'projectId', 'sourceId', 'runId'] as const) {
    const value = input[field];
    if (value !== undefined && !IDENTIFIER_PATTERN.test(value)) {
      errors.push({
        path: at(field),
        message: 'must be 1–256 of A-Z a-z 0-9 . _ : / @ - starting with a letter or digit',
      });
    }
  }
  if (
    input.notBefore !== undefined &&
    (!DATE_TIME_PATTERN.test(input.notBefore) || Number.isNaN(Date.parse(input.notBefore)))
  ) {
    errors.push({ path: at('notBefore'), message: 'must be an ISO-8601 date-time' });
  }
  return errors;
}

/**
 * Turns a submission into the row the ledger writes.
 * @throws OrchestratorError `VALIDATION_FAILED` with the field errors
 */
export function toNewJob(
  input: JobSubmission,
  defaults: { readonly jobId: string; readonly correlationId: string; readonly maxAttempts: number },
): NewJob {
  const errors = checkJobSubmission(input);
  if (errors.length > 0) throw validationError(errors);
  const payload = input.payload === undefined ? {} : input.payload;
  const normalized = {
    jobType: input.jobType,
    payload,
    priority: input.priority ?? JOB_LIMITS.defaultPriority,
    maxAttempts: input.maxAttempts ?? defaults.maxAttempts,
    projectId: input.projectId ?? null,
    sourceId: input.sourceId ?? null,
    runId: input.runId ?? null,
    notBefore: input.notBefore === undefined ? null : new Date(input.notBefore).toISOString(),
  };
  return {
    ...normalized,
    jobId: defaults.jobId,
    payloadDigest: payloadDigest(payload),
    requestDigest: sha256Digest(canonicalJson(normalized)),
    idempotencyKey: input.idempotencyKey ?? null,
    correlationId: input.correlationId ?? defaults.correlationId,
    dependsOn: [],
    replayOf: null,
  };
}
