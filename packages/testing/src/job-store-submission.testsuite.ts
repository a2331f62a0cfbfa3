import { randomUUID } from 'node:crypto';
import { payloadDigest } from '@stella-orch/core';
import { expect, test } from 'vitest';
import {
  createOne,
  expectCode,
  freshTenant,
  newJob,
  sleep,
  TEST_ACTOR,
  type ConformanceContext,
} from './job-store-fixtures.js';

/** Submission: createJobs, getJob, idempotency, batches, runs referenced, notBefore, wake-ups. */
export function submissionTests(ctx: ConformanceContext): void {
  test('a created job is pending, eligible now, with a submitted history row', async () => {
    const tenant = freshTenant(ctx.store);
    const payload = { source: 'nvd', ids: [1, 2, 3], nested: { ok: true, text: 'héllo ✓' } };
    const input = newJob({
      jobType: 'advisory.ingest',
      payload,
      priority: 7,
      maxAttempts: 4,
      projectId: 'p1',
    });
    const [created] = await tenant.createJobs({ jobs: [input], actor: TEST_ACTOR });

    expect(created!.created).toBe(true);
    const job = created!.job;
    expect(job).toMatchObject({
      jobId: input.jobId,
      tenantId: tenant.tenantId,
      projectId: 'p1',
      jobType: 'advisory.ingest',
      priority: 7,
      payload,
      payloadDigest: payloadDigest(payload),
      status: 'pending',
      attempt: 0,
      maxAttempts: 4,
      idempotencyKey: null,
      correlationId: input.correlationId,
      notBefore: null,
      lease: null,
      cancelRequested: false,
      replayOf: null,
      lastError: null,
      result: null,
      startedAt: null,
      completedAt: null,
    });
    expect(job.nextEligibleAt).toBe(job.createdAt);
    expect(await tenant.getJob(job.jobId)).toEqual(job);

    const history = await tenant.listJobHistory(job.jobId);
    expect(history).toEqual([
      expect.objectContaining({
        sequence: 1,
        fromStatus: null,
        toStatus: 'pending',
        attempt: 0,
        reason: 'submitted',
        actor: TEST_ACTOR.subject,
      }),
    ]);
  });

  test('unknown and malformed job ids are not found', async () => {
    const tenant = freshTenant(ctx.store);
    expect(await tenant.getJob(randomUUID())).toBeNull();
    expect(await tenant.getJob('not-a-uuid')).toBeNull();
    expect(await tenant.listJobHistory(randomUUID())).toBeNull();
    expect(await tenant.listJobArtifacts('nope')).toBeNull();
  });

  test('an idempotency key with the same request returns the existing job, created: false', async () => {
    const tenant = freshTenant(ctx.store);
    const first = newJob({ idempotencyKey: 'ingest-2024-06-01', payload: { day: 1 } });
    const [a] = await tenant.createJobs({ jobs: [first], actor: TEST_ACTOR });
    const repeat = newJob({ idempotencyKey: 'ingest-2024-06-01', payload: { day: 1 } });
    const [b] = await tenant.createJobs({ jobs: [repeat], actor: TEST_ACTOR });

    expect(a!.created).toBe(true);
    expect(b!.created).toBe(false);
    expect(b!.job).toEqual(a!.job);
    expect(await tenant.getJob(repeat.jobId)).toBeNull();
    expect((await tenant.listJobs({ pageSize: 10 })).items).toHaveLength(1);
    // A repeat is no transition: still one history row.
    expect(await tenant.listJobHistory(a!.job.jobId)).toHaveLength(1);
  });

  test('an idempotency key with another request conflicts and writes nothing of the call', async () => {
    const tenant = freshTenant(ctx.store);
    await tenant.createJobs({
      jobs: [newJob({ idempotencyKey: 'k1', payload: { v: 1 } })],
      actor: TEST_ACTOR,
    });
    const innocent = newJob({ idempotencyKey: 'k2' });
    const conflicting = newJob({ idempotencyKey: 'k1', payload: { v: 2 } });

    await expectCode(
      tenant.createJobs({ jobs: [innocent, conflicting], actor: TEST_ACTOR }),
      'IDEMPOTENCY_CONFLICT',
    );
    expect(await tenant.getJob(innocent.jobId)).toBeNull();
    expect(await tenant.getJob(conflicting.jobId)).toBeNull();
    expect((await tenant.listJobs({ pageSize: 10 })).items).toHaveLength(1);
  });

  test('the same key twice in one batch: the second is a repeat, or a conflict when it differs', async () => {
    const tenant = freshTenant(ctx.store);
    const same = await tenant.createJobs({
      jobs: [newJob({ idempotencyKey: 'dup' }), newJob({ idempotencyKey: 'dup' })],
      actor: TEST_ACTOR,
    });
    expect(same.map((c) => c.created)).toEqual([true, false]);
    expect(same[1]!.job.jobId).toBe(same[0]!.job.jobId);

    const other = freshTenant(ctx.store);
    await expectCode(
      other.createJobs({
        jobs: [newJob({ idempotencyKey: 'dup' }), newJob({ idempotencyKey: 'dup', priority: 3 })],
        actor: TEST_ACTOR,
      }),
      'IDEMPOTENCY_CONFLICT',
    );
    expect((await other.listJobs({ pageSize: 10 })).items).toHaveLength(0);
  });

  test('a batch of 1,000 jobs is created in submission order', async () => {
    const tenant = freshTenant(ctx.store);
    const jobs = Array.from({ length: 1_000 }, (_, i) => newJob({ jobType: 'bulk', payload: { i } }));
    const created = await tenant.createJobs({ jobs, actor: TEST_ACTOR });

    expect(created).toHaveLength(1_000);
    expect(created.every((c) => c.created)).toBe(true);
    expect(created.map((c) => c.job.jobId)).toEqual(jobs.map((j) => j.jobId));
    const leased = await tenant.leaseJobs({
      jobTypes: ['bulk'],
      limit: 1_000,
      leaseDurationMs: 60_000,
      workerId: 'w',
    });
    expect(leased.map((l) => l.job.jobId)).toEqual(jobs.map((j) => j.jobId));
    expect((await tenant.summarizeJobs({ jobType: 'bulk' })).total).toBe(1_000);
  });

  test('a batch larger than one insert statement is still all or nothing', async () => {
    const tenant = freshTenant(ctx.store);
    const jobs = Array.from({ length: 1_001 }, (_, i) =>
      newJob({ jobType: 'bulk', idempotencyKey: `b-${i}`, payload: { i } }),
    );
    const created = await tenant.createJobs({ jobs, actor: TEST_ACTOR });
    expect(created.filter((c) => c.created)).toHaveLength(1_001);

    // Repeat everything, but job 1,000 (in the second statement) now conflicts: nothing new is written.
    const other = freshTenant(ctx.store);
    const batch = Array.from({ length: 1_001 }, (_, i) =>
      newJob({ jobType: 'bulk', idempotencyKey: `c-${i}` }),
    );
    batch[1_000] = newJob({ jobType: 'bulk', idempotencyKey: 'c-0', priority: 9 });
    await expectCode(other.createJobs({ jobs: batch, actor: TEST_ACTOR }), 'IDEMPOTENCY_CONFLICT');
    expect((await other.summarizeJobs({})).total).toBe(0);
  });

  test('a job naming an unknown run fails RUN_NOT_FOUND and writes nothing', async () => {
    const tenant = freshTenant(ctx.store);
    const fine = newJob();
    await expectCode(
      tenant.createJobs({ jobs: [fine, newJob({ runId: 'no-such-run' })], actor: TEST_ACTOR }),
      'RUN_NOT_FOUND',
    );
    expect(await tenant.getJob(fine.jobId)).toBeNull();
  });

  test('notBefore holds a job until then; a past notBefore is eligible at once', async () => {
    const tenant = freshTenant(ctx.store);
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const earlier = new Date(Date.now() - 60_000).toISOString();
    const held = await createOne(tenant, { jobType: 'timed', notBefore: later });
    const due = await createOne(tenant, { jobType: 'timed', notBefore: earlier });

    expect(held.notBefore).toBe(later);
    expect(held.nextEligibleAt).toBe(later);
    const leased = await tenant.leaseJobs({
      jobTypes: ['timed'],
      limit: 10,
      leaseDurationMs: 30_000,
      workerId: 'w',
    });
    expect(leased.map((l) => l.job.jobId)).toEqual([due.jobId]);
  });

  test('onJobsReady fires for the tenant on submit, and not after unsubscribing', async () => {
    const tenant = freshTenant(ctx.store);
    const heard: string[] = [];
    const unsubscribe = ctx.store.onJobsReady((tenantId) => {
      if (tenantId === tenant.tenantId) heard.push(tenantId);
    });
    await createOne(tenant);
    for (let i = 0; i < 40 && heard.length === 0; i++) await sleep(25);
    // Once per submit: an echo of the store's own notification must not wake its listeners again.
    await sleep(200);
    expect(heard).toEqual([tenant.tenantId]);

    unsubscribe();
    await createOne(tenant);
    await sleep(200);
    expect(heard).toHaveLength(1);
  });
}
