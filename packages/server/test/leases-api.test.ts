import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('worker bridge (in-process, PGlite)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  beforeEach(() => {
    h.newTenant();
  });
  afterAll(async () => {
    await h.close();
  });

  async function submit(body: Record<string, unknown> = {}) {
    const res = await h.call('POST', '/jobs', { jobType: 'scan', ...body });
    expect(res.statusCode).toBe(201);
    const job: { jobId: string } = res.json();
    return job;
  }

  async function lease(extra: Record<string, unknown> = {}) {
    const res = await h.call('POST', '/leases', { workerId: 'w1', jobTypes: ['scan'], ...extra });
    expect(res.statusCode).toBe(200);
    return res.json().leases as {
      leaseId: string;
      fencingToken: number;
      leaseUntil: string;
      job: { jobId: string; attempt: number };
    }[];
  }

  it('runs a job through lease, heartbeat, progress, artifacts and success', async () => {
    const { jobId } = await submit({ payload: { url: 'https://example.test/feed' } });
    const [l] = await lease();
    expect(l).toBeDefined();
    expect(l!.job).toMatchObject({
      jobId,
      attempt: 1,
      status: 'leased',
      payload: { url: 'https://example.test/feed' },
    });
    const proof = { fencingToken: l!.fencingToken };
    const hb = await h.call('POST', `/leases/${l!.leaseId}/heartbeat`, proof);
    expect(hb.statusCode).toBe(200);
    expect(hb.json()).toMatchObject({ jobId, cancelRequested: false, status: 'running' });
    expect(Date.parse(hb.json().leaseUntil)).toBeGreaterThanOrEqual(Date.parse(l!.leaseUntil) - 5);
    expect(
      (await h.call('POST', `/leases/${l!.leaseId}/progress`, { ...proof, progress: { done: 5, of: 10 } }))
        .statusCode,
    ).toBe(200);
    const art = await h.call('POST', `/leases/${l!.leaseId}/artifacts`, {
      ...proof,
      artifacts: [
        { uri: 's3://bucket/out.json', digest: DIGEST, sizeBytes: 42, mediaType: 'application/json' },
      ],
    });
    expect(art.statusCode).toBe(201);
    const done = await h.call('POST', `/leases/${l!.leaseId}/complete`, {
      ...proof,
      outcome: 'succeeded',
      result: { items: 3 },
    });
    expect(done.statusCode).toBe(200);
    expect(done.json()).toMatchObject({
      disposition: 'succeeded',
      job: { status: 'succeeded', result: { items: 3 }, progress: { done: 5, of: 10 } },
    });
    const twice = await h.call('POST', `/leases/${l!.leaseId}/complete`, { ...proof, outcome: 'succeeded' });
    expect(twice.statusCode).toBe(409);
    expect(twice.json().code).toBe('LEASE_LOST');
    const history = (await h.call('GET', `/jobs/${jobId}/history`))
      .json()
      .items.map((e: { toStatus: string }) => e.toStatus);
    expect(history).toEqual(['pending', 'leased', 'running', 'succeeded']);
    expect((await h.call('GET', `/jobs/${jobId}/artifacts`)).json().items[0]).toMatchObject({
      digest: DIGEST,
      sizeBytes: 42,
    });
  });

  it('refuses a stale fencing token after the lease lapsed and the job was leased again', async () => {
    const { jobId } = await submit();
    const [first] = await lease({ leaseDurationMs: 1_000 });
    await new Promise((r) => setTimeout(r, 1_200));
    const reaped = await h.jobs.reapExpiredLeases();
    expect(reaped.map((r) => r.jobId)).toContain(jobId);
    await h.call('POST', `/jobs/${jobId}/retry`, {});
    const [second] = await lease();
    expect(second!.job.jobId).toBe(jobId);
    expect(second!.fencingToken).toBeGreaterThan(first!.fencingToken);
    const stale = await h.call('POST', `/leases/${first!.leaseId}/complete`, {
      fencingToken: first!.fencingToken,
      outcome: 'succeeded',
    });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().code).toBe('LEASE_LOST');
    const forged = await h.call('POST', `/leases/${second!.leaseId}/heartbeat`, {
      fencingToken: first!.fencingToken,
    });
    expect(forged.json().code).toBe('LEASE_LOST');
    const job = (await h.call('GET', `/jobs/${jobId}`)).json();
    expect(job).toMatchObject({ status: 'leased', attempt: 2 });
    expect(job.lease.leaseId).toBe(second!.leaseId);
  });

  it('retries a retryable failure after its back-off and dead-letters a non-retryable one', async () => {
    const retryable = await submit({ maxAttempts: 3 });
    const [l1] = await lease();
    const failed = await h.call('POST', `/leases/${l1!.leaseId}/complete`, {
      fencingToken: l1!.fencingToken,
      outcome: 'failed',
      error: { type: 'UpstreamTimeout', message: 'feed timed out', retryable: true, retryAfterMs: 1_500 },
    });
    expect(failed.json()).toMatchObject({
      disposition: 'retry_scheduled',
      job: { status: 'pending', attempt: 1, lastError: { type: 'UpstreamTimeout' } },
    });
    const eligibleAt = Date.parse(failed.json().job.nextEligibleAt);
    expect(eligibleAt - Date.now()).toBeGreaterThan(1_000);
    expect(await lease()).toHaveLength(0);
    await new Promise((r) => setTimeout(r, Math.max(0, eligibleAt - Date.now()) + 50));
    const [l2] = await lease();
    expect(l2!.job).toMatchObject({ jobId: retryable.jobId, attempt: 2 });
    await h.call('POST', `/leases/${l2!.leaseId}/complete`, {
      fencingToken: l2!.fencingToken,
      outcome: 'succeeded',
    });

    const poison = await submit();
    const [l3] = await lease();
    const dead = await h.call('POST', `/leases/${l3!.leaseId}/complete`, {
      fencingToken: l3!.fencingToken,
      outcome: 'failed',
      error: { type: 'SchemaMismatch', message: 'bad document', retryable: false },
    });
    expect(dead.json()).toMatchObject({ disposition: 'dead_lettered', job: { status: 'failed' } });
    const dlq = (await h.call('GET', '/deadletter')).json();
    expect(dlq.items).toHaveLength(1);
    expect(dlq.items[0]).toMatchObject({
      jobId: poison.jobId,
      errorType: 'SchemaMismatch',
      status: 'open',
      attempts: 1,
    });
    const retried = await h.call('POST', `/jobs/${poison.jobId}/retry`, {});
    expect(retried.statusCode).toBe(201);
    expect(retried.json()).toMatchObject({ replayOf: poison.jobId, status: 'pending', attempt: 0 });
    expect((await h.call('GET', '/deadletter?status=replayed')).json().items).toHaveLength(1);
  });

  it('tells a worker at its heartbeat that cancel was requested, then ends the job canceled', async () => {
    const { jobId } = await submit();
    const [l] = await lease();
    const cancel = await h.call('POST', `/jobs/${jobId}/cancel`, { reason: 'operator said so' });
    expect(cancel.json()).toMatchObject({ status: 'leased', cancelRequested: true });
    const hb = await h.call('POST', `/leases/${l!.leaseId}/heartbeat`, { fencingToken: l!.fencingToken });
    expect(hb.json().cancelRequested).toBe(true);
    const done = await h.call('POST', `/leases/${l!.leaseId}/complete`, {
      fencingToken: l!.fencingToken,
      outcome: 'canceled',
    });
    expect(done.json()).toMatchObject({ disposition: 'canceled', job: { status: 'canceled' } });
  });

  it('wakes a waiting lease call as soon as work arrives', async () => {
    // Polling is set far beyond the test's bounds, so only a wake-up can answer in time.
    const slow = await startHarness({ leasePollIntervalMs: 60_000 });
    try {
      const started = Date.now();
      const waiting = slow.call('POST', '/leases', { workerId: 'w', jobTypes: ['scan'], waitMs: 20_000 });
      await new Promise((r) => setTimeout(r, 300));
      await slow.call('POST', '/jobs', { jobType: 'scan' });
      const res = await waiting;
      expect(res.json().leases).toHaveLength(1);
      // Woken by the submission, not by the 20 s deadline.
      expect(Date.now() - started).toBeLessThan(5_000);
      const empty = Date.now();
      const none = await slow.call('POST', '/leases', { workerId: 'w', jobTypes: ['scan'], waitMs: 500 });
      expect(none.json().leases).toHaveLength(0);
      expect(Date.now() - empty).toBeGreaterThanOrEqual(450);
    } finally {
      await slow.close();
    }
  });

  it('keeps a waiting lease call open over real HTTP until work arrives', async () => {
    const real = await startHarness({ leasePollIntervalMs: 60_000 });
    try {
      const url = await real.app.listen({ host: '127.0.0.1', port: 0 });
      const headers = {
        'content-type': 'application/json',
        authorization: `Bearer ${await real.tokenFor()}`,
      };
      const started = Date.now();
      const waiting = fetch(`${url}/api/v1/orchestrator/leases`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ workerId: 'w', jobTypes: ['scan'], waitMs: 20_000 }),
      });
      await new Promise((r) => setTimeout(r, 1_000));
      await fetch(`${url}/api/v1/orchestrator/jobs`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ jobType: 'scan' }),
      });
      const body = (await (await waiting).json()) as { leases: unknown[] };
      expect(body.leases).toHaveLength(1);
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    } finally {
      await real.close();
    }
  });

  it('leases in batches, highest priority first and FIFO within a priority', async () => {
    const low = await submit({ priority: -1 });
    const a = await submit();
    const b = await submit();
    const high = await submit({ priority: 10 });
    const leases = await lease({ limit: 3 });
    expect(leases.map((l) => l.job.jobId)).toEqual([high.jobId, a.jobId, b.jobId]);
    expect((await lease({ limit: 3 })).map((l) => l.job.jobId)).toEqual([low.jobId]);
  });

  it('completes and heartbeats in batches, item by item', async () => {
    await submit();
    await submit();
    const [l1, l2] = await lease({ limit: 2 });
    const hb = await h.call('POST', '/leases/heartbeat', {
      heartbeats: [
        { leaseId: l1!.leaseId, fencingToken: l1!.fencingToken },
        { leaseId: l2!.leaseId, fencingToken: 999 },
      ],
    });
    expect(hb.json().results.map((r: { ok: boolean }) => r.ok)).toEqual([true, false]);
    const res = await h.call('POST', '/leases/complete', {
      completions: [
        { leaseId: l1!.leaseId, fencingToken: l1!.fencingToken, outcome: 'succeeded' },
        { leaseId: l2!.leaseId, fencingToken: l2!.fencingToken + 1, outcome: 'succeeded' },
        {
          leaseId: l2!.leaseId,
          fencingToken: l2!.fencingToken,
          outcome: 'failed',
          error: { type: 'E', message: 'm', retryable: false },
        },
      ],
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().results).toMatchObject([
      { ok: true, disposition: 'succeeded' },
      { ok: false, code: 'LEASE_LOST' },
      { ok: true, disposition: 'dead_lettered' },
    ]);
  });

  it('answers every item of a batch in order, in the documented shape, refusing bad items on their own', async () => {
    const { jobId } = await submit();
    const [l] = await lease();
    const unknown = '00000000-0000-4000-8000-000000000000';
    const res = await h.call('POST', '/leases/complete', {
      completions: [
        { leaseId: 'not-a-uuid', fencingToken: 1, outcome: 'succeeded' },
        { leaseId: l!.leaseId, fencingToken: l!.fencingToken, outcome: 'failed' },
        { leaseId: l!.leaseId.toUpperCase(), fencingToken: l!.fencingToken, outcome: 'succeeded', result: 7 },
        { leaseId: unknown, fencingToken: 1, outcome: 'canceled' },
      ],
    });
    expect(res.statusCode).toBe(200);
    const results = res.json().results as Record<string, unknown>[];
    expect(results.map((r) => Object.keys(r).sort())).toEqual([
      ['code', 'detail', 'leaseId', 'ok'],
      ['code', 'detail', 'leaseId', 'ok'],
      ['disposition', 'jobId', 'leaseId', 'ok'],
      ['code', 'detail', 'leaseId', 'ok'],
    ]);
    expect(results).toEqual([
      { leaseId: 'not-a-uuid', ok: false, code: 'LEASE_LOST', detail: expect.stringContaining('not held') },
      {
        leaseId: l!.leaseId,
        ok: false,
        code: 'VALIDATION_FAILED',
        detail: 'error: is required when outcome is failed',
      },
      { leaseId: l!.leaseId.toUpperCase(), ok: true, disposition: 'succeeded', jobId },
      { leaseId: unknown, ok: false, code: 'LEASE_LOST', detail: expect.stringContaining('not held') },
    ]);
    expect((await h.call('GET', `/jobs/${jobId}`)).json()).toMatchObject({ status: 'succeeded', result: 7 });
  });
});
