import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_WORKER_CLIENT } from '../test/fake-authority.js';
import { problem } from '../test/fake-http-server.js';
import { FakeOrchestrator } from '../test/fake-orchestrator.js';
import type { JobContext } from './job-handler.js';
import { NonRetryableError, RetryableError } from './job-errors.js';
import type { LeaseGrant } from './lease-resources.js';
import { OrchestratorClient } from './orchestrator-client.js';
import { Worker } from './worker.js';
import type { WorkerSettings } from './worker-options.js';

let fake: FakeOrchestrator;
const workers: Worker[] = [];

beforeEach(async () => {
  fake = await FakeOrchestrator.start();
});

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop({ graceful: false, timeoutMs: 100 })));
  await fake.close();
});

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new Error(`aborted: ${String(signal.reason)}`));
    });
  });
}

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

function startWorker(settings: Partial<WorkerSettings> & Pick<WorkerSettings, 'handler'>): {
  worker: Worker;
  done: Promise<void>;
} {
  const worker = new Worker({
    url: fake.url,
    credentials: FAKE_WORKER_CLIENT,
    jobTypes: ['test.job'],
    pollWaitMs: 1_000,
    errorBackoff: { initialDelayMs: 10, maxDelayMs: 50 },
    ...settings,
  });
  workers.push(worker);
  const done = worker.start();
  return { worker, done };
}

describe('outcomes', () => {
  it('completes a returned value as succeeded with the value as result', async () => {
    const job = fake.enqueue({ payload: { n: 2 } });
    const { worker } = startWorker({ handler: (j) => ({ doubled: (j.payload as { n: number }).n * 2 }) });

    await until(() => fake.completions.length === 1);

    expect(fake.completions[0]).toMatchObject({
      outcome: 'succeeded',
      result: { doubled: 4 },
      via: 'single',
    });
    // The server saw the completion; the worker counts it once the answer is back.
    await until(() => worker.stats.succeeded === 1);
    expect(worker.stats).toMatchObject({ leased: 1, succeeded: 1, failed: 0 });
    expect(fake.leaseCalls[0]).toMatchObject({
      workerId: worker.workerId,
      jobTypes: ['test.job'],
      waitMs: 1_000,
    });
    expect(job.jobId).toBeDefined();
  });

  it('never holds more leases than its concurrency, even while completions are slow to be accepted', async () => {
    fake.completionDelayMs = 150;
    for (let i = 0; i < 12; i++) fake.enqueue();
    startWorker({ concurrency: 3, handler: () => 'done' });

    await until(() => fake.completions.length === 12, 10_000);

    expect(fake.maxHeldLeases).toBeLessThanOrEqual(3);
  });

  it('reports thrown errors as failures: type, message, retryable, retryAfterMs', async () => {
    class UpstreamDown extends RetryableError {}
    const errors = [
      new TypeError('boom'),
      new NonRetryableError('bad input'),
      new UpstreamDown('later', { retryAfterMs: 1500 }),
    ];
    for (let i = 0; i < errors.length; i++) fake.enqueue({ payload: i });
    startWorker({ handler: (j) => Promise.reject(errors[j.payload as number]!) });

    await until(() => fake.completions.length === 3);

    const failures = fake.completions.map((c) => c.error);
    expect(failures).toEqual([
      { type: 'TypeError', message: 'boom', retryable: true },
      { type: 'NonRetryableError', message: 'bad input', retryable: false },
      { type: 'UpstreamDown', message: 'later', retryable: true, retryAfterMs: 1500 },
    ]);
  });

  it('passes progress and artifacts through the lease', async () => {
    fake.enqueue();
    startWorker({
      handler: async (_job, ctx: JobContext) => {
        await ctx.progress({ percent: 50 });
        const [artifact] = await ctx.addArtifacts([
          { uri: 's3://b/k', digest: `sha256:${'a'.repeat(64)}`, sizeBytes: 3, mediaType: 'text/plain' },
        ]);
        return { artifactId: artifact!.artifactId, attempt: ctx.attempt };
      },
    });
    await until(() => fake.completions.length === 1);
    expect(fake.progress).toEqual([{ leaseId: fake.completions[0]!.leaseId, progress: { percent: 50 } }]);
    expect(fake.completions[0]!.result).toMatchObject({ attempt: 1 });
  });
});

describe('concurrency and leasing', () => {
  it('never runs more than `concurrency` handlers and leases only free slots', async () => {
    for (let i = 0; i < 7; i++) fake.enqueue();
    let running = 0;
    let peak = 0;
    startWorker({
      concurrency: 3,
      batchSize: 10,
      handler: async () => {
        running++;
        peak = Math.max(peak, running);
        await sleep(60);
        running--;
      },
    });

    await until(() => fake.completions.length === 7);

    expect(peak).toBe(3);
    expect(fake.completions.every((c) => c.outcome === 'succeeded')).toBe(true);
    expect(fake.leaseCalls[0]!.limit).toBe(3);
    expect(fake.leaseCalls.every((c) => (c.limit ?? 1) <= 3)).toBe(true);
  });

  it('caps one lease call at batchSize', async () => {
    for (let i = 0; i < 4; i++) fake.enqueue();
    startWorker({ concurrency: 4, batchSize: 2, handler: () => sleep(20) });
    await until(() => fake.completions.length === 4);
    expect(fake.leaseCalls[0]!.limit).toBe(2);
  });
});

describe('heartbeats', () => {
  it('heartbeats a running job every heartbeatIntervalMs', async () => {
    fake.enqueue();
    startWorker({ leaseDurationMs: 1_000, heartbeatIntervalMs: 100, handler: () => sleep(560) });

    await until(() => fake.completions.length === 1);

    const beats = fake.heartbeatsFor(fake.completions[0]!.leaseId);
    expect(beats.length).toBeGreaterThanOrEqual(4);
    expect(beats.length).toBeLessThanOrEqual(6);
    expect(beats.every((b) => b.via === 'single')).toBe(true);
  });

  it('sends the heartbeats of jobs due together in one batch call', async () => {
    for (let i = 0; i < 3; i++) fake.enqueue();
    startWorker({
      concurrency: 3,
      leaseDurationMs: 1_000,
      heartbeatIntervalMs: 100,
      handler: () => sleep(250),
    });

    await until(() => fake.completions.length === 3);

    const batchCalls = fake.http.requestsTo('POST', '/api/v1/orchestrator/leases/heartbeat');
    expect(batchCalls.length).toBeGreaterThanOrEqual(1);
    expect((batchCalls[0]!.body as { heartbeats: unknown[] }).heartbeats.length).toBeGreaterThan(1);
  });

  it('aborts the signal with reason canceled on cancelRequested and completes canceled', async () => {
    const job = fake.enqueue();
    let reason: unknown;
    startWorker({
      leaseDurationMs: 1_000,
      heartbeatIntervalMs: 50,
      handler: async (_j, ctx) => {
        fake.requestCancel(job.jobId);
        try {
          await sleep(5_000, ctx.signal);
        } finally {
          reason = ctx.signal.reason;
        }
      },
    });

    await until(() => fake.completions.length === 1);

    expect(reason).toBe('canceled');
    expect(fake.completions[0]).toMatchObject({ outcome: 'canceled' });
  });

  it('aborts with reason lease_lost on LEASE_LOST and does not complete', async () => {
    const job = fake.enqueue();
    let settled = false;
    const { worker } = startWorker({
      leaseDurationMs: 1_000,
      heartbeatIntervalMs: 50,
      handler: async (_j, ctx) => {
        fake.revokeLease(job.jobId);
        try {
          await sleep(5_000, ctx.signal);
        } finally {
          settled = ctx.signal.reason === 'lease_lost';
        }
      },
    });
    const lost: unknown[] = [];
    worker.on('leaseLost', (e) => lost.push(e.during));

    await until(() => settled);
    await sleep(100);

    expect(fake.completions).toHaveLength(0);
    expect(fake.http.requestsTo('POST', /complete$/)).toHaveLength(0);
    expect(worker.stats.lostLeases).toBe(1);
    expect(lost).toEqual(['heartbeat']);
  });
});

describe('completions', () => {
  it('batches completions that finish within the window into one call', async () => {
    for (let i = 0; i < 3; i++) fake.enqueue();
    startWorker({ concurrency: 3, completionBatchWindowMs: 30, handler: () => sleep(50) });

    await until(() => fake.completions.length === 3);

    const batchCalls = fake.http.requestsTo('POST', '/api/v1/orchestrator/leases/complete');
    expect(batchCalls).toHaveLength(1);
    expect(fake.completions.every((c) => c.via === 'batch')).toBe(true);
  });
});

describe('lost completions', () => {
  it('counts a completion answered LEASE_LOST as a lost lease', async () => {
    const job = fake.enqueue();
    const { worker } = startWorker({
      handler: () => {
        fake.revokeLease(job.jobId);
        return 'too late';
      },
    });
    const events: unknown[] = [];
    worker.on('leaseLost', (e) => events.push({ during: e.during, outcomeUnknown: e.outcomeUnknown }));

    await until(() => worker.stats.lostLeases === 1);

    expect(events).toEqual([{ during: 'complete', outcomeUnknown: false }]);
    expect(worker.stats.succeeded).toBe(0);
  });
});

describe('stopping', () => {
  it('graceful stop lets in-flight handlers finish and complete, then resolves start()', async () => {
    fake.enqueue();
    let started = false;
    const { worker, done } = startWorker({
      handler: async () => {
        started = true;
        await sleep(200);
        return 'finished';
      },
    });
    await until(() => started);

    await worker.stop({ timeoutMs: 5_000 });

    await expect(done).resolves.toBeUndefined();
    expect(fake.completions).toMatchObject([{ outcome: 'succeeded', result: 'finished' }]);
    expect(worker.stats.inFlight).toBe(0);
  });

  it('non-graceful stop aborts handlers with reason shutdown and gives the lease back as retryable', async () => {
    fake.enqueue();
    let reason: unknown;
    const { worker } = startWorker({
      handler: async (_j, ctx) => {
        try {
          await sleep(5_000, ctx.signal);
        } finally {
          reason = ctx.signal.reason;
        }
      },
    });
    await until(() => worker.stats.inFlight === 1);

    await worker.stop({ graceful: false });

    expect(reason).toBe('shutdown');
    expect(fake.completions[0]).toMatchObject({
      outcome: 'failed',
      error: { type: 'worker_shutdown', retryable: true, retryAfterMs: 0 },
    });
  });

  it('escalates a graceful stop when stop({ graceful: false }) follows', async () => {
    fake.enqueue();
    let reason: unknown;
    const { worker } = startWorker({
      handler: async (_j, ctx) => {
        try {
          await sleep(5_000, ctx.signal);
        } finally {
          reason = ctx.signal.reason;
        }
      },
    });
    await until(() => worker.stats.inFlight === 1);

    const graceful = worker.stop({ timeoutMs: 10_000 });
    await sleep(50);
    expect(reason).toBeUndefined();
    const forced = worker.stop({ graceful: false });

    expect(forced).toBe(graceful);
    await forced;
    expect(reason).toBe('shutdown');
  });

  it('gives back leases that arrive while stopping, without running them', async () => {
    const jobs = [fake.enqueue(), fake.enqueue()];
    let release: (grants: LeaseGrant[]) => void = () => undefined;
    fake.http.route('POST', '/api/v1/orchestrator/leases', async () => {
      const grants = await new Promise<LeaseGrant[]>((resolve) => (release = resolve));
      return { body: { leases: grants } };
    });
    // A fetch that does not stop on abort: the lease answer "arrives" just as the worker stops polling.
    const client = new OrchestratorClient({
      baseUrl: fake.url,
      credentials: { ...FAKE_WORKER_CLIENT, scopes: ['orch:worker'] },
      fetch: (url, init) => fetch(url, { ...init, signal: null }),
    });
    let ran = 0;
    const worker = new Worker({
      client,
      jobTypes: ['test.job'],
      concurrency: 2,
      handler: () => {
        ran++;
      },
    });
    workers.push(worker);
    const done = worker.start();
    await until(() => fake.http.requestsTo('POST', '/api/v1/orchestrator/leases').length === 1);

    const stopping = worker.stop();
    release(jobs.map((j) => fake.grant(j.jobId)));
    await stopping;
    await done;

    expect(ran).toBe(0);
    expect(fake.completions).toHaveLength(2);
    for (const c of fake.completions)
      expect(c.error).toMatchObject({ type: 'worker_shutdown', retryAfterMs: 0 });
    expect(worker.stats).toMatchObject({ leased: 2, returned: 2, failed: 0 });
  });
});

describe('resilience', () => {
  it('keeps polling through transient lease errors, backing off', async () => {
    let calls = 0;
    fake.http.route('POST', '/api/v1/orchestrator/leases', () => {
      calls++;
      return calls <= 3 ? problem(500, 'INTERNAL', 'hiccup') : { body: { leases: [] } };
    });
    const { worker } = startWorker({ idlePollDelayMs: 10, handler: () => undefined });
    const pollErrors: unknown[] = [];
    worker.on('pollError', (e) => pollErrors.push(e));

    await until(() => calls >= 5);

    expect(worker.stats.pollErrors).toBe(3);
    expect(pollErrors).toHaveLength(3);
  });

  it('does not spin against a server that answers long-polls at once', async () => {
    fake.http.route('POST', '/api/v1/orchestrator/leases', () => ({ body: { leases: [] } }));
    startWorker({ pollWaitMs: 5_000, idlePollDelayMs: 100, handler: () => undefined });
    await sleep(450);
    const calls = fake.http.requestsTo('POST', '/api/v1/orchestrator/leases').length;
    expect(calls).toBeGreaterThanOrEqual(3);
    expect(calls).toBeLessThanOrEqual(10);
  });

  it('stops and rejects start() when the server refuses lease calls for good', async () => {
    fake.http.route('POST', '/api/v1/orchestrator/leases', () =>
      problem(403, 'FORBIDDEN', 'no orch:worker scope'),
    );
    const { done } = startWorker({ handler: () => undefined });
    await expect(done).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('refuses bad settings', () => {
    expect(() => new Worker({ url: fake.url, jobTypes: [], handler: () => undefined })).toThrow(/jobTypes/);
    expect(
      () => new Worker({ url: fake.url, jobTypes: ['a'], concurrency: 0, handler: () => undefined }),
    ).toThrow(/concurrency/);
    expect(
      () =>
        new Worker({
          url: fake.url,
          jobTypes: ['a'],
          leaseDurationMs: 100,
          heartbeatIntervalMs: 100,
          handler: () => 1,
        }),
    ).toThrow(/heartbeatIntervalMs/);
  });
});
