import { explainJob, type JobWhy, type NewJob, type TenantJobStore } from '@stella-orch/core';
import { expect, test } from 'vitest';
import {
  createOne,
  freshTenant,
  leaseOne,
  newJob,
  NO_BACKOFF,
  TEST_ACTOR,
  type ConformanceContext,
} from './job-store-fixtures.js';
import { registerTestSource } from './sources.testsuite.js';

const OPTIONS = { maxQueueAhead: 3 };
const RETRYABLE = { type: 'HttpTimeout', message: 'upstream slow', retryable: true } as const;
const FATAL = { type: 'Fatal', message: 'no', retryable: false } as const;

/** What `GET /jobs/{id}/why` answers for `jobId`, from the facts the store reads. */
async function why(tenant: TenantJobStore, jobId: string): Promise<JobWhy> {
  const read = await tenant.readJobHoldFacts(jobId, OPTIONS);
  if (read === null) throw new Error(`job ${jobId} not found`);
  return explainJob(read.job, read.facts);
}

const codesOf = (answer: JobWhy) => answer.conditions.map((c) => c.code);

async function create(tenant: TenantJobStore, jobs: readonly NewJob[]) {
  return (await tenant.createJobs({ jobs, actor: TEST_ACTOR })).map((c) => c.job);
}

/** The facts of `GET /jobs/{id}/why` read for real: each condition produced by the ledger. */
export function jobWhyTests(ctx: ConformanceContext): void {
  test('an unknown or malformed id has no facts; another tenant does not see the job', async () => {
    const tenant = freshTenant(ctx.store);
    const job = await createOne(tenant);
    expect(await tenant.readJobHoldFacts('00000000-0000-4000-8000-000000000000', OPTIONS)).toBeNull();
    expect(await tenant.readJobHoldFacts('not-a-uuid', OPTIONS)).toBeNull();
    expect(await freshTenant(ctx.store).readJobHoldFacts(job.jobId, OPTIONS)).toBeNull();
  });

  test('a waiting child names the parents that have not succeeded, with their status', async () => {
    const tenant = freshTenant(ctx.store);
    const a = await createOne(tenant, { jobType: 'a' });
    const b = await createOne(tenant, { jobType: 'b' });
    const [kid] = await create(tenant, [{ ...newJob({ jobType: 'kid' }), dependsOn: [a.jobId, b.jobId] }]);
    await leaseOne(tenant, { jobType: 'a' });
    const { lease } = await leaseOne(tenant, { jobType: 'b' });
    await tenant.completeJob({ ...lease, outcome: 'succeeded', retryDelaysMs: [] });

    const answer = await why(tenant, kid!.jobId);
    expect(answer).toMatchObject({ status: 'waiting', runnable: false });
    expect(answer.conditions).toEqual([
      expect.objectContaining({
        code: 'DEPENDENCY_NOT_MET',
        details: { parents: [{ jobId: a.jobId, status: 'leased' }] },
      }),
    ]);
  });

  test('a retry backing off after a failed completion says attempt n of max and until when', async () => {
    const tenant = freshTenant(ctx.store);
    const job = await createOne(tenant);
    const { lease } = await leaseOne(tenant);
    const done = await tenant.completeJob({
      ...lease,
      outcome: 'failed',
      error: RETRYABLE,
      retryDelaysMs: [3_600_000],
    });
    expect(done.disposition).toBe('retry_scheduled');

    const answer = await why(tenant, job.jobId);
    expect(answer).toMatchObject({ status: 'pending', runnable: false });
    expect(answer.conditions).toEqual([
      expect.objectContaining({
        code: 'BACKOFF',
        until: done.job.nextEligibleAt,
        details: { attempt: 1, maxAttempts: 3, errorType: 'HttpTimeout', errorMessage: 'upstream slow' },
      }),
    ]);
    expect(answer.conditions[0]?.message).toMatch(/attempt 1 of 3 failed .* \(in 59m 5\ds\)$/);
  });

  test('a job scheduled with notBefore says so, not back-off', async () => {
    const tenant = freshTenant(ctx.store);
    const notBefore = new Date(Date.now() + 3_600_000).toISOString();
    const job = await createOne(tenant, { notBefore });
    const answer = await why(tenant, job.jobId);
    expect(answer.runnable).toBe(false);
    expect(answer.conditions).toEqual([
      expect.objectContaining({ code: 'NOT_BEFORE', until: job.nextEligibleAt, details: { notBefore } }),
    ]);
  });

  test("a paused source's job names who paused it, when, why and the ticket", async () => {
    const tenant = freshTenant(ctx.store);
    const sources = ctx.sources.forTenant(tenant.tenantId);
    const sourceId = await registerTestSource(sources);
    const job = await createOne(tenant, { sourceId });
    await sources.changeSourceState({
      sourceId,
      change: { action: 'pause', pause: { reason: 'upstream outage', ticket: 'INC-7' } },
      actor: TEST_ACTOR,
    });

    const answer = await why(tenant, job.jobId);
    expect(answer).toMatchObject({ status: 'pending', runnable: false });
    expect(answer.conditions).toEqual([
      expect.objectContaining({
        code: 'SOURCE_PAUSED',
        details: expect.objectContaining({
          sourceId,
          pausedBy: TEST_ACTOR.subject,
          reason: 'upstream outage',
          ticket: 'INC-7',
        }) as unknown,
      }),
    ]);
  });

  test("a disabled source's job is held until the source is enabled, then ready", async () => {
    const tenant = freshTenant(ctx.store);
    const sources = ctx.sources.forTenant(tenant.tenantId);
    const sourceId = await registerTestSource(sources);
    const job = await createOne(tenant, { sourceId });
    await sources.changeSourceState({ sourceId, change: { action: 'disable' }, actor: TEST_ACTOR });
    expect(codesOf(await why(tenant, job.jobId))).toEqual(['SOURCE_DISABLED']);

    await sources.changeSourceState({ sourceId, change: { action: 'enable' }, actor: TEST_ACTOR });
    const answer = await why(tenant, job.jobId);
    expect(answer).toMatchObject({ runnable: true });
    expect(codesOf(answer)).toEqual(['READY']);
  });

  test('a leased job names its worker, lease and attempt; a cancel request is flagged', async () => {
    const tenant = freshTenant(ctx.store);
    const job = await createOne(tenant);
    const { lease } = await leaseOne(tenant, { workerId: 'worker-7' });
    expect((await why(tenant, job.jobId)).conditions).toEqual([
      expect.objectContaining({
        code: 'LEASED',
        until: lease.leaseUntil,
        details: { workerId: 'worker-7', leaseUntil: lease.leaseUntil, attempt: 1, maxAttempts: 3 },
      }),
    ]);

    await tenant.cancelJob({ jobId: job.jobId, reason: 'wrong input', actor: TEST_ACTOR });
    const answer = await why(tenant, job.jobId);
    expect(answer.runnable).toBe(false);
    expect(codesOf(answer)).toEqual(['LEASED', 'CANCEL_REQUESTED']);
    expect(answer.conditions[1]?.details).toEqual({ reason: 'wrong input' });
  });

  test('a child canceled because its parent failed names the parent', async () => {
    const tenant = freshTenant(ctx.store);
    const parent = await createOne(tenant, { jobType: 'parent' });
    const [kid] = await create(tenant, [{ ...newJob({ jobType: 'kid' }), dependsOn: [parent.jobId] }]);
    const { lease } = await leaseOne(tenant, { jobType: 'parent' });
    await tenant.completeJob({ ...lease, outcome: 'failed', error: FATAL, retryDelaysMs: NO_BACKOFF });

    const answer = await why(tenant, kid!.jobId);
    expect(answer).toMatchObject({ status: 'canceled', runnable: false });
    expect(answer.conditions).toEqual([
      expect.objectContaining({
        code: 'TERMINAL',
        details: expect.objectContaining({
          status: 'canceled',
          reason: `dependency_failed: ${parent.jobId}`,
          dependencyJobId: parent.jobId,
        }) as unknown,
      }),
    ]);
    expect((await why(tenant, parent.jobId)).conditions[0]?.details).toMatchObject({
      status: 'failed',
      errorType: 'Fatal',
    });
  });

  test('a ready job counts the ready jobs of its type ahead of it, up to the cap', async () => {
    const tenant = freshTenant(ctx.store);
    const first = await createOne(tenant, { priority: 5 });
    const urgent = await createOne(tenant, { priority: 9 });
    await createOne(tenant, { jobType: 'other', priority: 9 });
    const behind = await createOne(tenant, { priority: 5 });
    await createOne(tenant, { priority: 1 });

    const ready = (answer: JobWhy) => answer.conditions[0]?.details;
    expect(ready(await why(tenant, urgent.jobId))).toMatchObject({ jobsAhead: 0, jobsAheadCapped: false });
    expect(ready(await why(tenant, first.jobId))).toMatchObject({ jobsAhead: 1, jobsAheadCapped: false });
    expect(ready(await why(tenant, behind.jobId))).toMatchObject({ jobsAhead: 2, jobsAheadCapped: false });

    await create(tenant, [newJob({ priority: 9 }), newJob({ priority: 9 })]);
    const crowded = await why(tenant, behind.jobId);
    expect(crowded).toMatchObject({ runnable: true });
    expect(ready(crowded)).toMatchObject({ jobsAhead: 3, jobsAheadCapped: true });
    expect(crowded.conditions[0]?.message).toContain('more than 3 ready job(s)');
  });
}
