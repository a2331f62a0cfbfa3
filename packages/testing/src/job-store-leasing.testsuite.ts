import { randomUUID } from 'node:crypto';
import { expect, test } from 'vitest';
import {
  createOne,
  expectCode,
  freshTenant,
  leaseOne,
  msBetween,
  newJob,
  NO_BACKOFF,
  TEST_ACTOR,
  type ConformanceContext,
} from './job-store-fixtures.js';

const ARTIFACT = {
  uri: 's3://bucket/report.json',
  digest: `sha256:${'ab'.repeat(32)}`,
  sizeBytes: 5_000_000_000,
  mediaType: 'application/json',
};

/** Leasing: order, fencing, heartbeats, artifacts, concurrency, tenant isolation. */
export function leasingTests(ctx: ConformanceContext): void {
  test('leases go highest priority first, FIFO within a priority, across job types', async () => {
    const tenant = freshTenant(ctx.store);
    const spec: [string, number][] = [
      ['a', 0],
      ['a', 5],
      ['b', 0],
      ['b', 5],
      ['a', -1],
    ];
    const first = await tenant.createJobs({
      jobs: spec.map(([jobType, priority]) => newJob({ jobType, priority })),
      actor: TEST_ACTOR,
    });
    const [late] = await tenant.createJobs({
      jobs: [newJob({ jobType: 'a', priority: 5 })],
      actor: TEST_ACTOR,
    });
    await createOne(tenant, { jobType: 'unlisted', priority: 100 });
    const ids = first.map((c) => c.job.jobId);

    const lease = (limit: number) =>
      tenant.leaseJobs({ jobTypes: ['a', 'b'], limit, leaseDurationMs: 30_000, workerId: 'w' });
    const order = [...(await lease(2)), ...(await lease(10))].map((l) => l.job.jobId);
    expect(order).toEqual([ids[1], ids[3], late!.job.jobId, ids[0], ids[2], ids[4]]);
    expect(await lease(10)).toEqual([]);
  });

  test('a lease starts an attempt, timed by the database, with a growing fencing token', async () => {
    const tenant = freshTenant(ctx.store);
    const job = await createOne(tenant);
    const { job: leased, lease } = await leaseOne(tenant, { leaseDurationMs: 45_000, workerId: 'worker-7' });

    expect(leased).toMatchObject({ jobId: job.jobId, status: 'leased', attempt: 1, lease });
    expect(lease).toMatchObject({ fencingToken: 1, workerId: 'worker-7' });
    expect(msBetween(leased.updatedAt, lease.leaseUntil)).toBe(45_000);
    expect(await tenant.getJob(job.jobId)).toEqual(leased);
    expect((await tenant.listJobHistory(job.jobId))!.at(-1)).toMatchObject({
      sequence: 2,
      fromStatus: 'pending',
      toStatus: 'leased',
      attempt: 1,
      reason: 'leased',
      actor: 'worker-7',
    });

    await tenant.completeJob({
      ...lease,
      outcome: 'failed',
      error: { type: 'E', message: 'm', retryable: true },
      retryDelaysMs: NO_BACKOFF,
    });
    const again = await leaseOne(tenant);
    expect(again.lease.fencingToken).toBe(2);
    expect(again.lease.leaseId).not.toBe(lease.leaseId);
    expect(again.job.attempt).toBe(2);
  });

  test('a stale fencing token or an old lease id is LEASE_LOST and changes nothing', async () => {
    const tenant = freshTenant(ctx.store);
    await createOne(tenant);
    const old = await leaseOne(tenant);
    await tenant.completeJob({
      ...old.lease,
      outcome: 'failed',
      error: { type: 'E', message: 'm', retryable: true },
      retryDelaysMs: NO_BACKOFF,
    });
    const current = await leaseOne(tenant);
    const before = await tenant.getJob(current.job.jobId);
    const artifactsBefore = await tenant.listJobArtifacts(current.job.jobId);

    const stale = [
      { leaseId: old.lease.leaseId, fencingToken: old.lease.fencingToken },
      { leaseId: old.lease.leaseId, fencingToken: current.lease.fencingToken },
      { leaseId: current.lease.leaseId, fencingToken: old.lease.fencingToken },
      { leaseId: current.lease.leaseId, fencingToken: current.lease.fencingToken + 1 },
      { leaseId: randomUUID(), fencingToken: 1 },
      { leaseId: 'not-a-uuid', fencingToken: 1 },
    ];
    for (const proof of stale) {
      await expectCode(
        tenant.heartbeat({ ...proof, leaseDurationMs: 60_000, progress: { p: 1 } }),
        'LEASE_LOST',
      );
      await expectCode(
        tenant.addArtifacts({ ...proof, artifacts: [{ ...ARTIFACT, artifactId: randomUUID() }] }),
        'LEASE_LOST',
      );
      await expectCode(
        tenant.completeJob({ ...proof, outcome: 'succeeded', result: {}, retryDelaysMs: NO_BACKOFF }),
        'LEASE_LOST',
      );
    }
    expect(await tenant.getJob(current.job.jobId)).toEqual(before);
    expect(await tenant.listJobArtifacts(current.job.jobId)).toEqual(artifactsBefore);
  });

  test('the first heartbeat makes the job running; heartbeats extend the lease from the database clock', async () => {
    const tenant = freshTenant(ctx.store);
    await createOne(tenant);
    const { job, lease } = await leaseOne(tenant, { leaseDurationMs: 5_000 });

    const first = await tenant.heartbeat({ ...lease, leaseDurationMs: 60_000, progress: { done: 10 } });
    const running = await tenant.getJob(job.jobId);
    expect(first).toEqual({
      jobId: job.jobId,
      leaseUntil: running!.lease!.leaseUntil,
      cancelRequested: false,
      status: 'running',
    });
    expect(msBetween(running!.updatedAt, first.leaseUntil)).toBe(60_000);
    expect(Date.parse(first.leaseUntil)).toBeGreaterThan(Date.parse(lease.leaseUntil));
    expect(running).toMatchObject({
      status: 'running',
      progress: { done: 10 },
      lease: { ...lease, leaseUntil: first.leaseUntil },
    });
    expect(running!.startedAt).not.toBeNull();

    const second = await tenant.heartbeat({ ...lease, leaseDurationMs: 120_000 });
    const after = await tenant.getJob(job.jobId);
    expect(msBetween(after!.updatedAt, second.leaseUntil)).toBe(120_000);
    expect(after!.progress).toEqual({ done: 10 });
    expect(after!.startedAt).toBe(running!.startedAt);

    const history = await tenant.listJobHistory(job.jobId);
    expect(history!.map((h) => [h.fromStatus, h.toStatus, h.reason])).toEqual([
      [null, 'pending', 'submitted'],
      ['pending', 'leased', 'leased'],
      ['leased', 'running', 'heartbeat'],
    ]);
  });

  test('artifacts attach to the current attempt of a held lease', async () => {
    const tenant = freshTenant(ctx.store);
    await createOne(tenant);
    const first = await leaseOne(tenant);
    const [artifact] = await tenant.addArtifacts({
      ...first.lease,
      artifacts: [{ ...ARTIFACT, artifactId: randomUUID() }],
    });
    expect(artifact).toMatchObject({ ...ARTIFACT, jobId: first.job.jobId, attempt: 1 });

    await tenant.completeJob({
      ...first.lease,
      outcome: 'failed',
      error: { type: 'E', message: 'm', retryable: true },
      retryDelaysMs: NO_BACKOFF,
    });
    const second = await leaseOne(tenant);
    const two = [randomUUID(), randomUUID()].map((artifactId, i) => ({
      ...ARTIFACT,
      artifactId,
      uri: `file:///out/${i}`,
    }));
    const added = await tenant.addArtifacts({ ...second.lease, artifacts: two });
    expect(added.map((a) => [a.uri, a.attempt])).toEqual([
      ['file:///out/0', 2],
      ['file:///out/1', 2],
    ]);

    const listed = await tenant.listJobArtifacts(first.job.jobId);
    expect(listed).toEqual([artifact, ...added]);
  });

  test('parallel lease calls never hand out the same job twice', async () => {
    const tenant = freshTenant(ctx.store);
    const jobs = Array.from({ length: 60 }, () => newJob({ jobType: 'contended' }));
    await tenant.createJobs({ jobs, actor: TEST_ACTOR });

    const calls = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        tenant.leaseJobs({ jobTypes: ['contended'], limit: 10, leaseDurationMs: 30_000, workerId: `w${i}` }),
      ),
    );
    const rest = await tenant.leaseJobs({
      jobTypes: ['contended'],
      limit: 100,
      leaseDurationMs: 30_000,
      workerId: 'sweeper',
    });
    const leasedIds = [...calls.flat(), ...rest].map((l) => l.job.jobId);
    expect(new Set(leasedIds).size).toBe(leasedIds.length);
    expect(new Set(leasedIds)).toEqual(new Set(jobs.map((j) => j.jobId)));
    expect(calls.flat().every((l) => l.lease.fencingToken === 1)).toBe(true);
  });

  test('tenant B can neither see nor lease nor touch the jobs of tenant A', async () => {
    const a = freshTenant(ctx.store);
    const b = freshTenant(ctx.store);
    const run = await a.createRun({
      run: {
        runId: `run-${randomUUID()}`,
        name: 'A',
        sourceId: null,
        idempotencyKey: null,
        requestDigest: 'd',
      },
      actor: TEST_ACTOR,
    });
    const keyed = await createOne(a, { idempotencyKey: 'shared-key', runId: run.run.runId });
    await createOne(a);
    const { job, lease } = await leaseOne(a);
    const before = await a.getJob(job.jobId);

    expect(await b.getJob(job.jobId)).toBeNull();
    expect((await b.listJobs({ pageSize: 50 })).items).toEqual([]);
    expect(await b.listJobHistory(job.jobId)).toBeNull();
    expect(await b.listJobArtifacts(job.jobId)).toBeNull();
    expect((await b.summarizeJobs({})).total).toBe(0);
    expect(await b.getRun(run.run.runId)).toBeNull();
    expect((await b.listRuns({ pageSize: 50 })).items).toEqual([]);
    expect(
      await b.leaseJobs({ jobTypes: ['test.job'], limit: 10, leaseDurationMs: 30_000, workerId: 'thief' }),
    ).toEqual([]);
    await expectCode(b.heartbeat({ ...lease, leaseDurationMs: 30_000 }), 'LEASE_LOST');
    await expectCode(
      b.addArtifacts({ ...lease, artifacts: [{ ...ARTIFACT, artifactId: randomUUID() }] }),
      'LEASE_LOST',
    );
    await expectCode(
      b.completeJob({ ...lease, outcome: 'succeeded', retryDelaysMs: NO_BACKOFF }),
      'LEASE_LOST',
    );
    await expectCode(b.cancelJob({ jobId: job.jobId, reason: 'x', actor: TEST_ACTOR }), 'JOB_NOT_FOUND');
    await expectCode(
      b.retryJob({
        jobId: job.jobId,
        newJob: { jobId: randomUUID(), correlationId: 'c', idempotencyKey: null },
        actor: TEST_ACTOR,
      }),
      'JOB_NOT_FOUND',
    );
    await expectCode(
      b.createJobs({ jobs: [newJob({ runId: run.run.runId })], actor: TEST_ACTOR }),
      'RUN_NOT_FOUND',
    );
    expect(await a.getJob(job.jobId)).toEqual(before);

    // Idempotency keys are per tenant: B's use of A's key makes B's own job.
    const [mine] = await b.createJobs({
      jobs: [newJob({ idempotencyKey: 'shared-key' })],
      actor: TEST_ACTOR,
    });
    expect(mine!.created).toBe(true);
    expect(mine!.job.jobId).not.toBe(keyed.jobId);
  });
}
