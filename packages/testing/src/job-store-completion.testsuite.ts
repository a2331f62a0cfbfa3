import { randomUUID } from 'node:crypto';
import { DEFAULT_RETRY_POLICY, retryDelaySchedule } from '@stella-orch/core';
import { expect, test } from 'vitest';
import {
  createOne,
  expectCode,
  freshTenant,
  leaseOne,
  msBetween,
  NO_BACKOFF,
  sleepUntilPast,
  TEST_ACTOR,
  type ConformanceContext,
} from './job-store-fixtures.js';

const RETRYABLE = { type: 'HttpTimeout', message: 'upstream timed out', retryable: true } as const;
const FATAL = {
  type: 'SchemaError',
  message: 'payload does not validate',
  retryable: false,
  details: { field: 'cve' },
} as const;

/** Ending attempts: success, retry with back-off, dead letters, lapsed leases, cancellation. */
export function completionTests(ctx: ConformanceContext): void {
  test('success stores the result, ends the lease, and is accepted exactly once', async () => {
    const tenant = freshTenant(ctx.store);
    await createOne(tenant);
    const { job, lease } = await leaseOne(tenant);
    await tenant.heartbeat({ ...lease, leaseDurationMs: 30_000 });
    const done = await tenant.completeJob({
      ...lease,
      outcome: 'succeeded',
      result: { rows: 42 },
      retryDelaysMs: NO_BACKOFF,
    });

    expect(done.disposition).toBe('succeeded');
    expect(done.job).toMatchObject({ status: 'succeeded', result: { rows: 42 }, lease: null, attempt: 1 });
    // The moment of the lease (database clock) comes back for the attempt's run time.
    expect(done.leasedAt).toBe(job.updatedAt);
    expect(done.job.completedAt).toBe(done.job.updatedAt);
    expect(await tenant.getJob(job.jobId)).toEqual(done.job);
    await expectCode(
      tenant.completeJob({ ...lease, outcome: 'succeeded', result: { rows: 0 }, retryDelaysMs: NO_BACKOFF }),
      'LEASE_LOST',
    );
    await expectCode(tenant.heartbeat({ ...lease, leaseDurationMs: 30_000 }), 'LEASE_LOST');
    await expectCode(
      tenant.cancelJob({ jobId: job.jobId, reason: 'late', actor: TEST_ACTOR }),
      'INVALID_TRANSITION',
    );
    expect(await tenant.getJob(job.jobId)).toEqual(done.job);
    expect((await tenant.listJobHistory(job.jobId))!.at(-1)).toMatchObject({
      fromStatus: 'running',
      toStatus: 'succeeded',
      reason: 'succeeded',
    });
  });

  test('a retryable failure goes back to pending after the back-off of the failed attempt', async () => {
    const tenant = freshTenant(ctx.store);
    await createOne(tenant, { maxAttempts: 3 });
    const first = await leaseOne(tenant);
    const retried = await tenant.completeJob({
      ...first.lease,
      outcome: 'failed',
      error: RETRYABLE,
      retryDelaysMs: [1_234, 5_678],
    });

    expect(retried.disposition).toBe('retry_scheduled');
    expect(retried.job).toMatchObject({
      status: 'pending',
      attempt: 1,
      lastError: RETRYABLE,
      lease: null,
      completedAt: null,
    });
    expect(msBetween(retried.job.updatedAt, retried.job.nextEligibleAt)).toBe(1_234);
    expect(
      await tenant.leaseJobs({ jobTypes: ['test.job'], limit: 1, leaseDurationMs: 30_000, workerId: 'w' }),
    ).toEqual([]);
    expect((await tenant.listDeadLetters({ pageSize: 10 })).items).toEqual([]);
    expect((await tenant.listJobHistory(retried.job.jobId))!.at(-1)).toMatchObject({
      fromStatus: 'leased',
      toStatus: 'pending',
      attempt: 1,
      reason: 'failed',
      details: { error: RETRYABLE, retryDelayMs: 1_234 },
    });
  });

  test("the worker's retryAfterMs, through the schedule, sets when the job is eligible again", async () => {
    const tenant = freshTenant(ctx.store);
    await createOne(tenant);
    const { lease } = await leaseOne(tenant);
    const error = { ...RETRYABLE, retryAfterMs: 7_000 };
    const schedule = retryDelaySchedule(DEFAULT_RETRY_POLICY, 100, () => 0.5, error.retryAfterMs);
    const retried = await tenant.completeJob({ ...lease, outcome: 'failed', error, retryDelaysMs: schedule });
    expect(msBetween(retried.job.updatedAt, retried.job.nextEligibleAt)).toBe(7_000);
    expect(retried.job.lastError).toEqual(error);
  });

  test('a non-retryable failure dead-letters at once', async () => {
    const tenant = freshTenant(ctx.store);
    await createOne(tenant, { jobType: 'vex.ingest', maxAttempts: 5 });
    const { job, lease } = await leaseOne(tenant, { jobType: 'vex.ingest' });
    const failed = await tenant.completeJob({
      ...lease,
      outcome: 'failed',
      error: FATAL,
      retryDelaysMs: NO_BACKOFF,
    });

    expect(failed.disposition).toBe('dead_lettered');
    expect(failed.job).toMatchObject({ status: 'failed', attempt: 1, lastError: FATAL, lease: null });
    expect(failed.job.completedAt).not.toBeNull();
    const entries = (await tenant.listDeadLetters({ pageSize: 10 })).items;
    expect(entries).toEqual([
      expect.objectContaining({
        jobId: job.jobId,
        jobType: 'vex.ingest',
        attempts: 1,
        errorType: 'SchemaError',
        errorMessage: FATAL.message,
        status: 'open',
      }),
    ]);
  });

  test('a retryable failure of the last attempt dead-letters', async () => {
    const tenant = freshTenant(ctx.store);
    await createOne(tenant, { maxAttempts: 2 });
    const first = await leaseOne(tenant);
    await tenant.completeJob({
      ...first.lease,
      outcome: 'failed',
      error: RETRYABLE,
      retryDelaysMs: NO_BACKOFF,
    });
    const second = await leaseOne(tenant);
    const last = await tenant.completeJob({
      ...second.lease,
      outcome: 'failed',
      error: RETRYABLE,
      retryDelaysMs: NO_BACKOFF,
    });

    expect(last.disposition).toBe('dead_lettered');
    expect(last.job).toMatchObject({ status: 'failed', attempt: 2 });
    expect(last.leasedAt).toBe(second.job.updatedAt);
    expect((await tenant.listDeadLetters({ pageSize: 10 })).items).toMatchObject([
      { attempts: 2, errorType: 'HttpTimeout' },
    ]);
    const reasons = (await tenant.listJobHistory(last.job.jobId))!.map(
      (h) => `${h.fromStatus}>${h.toStatus}:${h.reason}#${h.attempt}`,
    );
    expect(reasons).toEqual([
      'null>pending:submitted#0',
      'pending>leased:leased#1',
      'leased>pending:failed#1',
      'pending>leased:leased#2',
      'leased>failed:failed#2',
    ]);
    expect((await tenant.listJobHistory(last.job.jobId))!.map((h) => h.sequence)).toEqual([1, 2, 3, 4, 5]);
  });

  test('lapsed leases are reaped as timed_out attempts: retried, then dead-lettered; canceled when asked', async () => {
    const tenant = freshTenant(ctx.store);
    await createOne(tenant, { jobType: 'lapse', maxAttempts: 2 });
    await createOne(tenant, { jobType: 'lapse-cancel', maxAttempts: 5 });
    const x = await leaseOne(tenant, { jobType: 'lapse', leaseDurationMs: 1_000 });
    const y = await leaseOne(tenant, { jobType: 'lapse-cancel', leaseDurationMs: 1_000 });
    await tenant.cancelJob({ jobId: y.job.jobId, reason: 'operator said so', actor: TEST_ACTOR });
    expect(await ctx.store.reapExpiredLeases({ limit: 100, retryDelaysMs: NO_BACKOFF })).not.toContainEqual(
      expect.objectContaining({ tenantId: tenant.tenantId }),
    );

    await sleepUntilPast(x.lease.leaseUntil);
    // A lapsed lease is no longer held, even before the reaper has run.
    await expectCode(tenant.heartbeat({ ...x.lease, leaseDurationMs: 30_000 }), 'LEASE_LOST');
    await expectCode(
      tenant.completeJob({ ...x.lease, outcome: 'succeeded', retryDelaysMs: NO_BACKOFF }),
      'LEASE_LOST',
    );
    const artifact = {
      artifactId: randomUUID(),
      uri: 'file:///late',
      digest: `sha256:${'0'.repeat(64)}`,
      sizeBytes: 1,
      mediaType: 'text/plain',
    };
    await expectCode(tenant.addArtifacts({ ...x.lease, artifacts: [artifact] }), 'LEASE_LOST');
    expect(await tenant.listJobArtifacts(x.job.jobId)).toEqual([]);
    const reaped = (await ctx.store.reapExpiredLeases({ limit: 100, retryDelaysMs: NO_BACKOFF })).filter(
      (r) => r.tenantId === tenant.tenantId,
    );
    expect(reaped).toEqual(
      expect.arrayContaining([
        { tenantId: tenant.tenantId, jobId: x.job.jobId, jobType: 'lapse', disposition: 'retry_scheduled' },
        { tenantId: tenant.tenantId, jobId: y.job.jobId, jobType: 'lapse-cancel', disposition: 'canceled' },
      ]),
    );
    expect(reaped).toHaveLength(2);
    expect(await tenant.getJob(y.job.jobId)).toMatchObject({ status: 'canceled', lease: null });
    const pending = await tenant.getJob(x.job.jobId);
    expect(pending).toMatchObject({
      status: 'pending',
      attempt: 1,
      lease: null,
      lastError: { type: 'timed_out', retryable: true },
    });

    const again = await leaseOne(tenant, { jobType: 'lapse', leaseDurationMs: 1_000 });
    expect(again.lease.fencingToken).toBe(2);
    await expectCode(
      tenant.completeJob({ ...x.lease, outcome: 'succeeded', retryDelaysMs: NO_BACKOFF }),
      'LEASE_LOST',
    );
    await sleepUntilPast(again.lease.leaseUntil);
    const final = (await ctx.store.reapExpiredLeases({ limit: 100, retryDelaysMs: NO_BACKOFF })).filter(
      (r) => r.tenantId === tenant.tenantId,
    );
    expect(final).toEqual([
      { tenantId: tenant.tenantId, jobId: x.job.jobId, jobType: 'lapse', disposition: 'dead_lettered' },
    ]);
    expect(await tenant.getJob(x.job.jobId)).toMatchObject({ status: 'failed', attempt: 2 });
    expect((await tenant.listDeadLetters({ pageSize: 10 })).items).toMatchObject([
      { jobId: x.job.jobId, attempts: 2, errorType: 'timed_out', status: 'open' },
    ]);
    const history = await tenant.listJobHistory(x.job.jobId);
    expect(history!.filter((h) => h.reason === 'timed_out').map((h) => h.toStatus)).toEqual([
      'pending',
      'failed',
    ]);
  });

  test('cancel: a pending job ends at once; a leased one is flagged, learned by heartbeat, ended by the worker', async () => {
    const tenant = freshTenant(ctx.store);
    const queued = await createOne(tenant, { jobType: 'q' });
    const canceled = await tenant.cancelJob({ jobId: queued.jobId, reason: 'not needed', actor: TEST_ACTOR });
    expect(canceled).toMatchObject({ status: 'canceled', cancelRequested: true, lease: null });
    expect(canceled.completedAt).not.toBeNull();
    expect(
      await tenant.leaseJobs({ jobTypes: ['q'], limit: 1, leaseDurationMs: 30_000, workerId: 'w' }),
    ).toEqual([]);
    expect((await tenant.listJobHistory(queued.jobId))!.at(-1)).toMatchObject({
      fromStatus: 'pending',
      toStatus: 'canceled',
      reason: 'canceled',
      actor: TEST_ACTOR.subject,
      details: { reason: 'not needed' },
    });
    await expectCode(
      tenant.cancelJob({ jobId: queued.jobId, reason: 'again', actor: TEST_ACTOR }),
      'INVALID_TRANSITION',
    );

    await createOne(tenant);
    const { job, lease } = await leaseOne(tenant);
    const flagged = await tenant.cancelJob({ jobId: job.jobId, reason: 'stop', actor: TEST_ACTOR });
    expect(flagged).toMatchObject({ status: 'leased', cancelRequested: true, lease });
    expect(await tenant.cancelJob({ jobId: job.jobId, reason: 'stop', actor: TEST_ACTOR })).toEqual(flagged);
    expect(await tenant.listJobHistory(job.jobId)).toHaveLength(2);
    expect((await tenant.heartbeat({ ...lease, leaseDurationMs: 30_000 })).cancelRequested).toBe(true);

    const ended = await tenant.completeJob({
      ...lease,
      outcome: 'failed',
      error: RETRYABLE,
      retryDelaysMs: NO_BACKOFF,
    });
    expect(ended.disposition).toBe('canceled');
    expect(ended.job).toMatchObject({ status: 'canceled', lease: null });
    expect((await tenant.listDeadLetters({ pageSize: 10 })).items).toEqual([]);
  });

  test('a success reported after a cancel request still counts; an explicit canceled outcome cancels', async () => {
    const tenant = freshTenant(ctx.store);
    await createOne(tenant);
    await createOne(tenant);
    const a = await leaseOne(tenant);
    const b = await leaseOne(tenant);
    await tenant.cancelJob({ jobId: a.job.jobId, reason: 'stop', actor: TEST_ACTOR });
    const succeeded = await tenant.completeJob({
      ...a.lease,
      outcome: 'succeeded',
      result: 'done',
      retryDelaysMs: NO_BACKOFF,
    });
    expect(succeeded).toMatchObject({
      disposition: 'succeeded',
      job: { status: 'succeeded', result: 'done' },
    });

    const gaveUp = await tenant.completeJob({ ...b.lease, outcome: 'canceled', retryDelaysMs: NO_BACKOFF });
    expect(gaveUp).toMatchObject({ disposition: 'canceled', job: { status: 'canceled' } });
    expect((await tenant.listJobHistory(b.job.jobId))!.at(-1)).toMatchObject({
      toStatus: 'canceled',
      reason: 'canceled',
    });
  });

  test('cancel of an unknown job is JOB_NOT_FOUND', async () => {
    const tenant = freshTenant(ctx.store);
    await expectCode(
      tenant.cancelJob({ jobId: '00000000-0000-4000-8000-000000000000', reason: 'x', actor: TEST_ACTOR }),
      'JOB_NOT_FOUND',
    );
    await expectCode(tenant.cancelJob({ jobId: 'garbage', reason: 'x', actor: TEST_ACTOR }), 'JOB_NOT_FOUND');
  });
}
