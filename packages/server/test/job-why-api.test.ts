import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ledgerEngines, startHarnessOn, type Harness } from './harness.js';

const ENGINES = await ledgerEngines('job why API suite');

interface Condition {
  code: string;
  message: string;
  until?: string;
  details: Record<string, unknown>;
}

interface Why {
  jobId: string;
  status: string;
  runnable: boolean;
  conditions: Condition[];
  evaluatedAt: string;
}

describe.each(ENGINES)('GET /jobs/{id}/why on %s', (engine) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarnessOn(engine);
  });
  afterAll(async () => {
    await h.close();
  });
  beforeEach(() => {
    h.newTenant();
  });

  async function submit(body: Record<string, unknown>): Promise<string> {
    const res = await h.call('POST', '/jobs', { payload: {}, ...body });
    expect(res.statusCode).toBe(201);
    return res.json<{ jobId: string }>().jobId;
  }

  async function why(jobId: string): Promise<Why> {
    const res = await h.call('GET', `/jobs/${jobId}/why`);
    expect(res.statusCode).toBe(200);
    return res.json<Why>();
  }

  async function lease(jobType: string) {
    const res = await h.call('POST', '/leases', { workerId: 'worker-7', jobTypes: [jobType] });
    const [granted] = res.json<{ leases: { leaseId: string; fencingToken: number }[] }>().leases;
    expect(granted, `a ${jobType} job to lease`).toBeDefined();
    return granted!;
  }

  async function fail(jobType: string, retryable: boolean) {
    const { leaseId, fencingToken } = await lease(jobType);
    const done = await h.call('POST', `/leases/${leaseId}/complete`, {
      fencingToken,
      outcome: 'failed',
      error: { type: 'Boom', message: 'no', retryable },
    });
    expect(done.statusCode).toBe(200);
  }

  it('says a ready job waits for a worker, then who holds it once leased', async () => {
    const jobId = await submit({ jobType: 'scan' });
    const ready = await why(jobId);
    expect(ready).toMatchObject({ jobId, status: 'pending', runnable: true });
    expect(ready.conditions).toEqual([
      expect.objectContaining({
        code: 'READY',
        details: { jobType: 'scan', jobsAhead: 0, jobsAheadCapped: false },
      }),
    ]);
    expect(Date.parse(ready.evaluatedAt)).not.toBeNaN();

    await lease('scan');
    const leased = await why(jobId);
    expect(leased).toMatchObject({ status: 'leased', runnable: false });
    expect(leased.conditions[0]).toMatchObject({
      code: 'LEASED',
      details: { workerId: 'worker-7', attempt: 1 },
    });
  });

  it('explains a waiting child, and the child canceled when its parent failed', async () => {
    const parent = await submit({ jobType: 'parent', maxAttempts: 1 });
    const child = await submit({ jobType: 'child', dependsOn: [parent] });
    const waiting = await why(child);
    expect(waiting).toMatchObject({ status: 'waiting', runnable: false });
    expect(waiting.conditions).toEqual([
      expect.objectContaining({
        code: 'DEPENDENCY_NOT_MET',
        details: { parents: [{ jobId: parent, status: 'pending' }] },
      }),
    ]);

    await fail('parent', false);
    const canceled = await why(child);
    expect(canceled).toMatchObject({ status: 'canceled', runnable: false });
    expect(canceled.conditions[0]).toMatchObject({ code: 'TERMINAL', details: { dependencyJobId: parent } });
    expect(canceled.conditions[0]!.message).toContain(`parent job ${parent} ended without succeeding`);
  });

  it('tells back-off from notBefore', async () => {
    const notBefore = new Date(Date.now() + 600_000).toISOString();
    const scheduled = await why(await submit({ jobType: 'later', notBefore }));
    expect(scheduled.conditions).toEqual([
      expect.objectContaining({ code: 'NOT_BEFORE', details: { notBefore } }),
    ]);

    const retried = await submit({ jobType: 'flaky' });
    await fail('flaky', true);
    const backoff = await why(retried);
    expect(backoff).toMatchObject({ status: 'pending', runnable: false });
    expect(backoff.conditions[0]).toMatchObject({
      code: 'BACKOFF',
      details: { attempt: 1, errorType: 'Boom' },
    });
    expect(backoff.conditions[0]!.until).toBeDefined();
  });

  it("names who paused the job's source, why and the ticket", async () => {
    expect((await h.call('POST', '/sources', { sourceId: 'feed', sourceType: 'concelier' })).statusCode).toBe(
      201,
    );
    const jobId = await submit({ jobType: 'scan', sourceId: 'feed' });
    const paused = await h.call('POST', '/sources/feed/pause', {
      reason: 'upstream outage',
      ticket: 'INC-7',
    });
    expect(paused.statusCode).toBe(200);
    const answer = await why(jobId);
    expect(answer).toMatchObject({ status: 'pending', runnable: false });
    expect(answer.conditions).toEqual([
      expect.objectContaining({
        code: 'SOURCE_PAUSED',
        details: expect.objectContaining({
          sourceId: 'feed',
          reason: 'upstream outage',
          ticket: 'INC-7',
        }) as unknown,
      }),
    ]);
  });

  it("answers 404 JOB_NOT_FOUND for another tenant's job and a malformed id; needs orch:read", async () => {
    const jobId = await submit({ jobType: 'scan' });
    const mine = h.tenant;
    h.newTenant();
    const other = await h.call('GET', `/jobs/${jobId}/why`);
    expect(other.statusCode).toBe(404);
    expect(other.json()).toMatchObject({ code: 'JOB_NOT_FOUND' });
    const malformed = await h.call('GET', '/jobs/not-a-uuid/why');
    expect(malformed.statusCode).toBe(404);
    expect(malformed.json()).toMatchObject({ code: 'JOB_NOT_FOUND' });

    const worker = await h.tokenFor({ tenant: mine, scopes: ['orch:worker'] });
    const refused = await h.call('GET', `/jobs/${jobId}/why`, undefined, {
      authorization: `Bearer ${worker}`,
    });
    expect(refused.statusCode).toBe(403);
    const reader = await h.tokenFor({ tenant: mine, scopes: ['orch:read'] });
    const allowed = await h.call('GET', `/jobs/${jobId}/why`, undefined, {
      authorization: `Bearer ${reader}`,
    });
    expect(allowed.statusCode).toBe(200);
  });
});
