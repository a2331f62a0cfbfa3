import {
  assertTransition,
  decodePageToken,
  DEFAULT_PAGE_SIZE,
  encodePageToken,
  isTerminalStatus,
  MAX_PAGE_SIZE,
  OrchestratorError,
  validationError,
  type Actor,
  type CompletedJob,
  type CompleteJobParams,
  type CreatedJob,
  type DeadLetterEntry,
  type FieldError,
  type Job,
  type JobArtifact,
  type JobHistoryEntry,
  type JobStatus,
  type JobSummary,
  type JsonValue,
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
import { cloneJob, type CloneIdentity, type CloneKind } from './clone-job.js';
import { addArtifacts } from './queries/add-artifacts.js';
import { cancelJob } from './queries/cancel-job.js';
import { completeJob } from './queries/complete-job.js';
import { heartbeat } from './queries/heartbeat.js';
import { listJobArtifacts, listJobHistory } from './queries/job-history.js';
import { leaseJobs } from './queries/lease-jobs.js';
import { getJob, listJobs, summarizeJobs } from './queries/list-jobs.js';
import { createRun, deadLetterPage, runPage } from './runs-and-dead-letters.js';
import { getRun } from './queries/runs.js';
import { mapArtifact, mapHistory, mapJob, toIso, toJobStatus } from './row-mappers.js';
import { emptyCounts, mapRun } from './run-status.js';

const CREATED_KEY_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

function pageSize(requested: number): number {
  return Number.isInteger(requested) ? Math.min(Math.max(requested, 1), MAX_PAGE_SIZE) : DEFAULT_PAGE_SIZE;
}

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
    const record = { reason: 'submitted', actor: params.actor.subject, details: null };
    const { driver, notifier } = this.#ctx;
    const created = await runLedgerOperation(() =>
      driver.transaction((tx) => insertNewJobs(tx, this.tenantId, params.jobs, record, notifier)),
    );
    // After the commit: listeners in this process hear at once; others through the NOTIFY.
    if (created.some((c) => c.created)) notifier.announce(this.tenantId);
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
    const limit = pageSize(query.pageSize);
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
  }): Promise<Job> {
    if (!isUuid(params.jobId)) throw jobNotFound(params.jobId);
    const row = await runLedgerOperation(() =>
      cancelJob(this.#ctx.driver, {
        tenantId: this.tenantId,
        jobId: params.jobId,
        reason: params.reason,
        actor: params.actor.subject,
      }),
    );
    if (row === null) throw jobNotFound(params.jobId);
    const job = mapJob(row);
    // Unchanged: terminal (refused below), or a cancel already requested from the worker (a repeat).
    if (!row.changed && isTerminalStatus(job.status)) assertTransition(job.status, 'canceled', job.jobId);
    return job;
  }

  /** @inheritdoc */
  async retryJob(params: {
    readonly jobId: string;
    readonly newJob: CloneIdentity;
    readonly actor: Actor;
  }): Promise<CreatedJob> {
    return this.#clone('retry', params);
  }

  /** @inheritdoc */
  async replayJob(params: {
    readonly jobId: string;
    readonly newJob: CloneIdentity;
    readonly actor: Actor;
  }): Promise<CreatedJob> {
    return this.#clone('replay', params);
  }

  /** @inheritdoc */
  async leaseJobs(params: {
    readonly jobTypes: readonly string[];
    readonly limit: number;
    readonly leaseDurationMs: number;
    readonly workerId: string;
  }): Promise<LeasedJob[]> {
    const jobTypes = [...new Set(params.jobTypes)];
    if (jobTypes.length === 0 || params.limit < 1) return [];
    const rows = await runLedgerOperation(() =>
      leaseJobs(this.#ctx.driver, {
        tenantId: this.tenantId,
        jobTypes,
        limit: Math.floor(params.limit),
        leaseDurationMs: Math.round(params.leaseDurationMs),
        workerId: params.workerId,
      }),
    );
    return rows.map((row) => {
      const job = mapJob(row);
      if (job.lease === null)
        throw new OrchestratorError('INTERNAL', `leased job ${job.jobId} came back without a lease`);
      return { job, lease: job.lease };
    });
  }

  /** @inheritdoc */
  async heartbeat(
    params: LeaseProof & { readonly leaseDurationMs: number; readonly progress?: JsonValue },
  ): Promise<LeaseState> {
    if (!isUuid(params.leaseId) || !isFencingToken(params.fencingToken)) throw leaseLost(params.leaseId);
    const row = await runLedgerOperation(() =>
      heartbeat(this.#ctx.driver, {
        tenantId: this.tenantId,
        leaseId: params.leaseId,
        fencingToken: params.fencingToken,
        leaseDurationMs: Math.round(params.leaseDurationMs),
        progressJson: params.progress === undefined ? null : JSON.stringify(params.progress),
      }),
    );
    if (row === null) throw leaseLost(params.leaseId);
    return {
      jobId: row.job_id,
      leaseUntil: toIso(row.lease_until),
      cancelRequested: row.cancel_requested,
      status: toJobStatus(row.status),
    };
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
    if (!isUuid(params.leaseId) || !isFencingToken(params.fencingToken)) throw leaseLost(params.leaseId);
    const row = await runLedgerOperation(() =>
      completeJob(this.#ctx.driver, {
        tenantId: this.tenantId,
        leaseId: params.leaseId,
        fencingToken: params.fencingToken,
        outcome: params.outcome,
        resultJson: params.outcome === 'succeeded' ? JSON.stringify(params.result ?? null) : null,
        errorJson:
          params.outcome === 'failed' && params.error !== undefined ? JSON.stringify(params.error) : null,
        retryDelaysMs: params.retryDelaysMs.map((ms) => Math.max(0, Math.round(ms))),
      }),
    );
    if (row === null) throw leaseLost(params.leaseId);
    return { job: mapJob(row), disposition: row.disposition };
  }

  /** @inheritdoc */
  async createRun(params: {
    readonly run: NewRun;
    readonly actor: Actor;
  }): Promise<{ run: Run; created: boolean }> {
    return runLedgerOperation(() =>
      createRun(this.#ctx.driver, this.tenantId, params.run, params.actor.subject),
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
      runPage(this.#ctx.driver, this.tenantId, pageSize(query.pageSize), query.pageToken),
    );
  }

  /** @inheritdoc */
  async listDeadLetters(query: ListDeadLettersQuery): Promise<Page<DeadLetterEntry>> {
    return runLedgerOperation(() =>
      deadLetterPage(this.#ctx.driver, this.tenantId, { ...query, pageSize: pageSize(query.pageSize) }),
    );
  }

  /** Runs a retry or replay in one transaction; wakes this process's listeners after the commit. */
  async #clone(
    kind: CloneKind,
    params: { readonly jobId: string; readonly newJob: CloneIdentity; readonly actor: Actor },
  ): Promise<CreatedJob> {
    if (!isUuid(params.jobId)) throw jobNotFound(params.jobId);
    const { driver, notifier } = this.#ctx;
    const outcome = await runLedgerOperation(() =>
      driver.transaction((tx) => cloneJob(tx, this.tenantId, notifier, kind, params)),
    );
    if (outcome.wakeUp) notifier.announce(this.tenantId);
    return outcome.result;
  }
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
