import { randomUUID } from 'node:crypto';
import type { JobSubmission, NewJob, TenantJobStore } from '@stella-orch/core';
import { describe, expect, test } from 'vitest';
import {
  createOne,
  expectCode,
  freshTenant,
  leaseOne,
  newJob,
  NO_BACKOFF,
  sleepUntilPast,
  TEST_ACTOR,
  type ConformanceContext,
} from './job-store-fixtures.js';

const FATAL = { type: 'Fatal', message: 'no', retryable: false } as const;

/** A job as the service writes it, depending on `parents` (ids of the tenant or of the same call). */
function child(parents: readonly string[], submission: Partial<JobSubmission> = {}): NewJob {
  return { ...newJob(submission), dependsOn: parents };
}

async function create(tenant: TenantJobStore, jobs: readonly NewJob[]) {
  return tenant.createJobs({ jobs, actor: TEST_ACTOR });
}

async function statusOf(tenant: TenantJobStore, jobId: string) {
  return (await tenant.getJob(jobId))?.status;
}

async function transitions(tenant: TenantJobStore, jobId: string) {
  return (await tenant.listJobHistory(jobId))!.map((h) => `${h.fromStatus ?? '∅'}>${h.toStatus}:${h.reason}`);
}

/** Leases the one job of `jobType` and ends its attempt with `outcome`. */
async function finish(tenant: TenantJobStore, jobType: string, outcome: 'succeeded' | 'failed' | 'canceled') {
  const { job, lease } = await leaseOne(tenant, { jobType });
  const done = await tenant.completeJob({
    ...lease,
    outcome,
    ...(outcome === 'failed' ? { error: FATAL } : {}),
    retryDelaysMs: NO_BACKOFF,
  });
  expect(done.job.jobId).toBe(job.jobId);
  return done;
}

/** Dependency chains: release, cascade, batch references, refusals, concurrency, graph reads. */
export function dependencyTests(ctx: ConformanceContext): void {
  test('a child waits until its parent succeeds, then is released once, with history', async () => {
    const tenant = freshTenant(ctx.store);
    const parent = await createOne(tenant, { jobType: 'parent' });
    const [made] = await create(tenant, [child([parent.jobId], { jobType: 'child' })]);
    const kid = made!.job;
    expect(kid).toMatchObject({ status: 'waiting', dependsOn: [parent.jobId] });
    expect(
      await tenant.leaseJobs({ jobTypes: ['child'], limit: 5, leaseDurationMs: 30_000, workerId: 'w' }),
    ).toEqual([]);

    await finish(tenant, 'parent', 'succeeded');
    expect(await tenant.getJob(kid.jobId)).toMatchObject({ status: 'pending', dependsOn: [parent.jobId] });
    expect(await transitions(tenant, kid.jobId)).toEqual(['∅>waiting:submitted', 'waiting>pending:released']);
    const leased = await leaseOne(tenant, { jobType: 'child' });
    expect(leased.job.jobId).toBe(kid.jobId);
  });

  test('a child of several parents is released when the last one succeeds, also within one batch', async () => {
    const tenant = freshTenant(ctx.store);
    const a = await createOne(tenant, { jobType: 'a' });
    const b = await createOne(tenant, { jobType: 'b' });
    const c = await createOne(tenant, { jobType: 'c' });
    const [made] = await create(tenant, [child([a.jobId, b.jobId, c.jobId], { jobType: 'kid' })]);
    const kid = made!.job;

    await finish(tenant, 'a', 'succeeded');
    expect(await statusOf(tenant, kid.jobId)).toBe('waiting');
    const leaseB = await leaseOne(tenant, { jobType: 'b' });
    const leaseC = await leaseOne(tenant, { jobType: 'c' });
    const results = await tenant.completeJobs({
      completions: [leaseB, leaseC].map((l) => ({
        ...l.lease,
        outcome: 'succeeded' as const,
        retryDelaysMs: NO_BACKOFF,
      })),
    });
    expect(results.map((r) => r.ok)).toEqual([true, true]);
    expect(await transitions(tenant, kid.jobId)).toEqual(['∅>waiting:submitted', 'waiting>pending:released']);
  });

  test('a parent that fails cancels its waiting descendants with the reason; other jobs are untouched', async () => {
    const tenant = freshTenant(ctx.store);
    const parent = await createOne(tenant, { jobType: 'parent' });
    const other = await createOne(tenant, { jobType: 'other' });
    const [c1, c2] = await create(tenant, [child([parent.jobId]), child([other.jobId])]);
    const [grandchild, mixed] = await create(tenant, [
      child([c1!.job.jobId]),
      child([c2!.job.jobId, c1!.job.jobId]),
    ]);

    const done = await finish(tenant, 'parent', 'failed');
    expect(done.disposition).toBe('dead_lettered');
    for (const id of [c1!.job.jobId, grandchild!.job.jobId, mixed!.job.jobId]) {
      expect(await statusOf(tenant, id)).toBe('canceled');
      const last = (await tenant.listJobHistory(id))!.at(-1)!;
      expect(last).toMatchObject({
        fromStatus: 'waiting',
        toStatus: 'canceled',
        reason: 'dependency_failed',
        details: { reason: `dependency_failed: ${parent.jobId}`, dependencyJobId: parent.jobId },
      });
    }
    expect(await statusOf(tenant, c2!.job.jobId)).toBe('waiting');
    expect(await statusOf(tenant, other.jobId)).toBe('pending');
  });

  test('a worker that cancels its attempt cancels the descendants too', async () => {
    const tenant = freshTenant(ctx.store);
    const parent = await createOne(tenant, { jobType: 'parent' });
    const [kid] = await create(tenant, [child([parent.jobId])]);
    await finish(tenant, 'parent', 'canceled');
    expect(await statusOf(tenant, kid!.job.jobId)).toBe('canceled');
  });

  test('an operator cancel of a queued parent cancels its descendants in the same transaction', async () => {
    const tenant = freshTenant(ctx.store);
    const parent = await createOne(tenant);
    const [kid] = await create(tenant, [child([parent.jobId])]);
    const [grandchild] = await create(tenant, [child([kid!.job.jobId])]);
    await tenant.cancelJob({ jobId: parent.jobId, reason: 'not needed', actor: TEST_ACTOR });
    expect(await statusOf(tenant, kid!.job.jobId)).toBe('canceled');
    expect(await statusOf(tenant, grandchild!.job.jobId)).toBe('canceled');
    // Canceling a waiting child directly cascades the same way.
    const [k2] = await create(tenant, [child([(await createOne(tenant)).jobId])]);
    const [g2] = await create(tenant, [child([k2!.job.jobId])]);
    await tenant.cancelJob({ jobId: k2!.job.jobId, reason: 'skip', actor: TEST_ACTOR });
    expect(await transitions(tenant, g2!.job.jobId)).toEqual([
      '∅>waiting:submitted',
      'waiting>canceled:dependency_failed',
    ]);
  });

  test('a parent whose lapsed lease exhausts its attempts cancels its descendants', async () => {
    const tenant = freshTenant(ctx.store);
    const parent = await createOne(tenant, { jobType: 'lapsing', maxAttempts: 1 });
    const [kid] = await create(tenant, [child([parent.jobId])]);
    const { lease } = await leaseOne(tenant, { jobType: 'lapsing', leaseDurationMs: 1_000 });
    await sleepUntilPast(lease.leaseUntil);
    const reaped = await ctx.store.reapExpiredLeases({ limit: 500, retryDelaysMs: NO_BACKOFF });
    expect(reaped).toContainEqual(
      expect.objectContaining({ jobId: parent.jobId, disposition: 'dead_lettered' }),
    );
    expect(await statusOf(tenant, kid!.job.jobId)).toBe('canceled');
  });

  test('a chain 1,000 deep, submitted as one batch, cascades to its last job', async () => {
    const tenant = freshTenant(ctx.store);
    const chain: NewJob[] = [];
    for (let i = 0; i < 1_000; i++) {
      chain.push(child(i === 0 ? [] : [chain[i - 1]!.jobId], { jobType: i === 0 ? 'root' : 'link' }));
    }
    const made = await create(tenant, chain);
    expect(made.map((m) => m.job.status)).toEqual(['pending', ...Array<string>(999).fill('waiting')]);
    await finish(tenant, 'root', 'failed');
    const page = await tenant.listJobs({ pageSize: 500, statuses: ['waiting'] });
    expect(page.items).toEqual([]);
    expect(await statusOf(tenant, chain[999]!.jobId)).toBe('canceled');
    const graph = await tenant.readJobGraph(chain[500]!.jobId, { maxNodes: 10_000 });
    expect(graph!.nodes).toHaveLength(1_000);
    expect(graph!.edges).toHaveLength(999);
    await expectCode(tenant.readJobGraph(chain[0]!.jobId, { maxNodes: 999 }), 'DAG_TOO_LARGE');
  });

  test('jobs of one batch depend on each other, and an idempotent repeat finds the same jobs', async () => {
    const tenant = freshTenant(ctx.store);
    const key = `batch-${randomUUID()}`;
    const batch = () => {
      const first = newJob({ jobType: 'extract', idempotencyKey: `${key}:0` });
      const second = child([first.jobId], { jobType: 'load', idempotencyKey: `${key}:1` });
      return [first, second];
    };
    const made = await create(tenant, batch());
    expect(made.map((m) => [m.created, m.job.status])).toEqual([
      [true, 'pending'],
      [true, 'waiting'],
    ]);
    expect(made[1]!.job.dependsOn).toEqual([made[0]!.job.jobId]);
    const again = await create(tenant, batch());
    expect(again.map((m) => [m.created, m.job.jobId])).toEqual(made.map((m) => [false, m.job.jobId]));
    // A repeat that adds a job: its ref to an old job resolves to the job the first call made.
    const [first, second] = batch();
    const third = child([first!.jobId], { jobType: 'report', idempotencyKey: `${key}:2` });
    const grown = await create(tenant, [first!, second!, third]);
    expect(grown[2]).toMatchObject({
      created: true,
      job: { status: 'waiting', dependsOn: [made[0]!.job.jobId] },
    });
    await finish(tenant, 'extract', 'succeeded');
    expect(await statusOf(tenant, made[1]!.job.jobId)).toBe('pending');
    expect(await statusOf(tenant, grown[2]!.job.jobId)).toBe('pending');
  });

  test('a parent that succeeded already gives a pending child; one that failed, a canceled child', async () => {
    const tenant = freshTenant(ctx.store);
    await createOne(tenant, { jobType: 'good' });
    await createOne(tenant, { jobType: 'bad' });
    const good = await finish(tenant, 'good', 'succeeded');
    const bad = await finish(tenant, 'bad', 'failed');
    const [ok, doomed] = await create(tenant, [
      child([good.job.jobId]),
      child([good.job.jobId, bad.job.jobId]),
    ]);
    const [later] = await create(tenant, [child([doomed!.job.jobId])]);
    expect(ok!.job.status).toBe('pending');
    expect(await transitions(tenant, ok!.job.jobId)).toEqual(['∅>pending:submitted']);
    expect(doomed!.job.status).toBe('canceled');
    expect(await transitions(tenant, doomed!.job.jobId)).toEqual([
      '∅>waiting:submitted',
      'waiting>canceled:dependency_failed',
    ]);
    expect(later!.job.status).toBe('canceled');
  });

  test('unknown, malformed and other tenants\u2019 parents are refused DEPENDENCY_NOT_FOUND, writing nothing', async () => {
    const tenant = freshTenant(ctx.store);
    const stranger = await createOne(freshTenant(ctx.store));
    const mine = await createOne(tenant);
    for (const parent of [randomUUID(), 'not-a-uuid', stranger.jobId]) {
      const error = await expectCode(
        create(tenant, [newJob(), child([mine.jobId, parent])]),
        'DEPENDENCY_NOT_FOUND',
      );
      expect((error as { details: { jobIds: string[] } }).details.jobIds).toEqual([parent.toLowerCase()]);
    }
    expect((await tenant.listJobs({ pageSize: 10 })).items.map((j) => j.jobId)).toEqual([mine.jobId]);
    expect(await transitions(tenant, mine.jobId)).toEqual(['∅>pending:submitted']);
  });

  test('parents completing at the same time release their child exactly once', async () => {
    const tenant = freshTenant(ctx.store);
    const parents = await create(
      tenant,
      Array.from({ length: 12 }, () => newJob({ jobType: 'fan-in' })),
    );
    const [kid] = await create(tenant, [
      child(
        parents.map((p) => p.job.jobId),
        { jobType: 'sink' },
      ),
    ]);
    const leased = await tenant.leaseJobs({
      jobTypes: ['fan-in'],
      limit: 12,
      leaseDurationMs: 30_000,
      workerId: 'w',
    });
    expect(leased).toHaveLength(12);
    // Each completion its own call, all at once: on PostgreSQL they run on separate sessions.
    const results = await Promise.all(
      leased.map((l) => tenant.completeJob({ ...l.lease, outcome: 'succeeded', retryDelaysMs: NO_BACKOFF })),
    );
    expect(results.every((r) => r.disposition === 'succeeded')).toBe(true);
    expect(await transitions(tenant, kid!.job.jobId)).toEqual([
      '∅>waiting:submitted',
      'waiting>pending:released',
    ]);
  });

  describe('graph reads', () => {
    test('a job graph is the connected component; a run graph its jobs; unknown ones are null', async () => {
      const tenant = freshTenant(ctx.store);
      const run = await tenant.createRun({
        run: {
          runId: `run-${randomUUID()}`,
          name: 'dag',
          sourceId: null,
          idempotencyKey: null,
          requestDigest: 'x',
        },
        actor: TEST_ACTOR,
      });
      const runId = run.run.runId;
      const a = newJob({ jobType: 'a', runId });
      const b = newJob({ jobType: 'b', runId });
      const c = child([a.jobId, b.jobId], { jobType: 'c', runId });
      const lone = newJob({ jobType: 'lone', runId });
      await create(tenant, [a, b, c, lone]);
      const graph = await tenant.readJobGraph(b.jobId, { maxNodes: 100 });
      expect(graph!.nodes.map((n) => n.jobId)).toEqual([a.jobId, b.jobId, c.jobId]);
      expect(graph!.edges).toEqual(
        expect.arrayContaining([
          { from: a.jobId, to: c.jobId },
          { from: b.jobId, to: c.jobId },
        ]),
      );
      expect(graph!.nodes[0]).toMatchObject({ jobType: 'a', status: 'pending', runId, startedAt: null });
      const ofRun = await tenant.readRunGraph(runId, { maxNodes: 100 });
      expect(ofRun!.nodes.map((n) => n.jobId).sort()).toEqual([a.jobId, b.jobId, c.jobId, lone.jobId].sort());
      await expectCode(tenant.readRunGraph(runId, { maxNodes: 3 }), 'DAG_TOO_LARGE');
      expect(await tenant.readJobGraph(randomUUID(), { maxNodes: 100 })).toBeNull();
      expect(await freshTenant(ctx.store).readJobGraph(a.jobId, { maxNodes: 100 })).toBeNull();
      expect(await tenant.readRunGraph('no-such-run', { maxNodes: 100 })).toBeNull();
      // A leased job counts as started from its lease.
      await leaseOne(tenant, { jobType: 'a' });
      const after = await tenant.readJobGraph(a.jobId, { maxNodes: 100 });
      expect(after!.nodes[0]!.startedAt).not.toBeNull();
    });
  });
}
