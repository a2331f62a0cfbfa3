// The worker bridge of the orchestrator (POST /leases…), faked over real HTTP with an in-memory queue:
// enough protocol for the worker's unit tests — long-poll leasing, fenced heartbeats and completions,
// cancel requests and revoked leases. Like the real server it wants a bearer token on every call (its
// FakeAuthority knows FAKE_WORKER_CLIENT).
import { randomUUID } from 'node:crypto';
import type { Job, JsonValue } from '../src/job-resources.js';
import type {
  BatchCompletion,
  BatchHeartbeat,
  CompleteRequest,
  CompletionDisposition,
  LeaseGrant,
  LeaseRequest,
} from '../src/lease-resources.js';
import { FakeAuthority } from './fake-authority.js';
import { FakeHttpServer, problem, type FakeReply, type RecordedRequest } from './fake-http-server.js';

/** A job as the fake holds it. */
interface FakeJob {
  job: Job;
  leaseId: string | null;
  fencingToken: number;
  cancelRequested: boolean;
}

/** A completion the fake accepted, and through which endpoint. */
export type RecordedCompletion = BatchCompletion & { readonly via: 'single' | 'batch'; readonly at: number };

/** A heartbeat the fake received. */
export interface RecordedHeartbeat {
  readonly leaseId: string;
  readonly via: 'single' | 'batch' | 'progress';
  readonly at: number;
}

const BASE = '/api/v1/orchestrator';

/** Builds a wire Job with sensible defaults. */
export function makeJob(overrides: Partial<Job> = {}): Job {
  const now = new Date().toISOString();
  return {
    jobId: randomUUID(),
    tenantId: 'default',
    projectId: null,
    sourceId: null,
    runId: null,
    jobType: 'test.job',
    priority: 0,
    payload: {},
    payloadDigest: 'sha256:0000000000000000000000000000000000000000000000000000000000000000',
    dependsOn: [],
    status: 'pending',
    attempt: 0,
    maxAttempts: 3,
    idempotencyKey: null,
    correlationId: 'corr-1',
    notBefore: null,
    nextEligibleAt: now,
    lease: null,
    cancelRequested: false,
    replayOf: null,
    lastError: null,
    progress: null,
    result: null,
    createdAt: now,
    updatedAt: now,
    startedAt: null,
    completedAt: null,
    ...overrides,
  };
}

/** The fake orchestrator: an HTTP server with a job queue. */
export class FakeOrchestrator {
  readonly http: FakeHttpServer;
  /** The token endpoint and bearer check in front of the API. */
  readonly authority: FakeAuthority;
  readonly completions: RecordedCompletion[] = [];
  readonly heartbeats: RecordedHeartbeat[] = [];
  readonly leaseCalls: LeaseRequest[] = [];
  readonly progress: { leaseId: string; progress: JsonValue }[] = [];
  /** How long completion calls take to answer (their effect lands after the wait, as on a busy server). */
  completionDelayMs = 0;
  /** The most leases held at once (granted and not yet completed). */
  maxHeldLeases = 0;
  readonly #jobs = new Map<string, FakeJob>();
  readonly #queue: string[] = [];
  #waiters: (() => void)[] = [];

  private constructor(http: FakeHttpServer) {
    this.http = http;
    this.authority = FakeAuthority.install(http);
    http
      .route('POST', `${BASE}/leases`, (r) => this.#lease(r))
      .route('POST', `${BASE}/leases/heartbeat`, (r) => this.#heartbeatBatch(r))
      .route('POST', `${BASE}/leases/complete`, (r) => this.#completeBatch(r))
      .route('POST', /^\/api\/v1\/orchestrator\/leases\/[^/]+\/heartbeat$/, (r) =>
        this.#heartbeat(r, 'single'),
      )
      .route('POST', /^\/api\/v1\/orchestrator\/leases\/[^/]+\/progress$/, (r) =>
        this.#heartbeat(r, 'progress'),
      )
      .route('POST', /^\/api\/v1\/orchestrator\/leases\/[^/]+\/complete$/, (r) => this.#complete(r))
      .route('POST', /^\/api\/v1\/orchestrator\/leases\/[^/]+\/artifacts$/, (r) => this.#artifacts(r));
  }

  /** Starts the fake on an ephemeral port. */
  static async start(): Promise<FakeOrchestrator> {
    return new FakeOrchestrator(await FakeHttpServer.start());
  }

  /** The base URL. */
  get url(): string {
    return this.http.url;
  }

  /** Queues a pending job and wakes long-polls. */
  enqueue(overrides: Partial<Job> = {}): Job {
    const job = makeJob(overrides);
    this.#jobs.set(job.jobId, { job, leaseId: null, fencingToken: 0, cancelRequested: false });
    this.#queue.push(job.jobId);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
    return job;
  }

  /** Flags a job's cancellation: the next heartbeat answers `cancelRequested: true`. */
  requestCancel(jobId: string): void {
    this.#require(jobId).cancelRequested = true;
  }

  /** Takes the lease away (as the reaper would): every later call on it answers `LEASE_LOST`. */
  revokeLease(jobId: string): void {
    this.#require(jobId).leaseId = null;
  }

  /** Builds a grant for a queued job as `POST /leases` would (for tests that script that route). */
  grant(jobId: string): LeaseGrant {
    const entry = this.#require(jobId);
    const index = this.#queue.indexOf(jobId);
    if (index >= 0) this.#queue.splice(index, 1);
    entry.leaseId = randomUUID();
    entry.fencingToken++;
    const held = [...this.#jobs.values()].filter((e) => e.leaseId !== null).length;
    this.maxHeldLeases = Math.max(this.maxHeldLeases, held);
    const leaseUntil = new Date(Date.now() + 30_000).toISOString();
    entry.job = { ...entry.job, status: 'leased', attempt: entry.job.attempt + 1 };
    return { leaseId: entry.leaseId, fencingToken: entry.fencingToken, leaseUntil, job: entry.job };
  }

  /** Heartbeats received for the job's current (or last) lease ids. */
  heartbeatsFor(leaseId: string): RecordedHeartbeat[] {
    return this.heartbeats.filter((h) => h.leaseId === leaseId);
  }

  /** Stops the server and releases waiting long-polls. */
  async close(): Promise<void> {
    for (const wake of this.#waiters) wake();
    await this.http.close();
  }

  #require(jobId: string): FakeJob {
    const entry = this.#jobs.get(jobId);
    if (entry === undefined) throw new Error(`no job ${jobId}`);
    return entry;
  }

  async #lease(request: RecordedRequest): Promise<FakeReply> {
    const body = request.body as LeaseRequest;
    this.leaseCalls.push(body);
    const deadline = Date.now() + (body.waitMs ?? 0);
    for (;;) {
      if (request.signal.aborted) return { status: 200, body: { leases: [] } };
      const ids = this.#queue.filter((id) => body.jobTypes.includes(this.#require(id).job.jobType));
      const grants = ids.slice(0, body.limit ?? 1).map((id) => this.grant(id));
      if (grants.length > 0 || Date.now() >= deadline) return { status: 200, body: { leases: grants } };
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        const wake = (): void => {
          clearTimeout(timer);
          resolve();
        };
        this.#waiters.push(wake);
        request.signal.addEventListener('abort', wake, { once: true });
      });
    }
  }

  /**
   * The job holding a lease. A request naming a tenant (`X-Stella-Tenant`) finds only that tenant's
   * leases, as on the server, where a pool worker acts on a lease as the tenant it names.
   */
  #byLease(leaseId: string, fencingToken: number, request?: RecordedRequest): FakeJob | undefined {
    const tenant = request?.headers['x-stella-tenant'];
    for (const entry of this.#jobs.values()) {
      if (typeof tenant === 'string' && tenant !== entry.job.tenantId) continue;
      if (entry.leaseId === leaseId && entry.fencingToken === fencingToken) return entry;
    }
    return undefined;
  }

  #heartbeat(request: RecordedRequest, via: 'single' | 'progress'): FakeReply {
    const leaseId = decodeURIComponent(request.path.split('/').at(-2) ?? '');
    const body = request.body as { fencingToken: number; progress?: JsonValue };
    const entry = this.#byLease(leaseId, body.fencingToken, request);
    if (entry === undefined) return problem(409, 'LEASE_LOST', `lease ${leaseId} is not held`);
    this.heartbeats.push({ leaseId, via, at: Date.now() });
    if (via === 'progress') this.progress.push({ leaseId, progress: body.progress ?? null });
    entry.job = { ...entry.job, status: 'running' };
    return {
      body: {
        jobId: entry.job.jobId,
        leaseUntil: this.#until(),
        cancelRequested: entry.cancelRequested,
        status: 'running',
      },
    };
  }

  #heartbeatBatch(request: RecordedRequest): FakeReply {
    const { heartbeats } = request.body as { heartbeats: BatchHeartbeat[] };
    const results = heartbeats.map((h) => {
      const entry = this.#byLease(h.leaseId, h.fencingToken, request);
      if (entry === undefined)
        return { leaseId: h.leaseId, ok: false, code: 'LEASE_LOST', detail: 'not held' };
      this.heartbeats.push({ leaseId: h.leaseId, via: 'batch', at: Date.now() });
      return {
        leaseId: h.leaseId,
        ok: true,
        leaseUntil: this.#until(),
        cancelRequested: entry.cancelRequested,
      };
    });
    return { body: { results } };
  }

  async #complete(request: RecordedRequest): Promise<FakeReply> {
    await sleep(this.completionDelayMs);
    const leaseId = decodeURIComponent(request.path.split('/').at(-2) ?? '');
    const outcome = this.#applyCompletion(
      { ...(request.body as CompleteRequest), leaseId },
      'single',
      request,
    );
    if (outcome === undefined) return problem(409, 'LEASE_LOST', `lease ${leaseId} is not held`);
    return { body: outcome };
  }

  async #completeBatch(request: RecordedRequest): Promise<FakeReply> {
    await sleep(this.completionDelayMs);
    const { completions } = request.body as { completions: BatchCompletion[] };
    const results = completions.map((c) => {
      const outcome = this.#applyCompletion(c, 'batch', request);
      if (outcome === undefined)
        return { leaseId: c.leaseId, ok: false, code: 'LEASE_LOST', detail: 'not held' };
      return { leaseId: c.leaseId, ok: true, disposition: outcome.disposition, jobId: outcome.job.jobId };
    });
    return { body: { results } };
  }

  #applyCompletion(
    completion: BatchCompletion,
    via: 'single' | 'batch',
    request: RecordedRequest,
  ): { job: Job; disposition: CompletionDisposition } | undefined {
    const entry = this.#byLease(completion.leaseId, completion.fencingToken, request);
    if (entry === undefined) return undefined;
    this.completions.push({ ...completion, via, at: Date.now() });
    entry.leaseId = null;
    const disposition: CompletionDisposition =
      completion.outcome === 'failed'
        ? completion.error?.retryable === true
          ? 'retry_scheduled'
          : 'dead_lettered'
        : completion.outcome;
    const status =
      disposition === 'retry_scheduled'
        ? 'pending'
        : disposition === 'dead_lettered'
          ? 'failed'
          : disposition;
    entry.job = { ...entry.job, status, result: completion.result ?? null };
    return { job: entry.job, disposition };
  }

  #artifacts(request: RecordedRequest): FakeReply {
    const leaseId = decodeURIComponent(request.path.split('/').at(-2) ?? '');
    const body = request.body as { fencingToken: number; artifacts: { uri: string }[] };
    const entry = this.#byLease(leaseId, body.fencingToken, request);
    if (entry === undefined) return problem(409, 'LEASE_LOST', `lease ${leaseId} is not held`);
    const items = body.artifacts.map((a) => ({ ...a, artifactId: randomUUID(), jobId: entry.job.jobId }));
    return { status: 201, body: { items } };
  }

  #until(): string {
    return new Date(Date.now() + 30_000).toISOString();
  }
}

function sleep(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
}
