import { describe, it, expect } from 'vitest';
import { DEFAULT_RETRY_POLICY, MAX_RETRY_AFTER_MS, retryDelaySchedule, type RetryPolicy } from './backoff.js';
import type { CircuitStateChange } from './circuit-breaker.js';
import type { JsonValue } from './canonical-json.js';
import { OrchestratorError, type FieldError } from './errors.js';
import type { Actor, Job, JobArtifact, JobFailure } from './job.js';
import type { EndedAttempt, JobMetrics, JobOrigin, LeaseGrant, LeaseOperation } from './job-metrics.js';
import {
  DEFAULT_JOB_SERVICE_OPTIONS,
  JobService,
  requireJob,
  type JobServiceOptions,
} from './job-service.js';
import type {
  CompleteJobParams,
  CompletedJob,
  CompletionResult,
  CreatedJob,
  HeartbeatParams as StoreHeartbeatParams,
  HeartbeatResult,
  JobStore,
  LeasedJob,
  LeaseState,
  NewArtifact,
  NewJob,
  PoolLeaseParams,
  TenantJobStore,
} from './job-store.js';
import { toNewJob, type JobSubmission } from './job-submission.js';
import type { Ids } from './ports.js';
import type { QueueDepth } from './queue-depth.js';
import type { RequestContext } from './request-context.js';

// ---------------------------------------------------------------------------------------------------------
// A hand-written in-memory fake of the JobStore port. It records every call (tenant, method, params) and
// answers with plain canned values; the rules of the real ledger are tested with the ledgers themselves.
// ---------------------------------------------------------------------------------------------------------

interface Call {
  readonly tenantId: string | null;
  readonly method: string;
  readonly params: unknown;
}

const NOW = '2030-01-01T00:00:00.000Z';
/** When the fake's completed attempts were leased: 2.5 s before {@link NOW}. */
const LEASED_AT = '2029-12-31T23:59:57.500Z';

function fakeJob(overrides: Partial<Job> = {}): Job {
  return {
    jobId: 'job-x',
    tenantId: 't1',
    projectId: null,
    sourceId: null,
    runId: null,
    jobType: 'scan',
    priority: 0,
    payload: {},
    payloadDigest: 'sha256:' + '0'.repeat(64),
    dependsOn: [],
    status: 'pending',
    attempt: 0,
    maxAttempts: 3,
    idempotencyKey: null,
    correlationId: 'corr',
    notBefore: null,
    nextEligibleAt: NOW,
    lease: null,
    cancelRequested: false,
    replayOf: null,
    lastError: null,
    progress: null,
    result: null,
    createdAt: NOW,
    updatedAt: NOW,
    startedAt: null,
    completedAt: null,
    ...overrides,
  };
}

class FakeJobStore implements JobStore {
  readonly calls: Call[] = [];
  readonly tenantsAsked: string[] = [];
  /** When set, every tenant operation rejects with it. */
  failWith: Error | undefined;
  /** When set, batch operations answer one item too few (a broken adapter). */
  answerShort = false;

  forTenant(tenantId: string): TenantJobStore {
    this.tenantsAsked.push(tenantId);
    const record = <T>(method: string, params: unknown, answer: () => T): Promise<T> => {
      this.calls.push({ tenantId, method, params });
      return this.failWith === undefined ? Promise.resolve(answer()) : Promise.reject(this.failWith);
    };
    return {
      tenantId,
      createJobs: (params) =>
        record('createJobs', params, (): CreatedJob[] =>
          params.jobs.map((job) => ({ job: jobFrom(job, tenantId), created: true })),
        ),
      getJob: (jobId) => record('getJob', jobId, () => null),
      listJobs: (query) => record('listJobs', query, () => ({ items: [], nextPageToken: null })),
      listJobHistory: (jobId) => record('listJobHistory', jobId, () => null),
      listJobArtifacts: (jobId) => record('listJobArtifacts', jobId, () => null),
      summarizeJobs: (filter) =>
        record('summarizeJobs', filter, () => ({
          total: 0,
          byStatus: { waiting: 0, pending: 0, leased: 0, running: 0, succeeded: 0, failed: 0, canceled: 0 },
          byJobType: [],
        })),
      cancelJob: (params) =>
        record('cancelJob', params, () => fakeJob({ jobId: params.jobId, tenantId, status: 'canceled' })),
      retryJob: (params) =>
        record('retryJob', params, () => ({
          job: fakeJob({ jobId: params.newJob.jobId, tenantId, replayOf: params.jobId }),
          created: true,
        })),
      replayJob: (params) =>
        record('replayJob', params, () => ({
          job: fakeJob({ jobId: params.newJob.jobId, tenantId, replayOf: params.jobId }),
          created: true,
        })),
      leaseJobs: (params) =>
        record('leaseJobs', params, (): LeasedJob[] => {
          const lease = { leaseId: 'lease-1', fencingToken: 1, leaseUntil: NOW, workerId: params.workerId };
          return [{ job: fakeJob({ tenantId, status: 'leased', lease }), lease }];
        }),
      heartbeat: (params) =>
        record('heartbeat', params, (): LeaseState => ({
          jobId: 'job-x',
          leaseUntil: NOW,
          cancelRequested: false,
          status: 'running',
        })),
      addArtifacts: (params) =>
        record('addArtifacts', params, (): JobArtifact[] =>
          params.artifacts.map((a) => ({ ...a, jobId: 'job-x', attempt: 1, createdAt: NOW })),
        ),
      completeJob: (params) =>
        record('completeJob', params, (): CompletedJob => ({
          job: fakeJob({ tenantId, status: params.outcome === 'failed' ? 'pending' : params.outcome }),
          disposition: params.outcome === 'failed' ? 'retry_scheduled' : params.outcome,
          leasedAt: LEASED_AT,
        })),
      // A lease id starting with `lost` is not current; every other one completes.
      completeJobs: (params) =>
        record('completeJobs', params, (): CompletionResult[] =>
          this.#short(
            params.completions.map(({ leaseId, outcome }) =>
              leaseId.startsWith('lost')
                ? { ok: false, leaseId, error: new OrchestratorError('LEASE_LOST', `${leaseId} is gone`) }
                : {
                    ok: true,
                    leaseId,
                    job: fakeJob({ tenantId, status: outcome === 'failed' ? 'pending' : outcome }),
                    disposition: outcome === 'failed' ? 'retry_scheduled' : outcome,
                    leasedAt: LEASED_AT,
                  },
            ),
          ),
        ),
      extendLeases: (params) =>
        record('extendLeases', params, (): HeartbeatResult[] =>
          this.#short(
            params.heartbeats.map(({ leaseId }) =>
              leaseId.startsWith('lost')
                ? { ok: false, leaseId, error: new OrchestratorError('LEASE_LOST', `${leaseId} is gone`) }
                : {
                    ok: true,
                    leaseId,
                    jobId: `job-of-${leaseId}`,
                    leaseUntil: NOW,
                    cancelRequested: false,
                    status: 'running',
                  },
            ),
          ),
        ),
      createRun: (params) =>
        record('createRun', params, () => ({
          run: {
            runId: params.run.runId,
            tenantId,
            name: params.run.name,
            sourceId: params.run.sourceId,
            status: 'empty' as const,
            counts: { waiting: 0, pending: 0, leased: 0, running: 0, succeeded: 0, failed: 0, canceled: 0 },
            total: 0,
            createdAt: NOW,
          },
          created: true,
        })),
      getRun: (runId) => record('getRun', runId, () => null),
      listRuns: (query) => record('listRuns', query, () => ({ items: [], nextPageToken: null })),
      listDeadLetters: (query) =>
        record('listDeadLetters', query, () => ({ items: [], nextPageToken: null })),
      readJobGraph: (jobId) => record('readJobGraph', jobId, () => null),
      readRunGraph: (runId) => record('readRunGraph', runId, () => null),
      readJobHoldFacts: (jobId) => record('readJobHoldFacts', jobId, () => null),
    };
  }

  #short<T>(answers: T[]): T[] {
    return this.answerShort ? answers.slice(1) : answers;
  }

  leaseAcrossTenants(params: PoolLeaseParams): Promise<LeasedJob[]> {
    this.calls.push({ tenantId: null, method: 'leaseAcrossTenants', params });
    const lease = { leaseId: 'lease-p', fencingToken: 1, leaseUntil: NOW, workerId: params.workerId };
    return Promise.resolve([{ job: fakeJob({ tenantId: 'acme', status: 'leased', lease }), lease }]);
  }

  reapExpiredLeases(params: { readonly limit: number; readonly retryDelaysMs: readonly number[] }) {
    this.calls.push({ tenantId: null, method: 'reapExpiredLeases', params });
    return Promise.resolve([
      { tenantId: 't1', jobId: 'job-x', jobType: 'scan', disposition: 'retry_scheduled' as const },
    ]);
  }

  queueDepths(): Promise<QueueDepth[]> {
    this.calls.push({ tenantId: null, method: 'queueDepths', params: null });
    return Promise.resolve([]);
  }

  onLimitHolds(): () => void {
    return () => undefined;
  }

  evaluateCircuitBreakers(params: { readonly limit: number }): Promise<CircuitStateChange[]> {
    this.calls.push({ tenantId: null, method: 'evaluateCircuitBreakers', params });
    return Promise.resolve([]);
  }

  onJobsReady(): () => void {
    return () => undefined;
  }

  checkReady(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** The params of the only call made, checking its method and tenant. */
  only(method: string, tenantId: string | null = CTX.tenantId): unknown {
    expect(this.calls.map((c) => c.method)).toEqual([method]);
    expect(this.calls[0]!.tenantId).toBe(tenantId);
    return this.calls[0]!.params;
  }
}

function jobFrom(job: NewJob, tenantId: string): Job {
  const { traceparent, tracestate, eventTime, lane, ...fields } = job;
  return fakeJob({
    ...fields,
    tenantId,
    ...(traceparent == null ? {} : { traceparent }),
    ...(tracestate == null ? {} : { tracestate }),
    ...(eventTime == null ? {} : { eventTime }),
    ...(lane === 'backfill' ? { lane } : {}),
  });
}

/** Deterministic ids and a scripted random source. */
class FakeIds implements Ids {
  #next = 0;
  randomCalls = 0;
  readonly randomValue: number | (() => number);
  constructor(randomValue: number | (() => number) = 0) {
    this.randomValue = randomValue;
  }
  uuid(): string {
    this.#next += 1;
    return `uuid-${this.#next}`;
  }
  random(): number {
    this.randomCalls += 1;
    return typeof this.randomValue === 'number' ? this.randomValue : this.randomValue();
  }
}

const ACTOR: Actor = { subject: 'alice', clientId: 'cli', scopes: ['orch:write'] };
const CTX: RequestContext = { tenantId: 't1', actor: ACTOR, correlationId: 'corr-ctx' };
const PROOF = { leaseId: 'lease-1', fencingToken: 4 } as const;
const DIGEST = 'sha256:' + 'ab'.repeat(32);

function setup(options: Partial<JobServiceOptions> = {}, random: number | (() => number) = 0) {
  const store = new FakeJobStore();
  const ids = new FakeIds(random);
  const service = new JobService({ store, ids }, options);
  return { store, ids, service };
}

async function rejection(promise: Promise<unknown>): Promise<OrchestratorError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OrchestratorError) return error;
    throw error;
  }
  throw new Error('expected the promise to reject');
}

function fieldErrors(error: OrchestratorError): FieldError[] {
  expect(error.code).toBe('VALIDATION_FAILED');
  return (error.details as { errors: FieldError[] }).errors;
}

function fieldPaths(error: OrchestratorError): string[] {
  return fieldErrors(error).map((e) => e.path);
}

// ---------------------------------------------------------------------------------------------------------

describe('JobService options', () => {
  it('uses the documented defaults', () => {
    expect(DEFAULT_JOB_SERVICE_OPTIONS).toEqual({
      retryPolicy: DEFAULT_RETRY_POLICY,
      defaultMaxAttempts: 3,
      defaultLeaseDurationMs: 30_000,
      minLeaseDurationMs: 1_000,
      maxLeaseDurationMs: 3_600_000,
      maxLeaseBatch: 100,
      maxPayloadBytes: 1_048_576,
      backfillLaneShare: 0.25,
      tenantWeights: {},
    });
    expect(setup().service.options).toEqual(DEFAULT_JOB_SERVICE_OPTIONS);
  });

  it('merges partial options over the defaults', () => {
    const { service } = setup({ maxLeaseBatch: 5, defaultMaxAttempts: 9 });
    expect(service.options).toEqual({
      ...DEFAULT_JOB_SERVICE_OPTIONS,
      maxLeaseBatch: 5,
      defaultMaxAttempts: 9,
    });
  });
});

describe('JobService.submitJobs', () => {
  describe('a single job', () => {
    it('validates, completes and hands the job to the tenant’s ledger with the actor', async () => {
      const { store, service } = setup();
      const result = await service.submitJobs(CTX, [{ jobType: 'scan', payload: { b: 1, a: 2 } }], {
        batch: false,
      });

      const params = store.only('createJobs') as { jobs: NewJob[]; actor: Actor };
      expect(store.tenantsAsked).toEqual(['t1']);
      expect(params.actor).toBe(ACTOR);
      expect(params.jobs).toEqual([
        toNewJob(
          { jobType: 'scan', payload: { b: 1, a: 2 } },
          { jobId: 'uuid-1', correlationId: 'corr-ctx', maxAttempts: 3 },
        ),
      ]);
      expect(params.jobs[0]).toMatchObject({
        jobId: 'uuid-1',
        idempotencyKey: null,
        correlationId: 'corr-ctx',
      });
      expect(params.jobs[0]).not.toHaveProperty('traceparent');
      expect(result).toHaveLength(1);
      expect(result[0]).toMatchObject({ created: true, job: { jobId: 'uuid-1', tenantId: 't1' } });
    });

    it('gives the job the trace context of the request', async () => {
      const { store, service } = setup();
      const trace = {
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        tracestate: 'congo=t61rcWkgMzE',
      };
      const result = await service.submitJobs({ ...CTX, trace }, [{ jobType: 'scan' }], { batch: false });
      const params = store.only('createJobs') as { jobs: NewJob[] };
      expect(params.jobs[0]).toMatchObject(trace);
      expect(result).toHaveLength(1);
      expect(result[0]).toMatchObject({ created: true, job: { jobId: 'uuid-1', tenantId: 't1' } });
    });

    it('takes the header key as the job’s idempotency key', async () => {
      const { store, service } = setup();
      await service.submitJobs(CTX, [{ jobType: 'scan' }], { batch: false, idempotencyKey: 'req-1' });
      const { jobs } = store.only('createJobs') as { jobs: NewJob[] };
      expect(jobs[0]!.idempotencyKey).toBe('req-1');
    });

    it('accepts a body key equal to the header key', async () => {
      const { store, service } = setup();
      await service.submitJobs(CTX, [{ jobType: 'scan', idempotencyKey: 'req-1' }], {
        batch: false,
        idempotencyKey: 'req-1',
      });
      expect((store.only('createJobs') as { jobs: NewJob[] }).jobs[0]!.idempotencyKey).toBe('req-1');
    });

    it('keeps a body key when there is no header', async () => {
      const { store, service } = setup();
      await service.submitJobs(CTX, [{ jobType: 'scan', idempotencyKey: 'own' }], { batch: false });
      expect((store.only('createJobs') as { jobs: NewJob[] }).jobs[0]!.idempotencyKey).toBe('own');
    });

    it('refuses a body key that differs from the header key, with VALIDATION_FAILED', async () => {
      const { store, service } = setup();
      const error = await rejection(
        service.submitJobs(CTX, [{ jobType: 'scan', idempotencyKey: 'body' }], {
          batch: false,
          idempotencyKey: 'header',
        }),
      );
      expect(error.status).toBe(400);
      expect(fieldErrors(error)).toEqual([
        { path: 'idempotencyKey', message: 'differs from the Idempotency-Key header' },
      ]);
      expect(store.calls).toEqual([]);
    });

    it('reports the key conflict together with the field errors', async () => {
      const { store, service } = setup();
      const error = await rejection(
        service.submitJobs(CTX, [{ jobType: '', priority: 1.5, idempotencyKey: 'body' }], {
          batch: false,
          idempotencyKey: 'header',
        }),
      );
      expect(fieldPaths(error)).toEqual(['jobType', 'priority', 'idempotencyKey']);
      expect(store.calls).toEqual([]);
    });

    it('validates the header key like a body key', async () => {
      const { store, service } = setup();
      const error = await rejection(
        service.submitJobs(CTX, [{ jobType: 'scan' }], { batch: false, idempotencyKey: 'has space' }),
      );
      expect(fieldPaths(error)).toEqual(['idempotencyKey']);
      expect(store.calls).toEqual([]);
    });

    it('uses field paths without a prefix', async () => {
      const { service } = setup();
      const error = await rejection(
        service.submitJobs(CTX, [{ jobType: '', maxAttempts: 0 }], { batch: false }),
      );
      expect(fieldPaths(error)).toEqual(['jobType', 'maxAttempts']);
    });

    it('uses the service’s default maxAttempts, and the submission’s own correlation id', async () => {
      const { store, service } = setup({ defaultMaxAttempts: 8 });
      await service.submitJobs(CTX, [{ jobType: 'scan', correlationId: 'own-corr' }], { batch: false });
      const { jobs } = store.only('createJobs') as { jobs: NewJob[] };
      expect(jobs[0]).toMatchObject({ maxAttempts: 8, correlationId: 'own-corr' });
    });

    it('gives the same request digest to the same job submitted with keys in another order', async () => {
      const { store, service } = setup();
      await service.submitJobs(CTX, [{ jobType: 'scan', priority: 2, payload: { x: 1, y: [1, 2] } }], {
        batch: false,
      });
      await service.submitJobs(CTX, [{ payload: { y: [1, 2], x: 1 }, priority: 2, jobType: 'scan' }], {
        batch: false,
      });
      const [first, second] = store.calls.map((c) => (c.params as { jobs: NewJob[] }).jobs[0]!);
      expect(first!.jobId).not.toBe(second!.jobId);
      expect(first!.requestDigest).toBe(second!.requestDigest);
      expect(first!.payloadDigest).toBe(second!.payloadDigest);
    });
  });

  describe('a batch', () => {
    it('derives `<key>:<i>` for every job without its own key', async () => {
      const { store, service } = setup();
      await service.submitJobs(
        CTX,
        [{ jobType: 'a' }, { jobType: 'b', idempotencyKey: 'mine' }, { jobType: 'c' }, { jobType: 'd' }],
        { batch: true, idempotencyKey: 'batch-7' },
      );
      const { jobs } = store.only('createJobs') as { jobs: NewJob[] };
      expect(jobs.map((j) => j.idempotencyKey)).toEqual(['batch-7:0', 'mine', 'batch-7:2', 'batch-7:3']);
      expect(jobs.map((j) => j.jobId)).toEqual(['uuid-1', 'uuid-2', 'uuid-3', 'uuid-4']);
      expect(jobs.map((j) => j.jobType)).toEqual(['a', 'b', 'c', 'd']);
    });

    it('derives keys with two- and three-digit indexes', async () => {
      const { store, service } = setup();
      const submissions = Array.from({ length: 120 }, (): JobSubmission => ({ jobType: 'scan' }));
      await service.submitJobs(CTX, submissions, { batch: true, idempotencyKey: 'k' });
      const keys = (store.only('createJobs') as { jobs: NewJob[] }).jobs.map((j) => j.idempotencyKey);
      expect(keys[10]).toBe('k:10');
      expect(keys[119]).toBe('k:119');
      expect(new Set(keys).size).toBe(120);
    });

    it('leaves keys null without a header', async () => {
      const { store, service } = setup();
      await service.submitJobs(CTX, [{ jobType: 'a' }, { jobType: 'b', idempotencyKey: 'mine' }], {
        batch: true,
      });
      const { jobs } = store.only('createJobs') as { jobs: NewJob[] };
      expect(jobs.map((j) => j.idempotencyKey)).toEqual([null, 'mine']);
    });

    it('does not treat a job’s own key as a conflict with the header', async () => {
      const { store, service } = setup();
      await service.submitJobs(CTX, [{ jobType: 'a', idempotencyKey: 'other' }], {
        batch: true,
        idempotencyKey: 'header',
      });
      expect((store.only('createJobs') as { jobs: NewJob[] }).jobs[0]!.idempotencyKey).toBe('other');
    });

    it('gives every job the context’s correlation id, actor and tenant', async () => {
      const { store, service } = setup();
      const ctx: RequestContext = { tenantId: 'tenant-b', actor: ACTOR, correlationId: 'corr-b' };
      await service.submitJobs(ctx, [{ jobType: 'a' }, { jobType: 'b' }], { batch: true });
      const params = store.only('createJobs', 'tenant-b') as { jobs: NewJob[]; actor: Actor };
      expect(params.jobs.map((j) => j.correlationId)).toEqual(['corr-b', 'corr-b']);
      expect(params.actor).toBe(ACTOR);
      expect(store.tenantsAsked).toEqual(['tenant-b']);
    });

    it('reports field errors of every job, prefixed with jobs[i].', async () => {
      const { store, service } = setup();
      const error = await rejection(
        service.submitJobs(
          CTX,
          [
            { jobType: 'ok' },
            { jobType: '', priority: 5000 },
            { jobType: 'ok' },
            { jobType: 'ok', runId: ' ' },
          ],
          { batch: true, idempotencyKey: 'k' },
        ),
      );
      expect(fieldPaths(error)).toEqual(['jobs[1].jobType', 'jobs[1].priority', 'jobs[3].runId']);
      expect(error.message).toContain('jobs[1].jobType: ');
      expect(store.calls).toEqual([]);
    });
  });

  describe('batch size', () => {
    const message = { path: 'jobs', message: 'must hold 1 to 1000 jobs' };

    it('refuses an empty submission', async () => {
      for (const batch of [true, false]) {
        const { store, service } = setup();
        const error = await rejection(service.submitJobs(CTX, [], { batch }));
        expect(fieldErrors(error)).toEqual([message]);
        expect(store.calls).toEqual([]);
      }
    });

    it('accepts exactly 1000 jobs', async () => {
      const { store, service } = setup();
      const submissions = Array.from({ length: 1000 }, (): JobSubmission => ({ jobType: 'scan' }));
      const created = await service.submitJobs(CTX, submissions, { batch: true });
      expect(created).toHaveLength(1000);
      expect((store.only('createJobs') as { jobs: NewJob[] }).jobs).toHaveLength(1000);
    });

    it('refuses 1001 jobs before looking at them', async () => {
      const { store, service } = setup();
      const submissions = Array.from({ length: 1001 }, (): JobSubmission => ({ jobType: '' }));
      const error = await rejection(service.submitJobs(CTX, submissions, { batch: true }));
      expect(fieldErrors(error)).toEqual([message]);
      expect(store.calls).toEqual([]);
    });
  });

  describe('payload size', () => {
    /** A payload whose canonical JSON is exactly `bytes` bytes long: {"s":"xxx…"} is 8 bytes plus the x's. */
    const payloadOf = (bytes: number, char = 'x'): JsonValue => ({
      s: char.repeat((bytes - 8) / Buffer.byteLength(char, 'utf8')),
    });

    it('accepts a payload of exactly 1 MiB of canonical JSON by default', async () => {
      const { store, service } = setup();
      const payload = payloadOf(1_048_576);
      expect(Buffer.byteLength(JSON.stringify(payload))).toBe(1_048_576);
      await service.submitJobs(CTX, [{ jobType: 'scan', payload }], { batch: false });
      expect((store.only('createJobs') as { jobs: NewJob[] }).jobs).toHaveLength(1);
    });

    it('refuses one byte more with PAYLOAD_TOO_LARGE', async () => {
      const { store, service } = setup();
      const error = await rejection(
        service.submitJobs(CTX, [{ jobType: 'scan', payload: payloadOf(1_048_577) }], { batch: false }),
      );
      expect(error.code).toBe('PAYLOAD_TOO_LARGE');
      expect(error.status).toBe(413);
      expect(error.message).toBe('payload is 1048577 bytes; the limit is 1048576');
      expect(error.details).toEqual({ path: 'payload', sizeBytes: 1_048_577, maxPayloadBytes: 1_048_576 });
      expect(store.calls).toEqual([]);
    });

    it('counts UTF-8 bytes of the canonical JSON, not characters or the caller’s whitespace', async () => {
      const { store, service } = setup({ maxPayloadBytes: 20 });
      // {"s":"éééééé"} is 14 characters but 20 bytes.
      await service.submitJobs(CTX, [{ jobType: 'scan', payload: payloadOf(20, 'é') }], { batch: false });
      expect(store.calls).toHaveLength(1);
      const error = await rejection(
        service.submitJobs(CTX, [{ jobType: 'scan', payload: payloadOf(22, 'é') }], { batch: false }),
      );
      expect(error.details).toEqual({ path: 'payload', sizeBytes: 22, maxPayloadBytes: 20 });
    });

    it('names the job of a batch', async () => {
      const { store, service } = setup({ maxPayloadBytes: 100 });
      const error = await rejection(
        service.submitJobs(
          CTX,
          [
            { jobType: 'a', payload: payloadOf(100) },
            { jobType: 'b' },
            { jobType: 'c', payload: payloadOf(101) },
          ],
          { batch: true },
        ),
      );
      expect(error.code).toBe('PAYLOAD_TOO_LARGE');
      expect(error.details).toEqual({ path: 'jobs[2].payload', sizeBytes: 101, maxPayloadBytes: 100 });
      expect(error.message).toBe('jobs[2].payload is 101 bytes; the limit is 100');
      expect(store.calls).toEqual([]);
    });

    it('counts a missing payload as {}', async () => {
      const { service } = setup({ maxPayloadBytes: 1 });
      const error = await rejection(service.submitJobs(CTX, [{ jobType: 'scan' }], { batch: false }));
      expect(error.details).toEqual({ path: 'payload', sizeBytes: 2, maxPayloadBytes: 1 });
    });

    it('reports field errors before the payload size', async () => {
      const { service } = setup({ maxPayloadBytes: 10 });
      const error = await rejection(
        service.submitJobs(CTX, [{ jobType: '', payload: payloadOf(50) }], { batch: false }),
      );
      expect(fieldPaths(error)).toEqual(['jobType']);
    });
  });

  it('passes ledger errors through unchanged', async () => {
    const { store, service } = setup();
    const conflict = new OrchestratorError('IDEMPOTENCY_CONFLICT', 'key reused');
    store.failWith = conflict;
    await expect(service.submitJobs(CTX, [{ jobType: 'scan' }], { batch: false })).rejects.toBe(conflict);
  });
});

describe('JobService.leaseJobs', () => {
  type LeaseParams = {
    jobTypes: readonly string[];
    limit: number;
    leaseDurationMs: number;
    workerId: string;
  };

  it('leases one job for 30 s by default', async () => {
    const { store, service } = setup();
    const leased = await service.leaseJobs(CTX, { workerId: 'w1', jobTypes: ['scan'] });
    expect(store.only('leaseJobs') as LeaseParams).toEqual({
      jobTypes: ['scan'],
      limit: 1,
      leaseDurationMs: 30_000,
      workerId: 'w1',
      backfillLaneShare: 0.25,
    });
    expect(leased[0]!.lease.workerId).toBe('w1');
  });

  it('passes the limit and duration asked for', async () => {
    const { store, service } = setup();
    await service.leaseJobs(CTX, {
      workerId: 'w2',
      jobTypes: ['a', 'b'],
      limit: 25,
      leaseDurationMs: 120_000,
    });
    expect(store.only('leaseJobs') as LeaseParams).toEqual({
      jobTypes: ['a', 'b'],
      limit: 25,
      leaseDurationMs: 120_000,
      workerId: 'w2',
      backfillLaneShare: 0.25,
    });
  });

  it('leases across tenants for a pool worker (tenant *), with the tenants’ weights', async () => {
    const { store, service } = setup({ tenantWeights: { acme: 3 } });
    const leased = await service.leaseJobs({ ...CTX, tenantId: '*' }, { workerId: 'w', jobTypes: ['a'] });
    expect(store.only('leaseAcrossTenants', null)).toEqual({
      jobTypes: ['a'],
      limit: 1,
      leaseDurationMs: 30_000,
      workerId: 'w',
      backfillLaneShare: 0.25,
      tenantWeights: { acme: 3 },
    });
    expect(store.tenantsAsked).toEqual([]);
    expect(leased[0]!.job.tenantId).toBe('acme');
  });

  it('runs nothing else for the pool tenant *', async () => {
    const { store, service } = setup();
    const pool = { ...CTX, tenantId: '*' };
    const error = await rejection(service.heartbeat(pool, { leaseId: 'l', fencingToken: 1 }));
    expect(error.code).toBe('FORBIDDEN');
    await expect(service.submitJobs(pool, [{ jobType: 'scan' }], { batch: false })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(store.tenantsAsked).toEqual([]);
  });

  it('uses the service’s default lease duration', async () => {
    const { store, service } = setup({ defaultLeaseDurationMs: 5_000 });
    await service.leaseJobs(CTX, { workerId: 'w', jobTypes: ['a'] });
    expect((store.only('leaseJobs') as LeaseParams).leaseDurationMs).toBe(5_000);
  });

  it.each([
    [1, 1_000],
    [100, 3_600_000],
  ])('accepts the bounds limit %d, duration %d', async (limit, leaseDurationMs) => {
    const { store, service } = setup();
    const jobTypes = Array.from({ length: 100 }, (_, i) => `type-${i}`);
    await service.leaseJobs(CTX, { workerId: 'w', jobTypes, limit, leaseDurationMs });
    expect(store.only('leaseJobs') as LeaseParams).toMatchObject({ limit, leaseDurationMs });
  });

  it.each([[[]], [Array.from({ length: 101 }, (_, i) => `t${i}`)]])(
    'refuses a list of %# job types outside 1–100',
    async (jobTypes) => {
      const { store, service } = setup();
      const error = await rejection(service.leaseJobs(CTX, { workerId: 'w', jobTypes }));
      expect(fieldErrors(error)).toEqual([{ path: 'jobTypes', message: 'must list 1 to 100 job types' }]);
      expect(store.calls).toEqual([]);
    },
  );

  it.each([0, -1, 101, 1.5, Number.NaN])('refuses limit %d', async (limit) => {
    const { store, service } = setup();
    const error = await rejection(service.leaseJobs(CTX, { workerId: 'w', jobTypes: ['a'], limit }));
    expect(fieldErrors(error)).toEqual([{ path: 'limit', message: 'must be an integer from 1 to 100' }]);
    expect(store.calls).toEqual([]);
  });

  it('bounds the limit by maxLeaseBatch', async () => {
    const { service } = setup({ maxLeaseBatch: 10 });
    await expect(service.leaseJobs(CTX, { workerId: 'w', jobTypes: ['a'], limit: 10 })).resolves.toHaveLength(
      1,
    );
    const error = await rejection(service.leaseJobs(CTX, { workerId: 'w', jobTypes: ['a'], limit: 11 }));
    expect(fieldErrors(error)).toEqual([{ path: 'limit', message: 'must be an integer from 1 to 10' }]);
  });

  it.each([999, 3_600_001, 0, -30_000, 1_500.5, Number.NaN, Infinity])(
    'refuses lease duration %d',
    async (leaseDurationMs) => {
      const { store, service } = setup();
      const error = await rejection(
        service.leaseJobs(CTX, { workerId: 'w', jobTypes: ['a'], leaseDurationMs }),
      );
      expect(fieldErrors(error)).toEqual([
        { path: 'leaseDurationMs', message: 'must be an integer from 1000 to 3600000' },
      ]);
      expect(store.calls).toEqual([]);
    },
  );

  it('bounds the duration by the configured minimum and maximum', async () => {
    const { service } = setup({ minLeaseDurationMs: 10, maxLeaseDurationMs: 20, defaultLeaseDurationMs: 15 });
    await expect(service.leaseJobs(CTX, { workerId: 'w', jobTypes: ['a'] })).resolves.toHaveLength(1);
    const error = await rejection(
      service.leaseJobs(CTX, { workerId: 'w', jobTypes: ['a'], leaseDurationMs: 21 }),
    );
    expect(fieldErrors(error)).toEqual([
      { path: 'leaseDurationMs', message: 'must be an integer from 10 to 20' },
    ]);
  });

  it('reports every problem at once', async () => {
    const { service } = setup();
    const error = await rejection(
      service.leaseJobs(CTX, { workerId: 'w', jobTypes: [], limit: 0, leaseDurationMs: 1 }),
    );
    expect(fieldPaths(error)).toEqual(['jobTypes', 'limit', 'leaseDurationMs']);
  });
});

describe('JobService.heartbeat', () => {
  type HeartbeatParams = {
    leaseId: string;
    fencingToken: number;
    leaseDurationMs: number;
    progress?: unknown;
  };

  it('extends by the default duration without progress', async () => {
    const { store, service } = setup();
    const state = await service.heartbeat(CTX, PROOF);
    const params = store.only('heartbeat') as HeartbeatParams;
    expect(params).toEqual({ leaseId: 'lease-1', fencingToken: 4, leaseDurationMs: 30_000 });
    expect('progress' in params).toBe(false);
    expect(state).toEqual({ jobId: 'job-x', leaseUntil: NOW, cancelRequested: false, status: 'running' });
  });

  it('passes the duration and progress asked for', async () => {
    const { store, service } = setup();
    await service.heartbeat(CTX, PROOF, { leaseDurationMs: 60_000, progress: { done: 3, of: 10 } });
    expect(store.only('heartbeat') as HeartbeatParams).toEqual({
      leaseId: 'lease-1',
      fencingToken: 4,
      leaseDurationMs: 60_000,
      progress: { done: 3, of: 10 },
    });
  });

  it('passes falsy progress values (null, 0, "") but not undefined', async () => {
    for (const progress of [null, 0, '', false]) {
      const { store, service } = setup();
      await service.heartbeat(CTX, PROOF, { progress });
      const params = store.only('heartbeat') as HeartbeatParams;
      expect('progress' in params).toBe(true);
      expect(params.progress).toBe(progress);
    }
    const { store, service } = setup();
    await service.heartbeat(CTX, PROOF, {});
    expect('progress' in (store.only('heartbeat') as HeartbeatParams)).toBe(false);
  });

  it.each([1_000, 3_600_000])('accepts the bound %d', async (leaseDurationMs) => {
    const { store, service } = setup();
    await service.heartbeat(CTX, PROOF, { leaseDurationMs });
    expect((store.only('heartbeat') as HeartbeatParams).leaseDurationMs).toBe(leaseDurationMs);
  });

  it.each([999, 3_600_001, 0, -1, 2_000.5, Number.NaN, Infinity])(
    'refuses duration %d',
    async (leaseDurationMs) => {
      const { store, service } = setup();
      const error = await rejection(service.heartbeat(CTX, PROOF, { leaseDurationMs }));
      expect(error.status).toBe(400);
      expect(fieldErrors(error)).toEqual([
        { path: 'leaseDurationMs', message: 'must be an integer from 1000 to 3600000' },
      ]);
      expect(store.calls).toEqual([]);
    },
  );

  it('checks a configured default duration too', async () => {
    const { service } = setup({ defaultLeaseDurationMs: 500 });
    const error = await rejection(service.heartbeat(CTX, PROOF));
    expect(fieldPaths(error)).toEqual(['leaseDurationMs']);
  });

  it('passes LEASE_LOST from the ledger through', async () => {
    const { store, service } = setup();
    const lost = new OrchestratorError('LEASE_LOST', 'stale fencing token');
    store.failWith = lost;
    await expect(service.heartbeat(CTX, PROOF)).rejects.toBe(lost);
  });
});

describe('JobService.addArtifacts', () => {
  type ArtifactParams = { leaseId: string; fencingToken: number; artifacts: NewArtifact[] };
  const artifact = (
    overrides: Partial<Omit<NewArtifact, 'artifactId'>> = {},
  ): Omit<NewArtifact, 'artifactId'> => ({
    uri: 's3://bucket/out.json',
    digest: DIGEST,
    sizeBytes: 1_024,
    mediaType: 'application/json',
    ...overrides,
  });

  it('gives every artifact a new id and passes the lease proof', async () => {
    const { store, service } = setup();
    const result = await service.addArtifacts(CTX, PROOF, [
      artifact(),
      artifact({ uri: 's3://b/2', sizeBytes: 0 }),
    ]);
    expect(store.only('addArtifacts') as ArtifactParams).toEqual({
      leaseId: 'lease-1',
      fencingToken: 4,
      artifacts: [
        { ...artifact(), artifactId: 'uuid-1' },
        { ...artifact({ uri: 's3://b/2', sizeBytes: 0 }), artifactId: 'uuid-2' },
      ],
    });
    expect(result.map((a) => a.artifactId)).toEqual(['uuid-1', 'uuid-2']);
  });

  it('accepts 100 artifacts and the largest safe size', async () => {
    const { store, service } = setup();
    const many = Array.from({ length: 100 }, () => artifact({ sizeBytes: Number.MAX_SAFE_INTEGER }));
    await service.addArtifacts(CTX, PROOF, many);
    expect((store.only('addArtifacts') as ArtifactParams).artifacts).toHaveLength(100);
  });

  it.each([
    'sha256:' + 'AB'.repeat(32),
    'sha256:' + 'a'.repeat(63),
    'sha256:' + 'a'.repeat(65),
    'ab'.repeat(32),
    'sha512:' + 'a'.repeat(64),
    'md5:d41d8cd98f00b204e9800998ecf8427e',
    '',
  ])('refuses digest %j', async (digest) => {
    const { store, service } = setup();
    const error = await rejection(service.addArtifacts(CTX, PROOF, [artifact(), artifact({ digest })]));
    expect(fieldErrors(error)).toEqual([
      { path: 'artifacts[1].digest', message: 'must be sha256:<64 lowercase hex>' },
    ]);
    expect(store.calls).toEqual([]);
  });

  it.each([-1, 1.5, Number.NaN, Infinity, Number.MAX_SAFE_INTEGER + 1])(
    'refuses size %d',
    async (sizeBytes) => {
      const { store, service } = setup();
      const error = await rejection(service.addArtifacts(CTX, PROOF, [artifact({ sizeBytes })]));
      expect(fieldErrors(error)).toEqual([
        { path: 'artifacts[0].sizeBytes', message: 'must be a whole number ≥ 0' },
      ]);
      expect(store.calls).toEqual([]);
    },
  );

  it('refuses an empty list and more than 100 artifacts', async () => {
    const message = { path: 'artifacts', message: 'must hold 1 to 100 artifacts' };
    const { store, service } = setup();
    expect(fieldErrors(await rejection(service.addArtifacts(CTX, PROOF, [])))).toEqual([message]);
    const tooMany = Array.from({ length: 101 }, () => artifact());
    expect(fieldErrors(await rejection(service.addArtifacts(CTX, PROOF, tooMany)))).toEqual([message]);
    expect(store.calls).toEqual([]);
  });

  it('reports every problem at once, per artifact and then the count', async () => {
    const { service } = setup();
    const bad = Array.from({ length: 101 }, (_, i) =>
      i === 2 ? artifact({ digest: 'x', sizeBytes: -5 }) : artifact(),
    );
    const error = await rejection(service.addArtifacts(CTX, PROOF, bad));
    expect(fieldPaths(error)).toEqual(['artifacts[2].digest', 'artifacts[2].sizeBytes', 'artifacts']);
  });
});

describe('JobService.completeJob', () => {
  const failure: JobFailure = { type: 'HttpTimeout', message: 'upstream timed out', retryable: true };

  it('refuses a failure without an error', async () => {
    const { store, service } = setup();
    const error = await rejection(service.completeJob(CTX, { ...PROOF, outcome: 'failed' }));
    expect(fieldErrors(error)).toEqual([{ path: 'error', message: 'is required when outcome is failed' }]);
    expect(store.calls).toEqual([]);
  });

  it.each(['succeeded', 'canceled'] as const)('refuses an error with outcome %s', async (outcome) => {
    const { store, service } = setup();
    const error = await rejection(service.completeJob(CTX, { ...PROOF, outcome, error: failure }));
    expect(fieldErrors(error)).toEqual([
      { path: 'error', message: 'is only allowed when outcome is failed' },
    ]);
    expect(store.calls).toEqual([]);
  });

  it('passes a success with its result and no retry schedule (nothing to retry)', async () => {
    const { store, ids, service } = setup({}, 0);
    const completed = await service.completeJob(CTX, {
      ...PROOF,
      outcome: 'succeeded',
      result: { rows: 12 },
    });
    const params = store.only('completeJob') as CompleteJobParams;
    expect(params).toEqual({
      leaseId: 'lease-1',
      fencingToken: 4,
      outcome: 'succeeded',
      result: { rows: 12 },
      retryDelaysMs: [],
    });
    expect(ids.randomCalls).toBe(0);
    expect(completed.disposition).toBe('succeeded');
  });

  it('passes a cancellation without an error', async () => {
    const { store, service } = setup();
    await service.completeJob(CTX, { ...PROOF, outcome: 'canceled' });
    const params = store.only('completeJob') as CompleteJobParams;
    expect(params.outcome).toBe('canceled');
    expect(params.error).toBeUndefined();
    expect(params.retryDelaysMs).toEqual([]);
  });

  it('passes a failure with the back-off schedule of the retry policy, jittered by the Ids port', async () => {
    const { store, ids, service } = setup({}, 0.5);
    const completed = await service.completeJob(CTX, { ...PROOF, outcome: 'failed', error: failure });
    const params = store.only('completeJob') as CompleteJobParams;
    expect(params.error).toBe(failure);
    expect(params.retryDelaysMs).toHaveLength(100);
    expect(params.retryDelaysMs.slice(0, 3)).toEqual([900, 1_800, 3_600]);
    expect(params.retryDelaysMs[99]).toBe(270_000);
    expect(ids.randomCalls).toBe(100);
    expect(completed.disposition).toBe('retry_scheduled');
  });

  it('draws a fresh random number for every entry of the schedule', async () => {
    let i = 0;
    const { store, service } = setup({}, () => (i++ % 2 === 0 ? 0 : 0.5));
    await service.completeJob(CTX, { ...PROOF, outcome: 'failed', error: failure });
    expect((store.only('completeJob') as CompleteJobParams).retryDelaysMs.slice(0, 4)).toEqual([
      1_000, 1_800, 4_000, 7_200,
    ]);
  });

  it('uses a configured retry policy', async () => {
    const retryPolicy: RetryPolicy = { initialDelayMs: 10, multiplier: 10, maxDelayMs: 5_000, jitter: 0 };
    const { store, service } = setup({ retryPolicy }, 0.9);
    await service.completeJob(CTX, { ...PROOF, outcome: 'failed', error: failure });
    const delays = (store.only('completeJob') as CompleteJobParams).retryDelaysMs;
    expect(delays).toHaveLength(100);
    expect(delays.slice(0, 5)).toEqual([10, 100, 1_000, 5_000, 5_000]);
  });

  it('honours the worker’s retryAfterMs for every attempt', async () => {
    const { store, service } = setup({}, 0.5);
    await service.completeJob(CTX, {
      ...PROOF,
      outcome: 'failed',
      error: { ...failure, retryAfterMs: 42_000 },
    });
    const delays = (store.only('completeJob') as CompleteJobParams).retryDelaysMs;
    expect(delays).toHaveLength(100);
    expect(new Set(delays)).toEqual(new Set([42_000]));
  });

  it('honours retryAfterMs 0 and bounds a huge or negative one', async () => {
    for (const [retryAfterMs, expected] of [
      [0, 0],
      [10 * MAX_RETRY_AFTER_MS, MAX_RETRY_AFTER_MS],
      [-5, 0],
    ] as const) {
      const { store, service } = setup();
      await service.completeJob(CTX, { ...PROOF, outcome: 'failed', error: { ...failure, retryAfterMs } });
      const delays = (store.only('completeJob') as CompleteJobParams).retryDelaysMs;
      expect(delays).toHaveLength(100);
      expect(delays.every((d) => d === expected)).toBe(true);
    }
  });

  it('computes the schedule for a non-retryable failure too (the ledger dead-letters it)', async () => {
    const { store, service } = setup();
    await service.completeJob(CTX, { ...PROOF, outcome: 'failed', error: { ...failure, retryable: false } });
    expect((store.only('completeJob') as CompleteJobParams).retryDelaysMs).toHaveLength(100);
  });

  it('passes LEASE_LOST from the ledger through', async () => {
    const { store, service } = setup();
    const lost = new OrchestratorError('LEASE_LOST', 'gone');
    store.failWith = lost;
    await expect(service.completeJob(CTX, { ...PROOF, outcome: 'succeeded' })).rejects.toBe(lost);
  });
});

describe('JobService.completeJobs', () => {
  const failure: JobFailure = { type: 'HttpTimeout', message: 'upstream timed out', retryable: true };
  const policySchedule = (random: number) => retryDelaySchedule(DEFAULT_RETRY_POLICY, 100, () => random);
  type Batch = { completions: CompleteJobParams[] };

  it('hands every completion to the ledger in one call, in input order', async () => {
    const { store, service } = setup();
    const results = await service.completeJobs(CTX, [
      { leaseId: 'a', fencingToken: 1, outcome: 'succeeded', result: { rows: 1 } },
      { leaseId: 'b', fencingToken: 2, outcome: 'failed', error: failure },
      { leaseId: 'c', fencingToken: 3, outcome: 'canceled' },
    ]);
    const { completions } = store.only('completeJobs') as Batch;
    expect(completions.map((c) => ({ ...c, retryDelaysMs: 'schedule' }))).toEqual([
      { leaseId: 'a', fencingToken: 1, outcome: 'succeeded', result: { rows: 1 }, retryDelaysMs: 'schedule' },
      { leaseId: 'b', fencingToken: 2, outcome: 'failed', error: failure, retryDelaysMs: 'schedule' },
      { leaseId: 'c', fencingToken: 3, outcome: 'canceled', retryDelaysMs: 'schedule' },
    ]);
    expect(results).toMatchObject([
      { ok: true, leaseId: 'a', disposition: 'succeeded' },
      { ok: true, leaseId: 'b', disposition: 'retry_scheduled' },
      { ok: true, leaseId: 'c', disposition: 'canceled' },
    ]);
  });

  it('gives every completion a schedule of its own: its own jitter draws, its own retryAfterMs', async () => {
    let draws = 0;
    // The first schedule draws 0 (no jitter), the second 0.5, the third 0 again.
    const { store, ids, service } = setup({}, () => (Math.floor(draws++ / 100) === 1 ? 0.5 : 0));
    await service.completeJobs(CTX, [
      { leaseId: 'a', fencingToken: 1, outcome: 'failed', error: failure },
      { leaseId: 'b', fencingToken: 1, outcome: 'failed', error: failure },
      { leaseId: 'c', fencingToken: 1, outcome: 'failed', error: { ...failure, retryAfterMs: 42_000 } },
    ]);
    const [a, b, c] = (store.only('completeJobs') as Batch).completions;
    expect(a!.retryDelaysMs).toEqual(policySchedule(0));
    expect(b!.retryDelaysMs).toEqual(policySchedule(0.5));
    expect(b!.retryDelaysMs.slice(0, 3)).toEqual([900, 1_800, 3_600]);
    expect(c!.retryDelaysMs).toHaveLength(100);
    expect(new Set(c!.retryDelaysMs)).toEqual(new Set([42_000]));
    expect(ids.randomCalls).toBe(300);
  });

  it('answers a malformed item with its own VALIDATION_FAILED and sends only the others', async () => {
    const { store, service } = setup();
    const results = await service.completeJobs(CTX, [
      { leaseId: 'a', fencingToken: 1, outcome: 'succeeded' },
      { leaseId: 'b', fencingToken: 1, outcome: 'failed' },
      { leaseId: 'c', fencingToken: 1, outcome: 'succeeded', error: failure },
      { leaseId: 'd', fencingToken: 1, outcome: 'failed', error: failure },
    ]);
    expect((store.only('completeJobs') as Batch).completions.map((c) => c.leaseId)).toEqual(['a', 'd']);
    expect(results.map((r) => [r.leaseId, r.ok])).toEqual([
      ['a', true],
      ['b', false],
      ['c', false],
      ['d', true],
    ]);
    const [, b, c] = results;
    expect(b!.ok ? null : fieldErrors(b!.error)).toEqual([
      { path: 'error', message: 'is required when outcome is failed' },
    ]);
    expect(c!.ok ? null : fieldErrors(c!.error)).toEqual([
      { path: 'error', message: 'is only allowed when outcome is failed' },
    ]);
  });

  it('does not call the ledger when no item is valid', async () => {
    const { store, ids, service } = setup();
    const results = await service.completeJobs(CTX, [{ leaseId: 'a', fencingToken: 1, outcome: 'failed' }]);
    expect(results).toMatchObject([{ ok: false, leaseId: 'a', error: { code: 'VALIDATION_FAILED' } }]);
    expect(store.calls).toEqual([]);
    expect(ids.randomCalls).toBe(0);
  });

  it('passes LEASE_LOST answers of the ledger through, in place', async () => {
    const { service } = setup();
    const results = await service.completeJobs(CTX, [
      { leaseId: 'lost-1', fencingToken: 1, outcome: 'succeeded' },
      { leaseId: 'b', fencingToken: 1, outcome: 'failed' },
      { leaseId: 'c', fencingToken: 1, outcome: 'succeeded' },
    ]);
    expect(results.map((r) => (r.ok ? r.leaseId : `${r.leaseId}:${r.error.code}`))).toEqual([
      'lost-1:LEASE_LOST',
      'b:VALIDATION_FAILED',
      'c',
    ]);
  });

  it('accepts 1 to 500 completions and refuses an empty or larger batch whole', async () => {
    const item = { leaseId: 'a', fencingToken: 1, outcome: 'succeeded' } as const;
    const message = { path: 'completions', message: 'must hold 1 to 500 items' };
    const { store, service } = setup();
    expect(
      await service.completeJobs(
        CTX,
        Array.from({ length: 500 }, () => item),
      ),
    ).toHaveLength(500);
    expect((store.only('completeJobs') as Batch).completions).toHaveLength(500);
    for (const size of [0, 501]) {
      const { store: untouched, service: other } = setup();
      const items = Array.from({ length: size }, () => item);
      expect(fieldErrors(await rejection(other.completeJobs(CTX, items)))).toEqual([message]);
      expect(untouched.calls).toEqual([]);
    }
  });

  it('rejects the whole call when the ledger fails, or answers the wrong number of items', async () => {
    const { store, service } = setup();
    store.failWith = new OrchestratorError('STORE_UNAVAILABLE', 'down');
    const items = [{ leaseId: 'a', fencingToken: 1, outcome: 'succeeded' } as const];
    await expect(service.completeJobs(CTX, items)).rejects.toBe(store.failWith);
    store.failWith = undefined;
    store.answerShort = true;
    expect((await rejection(service.completeJobs(CTX, items))).code).toBe('INTERNAL');
  });
});

describe('JobService.extendLeases', () => {
  type Batch = { heartbeats: StoreHeartbeatParams[] };

  it('extends every lease in one call: the default or its own duration, its progress', async () => {
    const { store, service } = setup();
    const results = await service.extendLeases(CTX, [
      { leaseId: 'a', fencingToken: 1 },
      { leaseId: 'b', fencingToken: 2, leaseDurationMs: 60_000, progress: { done: 1 } },
      { leaseId: 'lost-c', fencingToken: 3, progress: null },
    ]);
    expect((store.only('extendLeases') as Batch).heartbeats).toEqual([
      { leaseId: 'a', fencingToken: 1, leaseDurationMs: 30_000 },
      { leaseId: 'b', fencingToken: 2, leaseDurationMs: 60_000, progress: { done: 1 } },
      { leaseId: 'lost-c', fencingToken: 3, leaseDurationMs: 30_000, progress: null },
    ]);
    expect(results).toMatchObject([
      { ok: true, leaseId: 'a', jobId: 'job-of-a', cancelRequested: false },
      { ok: true, leaseId: 'b', jobId: 'job-of-b' },
      { ok: false, leaseId: 'lost-c', error: { code: 'LEASE_LOST' } },
    ]);
  });

  it('answers a bad duration with that item’s VALIDATION_FAILED', async () => {
    const { store, service } = setup();
    const results = await service.extendLeases(CTX, [
      { leaseId: 'a', fencingToken: 1, leaseDurationMs: 999 },
      { leaseId: 'b', fencingToken: 1 },
    ]);
    expect((store.only('extendLeases') as Batch).heartbeats.map((h) => h.leaseId)).toEqual(['b']);
    const [a, b] = results;
    expect(a!.ok ? null : fieldErrors(a!.error)).toEqual([
      { path: 'leaseDurationMs', message: 'must be an integer from 1000 to 3600000' },
    ]);
    expect(b).toMatchObject({ ok: true, leaseId: 'b' });
  });

  it('refuses an empty batch and one of more than 500', async () => {
    for (const size of [0, 501]) {
      const { store, service } = setup();
      const items = Array.from({ length: size }, () => ({ leaseId: 'a', fencingToken: 1 }));
      expect(fieldErrors(await rejection(service.extendLeases(CTX, items)))).toEqual([
        { path: 'heartbeats', message: 'must hold 1 to 500 items' },
      ]);
      expect(store.calls).toEqual([]);
    }
  });
});

describe('JobService.cancelJob', () => {
  it('passes the reason, the actor and the audit metadata', async () => {
    const { store, service } = setup();
    const job = await service.cancelJob(CTX, 'job-7', 'duplicate');
    expect(store.only('cancelJob')).toEqual({
      jobId: 'job-7',
      reason: 'duplicate',
      actor: ACTOR,
      audit: { correlationId: 'corr-ctx' },
    });
    expect(job.status).toBe('canceled');
  });

  it('defaults the reason', async () => {
    const { store, service } = setup();
    await service.cancelJob(CTX, 'job-7', undefined);
    expect((store.only('cancelJob') as { reason: string }).reason).toBe('canceled by operator');
  });

  it('keeps an empty reason', async () => {
    const { store, service } = setup();
    await service.cancelJob(CTX, 'job-7', '');
    expect((store.only('cancelJob') as { reason: string }).reason).toBe('');
  });
});

describe.each(['retryJob', 'replayJob'] as const)('JobService.%s', (method) => {
  it('asks for a new job id with the context’s correlation id and no key', async () => {
    const { store, service } = setup();
    const created = await service[method](CTX, 'job-1');
    expect(store.only(method)).toEqual({
      jobId: 'job-1',
      newJob: { jobId: 'uuid-1', correlationId: 'corr-ctx', idempotencyKey: null },
      actor: ACTOR,
      audit: { correlationId: 'corr-ctx' },
    });
    expect(created.job.replayOf).toBe('job-1');
  });

  it('gives the new job the trace context of the operator’s request when it has one', async () => {
    const { store, service } = setup();
    const trace = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' };
    await service[method]({ ...CTX, trace }, 'job-1');
    expect((store.only(method) as { newJob: unknown }).newJob).toEqual({
      jobId: 'uuid-1',
      correlationId: 'corr-ctx',
      idempotencyKey: null,
      traceparent: trace.traceparent,
      tracestate: null,
    });
  });

  it('passes the Idempotency-Key, up to 256 characters', async () => {
    for (const key of ['retry-1', 'k'.repeat(256)]) {
      const { store, service } = setup();
      await service[method](CTX, 'job-1', key);
      expect((store.only(method) as { newJob: { idempotencyKey: string } }).newJob.idempotencyKey).toBe(key);
    }
  });

  it('refuses an Idempotency-Key longer than 256 characters', async () => {
    const { store, ids, service } = setup();
    const error = await rejection(service[method](CTX, 'job-1', 'k'.repeat(257)));
    expect(fieldErrors(error)).toEqual([
      { path: 'Idempotency-Key', message: 'must be at most 256 characters' },
    ]);
    expect(store.calls).toEqual([]);
    expect(ids.uuid()).toBe('uuid-1');
  });

  it('passes ledger errors through', async () => {
    const { store, service } = setup();
    const notFound = new OrchestratorError('JOB_NOT_FOUND', 'no such job');
    store.failWith = notFound;
    await expect(service[method](CTX, 'job-1')).rejects.toBe(notFound);
  });
});

describe.each(['cancelJob', 'retryJob', 'replayJob'] as const)('JobService.%s audit metadata', (method) => {
  const call = (service: JobService, ctx: RequestContext) =>
    method === 'cancelJob' ? service.cancelJob(ctx, 'job-1', undefined) : service[method](ctx, 'job-1');

  it('hands the credentials’ and the request’s reason and ticket to the ledger, both', async () => {
    const { store, service } = setup();
    await call(service, {
      ...CTX,
      operator: { reason: 'maintenance', ticket: 'OPS-1' },
      requestOperator: { reason: 'duplicate feed', ticket: 'INC-2' },
    });
    expect((store.only(method) as { audit: unknown }).audit).toEqual({
      correlationId: 'corr-ctx',
      reason: 'maintenance',
      ticket: 'OPS-1',
      requestReason: 'duplicate feed',
      requestTicket: 'INC-2',
    });
  });

  it('refuses a reason or ticket outside the policy before reaching the ledger', async () => {
    const { store, service } = setup();
    const error = await rejection(call(service, { ...CTX, requestOperator: { ticket: 't'.repeat(129) } }));
    expect(fieldErrors(error)).toEqual([
      { path: 'header.x-stella-operator-ticket', message: 'must be at most 128 characters' },
    ]);
    expect(store.calls).toEqual([]);
  });
});

describe('JobService.reapExpiredLeases', () => {
  type ReapParams = { limit: number; retryDelaysMs: number[] };

  it('reaps up to 500 leases across tenants with the policy schedule', async () => {
    const { store, ids, service } = setup({}, 0);
    const reaped = await service.reapExpiredLeases();
    const params = store.only('reapExpiredLeases', null) as ReapParams;
    expect(params.limit).toBe(500);
    expect(params.retryDelaysMs).toEqual(retryDelaySchedule(DEFAULT_RETRY_POLICY, 100, () => 0));
    expect(params.retryDelaysMs).toHaveLength(100);
    expect(ids.randomCalls).toBe(100);
    expect(store.tenantsAsked).toEqual([]);
    expect(reaped).toEqual([
      { tenantId: 't1', jobId: 'job-x', jobType: 'scan', disposition: 'retry_scheduled' },
    ]);
  });

  it('passes a given limit', async () => {
    const { store, service } = setup();
    await service.reapExpiredLeases(7);
    expect((store.only('reapExpiredLeases', null) as ReapParams).limit).toBe(7);
  });
});

describe('requireJob', () => {
  it('returns the value when there is one', () => {
    const job = fakeJob();
    expect(requireJob(job, 'job-x')).toBe(job);
    expect(requireJob(0, 'j')).toBe(0);
    expect(requireJob('', 'j')).toBe('');
    expect(requireJob(false, 'j')).toBe(false);
  });

  it('throws JOB_NOT_FOUND for null', () => {
    let caught: unknown;
    try {
      requireJob(null, 'job-404');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(OrchestratorError);
    const error = caught as OrchestratorError;
    expect(error.code).toBe('JOB_NOT_FOUND');
    expect(error.status).toBe(404);
    expect(error.message).toBe('job job-404 does not exist');
    expect(error.details).toEqual({ jobId: 'job-404' });
  });
});

describe('JobService metrics', () => {
  /** A JobMetrics that keeps every call. */
  class RecordingMetrics implements JobMetrics {
    readonly created: { jobIds: string[]; origin: JobOrigin }[] = [];
    readonly leased: LeaseGrant[] = [];
    readonly ended: EndedAttempt[] = [];
    readonly canceled: string[] = [];
    readonly lost: { tenantId: string; operation: LeaseOperation; count: number }[] = [];
    readonly grantSeconds: number[] = [];
    jobsCreated(jobs: readonly Job[], origin: JobOrigin): void {
      this.created.push({ jobIds: jobs.map((j) => j.jobId), origin });
    }
    jobsLeased(grants: readonly LeaseGrant[]): void {
      this.leased.push(...grants);
    }
    leaseGrantTimed(seconds: number): void {
      this.grantSeconds.push(seconds);
    }
    limitHolds(): void {
      // not reported by the job service: the ledger's listener feeds it (see the server's app)
    }
    attemptsEnded(attempts: readonly EndedAttempt[]): void {
      this.ended.push(...attempts);
    }
    queuedJobCanceled(job: Job): void {
      this.canceled.push(job.jobId);
    }
    leasesLost(tenantId: string, operation: LeaseOperation, count: number): void {
      this.lost.push({ tenantId, operation, count });
    }
  }

  function withMetrics() {
    const store = new FakeJobStore();
    const metrics = new RecordingMetrics();
    const service = new JobService({ store, ids: new FakeIds(), metrics });
    return { store, metrics, service };
  }

  const LOST = new OrchestratorError('LEASE_LOST', 'gone');

  it('reports created jobs with their origin, and nothing for an idempotent repeat', async () => {
    const { store, metrics, service } = withMetrics();
    await service.submitJobs(CTX, [{ jobType: 'scan' }, { jobType: 'scan' }], { batch: true });
    await service.retryJob(CTX, 'job-a');
    await service.replayJob(CTX, 'job-b');
    expect(metrics.created).toEqual([
      { jobIds: ['uuid-1', 'uuid-2'], origin: 'submit' },
      { jobIds: ['uuid-3'], origin: 'retry' },
      { jobIds: ['uuid-4'], origin: 'replay' },
    ]);
    const repeat = new FakeJobStore();
    const repeatMetrics = new RecordingMetrics();
    const original = repeat.forTenant.bind(repeat);
    repeat.forTenant = (tenantId) => ({
      ...original(tenantId),
      createJobs: (params) =>
        Promise.resolve(params.jobs.map((job) => ({ job: jobFrom(job, tenantId), created: false }))),
    });
    await new JobService({ store: repeat, ids: new FakeIds(), metrics: repeatMetrics }).submitJobs(
      CTX,
      [{ jobType: 'scan' }],
      { batch: false },
    );
    expect(repeatMetrics.created).toEqual([]);
    expect(store.calls.map((c) => c.method)).toEqual(['createJobs', 'retryJob', 'replayJob']);
  });

  it('reports leases with the wait from eligibility to the lease', async () => {
    const { metrics, service } = withMetrics();
    await service.leaseJobs(CTX, { workerId: 'w1', jobTypes: ['scan'] });
    expect(metrics.leased).toEqual([{ tenantId: 't1', jobType: 'scan', queueWaitSeconds: 0 }]);
    expect(metrics.grantSeconds).toHaveLength(1);
    expect(metrics.grantSeconds[0]).toBeGreaterThanOrEqual(0);
  });

  it('reports ended attempts of completions with their run time, and lost leases by operation', async () => {
    const { metrics, service } = withMetrics();
    await service.completeJob(CTX, { ...PROOF, outcome: 'succeeded' });
    await service.completeJobs(CTX, [
      {
        leaseId: 'a',
        fencingToken: 1,
        outcome: 'failed',
        error: { type: 'E', message: 'm', retryable: true },
      },
      { leaseId: 'lost-1', fencingToken: 1, outcome: 'succeeded' },
      { leaseId: 'lost-2', fencingToken: 1, outcome: 'succeeded' },
    ]);
    await service.extendLeases(CTX, [
      { leaseId: 'lost-3', fencingToken: 1 },
      { leaseId: 'b', fencingToken: 1 },
    ]);
    expect(metrics.ended).toEqual([
      { tenantId: 't1', jobType: 'scan', outcome: 'succeeded', endedBy: 'worker', runSeconds: 2.5 },
      { tenantId: 't1', jobType: 'scan', outcome: 'failed-retry', endedBy: 'worker', runSeconds: 2.5 },
    ]);
    expect(metrics.lost).toEqual([
      { tenantId: 't1', operation: 'complete', count: 2 },
      { tenantId: 't1', operation: 'heartbeat', count: 1 },
    ]);
  });

  it('counts a single fenced call refused LEASE_LOST, and passes the refusal on', async () => {
    const { store, metrics, service } = withMetrics();
    store.failWith = LOST;
    expect(await rejection(service.heartbeat(CTX, PROOF))).toBe(LOST);
    expect(await rejection(service.addArtifacts(CTX, PROOF, [anArtifact()]))).toBe(LOST);
    expect(await rejection(service.completeJob(CTX, { ...PROOF, outcome: 'succeeded' }))).toBe(LOST);
    store.failWith = new OrchestratorError('STORE_UNAVAILABLE', 'down');
    await rejection(service.heartbeat(CTX, PROOF));
    expect(metrics.lost).toEqual([
      { tenantId: 't1', operation: 'heartbeat', count: 1 },
      { tenantId: 't1', operation: 'artifacts', count: 1 },
      { tenantId: 't1', operation: 'complete', count: 1 },
    ]);
    expect(metrics.ended).toEqual([]);
  });

  it('reports reaped leases as attempts the reaper ended, without a run time', async () => {
    const { metrics, service } = withMetrics();
    await service.reapExpiredLeases();
    expect(metrics.ended).toEqual([
      { tenantId: 't1', jobType: 'scan', outcome: 'failed-retry', endedBy: 'reaper', runSeconds: null },
    ]);
  });

  it('reports a cancel that ended a queued job, not one that only flagged a held job', async () => {
    const { store, metrics, service } = withMetrics();
    await service.cancelJob(CTX, 'job-q', undefined);
    const original = store.forTenant.bind(store);
    store.forTenant = (tenantId) => ({
      ...original(tenantId),
      cancelJob: (params) =>
        Promise.resolve(fakeJob({ jobId: params.jobId, status: 'running', cancelRequested: true })),
    });
    await service.cancelJob(CTX, 'job-held', undefined);
    expect(metrics.canceled).toEqual(['job-q']);
  });
});

function anArtifact() {
  return { uri: 's3://b/k', digest: DIGEST, sizeBytes: 1, mediaType: 'application/json' };
}
