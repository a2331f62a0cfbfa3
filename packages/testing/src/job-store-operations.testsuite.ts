import { randomUUID } from 'node:crypto';
import { encodePageToken, type TenantJobStore } from '@stella-orch/core';
import { expect, test } from 'vitest';
import {
  cloneIdentity,
  createOne,
  expectCode,
  freshTenant,
  leaseOne,
  newJob,
  NO_BACKOFF,
  sleep,
  TEST_ACTOR,
  type ConformanceContext,
} from './job-store-fixtures.js';
import { registerTestSource } from './sources.testsuite.js';

const FATAL = { type: 'Fatal', message: 'no', retryable: false } as const;

async function deadLettered(tenant: TenantJobStore, submission: Parameters<typeof createOne>[1] = {}) {
  await createOne(tenant, submission);
  const { lease } = await leaseOne(
    tenant,
    submission.jobType === undefined ? {} : { jobType: submission.jobType },
  );
  return (await tenant.completeJob({ ...lease, outcome: 'failed', error: FATAL, retryDelaysMs: NO_BACKOFF }))
    .job;
}

/** Operator actions (retry, replay), runs, and every listing with its pages. */
export function operationTests(ctx: ConformanceContext): void {
  test('retry of a pending job in back-off makes the same job eligible now', async () => {
    const tenant = freshTenant(ctx.store);
    await createOne(tenant);
    const { lease } = await leaseOne(tenant);
    const { job } = await tenant.completeJob({
      ...lease,
      outcome: 'failed',
      error: { type: 'E', message: 'm', retryable: true },
      retryDelaysMs: [3_600_000],
    });
    const woken: string[] = [];
    const unsubscribe = ctx.store.onJobsReady((tenantId) => woken.push(tenantId));
    try {
      const retried = await tenant.retryJob({ jobId: job.jobId, newJob: cloneIdentity(), actor: TEST_ACTOR });
      expect(retried.created).toBe(false);
      expect(retried.job).toMatchObject({ jobId: job.jobId, status: 'pending', attempt: 1 });
      expect(Date.parse(retried.job.nextEligibleAt)).toBeLessThan(Date.parse(job.nextEligibleAt));
      expect((await leaseOne(tenant)).job.jobId).toBe(job.jobId);
      for (let i = 0; i < 40 && !woken.includes(tenant.tenantId); i++) await sleep(25);
      expect(woken).toContain(tenant.tenantId);
    } finally {
      unsubscribe();
    }
  });

  test('retry of a failed job clones it, marks its dead letter replayed, and is idempotent per key', async () => {
    const tenant = freshTenant(ctx.store);
    await registerTestSource(ctx.sources.forTenant(tenant.tenantId), { sourceId: 'src' });
    const run = (
      await tenant.createRun({
        run: {
          runId: `run-${randomUUID()}`,
          name: 'r',
          sourceId: 'src',
          idempotencyKey: null,
          requestDigest: 'x',
        },
        actor: TEST_ACTOR,
      })
    ).run;
    const original = await deadLettered(tenant, {
      jobType: 'retry.me',
      priority: 4,
      maxAttempts: 2,
      payload: { cve: 'CVE-1' },
      runId: run.runId,
      sourceId: 'src',
    });
    const identity = cloneIdentity('retry-key-1');
    const retried = await tenant.retryJob({ jobId: original.jobId, newJob: identity, actor: TEST_ACTOR });

    expect(retried.created).toBe(true);
    expect(retried.job).toMatchObject({
      jobId: identity.jobId,
      replayOf: original.jobId,
      status: 'pending',
      attempt: 0,
      jobType: 'retry.me',
      priority: 4,
      maxAttempts: 2,
      payload: { cve: 'CVE-1' },
      payloadDigest: original.payloadDigest,
      runId: run.runId,
      sourceId: 'src',
      idempotencyKey: 'retry-key-1',
      correlationId: identity.correlationId,
      lastError: null,
    });
    expect(await tenant.getJob(original.jobId)).toEqual(original);
    expect((await tenant.listDeadLetters({ pageSize: 10 })).items).toMatchObject([
      { jobId: original.jobId, status: 'replayed' },
    ]);
    expect((await tenant.listJobHistory(identity.jobId))![0]).toMatchObject({
      toStatus: 'pending',
      reason: 'retried',
      details: { replayOf: original.jobId },
    });

    const repeat = await tenant.retryJob({
      jobId: original.jobId,
      newJob: cloneIdentity('retry-key-1'),
      actor: TEST_ACTOR,
    });
    expect(repeat).toEqual({ job: retried.job, created: false });
    const other = await deadLettered(tenant, { jobType: 'retry.me' });
    await expectCode(
      tenant.retryJob({ jobId: other.jobId, newJob: cloneIdentity('retry-key-1'), actor: TEST_ACTOR }),
      'IDEMPOTENCY_CONFLICT',
    );
    expect((await tenant.summarizeJobs({ jobType: 'retry.me' })).total).toBe(3);
  });

  test('retry refuses running and succeeded jobs; unknown jobs are not found', async () => {
    const tenant = freshTenant(ctx.store);
    await createOne(tenant);
    const { job, lease } = await leaseOne(tenant);
    await expectCode(
      tenant.retryJob({ jobId: job.jobId, newJob: cloneIdentity(), actor: TEST_ACTOR }),
      'INVALID_TRANSITION',
    );
    await tenant.completeJob({ ...lease, outcome: 'succeeded', retryDelaysMs: NO_BACKOFF });
    await expectCode(
      tenant.retryJob({ jobId: job.jobId, newJob: cloneIdentity(), actor: TEST_ACTOR }),
      'INVALID_TRANSITION',
    );
    await expectCode(
      tenant.retryJob({ jobId: randomUUID(), newJob: cloneIdentity(), actor: TEST_ACTOR }),
      'JOB_NOT_FOUND',
    );
    expect((await tenant.summarizeJobs({})).total).toBe(1);
  });

  test('replay clones a terminal job and leaves the original untouched', async () => {
    const tenant = freshTenant(ctx.store);
    await createOne(tenant, { payload: { a: 1 } });
    const { job, lease } = await leaseOne(tenant);
    const original = (
      await tenant.completeJob({
        ...lease,
        outcome: 'succeeded',
        result: { ok: 1 },
        retryDelaysMs: NO_BACKOFF,
      })
    ).job;

    const replay = await tenant.replayJob({
      jobId: job.jobId,
      newJob: cloneIdentity('replay-1'),
      actor: TEST_ACTOR,
    });
    expect(replay.created).toBe(true);
    expect(replay.job).toMatchObject({
      replayOf: job.jobId,
      status: 'pending',
      payload: { a: 1 },
      result: null,
    });
    expect(await tenant.getJob(job.jobId)).toEqual(original);
    expect(
      await tenant.replayJob({ jobId: job.jobId, newJob: cloneIdentity('replay-1'), actor: TEST_ACTOR }),
    ).toEqual({ ...replay, created: false });
    // The same key for another kind of clone of the same job is another request.
    const failed = await deadLettered(tenant, { jobType: 'replay.other' });
    await tenant.replayJob({ jobId: failed.jobId, newJob: cloneIdentity('replay-2'), actor: TEST_ACTOR });
    await expectCode(
      tenant.retryJob({ jobId: failed.jobId, newJob: cloneIdentity('replay-2'), actor: TEST_ACTOR }),
      'IDEMPOTENCY_CONFLICT',
    );
    // Replay leaves the dead letter open: only retry marks it.
    expect((await tenant.listDeadLetters({ pageSize: 10, status: 'open' })).items).toMatchObject([
      { jobId: failed.jobId },
    ]);

    await expectCode(
      tenant.replayJob({ jobId: replay.job.jobId, newJob: cloneIdentity(), actor: TEST_ACTOR }),
      'INVALID_TRANSITION',
    );
    await expectCode(
      tenant.replayJob({ jobId: randomUUID(), newJob: cloneIdentity(), actor: TEST_ACTOR }),
      'JOB_NOT_FOUND',
    );
  });

  test('runs: idempotent creation, counts per status, and the aggregate status', async () => {
    const tenant = freshTenant(ctx.store);
    const newRun = (name: string, idempotencyKey: string | null = null) => ({
      run: {
        runId: `run-${randomUUID()}`,
        name,
        sourceId: null,
        idempotencyKey,
        requestDigest: `digest-${name}`,
      },
      actor: TEST_ACTOR,
    });
    const created = await tenant.createRun(newRun('nightly', 'nightly-1'));
    expect(created).toMatchObject({
      created: true,
      run: { name: 'nightly', status: 'empty', total: 0, tenantId: tenant.tenantId },
    });
    expect(await tenant.createRun(newRun('nightly', 'nightly-1'))).toEqual({
      run: created.run,
      created: false,
    });
    await expectCode(tenant.createRun(newRun('other', 'nightly-1')), 'IDEMPOTENCY_CONFLICT');
    expect(await tenant.getRun('no-such-run')).toBeNull();

    const outcome = async (runId: string, outcomes: ('succeeded' | 'failed' | 'canceled')[]) => {
      for (let i = 0; i < outcomes.length; i++) await createOne(tenant, { runId, jobType: runId });
      for (const o of outcomes) {
        const { lease } = await leaseOne(tenant, { jobType: runId });
        await tenant.completeJob({
          ...lease,
          outcome: o,
          ...(o === 'failed' ? { error: FATAL } : {}),
          retryDelaysMs: NO_BACKOFF,
        });
      }
      return (await tenant.getRun(runId))!;
    };
    const active = created.run.runId;
    await createOne(tenant, { runId: active });
    await createOne(tenant, { runId: active });
    await leaseOne(tenant);
    expect(await tenant.getRun(active)).toMatchObject({
      status: 'active',
      total: 2,
      counts: { pending: 1, leased: 1, succeeded: 0 },
    });

    expect(
      (await outcome((await tenant.createRun(newRun('a'))).run.runId, ['succeeded', 'succeeded'])).status,
    ).toBe('succeeded');
    const failed = await outcome((await tenant.createRun(newRun('b'))).run.runId, [
      'succeeded',
      'failed',
      'canceled',
    ]);
    expect(failed).toMatchObject({
      status: 'failed',
      total: 3,
      counts: { succeeded: 1, failed: 1, canceled: 1, pending: 0 },
    });
    expect(
      (await outcome((await tenant.createRun(newRun('c'))).run.runId, ['succeeded', 'canceled'])).status,
    ).toBe('canceled');
  });

  test('listRuns pages newest first', async () => {
    const tenant = freshTenant(ctx.store);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { run } = await tenant.createRun({
        run: { runId: `run-${i}`, name: `r${i}`, sourceId: null, idempotencyKey: null, requestDigest: 'd' },
        actor: TEST_ACTOR,
      });
      ids.push(run.runId);
    }
    const first = await tenant.listRuns({ pageSize: 2 });
    const second = await tenant.listRuns({ pageSize: 2, pageToken: first.nextPageToken! });
    const third = await tenant.listRuns({ pageSize: 2, pageToken: second.nextPageToken! });
    expect([...first.items, ...second.items, ...third.items].map((r) => r.runId)).toEqual(ids.reverse());
    expect(third.nextPageToken).toBeNull();
    await expectCode(tenant.listRuns({ pageSize: 2, pageToken: 'garbage!' }), 'INVALID_CURSOR');
  });

  test('listJobs pages newest first across pages with no duplicates or gaps', async () => {
    const tenant = freshTenant(ctx.store);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const batch = await tenant.createJobs({
        jobs: Array.from({ length: 5 }, () => newJob({ jobType: 'paged', payload: { batch: i } })),
        actor: TEST_ACTOR,
      });
      ids.push(...batch.map((c) => c.job.jobId));
    }
    ids.push((await createOne(tenant, { jobType: 'late' })).jobId);

    const seen: string[] = [];
    let token: string | null = null;
    let pages = 0;
    do {
      const page = await tenant.listJobs({ pageSize: 7, ...(token === null ? {} : { pageToken: token }) });
      seen.push(...page.items.map((j) => j.jobId));
      token = page.nextPageToken;
      pages++;
    } while (token !== null && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());

    const exact = await tenant.listJobs({ pageSize: 21 });
    expect(exact.items).toHaveLength(21);
    expect(exact.nextPageToken).toBeNull();
  });

  test('listJobs filters by status, type, run and creation time; bad tokens are INVALID_CURSOR', async () => {
    const tenant = freshTenant(ctx.store);
    const { run } = await tenant.createRun({
      run: { runId: 'r-1', name: 'r', sourceId: null, idempotencyKey: null, requestDigest: 'd' },
      actor: TEST_ACTOR,
    });
    const early = await createOne(tenant, { jobType: 'x' });
    await sleep(30);
    const inRun = await createOne(tenant, { jobType: 'y', runId: run.runId });
    const leased = (await leaseOne(tenant, { jobType: 'y' })).job;
    const ids = async (query: Omit<Parameters<TenantJobStore['listJobs']>[0], 'pageSize'>) =>
      (await tenant.listJobs({ pageSize: 50, ...query })).items.map((j) => j.jobId);

    expect(await ids({ statuses: ['leased'] })).toEqual([leased.jobId]);
    expect(await ids({ statuses: ['pending', 'leased'] })).toEqual([inRun.jobId, early.jobId]);
    expect(await ids({ jobType: 'x' })).toEqual([early.jobId]);
    expect(await ids({ runId: run.runId })).toEqual([inRun.jobId]);
    const boundary = new Date(Date.parse(inRun.createdAt) - 1).toISOString();
    expect(await ids({ createdAfter: boundary })).toEqual([inRun.jobId]);
    expect(await ids({ createdBefore: boundary })).toEqual([early.jobId]);

    for (const bad of [
      'garbage',
      encodePageToken([1]),
      encodePageToken(['x', 'y']),
      encodePageToken(['2024-01-01', 3]),
    ]) {
      await expectCode(tenant.listJobs({ pageSize: 5, pageToken: bad }), 'INVALID_CURSOR');
    }
  });

  test('summaries count jobs by status and type', async () => {
    const tenant = freshTenant(ctx.store);
    await createOne(tenant, { jobType: 'a' });
    await createOne(tenant, { jobType: 'a' });
    await createOne(tenant, { jobType: 'b' });
    await leaseOne(tenant, { jobType: 'a' });
    const summary = await tenant.summarizeJobs({});
    expect(summary.total).toBe(3);
    expect(summary.byStatus).toEqual({
      waiting: 0,
      pending: 2,
      leased: 1,
      running: 0,
      succeeded: 0,
      failed: 0,
      canceled: 0,
    });
    expect(summary.byJobType.map((t) => [t.jobType, t.byStatus.pending, t.byStatus.leased])).toEqual([
      ['a', 1, 1],
      ['b', 1, 0],
    ]);
    expect((await tenant.summarizeJobs({ jobType: 'b' })).total).toBe(1);
  });

  test('dead letters page newest first and filter by status and type', async () => {
    const tenant = freshTenant(ctx.store);
    const failed = [];
    for (const jobType of ['d1', 'd2', 'd1']) failed.push(await deadLettered(tenant, { jobType }));
    await tenant.retryJob({ jobId: failed[0]!.jobId, newJob: cloneIdentity(), actor: TEST_ACTOR });

    const first = await tenant.listDeadLetters({ pageSize: 2 });
    const second = await tenant.listDeadLetters({ pageSize: 2, pageToken: first.nextPageToken! });
    expect([...first.items, ...second.items].map((e) => e.jobId)).toEqual(
      failed.map((j) => j.jobId).reverse(),
    );
    expect(second.nextPageToken).toBeNull();
    expect(
      (await tenant.listDeadLetters({ pageSize: 10, status: 'open', jobType: 'd1' })).items.map(
        (e) => e.jobId,
      ),
    ).toEqual([failed[2]!.jobId]);
    expect(
      (await tenant.listDeadLetters({ pageSize: 10, status: 'replayed' })).items.map((e) => e.jobId),
    ).toEqual([failed[0]!.jobId]);
    await expectCode(
      tenant.listDeadLetters({ pageSize: 2, pageToken: encodePageToken(['x']) }),
      'INVALID_CURSOR',
    );
  });

  test('checkReady answers when the ledger is migrated', async () => {
    await expect(ctx.store.checkReady()).resolves.toBeUndefined();
  });
}
