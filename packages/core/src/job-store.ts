import type { LimitHold } from './admission.js';
import type { AuditMetadata } from './audit-entry.js';
import type { CircuitStateChange } from './circuit-breaker.js';
import type { JsonValue } from './canonical-json.js';
import type {
  Actor,
  DeadLetterEntry,
  Job,
  JobArtifact,
  JobFailure,
  JobHistoryEntry,
  JobLease,
  Page,
  Run,
} from './job.js';
import type { JobGraph } from './job-dag.js';
import type { JobHoldFacts } from './job-holds.js';
import type { JobStatus } from './job-state.js';
import type { OrchestratorError } from './errors.js';
import type { TenantWeights } from './pool-fairness.js';
import type { QueueDepth } from './queue-depth.js';

/** A job ready to be written: validated and completed by the job service. */
export interface NewJob {
  readonly jobId: string;
  readonly jobType: string;
  readonly priority: number;
  readonly payload: JsonValue;
  readonly payloadDigest: string;
  /** Digest of everything the submitter asked for; an idempotency key reused with another one conflicts. */
  readonly requestDigest: string;
  readonly maxAttempts: number;
  readonly idempotencyKey: string | null;
  readonly correlationId: string;
  readonly projectId: string | null;
  readonly sourceId: string | null;
  readonly runId: string | null;
  readonly notBefore: string | null;
  readonly dependsOn: readonly string[];
  readonly replayOf: string | null;
  /** The trace context the job keeps (`traceparent` in version 00 form); none when absent or `null`. */
  readonly traceparent?: string | null;
  readonly tracestate?: string | null;
  /** `live` (the default) or `backfill`: a backfill's jobs run in their own lane. */
  readonly lane?: 'live' | 'backfill';
  /** The event time of the job's data (ISO-8601); a live job's advances its source's watermark. */
  readonly eventTime?: string | null;
}

/** One job of a create call, and whether this call made it (`false`: an idempotent repeat). */
export interface CreatedJob {
  readonly job: Job;
  readonly created: boolean;
}

/** Filters and page of a job listing. Order: newest first, ties by job id. */
export interface ListJobsQuery {
  readonly statuses?: readonly JobStatus[];
  readonly jobType?: string;
  readonly runId?: string;
  readonly createdAfter?: string;
  readonly createdBefore?: string;
  readonly pageSize: number;
  readonly pageToken?: string;
}

/** Counts of jobs by status, overall and per job type. */
export interface JobSummary {
  readonly total: number;
  readonly byStatus: Readonly<Record<JobStatus, number>>;
  readonly byJobType: readonly {
    readonly jobType: string;
    readonly byStatus: Readonly<Record<JobStatus, number>>;
  }[];
}

/** A job handed to a worker, with its lease. */
export interface LeasedJob {
  readonly job: Job;
  readonly lease: JobLease;
}

/** What a fenced lease call must present. */
export interface LeaseProof {
  readonly leaseId: string;
  readonly fencingToken: number;
}

/** The answer to a heartbeat or progress report. */
export interface LeaseState {
  readonly jobId: string;
  readonly leaseUntil: string;
  readonly cancelRequested: boolean;
  readonly status: JobStatus;
}

/** A heartbeat (or progress report) on a lease. */
export interface HeartbeatParams extends LeaseProof {
  /** The lease is extended to now (database clock) + this. */
  readonly leaseDurationMs: number;
  /** Progress to store; the stored progress stays when absent. */
  readonly progress?: JsonValue;
}

/**
 * The answer to one item of a batched lease call (completions, heartbeats), in input order: what the item
 * did, or why it was refused (`LEASE_LOST` for a lease that is not current, `VALIDATION_FAILED` for a
 * value the ledger or the job service refused). A refused item changed nothing.
 */
export type LeaseItemResult<T> =
  | ({ readonly ok: true; readonly leaseId: string } & T)
  | { readonly ok: false; readonly leaseId: string; readonly error: OrchestratorError };

/** An artifact to attach to the job of a lease. */
export interface NewArtifact {
  readonly artifactId: string;
  readonly uri: string;
  readonly digest: string;
  readonly sizeBytes: number;
  readonly mediaType: string;
}

/** How a worker ends an attempt. */
export type CompletionOutcome = 'succeeded' | 'failed' | 'canceled';

/** A completion of the attempt held by a lease. */
export interface CompleteJobParams extends LeaseProof {
  readonly outcome: CompletionOutcome;
  readonly result?: JsonValue;
  readonly error?: JobFailure;
  /**
   * Delay before the next attempt, indexed by the failed attempt number − 1 (see `retryDelaySchedule`).
   * Only read when the outcome is `failed`; may be empty otherwise (an entry past the end counts as the
   * last one, an empty schedule as no delay).
   */
  readonly retryDelaysMs: readonly number[];
}

/** What became of a job after a completion or a lapsed lease. */
export type CompletionDisposition = 'succeeded' | 'retry_scheduled' | 'dead_lettered' | 'canceled';

/** The result of a completion. */
export interface CompletedJob {
  readonly job: Job;
  readonly disposition: CompletionDisposition;
  /**
   * When the attempt's lease was granted (database clock), for its run time; `null` when the ledger has no
   * record of it.
   */
  readonly leasedAt: string | null;
}

/** The answer to one completion of a batch: the completed job, or why the lease was refused. */
export type CompletionResult = LeaseItemResult<CompletedJob>;

/** The answer to one heartbeat of a batch: the extended lease, or why it was refused. */
export type HeartbeatResult = LeaseItemResult<LeaseState>;

/** Filters and page of the dead-letter listing. */
export interface ListDeadLettersQuery {
  readonly status?: DeadLetterEntry['status'];
  readonly jobType?: string;
  readonly sourceId?: string;
  readonly errorType?: string;
  /** Entries created at or after this instant (ISO-8601). */
  readonly createdAfter?: string;
  /** Entries created before this instant (ISO-8601). */
  readonly createdBefore?: string;
  readonly pageSize: number;
  readonly pageToken?: string;
}

/** A run to create. */
export interface NewRun {
  readonly runId: string;
  readonly name: string;
  readonly sourceId: string | null;
  readonly idempotencyKey: string | null;
  readonly requestDigest: string;
}

/** The ledger's operations for one tenant: no query can be written without a tenant. */
export interface TenantJobStore {
  readonly tenantId: string;
  /**
   * Inserts jobs with one history row and one event each, in one transaction. A job whose idempotency key
   * exists with the same request digest returns the existing job (`created: false`).
   *
   * `dependsOn` names parents by id: a job of the tenant, or another job of the same call (which an
   * idempotent repeat may find again under another id). A job whose parents all succeeded starts
   * `pending`, otherwise `waiting`; one with a parent that ended `failed` or `canceled` is canceled at once
   * (`dependency_failed: <parent id>`), in the same transaction.
   * @throws OrchestratorError `IDEMPOTENCY_CONFLICT` (same key, other request), `RUN_NOT_FOUND`,
   *   `DEPENDENCY_NOT_FOUND` (a parent that is no job of the tenant; nothing written)
   */
  createJobs(params: { readonly jobs: readonly NewJob[]; readonly actor: Actor }): Promise<CreatedJob[]>;
  getJob(jobId: string): Promise<Job | null>;
  listJobs(query: ListJobsQuery): Promise<Page<Job>>;
  /** The job's transitions, oldest first; `null` when the job does not exist. */
  listJobHistory(jobId: string): Promise<JobHistoryEntry[] | null>;
  listJobArtifacts(jobId: string): Promise<JobArtifact[] | null>;
  summarizeJobs(filter: { readonly jobType?: string; readonly runId?: string }): Promise<JobSummary>;
  /**
   * Cancels a job: waiting/pending end `canceled` at once (with their waiting descendants); a leased/running
   * job is flagged so that its worker learns it at the next heartbeat and the attempt ends `canceled`. Writes one `job.cancel` audit
   * entry (actor `actor`, metadata `audit`) in the same transaction; a refused cancel writes none.
   * @throws OrchestratorError `JOB_NOT_FOUND`, `INVALID_TRANSITION` (terminal)
   */
  cancelJob(params: {
    readonly jobId: string;
    readonly reason: string;
    readonly actor: Actor;
    readonly audit?: AuditMetadata;
  }): Promise<Job>;
  /**
   * Retries a job: a pending job held by back-off becomes eligible now (same job); a failed or canceled
   * job is cloned into a new job (`replayOf`), its open dead-letter entry marked `replayed`. Writes one
   * `job.retry` audit entry in the same transaction; a refused retry writes none.
   * @throws OrchestratorError `JOB_NOT_FOUND`, `INVALID_TRANSITION`
   */
  retryJob(params: {
    readonly jobId: string;
    readonly newJob: Pick<
      NewJob,
      'jobId' | 'correlationId' | 'idempotencyKey' | 'traceparent' | 'tracestate'
    >;
    readonly actor: Actor;
    readonly audit?: AuditMetadata;
  }): Promise<CreatedJob>;
  /**
   * Replays a terminal job as a new job (`replayOf` = original); the original is untouched. Writes one
   * `job.replay` audit entry in the same transaction; a refused replay writes none.
   * @throws OrchestratorError `JOB_NOT_FOUND`, `INVALID_TRANSITION` (not terminal)
   */
  replayJob(params: {
    readonly jobId: string;
    readonly newJob: Pick<
      NewJob,
      'jobId' | 'correlationId' | 'idempotencyKey' | 'traceparent' | 'tracestate'
    >;
    readonly actor: Actor;
    readonly audit?: AuditMetadata;
  }): Promise<CreatedJob>;
  /**
   * Leases up to `limit` eligible pending jobs of the given types, highest priority aged by the wait first
   * (one level per minute eligible, decision 0016 §5), FIFO within a
   * priority, skipping rows another transaction holds. Empty when nothing is eligible.
   */
  leaseJobs(params: {
    readonly jobTypes: readonly string[];
    readonly limit: number;
    readonly leaseDurationMs: number;
    readonly workerId: string;
    /**
     * The backfill lane's share of each limit of the tenant, in (0, 1] (default
     * `DEFAULT_BACKFILL_LANE_SHARE`); see docs/decisions/0016-admission-and-limits.md.
     */
    readonly backfillLaneShare?: number;
  }): Promise<LeasedJob[]>;
  /**
   * Extends a lease (and marks the job running on the first call).
   * @throws OrchestratorError `LEASE_LOST` when the lease or fencing token is not current, or lapsed
   */
  heartbeat(params: HeartbeatParams): Promise<LeaseState>;
  /**
   * Extends several leases at once, like {@link TenantJobStore.heartbeat} each: one answer per input, in
   * input order. A lease named twice is extended once, with its last item's duration and progress; both
   * items answer the same state.
   */
  extendLeases(params: { readonly heartbeats: readonly HeartbeatParams[] }): Promise<HeartbeatResult[]>;
  /** @throws OrchestratorError `LEASE_LOST` */
  addArtifacts(params: LeaseProof & { readonly artifacts: readonly NewArtifact[] }): Promise<JobArtifact[]>;
  /**
   * Ends the attempt of a lease: success; failure (retry with back-off, or dead-letter when exhausted or
   * non-retryable); or cancellation. In the same transaction, a job that ends `succeeded` releases its
   * waiting children whose parents all succeeded (`pending`), one that ends `failed` or `canceled` cancels
   * its waiting descendants (`dependency_failed: <job id>`).
   * @throws OrchestratorError `LEASE_LOST`
   */
  completeJob(params: CompleteJobParams): Promise<CompletedJob>;
  /**
   * Ends the attempts of several leases at once, each like {@link TenantJobStore.completeJob} with its own
   * retry schedule: one answer per input, in input order. An item whose lease is not current answers
   * `LEASE_LOST` and changes nothing. A lease named twice (same fencing token) is accepted once, the
   * first time; the repeat answers `LEASE_LOST`. Every result is accepted exactly once, also when batches
   * over the same leases run at the same time.
   */
  completeJobs(params: { readonly completions: readonly CompleteJobParams[] }): Promise<CompletionResult[]>;
  createRun(params: { readonly run: NewRun; readonly actor: Actor }): Promise<{ run: Run; created: boolean }>;
  getRun(runId: string): Promise<Run | null>;
  listRuns(query: { readonly pageSize: number; readonly pageToken?: string }): Promise<Page<Run>>;
  listDeadLetters(query: ListDeadLettersQuery): Promise<Page<DeadLetterEntry>>;
  /**
   * The dependency graph a job belongs to: every job connected to it through `dependsOn` edges either way
   * (its ancestors, its descendants, their other parents …), with the edges between them, in creation order.
   * `null` when the job does not exist.
   * @throws OrchestratorError `DAG_TOO_LARGE` when it holds more than `maxNodes` jobs
   */
  readJobGraph(jobId: string, options: { readonly maxNodes: number }): Promise<JobGraph | null>;
  /**
   * The jobs of a run and the edges between them (edges to jobs of other runs left out), in creation order.
   * `null` when the run does not exist.
   * @throws OrchestratorError `DAG_TOO_LARGE` when it holds more than `maxNodes` jobs
   */
  readRunGraph(runId: string, options: { readonly maxNodes: number }): Promise<JobGraph | null>;
  /**
   * A job and the facts that hold it (parents not yet succeeded, its source, its held marker, the ready
   * jobs of its type ahead of it up to `maxQueueAhead`), read in one statement with the database clock,
   * for `explainJob`, and the tenant's limits evaluated as the lease grant evaluates them (with
   * `backfillLaneShare`, default `DEFAULT_BACKFILL_LANE_SHARE`). `null` when the job does not exist.
   */
  readJobHoldFacts(
    jobId: string,
    options: { readonly maxQueueAhead: number; readonly backfillLaneShare?: number },
  ): Promise<{ readonly job: Job; readonly facts: JobHoldFacts } | null>;
}

/** A lapsed lease turned into a failed attempt by the reaper. */
export interface ReapedLease {
  readonly tenantId: string;
  readonly jobId: string;
  readonly jobType: string;
  readonly disposition: CompletionDisposition;
}

/** A pool worker's lease request: jobs of any tenant (decision 0016 §6). */
export interface PoolLeaseParams {
  readonly jobTypes: readonly string[];
  readonly limit: number;
  readonly leaseDurationMs: number;
  readonly workerId: string;
  /** The backfill lane's share of each limit of each tenant (see {@link TenantJobStore.leaseJobs}). */
  readonly backfillLaneShare?: number;
  /** Each tenant's weight in the dealing (`fairness.tenantWeights`); 1 for a tenant not named. */
  readonly tenantWeights?: TenantWeights;
}

/** The job ledger port. */
export interface JobStore {
  /** The operations of one tenant. */
  forTenant(tenantId: string): TenantJobStore;
  /**
   * Leases up to `limit` jobs of the given types across every tenant with ready work, dealt by
   * `dealAcrossTenants` (weighted, a rotating cursor, the rest of a tenant that ran dry to the others),
   * each tenant's part leased by its {@link TenantJobStore.leaseJobs} under its own limits. Each leased job
   * carries its `tenantId`. Empty when nothing is eligible.
   */
  leaseAcrossTenants(params: PoolLeaseParams): Promise<LeasedJob[]>;
  /**
   * Turns up to `limit` lapsed leases (all tenants) into failed attempts of type `timed_out`: retried with
   * back-off, or dead-lettered when exhausted; a job whose cancel was requested ends `canceled`. A job that
   * ends `failed` or `canceled` cancels its waiting descendants in the same transaction.
   */
  reapExpiredLeases(params: {
    readonly limit: number;
    readonly retryDelaysMs: readonly number[];
  }): Promise<ReapedLease[]>;
  /**
   * Evaluates up to `limit` circuit breakers (all tenants) that may change state, and writes each
   * transition with its `circuit.*` event (decision 0016 §7). Safe in every replica.
   */
  evaluateCircuitBreakers(params: { readonly limit: number }): Promise<CircuitStateChange[]>;
  /**
   * Calls `listener` after a lease grant of this process in which limits held back ready work, with the
   * limits that did (one entry per limit). Returns the unsubscribe function.
   */
  onLimitHolds(listener: (tenantId: string, holds: readonly LimitHold[]) => void): () => void;
  /**
   * Calls `listener` when jobs may have become eligible (submitted, retried, released), possibly from
   * another process sharing the ledger. Returns the unsubscribe function.
   */
  onJobsReady(listener: (tenantId: string) => void): () => void;
  /**
   * The depth of every queue (all tenants) by tenant, job type and state, from one cheap read of the ledger:
   * for gauges, not for decisions (the counts may be stale by the time they are read).
   */
  queueDepths(): Promise<QueueDepth[]>;
  /** Throws `STORE_UNAVAILABLE` unless the ledger answers and its migrations are applied. */
  checkReady(): Promise<void>;
  close(): Promise<void>;
}
