// The job-side resources of the HTTP contract (docs/api.md), as they travel on the wire. The client keeps
// its own copy of these shapes so that it depends on nothing but the contract itself.

/** A JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Every state a job can be in, in lifecycle order. */
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
export const TERMINAL_JOB_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'canceled'];

/** Whether `value` names a job state. */
export function isJobStatus(value: unknown): value is JobStatus {
  return typeof value === 'string' && (JOB_STATUSES as readonly string[]).includes(value);
}

/** How a worker describes a failed attempt: `{ type, message, retryable, retryAfterMs?, details? }`. */
export interface JobFailure {
  readonly type: string;
  readonly message: string;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  readonly details?: JsonValue;
}

/** The lease a worker holds on a job. */
export interface JobLease {
  readonly leaseId: string;
  readonly fencingToken: number;
  readonly leaseUntil: string;
  readonly workerId: string;
}

/** The Job resource. Timestamps are ISO-8601 UTC strings. */
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
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly idempotencyKey: string | null;
  readonly correlationId: string;
  readonly notBefore: string | null;
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
   * The W3C `traceparent` of the orchestrator's span of the request that submitted the job: the worker
   * runs the job in a span under it. Absent when the job has none.
   */
  readonly traceparent?: string;
  /** The W3C `tracestate` that came with {@link Job.traceparent}. */
  readonly tracestate?: string;
  /** `backfill` for a job a backfill made; absent for a live job. */
  readonly lane?: 'live' | 'backfill';
  /** The event time the job was submitted with; absent without one. */
  readonly eventTime?: string;
}

/** The body of `POST /jobs` (and one element of `POST /jobs/batch`). */
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
  /** ISO-8601: the time of the events the job covers; a succeeded live job advances its source's watermark. */
  readonly eventTime?: string;
  /** A name for this job inside its batch, for other jobs of the batch to depend on (`{ ref }`). */
  readonly ref?: string;
  /**
   * Jobs that must succeed before this one runs (at most 100): job ids of the tenant, or `{ ref }` naming
   * another job of the same `submitJobs` batch. The job waits (`waiting`) until all succeeded, and is
   * canceled if one fails or is canceled.
   */
  readonly dependsOn?: readonly (string | { readonly ref: string })[];
}

/** The answer of `GET /jobs/{jobId}/dag` and `GET /runs/{runId}/dag`. */
export interface JobDag {
  readonly nodes: readonly {
    readonly jobId: string;
    readonly jobType: string;
    readonly status: JobStatus;
    readonly runId: string | null;
    readonly startedAt: string | null;
    readonly completedAt: string | null;
    /** Observed (`completedAt − startedAt`), or an estimate when `durationEstimated`. */
    readonly durationMs: number;
    readonly durationEstimated: boolean;
  }[];
  /** `to` depends on `from`. */
  readonly edges: readonly { readonly from: string; readonly to: string }[];
  readonly topologicalOrder: readonly string[];
  readonly criticalPath: {
    readonly jobIds: readonly string[];
    readonly durationMs: number;
    readonly estimatedJobIds: readonly string[];
  };
  /** Levels: the jobs of one group can run at the same time once the earlier groups are done. */
  readonly parallelGroups: readonly (readonly string[])[];
}

/** The answer of `POST /jobs/batch`. */
export interface SubmitJobsResult {
  readonly jobs: readonly Job[];
  /** How many jobs this call created. */
  readonly created: number;
  /** How many jobs already existed under their idempotency key. */
  readonly existing: number;
}

/** One row of `GET /jobs/{jobId}/history`: one per state transition. */
export interface JobHistoryEntry {
  readonly sequence: number;
  readonly jobId: string;
  readonly fromStatus: JobStatus | null;
  readonly toStatus: JobStatus;
  readonly attempt: number;
  readonly reason: string;
  readonly actor: string;
  readonly details: JsonValue | null;
  readonly occurredAt: string;
}

/** An artifact a worker attached to a job. */
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

/** Counts of jobs per state. */
export type StatusCounts = Readonly<Partial<Record<JobStatus, number>>>;

/** The answer of `GET /jobs/summary`. */
export interface JobSummary {
  readonly total: number;
  readonly byStatus: StatusCounts;
  readonly byJobType: readonly { readonly jobType: string; readonly byStatus: StatusCounts }[];
}

/** A run's aggregate status. */
export type RunStatus = 'empty' | 'active' | 'succeeded' | 'failed' | 'canceled';

/** The Run resource: a group of jobs. */
export interface Run {
  readonly runId: string;
  readonly tenantId: string;
  readonly name: string;
  readonly sourceId: string | null;
  readonly status: RunStatus;
  readonly counts: StatusCounts;
  readonly total: number;
  readonly createdAt: string;
}

/** The body of `POST /runs`. */
export interface RunSubmission {
  readonly name: string;
  readonly sourceId?: string;
}

/** A job that ended `failed` for good. */
export interface DeadLetterEntry {
  readonly entryId: string;
  readonly jobId: string;
  readonly jobType: string;
  readonly attempts: number;
  readonly errorType: string;
  readonly errorMessage: string;
  readonly status: 'open' | 'replayed' | 'resolved';
  readonly createdAt: string;
  readonly sourceId: string | null;
  /** The job a replay of the entry made. */
  readonly replayedJobId: string | null;
  readonly resolutionNote: string | null;
  readonly resolvedBy: string | null;
  readonly resolvedAt: string | null;
  readonly updatedAt: string;
}

/** One page of a list, as the API answers it; `next_page_token` is `null` on the last page. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly next_page_token: string | null;
}

/** Paging of a list call. */
export interface PageQuery {
  /** 1–500; the server's default is 50. */
  readonly pageSize?: number;
  readonly pageToken?: string;
}

/** Filters of `GET /jobs`. */
export interface ListJobsQuery extends PageQuery {
  readonly status?: readonly JobStatus[];
  readonly jobType?: string;
  readonly runId?: string;
  /** ISO-8601 lower bound of `createdAt`. */
  readonly createdAfter?: string;
  /** ISO-8601 upper bound of `createdAt`. */
  readonly createdBefore?: string;
}

/** Filters of `GET /deadletter`. */
export interface ListDeadLettersQuery extends PageQuery {
  readonly status?: DeadLetterEntry['status'];
  readonly jobType?: string;
  readonly sourceId?: string;
  readonly errorType?: string;
  /** ISO-8601 bounds of the entry's `createdAt`. */
  readonly createdAfter?: string;
  readonly createdBefore?: string;
}

/** Filters of `GET /jobs/summary`. */
export interface JobSummaryQuery {
  readonly jobType?: string;
  readonly runId?: string;
}
