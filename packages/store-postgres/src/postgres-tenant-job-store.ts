import {
  DEFAULT_BACKFILL_LANE_SHARE,
  decodePageToken,
  encodePageToken,
  OrchestratorError,
  validationError,
  type Actor,
  type AuditMetadata,
  type CompletedJob,
  type CompleteJobParams,
  type CompletionResult,
  type CreatedJob,
  type DeadLetterEntry,
  type FieldError,
  type HeartbeatParams,
  type HeartbeatResult,
  type Job,
  type JobArtifact,
  type JobGraph,
  type JobHistoryEntry,
  type JobHoldFacts,
  type JobStatus,
  type JobSummary,
  type LeaseItemResult,
  type LeasedJob,
  type LeaseProof,
  type LeaseState,
  type ListDeadLettersQuery,
  type ListJobsQuery,
  type NewArtifact,
  type NewJob,
  type NewRun,
  type Page,
  type Run,
  type TenantJobStore,
} from '@stella-orch/core';
import { isFencingToken, isUuid, jobNotFound, leaseLost, runLedgerOperation } from './ledger-errors.js';
import type { LedgerContext } from './ledger-context.js';
import { insertNewJobs } from './insert-new-jobs.js';
import { readJobGraph, readRunGraph } from './job-graph-reads.js';
import { readJobWithHoldFacts } from './job-hold-reads.js';
import type { CloneIdentity, CloneKind } from './clone-job.js';
import { completeLeaseBatch, extendLeaseBatch } from './lease-batches.js';
import { addArtifacts } from './queries/add-artifacts.js';
import { listJobArtifacts, listJobHistory } from './queries/job-history.js';
import { leaseJobs } from './queries/lease-jobs.js';
import { leaseWithLimits, type LeaseRequest } from './limited-lease.js';
import { getJob, listJobs, summarizeJobs } from './queries/list-jobs.js';
import { cancelJobAudited, cloneJobAudited } from './operator-actions.js';
import { createRun, deadLetterPage, runPage } from './runs-and-dead-letters.js';
import { getRun } from './queries/runs.js';
import { mapArtifact, mapHistory, mapJob, toJobStatus, type JobRow } from './row-mappers.js';
import { emptyCounts, mapRun } from './run-status.js';
import { pageLimit } from './page-keys.js';

const CREATED_KEY_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/** The ledger operations of one tenant: every statement carries the tenant id. */
export class PostgresTenantJobStore implements TenantJobStore {
  readonly tenantId: string;
  readonly #ctx: LedgerContext;

  /** @param ctx - the shared driver and notifier; @param tenantId - the tenant of every operation */
  constructor(ctx: LedgerContext, tenantId: string) {
    this.#ctx = ctx;
    this.tenantId = tenantId;
  }

  /** @inheritdoc */
  async createJobs(params: {
    readonly jobs: readonly NewJob[];
    readonly actor: Actor;
  }): Promise<CreatedJob[]> {
    if (params.jobs.length === 0) return [];
    const record = {
      reason: 'submitted',
      actor: params.actor.subject,
      actorScopes: params.actor.scopes,
      details: null,
    };
    const { driver, notifier } = this.#ctx;
    const created = await runLedgerOperation(() =>
      driver.transaction((tx) => insertNewJobs(tx, this.tenantId, params.jobs, record, notifier)),
    );
    // After the commit: listeners in this process hear at once; others through the NOTIFY.
    if (created.some((c) => c.created)) notifier.announce(this.tenantId);
    this.#ctx.maintenance?.noteInsertedJobs(created.length);
    return created;
  }

  /** @inheritdoc */
  async getJob(jobId: string): Promise<Job | null> {
    if (!isUuid(jobId)) return null;
    const row = await runLedgerOperation(() => getJob(this.#ctx.driver, this.tenantId, jobId));
    return row === null ? null : mapJob(row);
  }

  /** @inheritdoc */
  async listJobs(query: ListJobsQuery): Promise<Page<Job>> {
    const limit = pageLimit(query.pageSize);
    const after = query.pageToken === undefined ? null : decodeJobsToken(query.pageToken);
    const rows = await runLedgerOperation(() =>
      listJobs(this.#ctx.driver, {
        tenantId: this.tenantId,
        statuses: query.statuses === undefined || query.statuses.length === 0 ? null : query.statuses,
        jobType: query.jobType ?? null,
        runId: query.runId ?? null,
        createdAfter: query.createdAfter ?? null,
        createdBefore: query.createdBefore ?? null,
        after,
        limit: limit + 1,
      }),
    );
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map(mapJob),
      nextPageToken:
        rows.length > limit && last !== undefined ? encodePageToken([last.created_key, last.seq]) : null,
    };
  }

  /** @inheritdoc */
  async listJobHistory(jobId: string): Promise<JobHistoryEntry[] | null> {
    if (!isUuid(jobId)) return null;
    const rows = await runLedgerOperation(() => listJobHistory(this.#ctx.driver, this.tenantId, jobId));
    return rows === null ? null : rows.map(mapHistory);
  }

  /** @inheritdoc */
  async listJobArtifacts(jobId: string): Promise<JobArtifact[] | null> {
    if (!isUuid(jobId)) return null;
    const rows = await runLedgerOperation(() => listJobArtifacts(this.#ctx.driver, this.tenantId, jobId));
    return rows === null ? null : rows.map(mapArtifact);
  }

  /** @inheritdoc */
  async summarizeJobs(filter: { readonly jobType?: string; readonly runId?: string }): Promise<JobSummary> {
    const rows = await runLedgerOperation(() =>
      summarizeJobs(this.#ctx.driver, {
        tenantId: this.tenantId,
        jobType: filter.jobType ?? null,
        runId: filter.runId ?? null,
      }),
    );
    const byStatus = emptyCounts();
    const byType = new Map<string, Record<JobStatus, number>>();
    let total = 0;
    for (const row of rows) {
      const status = toJobStatus(row.status);
      let counts = byType.get(row.job_type);
      if (counts === undefined) {
        counts = emptyCounts();
        byType.set(row.job_type, counts);
      }
      counts[status] += row.count;
      byStatus[status] += row.count;
      total += row.count;
    }
    return {
      total,
      byStatus,
      byJobType: [...byType].map(([jobType, counts]) => ({ jobType, byStatus: counts })),
    };
  }

  /** @inheritdoc */
  async cancelJob(params: {
    readonly jobId: string;
    readonly reason: string;
    readonly actor: Actor;
    readonly audit?: AuditMetadata;
  }): Promise<Job> {
    if (!isUuid(params.jobId)) throw jobNotFound(params.jobId);
    // One transaction: the cancel and its audit entry commit together, or neither does.
    return runLedgerOperation(() =>
      this.#ctx.driver.transaction((tx) => cancelJobAudited(tx, this.tenantId, params)),
    );
  }

  /** @inheritdoc */
  async retryJob(params: {
    readonly jobId: string;
    readonly newJob: CloneIdentity;
    readonly actor: Actor;
    readonly audit?: AuditMetadata;
  }): Promise<CreatedJob> {
    return this.#clone('retry', params);
  }

  /** @inheritdoc */
  async replayJob(params: {
    readonly jobId: string;
    readonly newJob: CloneIdentity;
    readonly actor: Actor;
    readonly audit?: AuditMetadata;
  }): Promise<CreatedJob> {
    return this.#clone('replay', params);
  }

  /** @inheritdoc */
  async leaseJobs(params: {
    readonly jobTypes: readonly string[];
    readonly limit: number;
    readonly leaseDurationMs: number;
    readonly workerId: string;
    readonly backfillLaneShare?: number;
  }): Promise<LeasedJob[]> {
    const jobTypes = [...new Set(params.jobTypes)];
    if (jobTypes.length === 0 || params.limit < 1) return [];
    const request: LeaseRequest = {
      tenantId: this.tenantId,
      jobTypes,
      limit: Math.floor(params.limit),
      leaseDurationMs: Math.round(params.leaseDurationMs),
      workerId: params.workerId,
      backfillShare: params.backfillLaneShare ?? DEFAULT_BACKFILL_LANE_SHARE,
    };
    const rows = await this.#grant(request);
    return rows.map((row) => {
      const job = mapJob(row);
      if (job.lease === null)
        throw new OrchestratorError('INTERNAL', `leased job ${job.jobId} came back without a lease`);
      return { job, lease: job.lease };
    });
  }

  /**
   * The grant: the plain statement (no limit, at most one source), the fair one (no limit, several
   * sources), or the locked grant with the limits, starting where this tenant's last call ended up
   * (`LeasePathHints`: a path hint, never the answer — each statement answers when another must decide).
   */
  async #grant(request: LeaseRequest): Promise<JobRow[]> {
    const { driver, leasePaths } = this.#ctx;
    let path = leasePaths.path(this.tenantId);
    if (path !== 'limited') {
      let statement = await runLedgerOperation(() => leaseJobs(driver, request, path === 'fair'));
      if (!statement.limited && statement.multiSource && path === 'plain') {
        path = 'fair';
        statement = await runLedgerOperation(() => leaseJobs(driver, request, true));
      }
      if (!statement.limited) {
        leasePaths.remember(this.tenantId, statement.multiSource ? 'fair' : 'plain');
        return statement.rows;
      }
    }
    const granted = await runLedgerOperation(() => driver.transaction((tx) => leaseWithLimits(tx, request)));
    leasePaths.remember(this.tenantId, granted.limited ? 'limited' : 'plain');
    if (granted.holds.length > 0) {
      for (const listener of this.#ctx.limitHoldListeners) listener(this.tenantId, granted.holds);
    }
    return granted.rows;
  }

  /** @inheritdoc */
  async heartbeat(params: HeartbeatParams): Promise<LeaseState> {
    const [answer] = await this.extendLeases({ heartbeats: [params] });
    const { jobId, leaseUntil, cancelRequested, status } = valueOf(answer);
    return { jobId, leaseUntil, cancelRequested, status };
  }

  /** @inheritdoc */
  async extendLeases(params: {
    readonly heartbeats: readonly HeartbeatParams[];
  }): Promise<HeartbeatResult[]> {
    return extendLeaseBatch(this.#ctx.driver, this.tenantId, params.heartbeats);
  }

  /** @inheritdoc */
  async addArtifacts(
    params: LeaseProof & { readonly artifacts: readonly NewArtifact[] },
  ): Promise<JobArtifact[]> {
    if (!isUuid(params.leaseId) || !isFencingToken(params.fencingToken)) throw leaseLost(params.leaseId);
    const invalid: FieldError[] = params.artifacts.flatMap((a, i) =>
      isUuid(a.artifactId) ? [] : [{ path: `artifacts[${i}].artifactId`, message: 'must be a UUID' }],
    );
    if (invalid.length > 0) throw validationError(invalid);
    const rows = await runLedgerOperation(() =>
      addArtifacts(this.#ctx.driver, { tenantId: this.tenantId, ...params }),
    );
    if (rows === null) throw leaseLost(params.leaseId);
    return rows.map(mapArtifact);
  }

  /** @inheritdoc */
  async completeJob(params: CompleteJobParams): Promise<CompletedJob> {
    const [answer] = await this.completeJobs({ completions: [params] });
    const { job, disposition, leasedAt } = valueOf(answer);
    return { job, disposition, leasedAt };
  }

  /** @inheritdoc */
  async completeJobs(params: {
    readonly completions: readonly CompleteJobParams[];
  }): Promise<CompletionResult[]> {
    const { driver, notifier } = this.#ctx;
    return completeLeaseBatch(driver, this.tenantId, params.completions, {
      channel: notifier.channel,
      payload: notifier.payload(this.tenantId),
      announce: () => {
        notifier.announce(this.tenantId);
      },
    });
  }

  /** @inheritdoc */
  async createRun(params: {
    readonly run: NewRun;
    readonly actor: Actor;
  }): Promise<{ run: Run; created: boolean }> {
    return runLedgerOperation(() =>
      this.#ctx.driver.transaction((tx) => createRun(tx, this.tenantId, params.run, params.actor.subject)),
    );
  }

  /** @inheritdoc */
  async getRun(runId: string): Promise<Run | null> {
    const row = await runLedgerOperation(() => getRun(this.#ctx.driver, this.tenantId, runId));
    return row === null ? null : mapRun(row);
  }

  /** @inheritdoc */
  async listRuns(query: { readonly pageSize: number; readonly pageToken?: string }): Promise<Page<Run>> {
    return runLedgerOperation(() =>
      runPage(this.#ctx.driver, this.tenantId, pageLimit(query.pageSize), query.pageToken),
    );
  }

  /** @inheritdoc */
  async listDeadLetters(query: ListDeadLettersQuery): Promise<Page<DeadLetterEntry>> {
    return runLedgerOperation(() =>
      deadLetterPage(this.#ctx.driver, this.tenantId, { ...query, pageSize: pageLimit(query.pageSize) }),
    );
  }

  /** @inheritdoc */
  async readJobGraph(jobId: string, options: { readonly maxNodes: number }): Promise<JobGraph | null> {
    if (!isUuid(jobId)) return null;
    return runLedgerOperation(() =>
      readJobGraph(this.#ctx.driver, this.tenantId, jobId.toLowerCase(), options.maxNodes),
    );
  }

  /** @inheritdoc */
  async readRunGraph(runId: string, options: { readonly maxNodes: number }): Promise<JobGraph | null> {
    if ((await this.getRun(runId)) === null) return null;
    return runLedgerOperation(() => readRunGraph(this.#ctx.driver, this.tenantId, runId, options.maxNodes));
  }

  /** @inheritdoc */
  async readJobHoldFacts(
    jobId: string,
    options: { readonly maxQueueAhead: number; readonly backfillLaneShare?: number },
  ): Promise<{ job: Job; facts: JobHoldFacts } | null> {
    if (!isUuid(jobId)) return null;
    return runLedgerOperation(() =>
      readJobWithHoldFacts(this.#ctx.driver, this.tenantId, jobId.toLowerCase(), {
        maxQueueAhead: options.maxQueueAhead,
        backfillShare: options.backfillLaneShare ?? DEFAULT_BACKFILL_LANE_SHARE,
      }),
    );
  }

  /**
   * Runs a retry or replay and its audit entry in one transaction; wakes this process's listeners after
   * the commit.
   */
  async #clone(
    kind: CloneKind,
    params: {
      readonly jobId: string;
      readonly newJob: CloneIdentity;
      readonly actor: Actor;
      readonly audit?: AuditMetadata;
    },
  ): Promise<CreatedJob> {
    if (!isUuid(params.jobId)) throw jobNotFound(params.jobId);
    const { driver, notifier } = this.#ctx;
    const outcome = await runLedgerOperation(() =>
      driver.transaction((tx) => cloneJobAudited(tx, this.tenantId, notifier, kind, params)),
    );
    if (outcome.wakeUp) notifier.announce(this.tenantId);
    return outcome.result;
  }
}

/** The value of the one answer of a batch of one; its refusal is thrown. */
function valueOf<T>(answer: LeaseItemResult<T> | undefined): T {
  if (answer === undefined) throw new OrchestratorError('INTERNAL', 'a batch of one came back empty');
  if (!answer.ok) throw answer.error;
  return answer;
}

function decodeJobsToken(token: string): { createdKey: string; seq: number } {
  const [createdKey, seq] = decodePageToken(token, 2);
  if (
    typeof createdKey !== 'string' ||
    !CREATED_KEY_PATTERN.test(createdKey) ||
    typeof seq !== 'number' ||
    !Number.isSafeInteger(seq)
  ) {
    throw new OrchestratorError('INVALID_CURSOR', 'page_token is not a token this server issued');
  }
  return { createdKey, seq };
}
