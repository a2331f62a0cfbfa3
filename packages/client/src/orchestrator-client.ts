import { BackfillCalls } from './backfill-calls.js';
import { CircuitCalls } from './circuit-calls.js';
import { LimitCalls } from './limit-calls.js';
import { EventStreamCalls } from './event-stream.js';
import type { Context } from '@opentelemetry/api';
import type {
  AuditArchiveManifest,
  AuditCheckpoint,
  AuditEntry,
  AuditExportRange,
  AuditVerification,
  ListAuditEntriesQuery,
} from './audit-resources.js';
import { OrchestratorApiError } from './api-error.js';
import { bearerAuthFor, bearerTokenOf, type BearerAuth } from './bearer-auth.js';
import type {
  CallOptions,
  CreateCallOptions,
  LeaseCallOptions,
  OperatorCallOptions,
  OrchestratorClientOptions,
} from './client-options.js';
import type { ClientWithSecret, NewClient, RegisteredClient } from './client-resources.js';
import type {
  BulkReplay,
  DeadLetterReplay,
  DeadLetterStats,
  DeadLetterSummary,
  ReplayFilter,
  ReplayPreview,
} from './dead-letter-resources.js';
import type { ListSourcesQuery, NewSource, Source, SourceChange, SourcePause } from './source-resources.js';
import type { Incident, ListIncidentsQuery, NewSlo, Slo, SloBurnRate, SloChange } from './slo-resources.js';
import type { JobWhy } from './job-why-resources.js';
import {
  DEFAULT_RETRY_OPTIONS,
  HttpTransport,
  toProblem,
  type AttemptContext,
  type RetryMode,
} from './http-transport.js';
import type {
  DeadLetterEntry,
  Job,
  JobArtifact,
  JobHistoryEntry,
  JobDag,
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
 * Authentication: with `credentials`, a token is fetched from the token endpoint on the first call, shared
 * by concurrent calls, and refreshed before it expires; with `accessToken`, that token is sent. A call
 * answered 401 (an expired or revoked token) gets a fresh token and is repeated once. A refused token
 * request rejects with `TokenRequestError`. The health probes are sent without a token.
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
  readonly #auth: BearerAuth | undefined;
  /** Backfills and watermarks (`backfill-calls.ts`). */
  readonly backfills: BackfillCalls = new BackfillCalls({
    get: (path, options, query) => this.#get(path, options, query),
    operate: (path, body, retry, options) => this.#operate(path, body, retry, options),
  });
  /** Quotas and throttles (`limit-calls.ts`). */
  readonly limits: LimitCalls = new LimitCalls({
    get: (path, options, query) => this.#get(path, options, query),
    operate: (path, body, retry, options) => this.#operate(path, body, retry, options),
    change: (method, path, body, options, headers) => this.#change(method, path, body, options, headers),
  });

  /** Circuit breakers (`circuit-calls.ts`). */
  readonly circuits: CircuitCalls = new CircuitCalls({
    get: (path, options, query) => this.#get(path, options, query),
    operate: (path, body, retry, options) => this.#operate(path, body, retry, options),
    change: (method, path, body, options, headers) => this.#change(method, path, body, options, headers),
  });

  /** The tenant's live event stream (`event-stream.ts`). */
  readonly events: EventStreamCalls;

  /** A `PUT` or `DELETE` under the operator policy (reason, ticket), with extra headers (`If-Match`). */
  async #change<T>(
    method: 'PUT' | 'DELETE',
    path: string,
    body: unknown,
    options: OperatorCallOptions,
    headers: Readonly<Record<string, string>>,
  ): Promise<T> {
    const call = this.#operatorCall(body, options);
    return (await this.#call<T>(method, path, { ...call, headers: { ...call.headers, ...headers } })).body;
  }

  /**
   * @param options - base URL, tenant, credentials or access token, headers, fetch, retry and timeout
   * @throws TypeError when both `credentials` and `accessToken` are given, or `tenant` and
   *   `credentials.tenant` differ
   */
  constructor(options: OrchestratorClientOptions) {
    this.#options = options;
    const settings = {
      fetch: options.fetch ?? globalThis.fetch,
      retry: { ...DEFAULT_RETRY_OPTIONS, ...options.retry },
      timeoutMs: options.timeoutMs ?? 30_000,
    };
    this.#auth = bearerAuthFor(options, settings);
    this.#transport = new HttpTransport({
      baseUrl: options.baseUrl,
      ...settings,
      headers: (attempt) => this.#headers(attempt),
      onUnauthorized: (refused) => this.#unauthorized(refused),
    });
    this.events = new EventStreamCalls({
      url: (path, query) => this.#transport.url(`${API_BASE_PATH}${path}`, query),
      headers: (signal) => this.#headers({ anonymous: false, signal }),
      unauthorized: (refused) => this.#unauthorized(refused),
      errorOf: (status, text) => new OrchestratorApiError(toProblem(status, text)),
      fetch: settings.fetch,
      retry: settings.retry,
    });
  }

  /** The base URL this client calls. */
  get baseUrl(): string {
    return this.#options.baseUrl;
  }

  /** The tenant this client sends (`*` for a pool worker's client), if it names one. */
  get tenant(): string | undefined {
    return this.#options.tenant;
  }

  /**
   * The headers of every attempt. This is the one place where credentials are added: the bearer token is
   * asked for per attempt, so a retry after a refresh carries the new one.
   */
  async #headers(attempt: AttemptContext): Promise<Headers> {
    const headers = new Headers(this.#options.headers);
    headers.set('accept', 'application/json, application/problem+json');
    if (this.#options.tenant !== undefined) headers.set('x-stella-tenant', this.#options.tenant);
    if (!attempt.anonymous && this.#auth !== undefined) {
      headers.set('authorization', `Bearer ${await this.#auth.token(attempt.signal)}`);
    }
    return headers;
  }

  async #unauthorized(refused: Headers): Promise<boolean> {
    const token = bearerTokenOf(refused);
    return this.#auth !== undefined && token !== undefined && (await this.#auth.refused(token));
  }

  // T names the body the contract promises for `path`; the answer is not validated at run time.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
  async #call<T>(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    options: {
      readonly body?: unknown;
      readonly query?: Readonly<Record<string, string | number | undefined>>;
      readonly retry: RetryMode;
      readonly signal?: AbortSignal | undefined;
      readonly traceContext?: Context | undefined;
      readonly idempotencyKey?: string | undefined;
      readonly fenced?: boolean;
      readonly extraTimeoutMs?: number;
      /**
       * The path is below the server root rather than below {@link API_BASE_PATH}, and open: sent without
       * a token (health probes).
       */
      readonly root?: boolean;
      readonly headers?: Readonly<Record<string, string>>;
      readonly responseType?: 'json' | 'text';
    },
  ): Promise<{ body: T; possiblyRepeated: boolean }> {
    const { idempotencyKey, root, headers, ...rest } = options;
    const response = await this.#transport.request<T>({
      method,
      path: root === true ? path : `${API_BASE_PATH}${path}`,
      ...rest,
      anonymous: root === true,
      headers: {
        ...headers,
        ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }),
      },
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
        traceContext: options.traceContext,
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
      traceContext: options.traceContext,
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
      traceContext: options.traceContext,
      idempotencyKey: options.idempotencyKey,
    });
    return body;
  }

  /**
   * Reads the dependency graph of a job: every job connected to it, with topological order, critical path
   * and parallel groups. @throws OrchestratorApiError `JOB_NOT_FOUND` (404), `DAG_TOO_LARGE` (422)
   */
  getJobDag(jobId: string, options: CallOptions = {}): Promise<JobDag> {
    return this.#get<JobDag>(`/jobs/${encodeURIComponent(jobId)}/dag`, options);
  }

  /** Why a job is not running: the conditions holding it, in order. @throws `JOB_NOT_FOUND` (404) */
  whyJob(jobId: string, options: CallOptions = {}): Promise<JobWhy> {
    return this.#get<JobWhy>(`/jobs/${encodeURIComponent(jobId)}/why`, options);
  }

  /**
   * Reads the dependency graph of the jobs of a run. @throws OrchestratorApiError `RUN_NOT_FOUND` (404),
   * `DAG_TOO_LARGE` (422)
   */
  getRunDag(runId: string, options: CallOptions = {}): Promise<JobDag> {
    return this.#get<JobDag>(`/runs/${encodeURIComponent(runId)}/dag`, options);
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
  async cancelJob(
    jobId: string,
    options: OperatorCallOptions & { readonly reason?: string } = {},
  ): Promise<Job> {
    const path = `/jobs/${encodeURIComponent(jobId)}/cancel`;
    const body = options.reason === undefined ? {} : { reason: options.reason };
    return (await this.#operate<Job>(path, body, 'unprocessed', options)).body;
  }

  /**
   * Retries a job: one pending in back-off becomes eligible now (same job); a failed or canceled one is
   * cloned into a new job whose `replayOf` is `jobId`.
   */
  async retryJob(jobId: string, options: CreateCallOptions & OperatorCallOptions = {}): Promise<Job> {
    return this.#create<Job>(`/jobs/${encodeURIComponent(jobId)}/retry`, {}, options);
  }

  /** Replays a terminal job as a new job (`replayOf` = `jobId`); the original is untouched. */
  async replayJob(jobId: string, options: CreateCallOptions & OperatorCallOptions = {}): Promise<Job> {
    return this.#create<Job>(`/jobs/${encodeURIComponent(jobId)}/replay`, {}, options);
  }

  /** A POST carrying the operator headers of `options`. */
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
  async #operate<T>(
    path: string,
    body: unknown,
    retry: RetryMode,
    options: OperatorCallOptions & { readonly idempotencyKey?: string | undefined },
  ): Promise<{ body: T; possiblyRepeated: boolean }> {
    return this.#call<T>('POST', path, {
      body,
      retry,
      signal: options.signal,
      traceContext: options.traceContext,
      idempotencyKey: options.idempotencyKey,
      headers: operatorHeaders(options),
    });
  }

  /** Creates a run (`POST /runs`). */
  async createRun(run: RunSubmission, options: CreateCallOptions = {}): Promise<Run> {
    return this.#create<Run>('/runs', run, options);
  }

  async #create<T>(
    path: string,
    body: unknown,
    options: CreateCallOptions & OperatorCallOptions,
  ): Promise<T> {
    const retry: RetryMode = options.idempotencyKey === undefined ? 'unprocessed' : 'always';
    return (await this.#operate<T>(path, body, retry, options)).body;
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
      sourceId: query.sourceId,
      errorType: query.errorType,
      created_after: query.createdAfter,
      created_before: query.createdBefore,
      page_size: query.pageSize,
      page_token: query.pageToken,
    });
  }

  /** One dead-letter entry. @throws OrchestratorApiError `DEAD_LETTER_NOT_FOUND` */
  getDeadLetter(entryId: string, options: CallOptions = {}): Promise<DeadLetterEntry> {
    return this.#get<DeadLetterEntry>(`/deadletter/${encodeURIComponent(entryId)}`, options);
  }

  /** Counts by status, the `top` error types of open entries, the oldest open entry. */
  getDeadLetterStats(
    query: { readonly top?: number } = {},
    options: CallOptions = {},
  ): Promise<DeadLetterStats> {
    return this.#get<DeadLetterStats>('/deadletter/stats', options, { top: query.top });
  }

  /** Open entries grouped by job type × error type × source. */
  getDeadLetterSummary(options: CallOptions = {}): Promise<DeadLetterSummary> {
    return this.#get<DeadLetterSummary>('/deadletter/summary', options);
  }

  /**
   * Replays an open entry's job as a new job and marks the entry `replayed`.
   * @throws OrchestratorApiError `DEAD_LETTER_NOT_FOUND`, `DEAD_LETTER_NOT_OPEN`
   */
  async replayDeadLetter(
    entryId: string,
    options: CreateCallOptions & OperatorCallOptions = {},
  ): Promise<DeadLetterReplay> {
    return this.#create<DeadLetterReplay>(`/deadletter/${encodeURIComponent(entryId)}/replay`, {}, options);
  }

  /**
   * Resolves an open entry with a note (1–1,024 characters).
   * @throws OrchestratorApiError `DEAD_LETTER_NOT_FOUND`, `DEAD_LETTER_NOT_OPEN`
   */
  async resolveDeadLetter(
    entryId: string,
    note: string,
    options: OperatorCallOptions = {},
  ): Promise<DeadLetterEntry> {
    const path = `/deadletter/${encodeURIComponent(entryId)}/resolve`;
    return (await this.#operate<DeadLetterEntry>(path, { note }, 'unprocessed', options)).body;
  }

  /**
   * Previews (`dryRun: true`) or runs a replay of the terminal jobs `filter` matches, in one transaction.
   * @throws OrchestratorApiError `REPLAY_LIMIT_EXCEEDED` (more matches than `max`; nothing written)
   */
  async replayJobs(
    request: { readonly filter: ReplayFilter; readonly max?: number; readonly dryRun?: boolean },
    options: CreateCallOptions & OperatorCallOptions = {},
  ): Promise<ReplayPreview | BulkReplay> {
    // A dry run writes nothing: it may be repeated like a read.
    const body = { filter: request.filter, max: request.max, dryRun: request.dryRun };
    if (request.dryRun === true)
      return (await this.#operate<ReplayPreview>('/jobs/replay', body, 'always', options)).body;
    return this.#create<BulkReplay>('/jobs/replay', body, options);
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
      traceContext: options.traceContext,
      extraTimeoutMs: request.waitMs ?? 0,
    });
    return body.leases;
  }

  /**
   * Extends a lease; the answer says whether an operator asked to cancel. A pool worker names the job's
   * tenant in `options.tenant` (as for every call on a lease). @throws `LEASE_LOST`
   */
  async heartbeat(
    leaseId: string,
    request: HeartbeatRequest,
    options: LeaseCallOptions = {},
  ): Promise<LeaseStatus> {
    const path = `/leases/${encodeURIComponent(leaseId)}/heartbeat`;
    return (
      await this.#call<LeaseStatus>('POST', path, {
        body: request,
        retry: 'always',
        signal: options.signal,
        traceContext: options.traceContext,
        headers: leaseTenantHeader(options),
      })
    ).body;
  }

  /** Records progress (and extends the lease). @throws `LEASE_LOST` */
  async reportProgress(
    leaseId: string,
    request: ProgressRequest,
    options: LeaseCallOptions = {},
  ): Promise<LeaseStatus> {
    const path = `/leases/${encodeURIComponent(leaseId)}/progress`;
    return (
      await this.#call<LeaseStatus>('POST', path, {
        body: request,
        retry: 'always',
        signal: options.signal,
        traceContext: options.traceContext,
        headers: leaseTenantHeader(options),
      })
    ).body;
  }

  /** Attaches artifacts to the job of a lease. @throws `LEASE_LOST`, `VALIDATION_FAILED` */
  async addArtifacts(
    leaseId: string,
    request: AddArtifactsRequest,
    options: LeaseCallOptions = {},
  ): Promise<readonly JobArtifact[]> {
    const path = `/leases/${encodeURIComponent(leaseId)}/artifacts`;
    const answer = await this.#call<{ items: readonly JobArtifact[] }>('POST', path, {
      body: request,
      retry: 'unprocessed',
      signal: options.signal,
      traceContext: options.traceContext,
      headers: leaseTenantHeader(options),
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
    options: LeaseCallOptions = {},
  ): Promise<CompleteResult> {
    const path = `/leases/${encodeURIComponent(leaseId)}/complete`;
    const answer = await this.#call<CompleteResult>('POST', path, {
      body: request,
      retry: 'always',
      fenced: true,
      signal: options.signal,
      traceContext: options.traceContext,
      headers: leaseTenantHeader(options),
    });
    return answer.body;
  }

  /**
   * Ends up to 500 attempts at once (`POST /leases/complete`). A `LEASE_LOST` result of a call that had to
   * be repeated after an ambiguous failure carries `outcomeUnknown: true`. The leases of one call belong
   * to one tenant (`options.tenant` for a pool worker): another tenant's answer `LEASE_LOST`.
   */
  async completeJobs(
    completions: readonly BatchCompletion[],
    options: LeaseCallOptions = {},
  ): Promise<readonly BatchCompletionResult[]> {
    const answer = await this.#call<{ results: readonly BatchCompletionResult[] }>(
      'POST',
      '/leases/complete',
      {
        body: { completions },
        retry: 'always',
        signal: options.signal,
        traceContext: options.traceContext,
        headers: leaseTenantHeader(options),
      },
    );
    if (!answer.possiblyRepeated) return answer.body.results;
    return answer.body.results.map((r) =>
      !r.ok && r.code === 'LEASE_LOST' ? { ...r, outcomeUnknown: true } : r,
    );
  }

  /**
   * Extends up to 500 leases at once (`POST /leases/heartbeat`), all of one tenant (`options.tenant` for a
   * pool worker).
   */
  async heartbeats(
    heartbeats: readonly BatchHeartbeat[],
    options: LeaseCallOptions = {},
  ): Promise<readonly BatchHeartbeatResult[]> {
    const answer = await this.#call<{ results: readonly BatchHeartbeatResult[] }>(
      'POST',
      '/leases/heartbeat',
      {
        body: { heartbeats },
        retry: 'always',
        signal: options.signal,
        traceContext: options.traceContext,
        headers: leaseTenantHeader(options),
      },
    );
    return answer.body.results;
  }

  /** The Authority's clients, configured and registered (`GET /clients`). Needs `orch:admin`. */
  async listClients(options: CallOptions = {}): Promise<readonly RegisteredClient[]> {
    return (await this.#get<{ items: readonly RegisteredClient[] }>('/clients', options)).items;
  }

  /**
   * Registers a client (`POST /clients`); the server generates its secret, returned only this once.
   * Needs `orch:admin`. Not repeated after an ambiguous failure (a repeat would answer `CLIENT_EXISTS`).
   * @throws OrchestratorApiError `CLIENT_EXISTS` (409), `VALIDATION_FAILED`
   */
  async addClient(client: NewClient, options: OperatorCallOptions = {}): Promise<ClientWithSecret> {
    return (await this.#operate<ClientWithSecret>('/clients', client, 'unprocessed', options)).body;
  }

  /**
   * Replaces a client's secret with a new generated one, returned only this once; the old one stops
   * working. Needs `orch:admin`.
   * @throws OrchestratorApiError `CLIENT_NOT_FOUND`, `CLIENT_READ_ONLY` (declared in the configuration)
   */
  async rotateClientSecret(clientId: string, options: OperatorCallOptions = {}): Promise<ClientWithSecret> {
    const path = `/clients/${encodeURIComponent(clientId)}/rotate-secret`;
    return (await this.#operate<ClientWithSecret>(path, {}, 'unprocessed', options)).body;
  }

  /**
   * Disables a client: it gets no more tokens. Needs `orch:admin`.
   * @throws OrchestratorApiError `CLIENT_NOT_FOUND`, `CLIENT_READ_ONLY`
   */
  async disableClient(clientId: string, options: OperatorCallOptions = {}): Promise<RegisteredClient> {
    const path = `/clients/${encodeURIComponent(clientId)}/disable`;
    return (await this.#operate<{ client: RegisteredClient }>(path, {}, 'unprocessed', options)).body.client;
  }

  /**
   * Enables a disabled client again. Needs `orch:admin`.
   * @throws OrchestratorApiError `CLIENT_NOT_FOUND`, `CLIENT_READ_ONLY`
   */
  async enableClient(clientId: string, options: OperatorCallOptions = {}): Promise<RegisteredClient> {
    const path = `/clients/${encodeURIComponent(clientId)}/enable`;
    return (await this.#operate<{ client: RegisteredClient }>(path, {}, 'unprocessed', options)).body.client;
  }

  /** Lists the tenant's sources in registration order, one page at a time (`GET /sources`). */
  listSources(query: ListSourcesQuery = {}, options: CallOptions = {}): Promise<Page<Source>> {
    return this.#get<Page<Source>>('/sources', options, {
      sourceType: query.sourceType,
      enabled: query.enabled === undefined ? undefined : String(query.enabled),
      paused: query.paused === undefined ? undefined : String(query.paused),
      page_size: query.pageSize,
      page_token: query.pageToken,
    });
  }

  /** Reads one source. @throws OrchestratorApiError `SOURCE_NOT_FOUND` */
  getSource(sourceId: string, options: CallOptions = {}): Promise<Source> {
    return this.#get<Source>(`/sources/${encodeURIComponent(sourceId)}`, options);
  }

  /**
   * Registers a source (`POST /sources`). Needs `orch:operate`; audited as `source.register`. With an
   * idempotency key a repeat returns the same source.
   * @throws OrchestratorApiError `SOURCE_EXISTS`, `IDEMPOTENCY_CONFLICT`, `VALIDATION_FAILED`
   */
  async registerSource(
    source: NewSource,
    options: CreateCallOptions & OperatorCallOptions = {},
  ): Promise<Source> {
    return this.#create<Source>('/sources', source, options);
  }

  /**
   * Changes a source (`PATCH /sources/{sourceId}`); with `expectedVersion`, sent as `If-Match`, refused
   * unless the source is at that version. Audited as `source.update`.
   * @throws OrchestratorApiError `SOURCE_NOT_FOUND`, `SOURCE_VERSION_MISMATCH` (412), `VALIDATION_FAILED`
   */
  async updateSource(
    sourceId: string,
    change: SourceChange,
    options: OperatorCallOptions & { readonly expectedVersion?: number } = {},
  ): Promise<Source> {
    const path = `/sources/${encodeURIComponent(sourceId)}`;
    const call = this.#operatorCall(change, options);
    const headers =
      options.expectedVersion === undefined
        ? call.headers
        : { ...call.headers, 'if-match': `"${options.expectedVersion}"` };
    return (await this.#call<Source>('PATCH', path, { ...call, headers })).body;
  }

  /**
   * Enables, disables, pauses (`pause` needs a reason) or resumes a source; a repeat changes nothing.
   * Needs `orch:operate`; audited as `source.{action}`.
   * @throws OrchestratorApiError `SOURCE_NOT_FOUND`, `VALIDATION_FAILED`
   */
  async changeSourceState(
    sourceId: string,
    change:
      { readonly action: 'enable' | 'disable' | 'resume' } | ({ readonly action: 'pause' } & SourcePause),
    options: OperatorCallOptions = {},
  ): Promise<Source> {
    const { action, ...body } = change;
    const path = `/sources/${encodeURIComponent(sourceId)}/${action}`;
    return (await this.#operate<Source>(path, body, 'always', options)).body;
  }

  /** Lists the tenant's SLOs, newest first, one page at a time (`GET /slos`). */
  listSlos(query: PageQuery = {}, options: CallOptions = {}): Promise<Page<Slo>> {
    return this.#get<Page<Slo>>('/slos', options, { page_size: query.pageSize, page_token: query.pageToken });
  }

  /** Reads one SLO. @throws OrchestratorApiError `SLO_NOT_FOUND` */
  getSlo(sloId: string, options: CallOptions = {}): Promise<Slo> {
    return this.#get<Slo>(`/slos/${encodeURIComponent(sloId)}`, options);
  }

  /** An SLO's burn rates now (`GET /slos/{sloId}/burn-rate`). @throws OrchestratorApiError `SLO_NOT_FOUND` */
  getSloBurnRate(sloId: string, options: CallOptions = {}): Promise<SloBurnRate> {
    return this.#get<SloBurnRate>(`/slos/${encodeURIComponent(sloId)}/burn-rate`, options);
  }

  /**
   * Defines an SLO (`POST /slos`). Needs `orch:operate` and a reason and ticket; audited as `slo.create`.
   * @throws OrchestratorApiError `VALIDATION_FAILED`, `SLO_NAME_TAKEN`
   */
  async createSlo(slo: NewSlo, options: OperatorCallOptions = {}): Promise<Slo> {
    return (await this.#operate<Slo>('/slos', slo, 'unprocessed', options)).body;
  }

  /** Changes an SLO (`PATCH /slos/{sloId}`); audited as `slo.update`. */
  async updateSlo(sloId: string, change: SloChange, options: OperatorCallOptions = {}): Promise<Slo> {
    const path = `/slos/${encodeURIComponent(sloId)}`;
    return (await this.#call<Slo>('PATCH', path, this.#operatorCall(change, options))).body;
  }

  /** Deletes an SLO and its incidents (`DELETE /slos/{sloId}`); audited as `slo.delete`. */
  async deleteSlo(sloId: string, options: OperatorCallOptions = {}): Promise<void> {
    const path = `/slos/${encodeURIComponent(sloId)}`;
    await this.#call<null>('DELETE', path, this.#operatorCall(undefined, options));
  }

  #operatorCall(body: unknown, options: OperatorCallOptions) {
    return {
      ...(body === undefined ? {} : { body }),
      retry: 'unprocessed' as const,
      signal: options.signal,
      traceContext: options.traceContext,
      headers: operatorHeaders(options),
    };
  }

  /** Lists the tenant's SLO incidents, newest first (`GET /incidents`). */
  listIncidents(query: ListIncidentsQuery = {}, options: CallOptions = {}): Promise<Page<Incident>> {
    return this.#get<Page<Incident>>('/incidents', options, {
      status: query.status,
      slo_id: query.sloId,
      page_size: query.pageSize,
      page_token: query.pageToken,
    });
  }

  /** Reads one incident. @throws OrchestratorApiError `INCIDENT_NOT_FOUND` */
  getIncident(incidentId: string, options: CallOptions = {}): Promise<Incident> {
    return this.#get<Incident>(`/incidents/${encodeURIComponent(incidentId)}`, options);
  }

  /** Lists the tenant's audit entries, newest first, one page at a time (`GET /audit`). */
  listAuditEntries(query: ListAuditEntriesQuery = {}, options: CallOptions = {}): Promise<Page<AuditEntry>> {
    return this.#get<Page<AuditEntry>>('/audit', options, {
      actor: query.actor,
      clientId: query.clientId,
      action: query.action,
      resourceType: query.resourceType,
      resourceId: query.resourceId,
      ticket: query.ticket,
      occurred_after: query.occurredAfter,
      occurred_before: query.occurredBefore,
      page_size: query.pageSize,
      page_token: query.pageToken,
    });
  }

  /** Every page of {@link listAuditEntries}, following `next_page_token` until the last page. */
  async *listAllAuditEntries(
    query: ListAuditEntriesQuery = {},
    options: CallOptions = {},
  ): AsyncGenerator<Page<AuditEntry>, void> {
    let pageToken = query.pageToken;
    do {
      const page = await this.listAuditEntries(
        pageToken === undefined ? query : { ...query, pageToken },
        options,
      );
      yield page;
      pageToken = page.next_page_token ?? undefined;
    } while (pageToken !== undefined);
  }

  /** Reads one audit entry. @throws OrchestratorApiError `AUDIT_ENTRY_NOT_FOUND` */
  getAuditEntry(auditId: string, options: CallOptions = {}): Promise<AuditEntry> {
    return this.#get<AuditEntry>(`/audit/${encodeURIComponent(auditId)}`, options);
  }

  /** Recomputes the tenant's whole chain on the server (`GET /audit/verify`): ok, or where it breaks. */
  verifyAudit(options: CallOptions = {}): Promise<AuditVerification> {
    return this.#get<AuditVerification>('/audit/verify', options);
  }

  /**
   * Signs a checkpoint of the chain's current head (`POST /audit/checkpoints`). Needs `orch:admin`.
   * Safe to repeat: a second checkpoint of the same head is the first one.
   */
  async createAuditCheckpoint(options: OperatorCallOptions = {}): Promise<AuditCheckpoint> {
    return (await this.#operate<AuditCheckpoint>('/audit/checkpoints', {}, 'always', options)).body;
  }

  /** The latest checkpoint, or `null` when none was made. */
  async getLatestAuditCheckpoint(options: CallOptions = {}): Promise<AuditCheckpoint | null> {
    try {
      return await this.#get<AuditCheckpoint>('/audit/checkpoints/latest', options);
    } catch (error) {
      if (error instanceof OrchestratorApiError && error.status === 404 && error.code !== 'ROUTE_NOT_FOUND') {
        return null;
      }
      throw error;
    }
  }

  /**
   * The entries of `range` as NDJSON text (`GET /audit/export`): one entry per line, in sequence order,
   * exactly as the server sent it, so that its `sha256` can be compared with the manifest's `ndjsonDigest`.
   */
  async exportAudit(range: AuditExportRange = {}, options: CallOptions = {}): Promise<string> {
    const { body } = await this.#call<string>('GET', '/audit/export', {
      retry: 'always',
      signal: options.signal,
      traceContext: options.traceContext,
      query: exportQuery(range),
      headers: { accept: 'application/x-ndjson, application/problem+json' },
      responseType: 'text',
    });
    return body;
  }

  /** The signed manifest of the export of `range` (`GET /audit/export/manifest`). */
  getAuditExportManifest(
    range: AuditExportRange = {},
    options: CallOptions = {},
  ): Promise<AuditArchiveManifest> {
    return this.#get<AuditArchiveManifest>('/audit/export/manifest', options, exportQuery(range));
  }

  /** The liveness probe (`GET /healthz`), tried once. */
  async health(options: CallOptions = {}): Promise<{ readonly status: string }> {
    return (
      await this.#call<{ status: string }>('GET', '/healthz', {
        root: true,
        retry: 'never',
        signal: options.signal,
        traceContext: options.traceContext,
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
        traceContext: options.traceContext,
      })
    ).body;
  }
}

/** `X-Stella-Tenant` of a call on a lease: the job's tenant when given (it replaces the client's). */
function leaseTenantHeader(options: LeaseCallOptions): Record<string, string> {
  return options.tenant === undefined ? {} : { 'x-stella-tenant': options.tenant };
}

function operatorHeaders(options: OperatorCallOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  if (options.operatorReason !== undefined) {
    headers['x-stella-operator-reason'] = utf8Header(options.operatorReason);
  }
  if (options.operatorTicket !== undefined) {
    headers['x-stella-operator-ticket'] = utf8Header(options.operatorTicket);
  }
  return headers;
}

/** A header value's UTF-8 bytes, one character per byte: how fetch sends text beyond Latin-1 (the server decodes UTF-8). */
function utf8Header(value: string): string {
  return Buffer.from(value, 'utf8').toString('latin1');
}

function exportQuery(range: AuditExportRange): Record<string, number | undefined> {
  return { from_sequence: range.fromSequence, through_sequence: range.throughSequence };
}
