import type { Context } from '@opentelemetry/api';
import type { Job, JobArtifact, JobLease, JsonValue } from './job-resources.js';
import type { LeaseStatus, NewArtifact } from './lease-resources.js';
import type { Logger } from './logger.js';

/**
 * Why the worker aborted a job's signal (`ctx.signal.reason`):
 * - `canceled`: an operator asked to cancel; a handler that then throws completes the job `canceled`;
 * - `lease_lost`: the server no longer recognises the lease; nothing is completed, the result is dropped;
 * - `shutdown`: the worker is stopping and will not wait; the attempt is given back as a retryable failure.
 */
export type WorkerAbortReason = 'canceled' | 'lease_lost' | 'shutdown';

/** The trace a job's handler runs in. */
export interface JobTrace {
  /**
   * The OpenTelemetry context holding the job's `orch.job.run` span (the handler already runs in it when
   * the application registered a context manager): start spans under it, or pass it to calls.
   */
  readonly context: Context;
  /**
   * The W3C `traceparent` of that span, to hand to systems the handler calls; the job's own when no tracer
   * provider records spans, `undefined` when the job has no trace either.
   */
  readonly traceparent?: string;
  readonly tracestate?: string;
}

/** What a handler gets besides the job. */
export interface JobContext {
  /** Aborted with a {@link WorkerAbortReason}; pass it to whatever the handler waits on. */
  readonly signal: AbortSignal;
  /** The lease held on the job; `leaseUntil` follows each heartbeat. */
  readonly lease: JobLease;
  /** The attempt number (1 for the first). */
  readonly attempt: number;
  /**
   * Extends the lease now (heartbeats are also sent automatically).
   * @throws OrchestratorApiError `LEASE_LOST` (the signal is aborted too)
   */
  heartbeat(): Promise<LeaseStatus>;
  /**
   * Records progress (any JSON), which also extends the lease.
   * @throws OrchestratorApiError `LEASE_LOST` (the signal is aborted too)
   */
  progress(value: JsonValue): Promise<LeaseStatus>;
  /**
   * Attaches artifacts (`{ uri, digest: "sha256:…", sizeBytes, mediaType }`) to the job.
   * @throws OrchestratorApiError `LEASE_LOST`, `VALIDATION_FAILED`
   */
  addArtifacts(artifacts: readonly NewArtifact[]): Promise<readonly JobArtifact[]>;
  /** A logger carrying the job id, lease id, job type and attempt. */
  readonly log: Logger;
  /** The trace the job continues (see the SDK README, “Tracing”). */
  readonly trace: JobTrace;
}

/**
 * Processes one job. The returned value (JSON) becomes the job's `result`, outcome `succeeded`; a thrown
 * error becomes outcome `failed` with `{ type: err.name, message, retryable, retryAfterMs? }`, where only
 * `NonRetryableError` is not retryable and `RetryableError` may ask for a delay.
 */
export type JobHandler = (job: Job, ctx: JobContext) => unknown;
