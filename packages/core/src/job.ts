import type { JsonValue } from './canonical-json.js';
import type { JobStatus } from './job-state.js';

/** How a worker describes a failed attempt: failures are data crossing the worker boundary. */
export interface JobFailure {
  /** A short machine-readable class, such as `HttpTimeout` or `timed_out`. */
  readonly type: string;
  readonly message: string;
  /** Whether another attempt may succeed. Non-retryable failures dead-letter at once. */
  readonly retryable: boolean;
  /** The worker's own wish for the delay before the next attempt. */
  readonly retryAfterMs?: number;
  readonly details?: JsonValue;
}

/** The lease a worker holds on a job (SPEC §2). */
export interface JobLease {
  readonly leaseId: string;
  /** Strictly increasing per job; every call on the lease must present it. */
  readonly fencingToken: number;
  /** When the lease lapses unless extended; set by the database clock. */
  readonly leaseUntil: string;
  readonly workerId: string;
}

/** A job as the ledger holds it. Timestamps are ISO-8601 strings. */
export interface Job {
  readonly jobId: string;
  readonly tenantId: string;
  readonly projectId: string | null;
  readonly sourceId: string | null;
  readonly runId: string | null;
  readonly jobType: string;
  readonly priority: number;
  readonly payload: JsonValue;
  readonly payloadDigest: string;
  readonly dependsOn: readonly string[];
  readonly status: JobStatus;
  /** Attempts started so far (0 before the first lease). */
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly idempotencyKey: string | null;
  readonly correlationId: string;
  readonly notBefore: string | null;
  /** Not eligible for leasing before this time (back-off, `notBefore`). */
  readonly nextEligibleAt: string;
  readonly lease: JobLease | null;
  readonly cancelRequested: boolean;
  readonly replayOf: string | null;
  readonly lastError: JobFailure | null;
  readonly progress: JsonValue | null;
  readonly result: JsonValue | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly startedAt: string | null;
  readonly completedAt: string | null;
  /**
   * The W3C `traceparent` of the request that created the job (the orchestrator's submit span), handed
   * to its worker with each lease; absent for jobs created without one (docs/decisions/0011-tracing.md).
   */
  readonly traceparent?: string;
  /** The W3C `tracestate` that came with {@link Job.traceparent}. */
  readonly tracestate?: string;
  /** `backfill` for a job a backfill made (decision 0017); absent for a live job. */
  readonly lane?: 'live' | 'backfill';
  /** The event time the producer (or backfill step) gave the job; absent without one. */
  readonly eventTime?: string;
}

/** Who caused a change: a person or service, through a client, with scopes. */
export interface Actor {
  readonly subject: string;
  readonly clientId: string | null;
  readonly scopes: readonly string[];
}

/** One row of a job's history: one per state transition. */
export interface JobHistoryEntry {
  readonly sequence: number;
  readonly jobId: string;
  readonly fromStatus: JobStatus | null;
  readonly toStatus: JobStatus;
  readonly attempt: number;
  /** Why: `submitted`, `leased`, `heartbeat`, `succeeded`, `failed`, `timed_out`, `canceled`, … */
  readonly reason: string;
  readonly actor: string;
  readonly details: JsonValue | null;
  readonly occurredAt: string;
}

/** An artifact a worker produced for a job. */
export interface JobArtifact {
  readonly artifactId: string;
  readonly jobId: string;
  readonly attempt: number;
  readonly uri: string;
  readonly digest: string;
  readonly sizeBytes: number;
  readonly mediaType: string;
  readonly createdAt: string;
}

/** A job that ended `failed` for good, kept for operators to inspect, replay or resolve. */
export interface DeadLetterEntry {
  readonly entryId: string;
  readonly jobId: string;
  readonly jobType: string;
  readonly attempts: number;
  readonly errorType: string;
  readonly errorMessage: string;
  readonly status: 'open' | 'replayed' | 'resolved';
  readonly createdAt: string;
  /** The source of the dead-lettered job, if it had one. */
  readonly sourceId: string | null;
  /** The job a replay of this entry made (`null` while open, resolved, or replayed before it was recorded). */
  readonly replayedJobId: string | null;
  /** The operator's note, and who resolved the entry when (all `null` unless `resolved`). */
  readonly resolutionNote: string | null;
  readonly resolvedBy: string | null;
  readonly resolvedAt: string | null;
  readonly updatedAt: string;
}

/** A group of jobs: one ingestion pass, a backfill, a DAG. */
export interface Run {
  readonly runId: string;
  readonly tenantId: string;
  readonly name: string;
  readonly sourceId: string | null;
  readonly status: RunStatus;
  readonly counts: Readonly<Record<JobStatus, number>>;
  readonly total: number;
  readonly createdAt: string;
}

/** A run's aggregate status, derived from its jobs. */
export type RunStatus = 'empty' | 'active' | 'succeeded' | 'failed' | 'canceled';

/** A page of a list and the token of the next one (`null` on the last page). */
export interface Page<T> {
  readonly items: readonly T[];
  readonly nextPageToken: string | null;
}
