import { DEFAULT_BACKFILL_LANE_SHARE } from './admission.js';
import { auditMetadataOf } from './audit-entry.js';
import { DEFAULT_RETRY_POLICY, retryDelaySchedule, type RetryPolicy } from './backoff.js';
import { canonicalJson, isSha256Digest, type JsonValue } from './canonical-json.js';
import { isOrchestratorError, OrchestratorError, validationError, type FieldError } from './errors.js';
import type { Job, JobFailure } from './job.js';
import {
  completedAttemptOf,
  leaseGrantOf,
  noJobMetrics,
  reapedAttemptOf,
  type JobMetrics,
  type JobOrigin,
  type LeaseOperation,
} from './job-metrics.js';
import type {
  CompletedJob,
  CompletionOutcome,
  CompletionResult,
  CreatedJob,
  HeartbeatResult,
  JobStore,
  LeasedJob,
  LeaseProof,
  LeaseState,
  NewArtifact,
  ReapedLease,
  TenantJobStore,
} from './job-store.js';
import { checkJobSubmission, JOB_LIMITS, toNewJob, type JobSubmission } from './job-submission.js';
import { resolveDependencyRefs } from './job-dependency-refs.js';
import { checkBatchSize, settleBatch } from './lease-batch.js';
import { ANY_TENANT } from './oauth-client.js';
import type { TenantWeights } from './pool-fairness.js';
import type { Ids } from './ports.js';
import type { RequestContext } from './request-context.js';

/** Settings of the job service. */
export interface JobServiceOptions {
  readonly retryPolicy: RetryPolicy;
  readonly defaultMaxAttempts: number;
  readonly defaultLeaseDurationMs: number;
  readonly minLeaseDurationMs: number;
  readonly maxLeaseDurationMs: number;
  readonly maxLeaseBatch: number;
  /** Largest payload of one job, in bytes of its canonical JSON. */
  readonly maxPayloadBytes: number;
  /** The backfill lane's share of each limit, in (0, 1] (decision 0016). */
  readonly backfillLaneShare: number;
  /** Each tenant's weight when a pool worker's lease is dealt across tenants; 1 for a tenant not named. */
  readonly tenantWeights: TenantWeights;
}

/** The defaults: 30 s leases (1 s – 1 h), up to 100 jobs a lease call, 3 attempts. */
export const DEFAULT_JOB_SERVICE_OPTIONS: JobServiceOptions = {
  retryPolicy: DEFAULT_RETRY_POLICY,
  defaultMaxAttempts: JOB_LIMITS.defaultMaxAttempts,
  defaultLeaseDurationMs: 30_000,
  minLeaseDurationMs: 1_000,
  maxLeaseDurationMs: 3_600_000,
  maxLeaseBatch: 100,
  maxPayloadBytes: 1_048_576,
  backfillLaneShare: DEFAULT_BACKFILL_LANE_SHARE,
  tenantWeights: {},
};

/** A worker's lease request. */
export interface LeaseRequest {
  readonly workerId: string;
  readonly jobTypes: readonly string[];
  readonly limit?: number;
  readonly leaseDurationMs?: number;
}

/** A worker's completion of one lease. */
export interface Completion extends LeaseProof {
  readonly outcome: CompletionOutcome;
  readonly result?: JsonValue;
  readonly error?: JobFailure;
}

/** A worker's heartbeat on one lease, as one item of a batch. */
export interface Heartbeat extends LeaseProof {
  readonly leaseDurationMs?: number;
  readonly progress?: JsonValue;
}

/** The application service of the job lifecycle: input rules and policy around the ledger port. */
export class JobService {
  readonly #store: JobStore;
  readonly #ids: Ids;
  readonly #metrics: JobMetrics;
  readonly #options: JobServiceOptions;

  /**
   * @param deps - the ledger, the id/randomness source, and where to report what the ledger accepted
   *   (nowhere by default)
   * @param options - policy; defaults to {@link DEFAULT_JOB_SERVICE_OPTIONS}
   */
  constructor(
    deps: { readonly store: JobStore; readonly ids: Ids; readonly metrics?: JobMetrics },
    options: Partial<JobServiceOptions> = {},
  ) {
    this.#store = deps.store;
    this.#ids = deps.ids;
    this.#metrics = deps.metrics ?? noJobMetrics;
    this.#options = { ...DEFAULT_JOB_SERVICE_OPTIONS, ...options };
  }

  /** The effective options. */
  get options(): JobServiceOptions {
    return this.#options;
  }

  /**
   * The ledger of the context's tenant. The pool tenant `*` of a pool worker's token has none: only
   * {@link JobService.leaseJobs} runs for it (the request hook gives every other call a real tenant).
   */
  #tenant(ctx: RequestContext): TenantJobStore {
    if (ctx.tenantId === ANY_TENANT) {
      throw new OrchestratorError(
        'FORBIDDEN',
        'a pool token (tenant *) may only lease jobs and act on leases',
      );
    }
    return this.#store.forTenant(ctx.tenantId);
  }

  /**
   * Submits jobs. With `idempotencyKey` (the request's `Idempotency-Key`), job *i* of a batch without its
   * own key gets `<key>:<i>`; a single job gets the key itself. `dependsOn` refs are resolved to the ids of
   * their batch jobs (see `resolveDependencyRefs`).
   * @throws OrchestratorError `VALIDATION_FAILED`, `DEPENDENCY_CYCLE`, `DEPENDENCY_NOT_FOUND`,
   *   `IDEMPOTENCY_CONFLICT`, `RUN_NOT_FOUND`
   */
  async submitJobs(
    ctx: RequestContext,
    submissions: readonly JobSubmission[],
    options: { readonly idempotencyKey?: string; readonly batch: boolean },
  ): Promise<CreatedJob[]> {
    if (submissions.length === 0 || submissions.length > JOB_LIMITS.maxBatchSize) {
      throw validationError([{ path: 'jobs', message: `must hold 1 to ${JOB_LIMITS.maxBatchSize} jobs` }]);
    }
    const errors: FieldError[] = [];
    submissions.forEach((s, i) => errors.push(...checkJobSubmission(s, options.batch ? `jobs[${i}].` : '')));
    if (!options.batch && options.idempotencyKey !== undefined) {
      const own = submissions[0]?.idempotencyKey;
      if (own !== undefined && own !== options.idempotencyKey) {
        errors.push({ path: 'idempotencyKey', message: 'differs from the Idempotency-Key header' });
      }
    }
    if (errors.length > 0) throw validationError(errors);
    this.#checkPayloadSizes(submissions, options.batch);
    const jobIds: string[] = submissions.map(() => this.#ids.uuid());
    const dependsOn = resolveDependencyRefs(submissions, jobIds, options.batch);
    const jobs = submissions.map((submission, i) => {
      const headerKey =
        options.idempotencyKey === undefined
          ? undefined
          : options.batch
            ? `${options.idempotencyKey}:${i}`
            : options.idempotencyKey;
      const idempotencyKey = submission.idempotencyKey ?? headerKey;
      return toNewJob(
        idempotencyKey === undefined ? submission : { ...submission, idempotencyKey },
        {
          jobId: jobIds[i] ?? this.#ids.uuid(),
          correlationId: ctx.correlationId,
          maxAttempts: this.#options.defaultMaxAttempts,
          trace: ctx.trace,
        },
        { dependsOn: dependsOn[i] ?? [] },
      );
    });
    const created = await this.#tenant(ctx).createJobs({ jobs, actor: ctx.actor });
    this.#created(created, 'submit');
    return created;
  }

  /**
   * Leases eligible jobs for a worker: of the context's tenant, or for a pool worker (tenant `*`) of every
   * tenant with ready work, dealt fairly across them (`JobStore.leaseAcrossTenants`).
   * @throws OrchestratorError `VALIDATION_FAILED` for a bad limit, duration or job type list
   */
  async leaseJobs(ctx: RequestContext, request: LeaseRequest): Promise<LeasedJob[]> {
    const o = this.#options;
    const limit = request.limit ?? 1;
    const leaseDurationMs = request.leaseDurationMs ?? o.defaultLeaseDurationMs;
    const errors: FieldError[] = [];
    if (request.jobTypes.length === 0 || request.jobTypes.length > 100) {
      errors.push({ path: 'jobTypes', message: 'must list 1 to 100 job types' });
    }
    if (!Number.isInteger(limit) || limit < 1 || limit > o.maxLeaseBatch) {
      errors.push({ path: 'limit', message: `must be an integer from 1 to ${o.maxLeaseBatch}` });
    }
    if (
      !Number.isInteger(leaseDurationMs) ||
      leaseDurationMs < o.minLeaseDurationMs ||
      leaseDurationMs > o.maxLeaseDurationMs
    ) {
      errors.push({
        path: 'leaseDurationMs',
        message: `must be an integer from ${o.minLeaseDurationMs} to ${o.maxLeaseDurationMs}`,
      });
    }
    if (errors.length > 0) throw validationError(errors);
    const startedAt = performance.now();
    const params = {
      jobTypes: request.jobTypes,
      limit,
      leaseDurationMs,
      workerId: request.workerId,
      backfillLaneShare: o.backfillLaneShare,
    };
    const leased =
      ctx.tenantId === ANY_TENANT
        ? await this.#store.leaseAcrossTenants({ ...params, tenantWeights: o.tenantWeights })
        : await this.#tenant(ctx).leaseJobs(params);
    this.#metrics.leaseGrantTimed((performance.now() - startedAt) / 1000);
    if (leased.length > 0) this.#metrics.jobsLeased(leased.map(leaseGrantOf));
    return leased;
  }

  /**
   * Extends a lease, optionally recording progress.
   * @throws OrchestratorError `LEASE_LOST`
   */
  async heartbeat(
    ctx: RequestContext,
    proof: LeaseProof,
    options: { readonly leaseDurationMs?: number; readonly progress?: JsonValue } = {},
  ): Promise<LeaseState> {
    const leaseDurationMs = options.leaseDurationMs ?? this.#options.defaultLeaseDurationMs;
    const errors = this.#leaseDurationErrors(leaseDurationMs);
    if (errors.length > 0) throw validationError(errors);
    return this.#fenced(ctx, 'heartbeat', () =>
      this.#tenant(ctx).heartbeat({
        ...proof,
        leaseDurationMs,
        ...(options.progress === undefined ? {} : { progress: options.progress }),
      }),
    );
  }

  /**
   * Extends several leases at once. Each item is checked like {@link JobService.heartbeat}: a bad
   * `leaseDurationMs` is that item's `VALIDATION_FAILED` answer, not the call's.
   * @returns one answer per heartbeat, in input order
   * @throws OrchestratorError `VALIDATION_FAILED` when the batch is empty or larger than 500
   */
  async extendLeases(ctx: RequestContext, heartbeats: readonly Heartbeat[]): Promise<HeartbeatResult[]> {
    checkBatchSize(heartbeats.length, 'heartbeats');
    const results = await settleBatch(
      heartbeats,
      (h) => this.#leaseDurationErrors(h.leaseDurationMs ?? this.#options.defaultLeaseDurationMs),
      (valid) =>
        this.#tenant(ctx).extendLeases({
          heartbeats: valid.map(({ leaseDurationMs, progress, ...proof }) => ({
            ...proof,
            leaseDurationMs: leaseDurationMs ?? this.#options.defaultLeaseDurationMs,
            ...(progress === undefined ? {} : { progress }),
          })),
        }),
    );
    this.#countLost(ctx, 'heartbeat', results);
    return results;
  }

  /**
   * Attaches artifacts to the job of a lease.
   * @throws OrchestratorError `VALIDATION_FAILED` (digest), `LEASE_LOST`
   */
  async addArtifacts(
    ctx: RequestContext,
    proof: LeaseProof,
    artifacts: readonly Omit<NewArtifact, 'artifactId'>[],
  ) {
    const errors: FieldError[] = [];
    artifacts.forEach((a, i) => {
      if (!isSha256Digest(a.digest))
        errors.push({ path: `artifacts[${i}].digest`, message: 'must be sha256:<64 lowercase hex>' });
      if (!Number.isSafeInteger(a.sizeBytes) || a.sizeBytes < 0)
        errors.push({ path: `artifacts[${i}].sizeBytes`, message: 'must be a whole number ≥ 0' });
    });
    if (artifacts.length === 0 || artifacts.length > 100)
      errors.push({ path: 'artifacts', message: 'must hold 1 to 100 artifacts' });
    if (errors.length > 0) throw validationError(errors);
    return this.#fenced(ctx, 'artifacts', () =>
      this.#tenant(ctx).addArtifacts({
        ...proof,
        artifacts: artifacts.map((a) => ({ ...a, artifactId: this.#ids.uuid() })),
      }),
    );
  }

  /**
   * Ends an attempt.
   * @throws OrchestratorError `VALIDATION_FAILED` (failure without error), `LEASE_LOST`
   */
  async completeJob(ctx: RequestContext, completion: Completion): Promise<CompletedJob> {
    const errors = completionErrors(completion);
    if (errors.length > 0) throw validationError(errors);
    const completed = await this.#fenced(ctx, 'complete', () =>
      this.#tenant(ctx).completeJob({ ...completion, retryDelaysMs: this.#scheduleFor(completion) }),
    );
    this.#metrics.attemptsEnded([completedAttemptOf(completed)]);
    return completed;
  }

  /**
   * Ends several attempts in one ledger call. Each item is checked like {@link JobService.completeJob} (a
   * failure without an error is that item's `VALIDATION_FAILED` answer, not the call's) and gets a retry
   * schedule of its own: its own jitter, its own `retryAfterMs`.
   * @returns one answer per completion, in input order (`LEASE_LOST` for a lease that is not current)
   * @throws OrchestratorError `VALIDATION_FAILED` when the batch is empty or larger than 500
   */
  async completeJobs(ctx: RequestContext, completions: readonly Completion[]): Promise<CompletionResult[]> {
    checkBatchSize(completions.length, 'completions');
    const results = await settleBatch(completions, completionErrors, (valid) =>
      this.#tenant(ctx).completeJobs({
        completions: valid.map((completion) => ({
          ...completion,
          retryDelaysMs: this.#scheduleFor(completion),
        })),
      }),
    );
    this.#metrics.attemptsEnded(results.filter((r) => r.ok).map(completedAttemptOf));
    this.#countLost(ctx, 'complete', results);
    return results;
  }

  /**
   * Cancels a job; its audit entry carries the context's reasons, tickets and correlation id.
   * @throws OrchestratorError `VALIDATION_FAILED` (operator metadata), `JOB_NOT_FOUND`, `INVALID_TRANSITION`
   */
  async cancelJob(ctx: RequestContext, jobId: string, reason: string | undefined) {
    const audit = auditMetadataOf(ctx);
    const job: Job = await this.#tenant(ctx).cancelJob({
      jobId,
      reason: reason ?? 'canceled by operator',
      actor: ctx.actor,
      audit,
    });
    // A cancel of a terminal job is refused, so a canceled answer is this call's doing; a held job is only
    // flagged, and its attempt ends (and is counted) through its worker or the reaper.
    if (job.status === 'canceled') this.#metrics.queuedJobCanceled(job);
    return job;
  }

  /** Retries a job. @throws OrchestratorError `JOB_NOT_FOUND`, `INVALID_TRANSITION`, `IDEMPOTENCY_CONFLICT` */
  async retryJob(ctx: RequestContext, jobId: string, idempotencyKey?: string) {
    const audit = auditMetadataOf(ctx);
    const retried = await this.#tenant(ctx).retryJob({
      jobId,
      newJob: this.#cloneIdentity(ctx, idempotencyKey),
      actor: ctx.actor,
      audit,
    });
    this.#created([retried], 'retry');
    return retried;
  }

  /** Replays a terminal job. @throws OrchestratorError `JOB_NOT_FOUND`, `INVALID_TRANSITION`, `IDEMPOTENCY_CONFLICT` */
  async replayJob(ctx: RequestContext, jobId: string, idempotencyKey?: string) {
    const audit = auditMetadataOf(ctx);
    const replayed = await this.#tenant(ctx).replayJob({
      jobId,
      newJob: this.#cloneIdentity(ctx, idempotencyKey),
      actor: ctx.actor,
      audit,
    });
    this.#created([replayed], 'replay');
    return replayed;
  }

  /** Turns lapsed leases into failed attempts (the lease reaper's tick). */
  async reapExpiredLeases(limit = 500): Promise<ReapedLease[]> {
    const reaped = await this.#store.reapExpiredLeases({ limit, retryDelaysMs: this.#schedule(undefined) });
    if (reaped.length > 0) this.#metrics.attemptsEnded(reaped.map(reapedAttemptOf));
    return reaped;
  }

  /** Reports the jobs a call created (not those an idempotent repeat found again). */
  #created(results: readonly CreatedJob[], origin: JobOrigin): void {
    const jobs = results.filter((r) => r.created).map((r) => r.job);
    if (jobs.length > 0) this.#metrics.jobsCreated(jobs, origin);
  }

  /** Runs a fenced call, counting a `LEASE_LOST` refusal before passing it on. */
  async #fenced<T>(ctx: RequestContext, operation: LeaseOperation, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (isOrchestratorError(error, 'LEASE_LOST')) this.#metrics.leasesLost(ctx.tenantId, operation, 1);
      throw error;
    }
  }

  /** Counts the items of a batched lease call refused `LEASE_LOST`. */
  #countLost(
    ctx: RequestContext,
    operation: LeaseOperation,
    results: readonly { readonly ok: boolean; readonly error?: OrchestratorError }[],
  ): void {
    const lost = results.filter((r) => !r.ok && r.error?.code === 'LEASE_LOST').length;
    if (lost > 0) this.#metrics.leasesLost(ctx.tenantId, operation, lost);
  }

  #checkPayloadSizes(submissions: readonly JobSubmission[], batch: boolean): void {
    submissions.forEach((submission, i) => {
      const bytes = Buffer.byteLength(
        canonicalJson(submission.payload === undefined ? {} : submission.payload),
        'utf8',
      );
      if (bytes > this.#options.maxPayloadBytes) {
        const path = batch ? `jobs[${i}].payload` : 'payload';
        throw new OrchestratorError(
          'PAYLOAD_TOO_LARGE',
          `${path} is ${bytes} bytes; the limit is ${this.#options.maxPayloadBytes}`,
          {
            details: { path, sizeBytes: bytes, maxPayloadBytes: this.#options.maxPayloadBytes },
          },
        );
      }
    });
  }

  #cloneIdentity(ctx: RequestContext, idempotencyKey: string | undefined) {
    if (idempotencyKey !== undefined && idempotencyKey.length > JOB_LIMITS.maxKeyLength) {
      throw validationError([
        { path: 'Idempotency-Key', message: `must be at most ${JOB_LIMITS.maxKeyLength} characters` },
      ]);
    }
    // A retry or replay is a new causal chain, started by the operator's request: the clone joins that
    // request's trace when it has one, else keeps the original's (docs/decisions/0011-tracing.md).
    return {
      jobId: this.#ids.uuid(),
      correlationId: ctx.correlationId,
      idempotencyKey: idempotencyKey ?? null,
      ...(ctx.trace === undefined
        ? {}
        : { traceparent: ctx.trace.traceparent, tracestate: ctx.trace.tracestate ?? null }),
    };
  }

  #leaseDurationErrors(leaseDurationMs: number): FieldError[] {
    const o = this.#options;
    if (
      Number.isInteger(leaseDurationMs) &&
      leaseDurationMs >= o.minLeaseDurationMs &&
      leaseDurationMs <= o.maxLeaseDurationMs
    ) {
      return [];
    }
    return [
      {
        path: 'leaseDurationMs',
        message: `must be an integer from ${o.minLeaseDurationMs} to ${o.maxLeaseDurationMs}`,
      },
    ];
  }

  /** Only a failure can be retried: other outcomes carry no schedule (the hot path of successes stays light). */
  #scheduleFor(completion: Completion): number[] {
    return completion.outcome === 'failed' ? this.#schedule(completion.error?.retryAfterMs) : [];
  }

  #schedule(retryAfterMs: number | undefined): number[] {
    return retryDelaySchedule(
      this.#options.retryPolicy,
      JOB_LIMITS.maxAttemptsLimit,
      () => this.#ids.random(),
      retryAfterMs,
    );
  }
}

/** The field errors of one completion: `error` is required exactly when the outcome is `failed`. */
function completionErrors(completion: Completion): FieldError[] {
  if (completion.outcome === 'failed' && completion.error === undefined) {
    return [{ path: 'error', message: 'is required when outcome is failed' }];
  }
  if (completion.outcome !== 'failed' && completion.error !== undefined) {
    return [{ path: 'error', message: 'is only allowed when outcome is failed' }];
  }
  return [];
}

/** Refuses an unknown job id. @throws OrchestratorError `JOB_NOT_FOUND` */
export function requireJob<T>(value: T | null, jobId: string): T {
  if (value === null)
    throw new OrchestratorError('JOB_NOT_FOUND', `job ${jobId} does not exist`, { details: { jobId } });
  return value;
}
