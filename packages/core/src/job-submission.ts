import { canonicalJson, payloadDigest, sha256Digest, type JsonValue } from './canonical-json.js';
import { validationError, type FieldError } from './errors.js';
import { DAG_LIMITS } from './job-dag.js';
import type { NewJob } from './job-store.js';
import type { TraceContext } from './trace-context.js';

/**
 * A parent named in `dependsOn`: the id of a job of the tenant, or `{ ref }`, the `ref` of another job of
 * the same batch (docs/decisions/0014-job-dependencies.md).
 */
export type JobDependency = string | { readonly ref: string };

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
  /**
   * ISO-8601: the event time of the data this job processes. When the job has a source and succeeds, it
   * advances the watermark of its source and job type (docs/decisions/0017-backfills-and-watermarks.md).
   */
  readonly eventTime?: string;
  /** A name for this job inside its batch, for other jobs of the batch to depend on (`{ ref }`). */
  readonly ref?: string;
  /** The jobs that must succeed before this one runs (at most {@link DAG_LIMITS.maxDependencies}). */
  readonly dependsOn?: readonly JobDependency[];
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

/** The rule of a job type (the ledger's quotas and throttles CHECK the same). */
export const JOB_TYPE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;
/** The rule of every identifier a caller names (idempotency keys, correlation, project, source and run ids). */
export const IDENTIFIER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,255}$/;
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
  if (
    input.eventTime !== undefined &&
    (!DATE_TIME_PATTERN.test(input.eventTime) || Number.isNaN(Date.parse(input.eventTime)))
  ) {
    errors.push({ path: at('eventTime'), message: 'must be an ISO-8601 date-time' });
  }
  errors.push(...dependencyErrors(input, at));
  return errors;
}

/** The normal form of a dependency: a job id in lower case, or the ref. */
function dependencyKey(dependency: JobDependency): string {
  return typeof dependency === 'string' ? dependency.toLowerCase() : `ref:${dependency.ref}`;
}

function dependencyErrors(input: JobSubmission, at: (field: string) => string): FieldError[] {
  const errors: FieldError[] = [];
  if (input.ref !== undefined && !IDENTIFIER_PATTERN.test(input.ref)) {
    errors.push({
      path: at('ref'),
      message: 'must be 1–256 of A-Z a-z 0-9 . _ : / @ - starting with a letter or digit',
    });
  }
  const dependsOn = input.dependsOn ?? [];
  if (dependsOn.length > DAG_LIMITS.maxDependencies) {
    errors.push({
      path: at('dependsOn'),
      message: `must name at most ${DAG_LIMITS.maxDependencies} jobs`,
    });
  }
  const seen = new Set<string>();
  dependsOn.forEach((dependency, k) => {
    if (typeof dependency !== 'string' && !IDENTIFIER_PATTERN.test(dependency.ref)) {
      errors.push({ path: at(`dependsOn[${k}].ref`), message: 'is not a valid ref' });
      return;
    }
    const key = dependencyKey(dependency);
    if (seen.has(key)) errors.push({ path: at(`dependsOn[${k}]`), message: 'is named twice' });
    seen.add(key);
  });
  return errors;
}

/**
 * Turns a submission into the row the ledger writes. The trace context is not part of the request
 * digest: a repeat with the same idempotency key in another trace is still the same request.
 * @throws OrchestratorError `VALIDATION_FAILED` with the field errors
 */
export function toNewJob(
  input: JobSubmission,
  defaults: {
    readonly jobId: string;
    readonly correlationId: string;
    readonly maxAttempts: number;
    readonly trace?: TraceContext | undefined;
  },
  resolved: {
    /** The ids `input.dependsOn` names, in its order: refs replaced by the ids of their batch jobs. */
    readonly dependsOn: readonly string[];
  } = { dependsOn: [] },
): NewJob {
  const errors = checkJobSubmission(input);
  if (errors.length > 0) throw validationError(errors);
  const payload = input.payload === undefined ? {} : input.payload;
  // Dependencies as asked, refs as refs: a repeated batch resolves them to the same jobs again. Absent
  // fields stay out, so a job without dependencies keeps the digest it had before they existed.
  const dependencyFields = {
    ...(input.ref === undefined ? {} : { ref: input.ref }),
    ...(input.dependsOn === undefined || input.dependsOn.length === 0
      ? {}
      : { dependsOn: input.dependsOn.map(dependencyKey) }),
  };
  // Absent, it stays out of the digest too: a job without an event time keeps the digest it had.
  const eventTime = input.eventTime === undefined ? null : new Date(input.eventTime).toISOString();
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
    requestDigest: sha256Digest(
      canonicalJson({ ...dependencyFields, ...(eventTime === null ? {} : { eventTime }), ...normalized }),
    ),
    idempotencyKey: input.idempotencyKey ?? null,
    correlationId: input.correlationId ?? defaults.correlationId,
    dependsOn: resolved.dependsOn,
    replayOf: null,
    ...(eventTime === null ? {} : { eventTime }),
    ...(defaults.trace === undefined
      ? {}
      : { traceparent: defaults.trace.traceparent, tracestate: defaults.trace.tracestate ?? null }),
  };
}
