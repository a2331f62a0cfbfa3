import type { CallOptions, CreateCallOptions, OrchestratorClientOptions } from './client-options.js';
import { DEFAULT_RETRY_OPTIONS, HttpTransport, type RetryMode } from './http-transport.js';
import type {
  DeadLetterEntry,
  Job,
  JobArtifact,
  JobHistoryEntry,
  JobSubmission,
  JobSummary,
  JobSummaryQuery,
  ListDeadLettersQuery,
  ListJobsQuery,
  Page,
  PageQuery,
  Run,
  RunSubmission,
  SubmitJobsResult,
} from './job-resources.js';
import type {
  AddArtifactsRequest,
  BatchCompletion,
  BatchCompletionResult,
  BatchHeartbeat,
  BatchHeartbeatResult,
  CompleteRequest,
  CompleteResult,
  HeartbeatRequest,
  LeaseGrant,
  LeaseRequest,
  LeaseStatus,
  ProgressRequest,
} from './lease-resources.js';

/** The base path of every orchestrator endpoint except the health probes. */
export const API_BASE_PATH = '/api/v1/orchestrator';

/**
 * The typed client of the orchestrator's HTTP API (docs/api.md). Every method maps to one endpoint.
 *
 * Errors: an error answer rejects with `OrchestratorApiError` (`status`, `code`, `detail`, `problem`); an
 * unreachable server with `OrchestratorConnectionError`. Transient failures (network errors, timeouts, 429
 * and 503 honouring `Retry-After`, 502, 504) are retried with capped exponential back-off, but only where
 * repeating is safe: reads, lease calls (fenced by token, or leasing more work), and creations that carry
 * an idempotency key. A creation without a key, a cancel and `addArtifacts` are repeated only when the
 * earlier attempt surely did nothing (connection refused, 429, 503).
 *
 * A repeated `completeJob` that answers `LEASE_LOST` after an earlier attempt may have reached the server
 * rejects with `LeaseOutcomeUnknownError` (still code `LEASE_LOST`), and `completeJobs` marks such results
 * `outcomeUnknown: true`: the earlier attempt may have completed the job.
 */
export class OrchestratorClient {
  readonly #options: OrchestratorClientOptions;
  readonly #transport: HttpTransport;

  /** @param options - base URL, tenant, actor, headers, fetch, retry and timeout */
  constructor(options: OrchestratorClientOptions) {
    this.#options = options;
    this.#transport = new HttpTransport({
      baseUrl: options.baseUrl,
      fetch: options.fetch ?? globalThis.fetch,
      retry: { ...DEFAULT_RETRY_OPTIONS, ...options.retry },
      timeoutMs: options.timeoutMs ?? 30_000,
      headers: () => this.#headers(),
    });
  }

  /** The base URL this client calls. */
  get baseUrl(): string {
    return this.#options.baseUrl;
  }

  /**
   * The headers of every attempt. This is the one place where credentials are added: a client-credentials
   * access token (`Authorization: Bearer …`, refreshed when it expires) will be set here, which is why the
   * method is asynchronous and called per attempt.
   */
  #headers(): Promise<Headers> {
    const headers = new Headers(this.#options.headers);
    headers.set('accept', 'application/json, application/problem+json');
    if (this.#options.tenant !== undefined) headers.set('x-stella-tenant', this.#options.tenant);
    if (this.#options.actor !== undefined) headers.set('x-stella-actor', this.#options.actor);
    return Promise.resolve(headers);
  }

  // T names the body the contract promises for `path`; the answer is not validated at run time.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
  async #call<T>(
    method: 'GET' | 'POST',
    path: string,
    options: {
      readonly body?: unknown;
      readonly query?: Readonly<Record<string, string | number | undefined>>;
      readonly retry: RetryMode;
      readonly signal?: AbortSignal | undefined;
      readonly idempotencyKey?: string | undefined;
      readonly fenced?: boolean;
      readonly extraTimeoutMs?: number;
      /** The path is below the server root rather than below {@link API_BASE_PATH} (health probes). */
      readonly root?: boolean;
    },
  ): Promise<{ body: T; possiblyRepeated: boolean }> {
    const { idempotencyKey, root, ...rest } = options;
    const response = await this.#transport.request<T>({
      method,
      path: root === true ? path : `${API_BASE_PATH}${path}`,
      ...rest,
      ...(idempotencyKey === undefined ? {} : { headers: { 'idempotency-key': idempotencyKey } }),
    });
    return { body: response.body, possiblyRepeated: response.possiblyRepeated };
  }

  async #get<T>(
    path: string,
    options: CallOptions,
    query?: Record<string, string | number | undefined>,
  ): Promise<T> {
    const retry: RetryMode = 'always';
    return (
      await this.#call<T>('GET', path, {
        retry,
        signal: options.signal,
        ...(query === undefined ? {} : { query }),
      })
    ).body;
  }

  /** Submits one job (`POST /jobs`). With an idempotency key, a repeat returns the same job. */
  async submitJob(submission: JobSubmission, options: CreateCallOptions = {}): Promise<Job> {
    const key = options.idempotencyKey ?? submission.idempotencyKey;
    const { body } = await this.#call<Job>('POST', '/jobs', {
      body: submission,
      retry: key === undefined ? 'unprocessed' : 'always',
      signal: options.signal,
      idempotencyKey: options.idempotencyKey,
    });
    return body;
  }

  /** Submits 1–1,000 jobs at once (`POST /jobs/batch`); job *i* without a key gets `<idempotencyKey>:<i>`. */
  async submitJobs(
    submissions: readonly JobSubmission[],
    options: CreateCallOptions = {},
  ): Promise<SubmitJobsResult> {
    const keyed =
      options.idempotencyKey !== undefined || submissions.every((s) => s.idempotencyKey !== undefined);
    const { body } = await this.#call<SubmitJobsResult>('POST', '/jobs/batch', {
      body: { jobs: submissions },
      retry: keyed ? 'always' : 'unprocessed',
      signal: options.signal,
      idempotencyKey: options.idempotencyKey,
    });
    return body;
  }

  /** Reads one job. @throws OrchestratorApiError `JOB_NOT_FOUND` (404) */
  getJob(jobId: string, options: CallOptions = {}): Promise<Job> {
    return this.#get<Job>(`/jobs/${encodeURIComponent(jobId)}`, options);
  }

  /** Lists jobs, newest first, one page at a time (`GET /jobs`). */
  listJobs(query: ListJobsQuery = {}, options: CallOptions = {}): Promise<Page<Job>> {
    return this.#get<Page<Job>>('/jobs', options, {
      status: query.status === undefined || query.status.length === 0 ? undefined : query.status.join(','),
      jobType: query.jobType,
      runId: query.runId,
      created_after: query.createdAfter,
      created_before: query.createdBefore,
      page_size: query.pageSize,
      page_token: query.pageToken,
    });
  }

  /** Every page of {@link listJobs}, following `next_page_token` until the last page. */
  async *listAllJobs(query: ListJobsQuery = {}, options: CallOptions = {}): AsyncGenerator<Page<Job>, void> {
    let pageToken = query.pageToken;
    do {
      const page = await this.listJobs(pageToken === undefined ? query : { ...query, pageToken }, options);
      yield page;
      pageToken = page.next_page_token ?? undefined;
    } while (pageToken !== undefined);
  }

  /** The job's state transitions, oldest first. @throws OrchestratorApiError `JOB_NOT_FOUND` */
  async getJobHistory(jobId: string, options: CallOptions = {}): Promise<readonly JobHistoryEntry[]> {
    const path = `/jobs/${encodeURIComponent(jobId)}/history`;
    return (await this.#get<{ items: readonly JobHistoryEntry[] }>(path, options)).items;
  }

  /** The artifacts workers attached to the job. @throws OrchestratorApiError `JOB_NOT_FOUND` */
  async getJobArtifacts(jobId: string, options: CallOptions = {}): Promise<readonly JobArtifact[]> {
    const path = `/jobs/${encodeURIComponent(jobId)}/artifacts`;
    return (await this.#get<{ items: readonly JobArtifact[] }>(path, options)).items;
  }

  /** Counts of jobs by status, overall and per job type (`GET /jobs/summary`). */
  getJobsSummary(query: JobSummaryQuery = {}, options: CallOptions = {}): Promise<JobSummary> {
    return this.#get<JobSummary>('/jobs/summary', options, { jobType: query.jobType, runId: query.runId });
  }

  /**
   * Cancels a job: pending/waiting end `canceled`, leased/running get `cancelRequested`.
   * @throws OrchestratorApiError `JOB_NOT_FOUND`, `INVALID_TRANSITION` (already terminal)
   */
  async cancelJob(jobId: string, options: CallOptions & { readonly reason?: string } = {}): Promise<Job> {
    const path = `/jobs/${encodeURIComponent(jobId)}/cancel`;
    const body = options.reason === undefined ? {} : { reason: options.reason };
    return (await this.#call<Job>('POST', path, { body, retry: 'unprocessed', signal: options.signal })).body;
  }

  /**
   * Retries a job: one pending in back-off becomes eligible now (same job); a failed or canceled one is
   * cloned into a new job whose `replayOf` is `jobId`.
   */
  async retryJob(jobId: string, options: CreateCallOptions = {}): Promise<Job> {
    return this.#create<Job>(`/jobs/${encodeURIComponent(jobId)}/retry`, {}, options);
  }

  /** Replays a terminal job as a new job (`replayOf` = `jobId`); the original is untouched. */
  async replayJob(jobId: string, options: CreateCallOptions = {}): Promise<Job> {
    return this.#create<Job>(`/jobs/${encodeURIComponent(jobId)}/replay`, {}, options);
  }

  /** Creates a run (`POST /runs`). */
  async createRun(run: RunSubmission, options: CreateCallOptions = {}): Promise<Run> {
    return this.#create<Run>('/runs', run, options);
  }

  async #create<T>(path: string, body: unknown, options: CreateCallOptions): Promise<T> {
    const retry: RetryMode = options.idempotencyKey === undefined ? 'unprocessed' : 'always';
    return (
      await this.#call<T>('POST', path, {
        body,
        retry,
        signal: options.signal,
        idempotencyKey: options.idempotencyKey,
      })
    ).body;
  }

  /** Reads one run. @throws OrchestratorApiError `RUN_NOT_FOUND` */
  getRun(runId: string, options: CallOptions = {}): Promise<Run> {
    return this.#get<Run>(`/runs/${encodeURIComponent(runId)}`, options);
  }

  /** Lists runs, one page at a time. */
  listRuns(query: PageQuery = {}, options: CallOptions = {}): Promise<Page<Run>> {
    return this.#get<Page<Run>>('/runs', options, { page_size: query.pageSize, page_token: query.pageToken });
  }

  /** Lists dead-letter entries, one page at a time. */
  listDeadLetters(
    query: ListDeadLettersQuery = {},
    options: CallOptions = {},
  ): Promise<Page<DeadLetterEntry>> {
    return this.#get<Page<DeadLetterEntry>>('/deadletter', options, {
      status: query.status,
      jobType: query.jobType,
      page_size: query.pageSize,
      page_token: query.pageToken,
    });
  }

  /**
   * Leases up to `limit` jobs (`POST /leases`); with `waitMs` the call long-polls until work arrives.
   * Repeated after transient failures: if a lost answer had leased jobs, those leases lapse and the jobs
   * are retried by the server, which is the same cost as not repeating.
   */
  async leaseJobs(request: LeaseRequest, options: CallOptions = {}): Promise<readonly LeaseGrant[]> {
    const { body } = await this.#call<{ leases: readonly LeaseGrant[] }>('POST', '/leases', {
      body: request,
      retry: 'always',
      signal: options.signal,
      extraTimeoutMs: request.waitMs ?? 0,
    });
    return body.leases;
  }

  /** Extends a lease; the answer says whether an operator asked to cancel. @throws `LEASE_LOST` */
  async heartbeat(
    leaseId: string,
    request: HeartbeatRequest,
    options: CallOptions = {},
  ): Promise<LeaseStatus> {
    const path = `/leases/${encodeURIComponent(leaseId)}/heartbeat`;
    return (
      await this.#call<LeaseStatus>('POST', path, { body: request, retry: 'always', signal: options.signal })
    ).body;
  }

  /** Records progress (and extends the lease). @throws `LEASE_LOST` */
  async reportProgress(
    leaseId: string,
    request: ProgressRequest,
    options: CallOptions = {},
  ): Promise<LeaseStatus> {
    const path = `/leases/${encodeURIComponent(leaseId)}/progress`;
    return (
      await this.#call<LeaseStatus>('POST', path, { body: request, retry: 'always', signal: options.signal })
    ).body;
  }

  /** Attaches artifacts to the job of a lease. @throws `LEASE_LOST`, `VALIDATION_FAILED` */
  async addArtifacts(
    leaseId: string,
    request: AddArtifactsRequest,
    options: CallOptions = {},
  ): Promise<readonly JobArtifact[]> {
    const path = `/leases/${encodeURIComponent(leaseId)}/artifacts`;
    const answer = await this.#call<{ items: readonly JobArtifact[] }>('POST', path, {
      body: request,
      retry: 'unprocessed',
      signal: options.signal,
    });
    return answer.body.items;
  }

  /**
   * Ends the attempt of a lease.
   * @throws OrchestratorApiError `LEASE_LOST`; LeaseOutcomeUnknownError when a repeat answers `LEASE_LOST`
   *   after an earlier attempt may have been applied
   */
  async completeJob(
    leaseId: string,
    request: CompleteRequest,
    options: CallOptions = {},
  ): Promise<CompleteResult> {
    const path = `/leases/${encodeURIComponent(leaseId)}/complete`;
    const answer = await this.#call<CompleteResult>('POST', path, {
      body: request,
      retry: 'always',
      fenced: true,
      signal: options.signal,
    });
    return answer.body;
  }

  /**
   * Ends up to 500 attempts at once (`POST /leases/complete`). A `LEASE_LOST` result of a call that had to
   * be repeated after an ambiguous failure carries `outcomeUnknown: true`.
   */
  async completeJobs(
    completions: readonly BatchCompletion[],
    options: CallOptions = {},
  ): Promise<readonly BatchCompletionResult[]> {
    const answer = await this.#call<{ results: readonly BatchCompletionResult[] }>(
      'POST',
      '/leases/complete',
      {
        body: { completions },
        retry: 'always',
        signal: options.signal,
      },
    );
    if (!answer.possiblyRepeated) return answer.body.results;
    return answer.body.results.map((r) =>
      !r.ok && r.code === 'LEASE_LOST' ? { ...r, outcomeUnknown: true } : r,
    );
  }

  /** Extends up to 500 leases at once (`POST /leases/heartbeat`). */
  async heartbeats(
    heartbeats: readonly BatchHeartbeat[],
    options: CallOptions = {},
  ): Promise<readonly BatchHeartbeatResult[]> {
    const answer = await this.#call<{ results: readonly BatchHeartbeatResult[] }>(
      'POST',
      '/leases/heartbeat',
      {
        body: { heartbeats },
        retry: 'always',
        signal: options.signal,
      },
    );
    return answer.body.results;
  }

  /** The liveness probe (`GET /healthz`), tried once. */
  async health(options: CallOptions = {}): Promise<{ readonly status: string }> {
    return (
      await this.#call<{ status: string }>('GET', '/healthz', {
        root: true,
        retry: 'never',
        signal: options.signal,
      })
    ).body;
  }

  /** The readiness probe (`GET /readyz`), tried once. @throws OrchestratorApiError `STORE_UNAVAILABLE` (503) */
  async ready(options: CallOptions = {}): Promise<{ readonly status: string }> {
    return (
      await this.#call<{ status: string }>('GET', '/readyz', {
        root: true,
        retry: 'never',
        signal: options.signal,
      })
    ).body;
  }
}
