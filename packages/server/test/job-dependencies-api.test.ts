import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ledgerEngines, startHarnessOn, type Harness } from './harness.js';

const ENGINES = await ledgerEngines('job dependencies API suite');

interface JobBody {
  jobId: string;
  status: string;
  dependsOn: string[];
}

describe.each(ENGINES)('dependency chains over the API on %s', (engine) => {
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

  async function submitBatch(jobs: unknown[], headers: Record<string, string> = {}) {
    return h.call('POST', '/jobs/batch', { jobs }, headers);
  }

  async function jobCount(): Promise<number> {
    return ((await h.call('GET', '/jobs')).json().items as unknown[]).length;
  }

  /** Leases the one job of `jobType` and ends it with `outcome`. */
  async function run(jobType: string, outcome: 'succeeded' | 'failed') {
    const leased = await h.call('POST', '/leases', { workerId: 'w1', jobTypes: [jobType] });
    const [lease] = leased.json().leases as { leaseId: string; fencingToken: number }[];
    expect(lease, `a ${jobType} job to lease`).toBeDefined();
    const done = await h.call('POST', `/leases/${lease!.leaseId}/complete`, {
      fencingToken: lease!.fencingToken,
      outcome,
      ...(outcome === 'failed' ? { error: { type: 'Boom', message: 'no', retryable: false } } : {}),
    });
    expect(done.statusCode).toBe(200);
  }

  it('runs a batch DAG in order: refs resolve to job ids, children wait, then are released', async () => {
    const res = await submitBatch([
      { jobType: 'extract', ref: 'extract' },
      { jobType: 'transform', ref: 'transform', dependsOn: [{ ref: 'extract' }] },
      { jobType: 'index', ref: 'index', dependsOn: [{ ref: 'extract' }] },
      { jobType: 'load', dependsOn: [{ ref: 'transform' }, { ref: 'index' }] },
    ]);
    expect(res.statusCode).toBe(201);
    const [extract, transform, index, load] = res.json().jobs as JobBody[];
    expect([extract, transform, index, load].map((j) => j!.status)).toEqual([
      'pending',
      'waiting',
      'waiting',
      'waiting',
    ]);
    expect(load!.dependsOn).toEqual([transform!.jobId, index!.jobId]);
    expect((await h.call('GET', `/jobs/${load!.jobId}`)).json().dependsOn).toEqual([
      transform!.jobId,
      index!.jobId,
    ]);

    const before = (await h.call('GET', `/jobs/${index!.jobId}/dag`)).json();
    expect(before.topologicalOrder).toEqual([extract!.jobId, transform!.jobId, index!.jobId, load!.jobId]);
    expect(before.parallelGroups).toEqual([
      [extract!.jobId],
      [transform!.jobId, index!.jobId],
      [load!.jobId],
    ]);
    expect(before.edges).toHaveLength(4);
    expect(before.criticalPath).toMatchObject({ durationMs: 0 });
    expect(before.criticalPath.estimatedJobIds).toEqual(before.criticalPath.jobIds);

    await run('extract', 'succeeded');
    expect((await h.call('GET', `/jobs/${transform!.jobId}`)).json().status).toBe('pending');
    expect((await h.call('GET', `/jobs/${load!.jobId}`)).json().status).toBe('waiting');
    const history = (await h.call('GET', `/jobs/${transform!.jobId}/history`)).json().items;
    expect(history.at(-1)).toMatchObject({ fromStatus: 'waiting', toStatus: 'pending', reason: 'released' });
    await run('transform', 'succeeded');
    await run('index', 'succeeded');
    await run('load', 'succeeded');

    const dag = (await h.call('GET', `/jobs/${extract!.jobId}/dag`)).json();
    expect(dag.nodes.every((n: { durationEstimated: boolean }) => !n.durationEstimated)).toBe(true);
    expect(dag.criticalPath.jobIds[0]).toBe(extract!.jobId);
    expect(dag.criticalPath.jobIds.at(-1)).toBe(load!.jobId);
    expect(dag.criticalPath.jobIds).toHaveLength(3);
    expect(dag.criticalPath.estimatedJobIds).toEqual([]);
  });

  it('cancels the descendants of a job that fails, with the reason, in history and events', async () => {
    const parent = (await h.call('POST', '/jobs', { jobType: 'fetch' })).json<JobBody>();
    const child = await h.call('POST', '/jobs', {
      jobType: 'parse',
      dependsOn: [parent.jobId.toUpperCase()],
    });
    expect(child.statusCode).toBe(201);
    expect(child.json()).toMatchObject({ status: 'waiting', dependsOn: [parent.jobId] });
    await run('fetch', 'failed');
    const after = (await h.call('GET', `/jobs/${child.json().jobId}/history`)).json().items;
    expect(after.at(-1)).toMatchObject({
      toStatus: 'canceled',
      reason: 'dependency_failed',
      details: { reason: `dependency_failed: ${parent.jobId}` },
    });
    // One event per transition, in the log the streams read.
    const events: { event_type: string; data: { reason?: string } | null }[] = await h.driver.query(
      'SELECT event_type, data FROM orch.events WHERE tenant_id = $1 AND job_id = $2 ORDER BY event_id',
      [h.tenant, child.json().jobId],
    );
    expect(events.map((e) => e.event_type)).toEqual(['job.created', 'job.canceled']);
    expect(events[0]!.data).toMatchObject({ status: 'waiting' });
    expect(events[1]!.data).toMatchObject({ reason: `dependency_failed: ${parent.jobId}` });
  });

  it('refuses cycles, unknown refs and parents, other tenants\u2019 jobs and too many parents, writing nothing', async () => {
    const cycle = await submitBatch([
      { jobType: 'a', ref: 'a', dependsOn: [{ ref: 'c' }] },
      { jobType: 'b', ref: 'b', dependsOn: [{ ref: 'a' }] },
      { jobType: 'c', ref: 'c', dependsOn: [{ ref: 'b' }] },
    ]);
    expect(cycle.statusCode).toBe(409);
    expect(cycle.headers['content-type']).toContain('application/problem+json');
    expect(cycle.json()).toMatchObject({ code: 'DEPENDENCY_CYCLE' });
    expect(cycle.json().details.cycle).toHaveLength(4);

    const self = await submitBatch([{ jobType: 'a', ref: 'me', dependsOn: [{ ref: 'me' }] }]);
    expect(self.statusCode).toBe(409);
    expect(self.json().details.cycle).toEqual(['me', 'me']);

    const unknownRef = await submitBatch([{ jobType: 'a', dependsOn: [{ ref: 'nobody' }] }]);
    expect(unknownRef.statusCode).toBe(400);
    expect(unknownRef.json().code).toBe('VALIDATION_FAILED');

    const missing = randomUUID();
    const unknown = await submitBatch([{ jobType: 'ok' }, { jobType: 'a', dependsOn: [missing] }]);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: 'DEPENDENCY_NOT_FOUND', details: { jobIds: [missing] } });

    const foreignTenant = h.tenant;
    h.newTenant();
    const foreign = (await h.call('POST', '/jobs', { jobType: 'theirs' })).json<JobBody>();
    h.tenant = foreignTenant;
    const cross = await h.call('POST', '/jobs', { jobType: 'a', dependsOn: [foreign.jobId] });
    expect(cross.statusCode).toBe(404);
    expect(cross.json().code).toBe('DEPENDENCY_NOT_FOUND');
    expect((await h.call('GET', `/jobs/${foreign.jobId}/dag`)).statusCode).toBe(404);

    const tooMany = await h.call('POST', '/jobs', {
      jobType: 'a',
      dependsOn: Array.from({ length: 101 }, () => randomUUID()),
    });
    expect(tooMany.statusCode).toBe(400);
    const twice = await h.call('POST', '/jobs', { jobType: 'a', dependsOn: [missing, missing] });
    expect(twice.statusCode).toBe(400);
    expect(await jobCount()).toBe(0);
  });

  it('answers an idempotent repeat of a batch with refs with the same jobs', async () => {
    const key = `dag-${randomUUID()}`;
    const jobs = [
      { jobType: 'a', ref: 'a' },
      { jobType: 'b', dependsOn: [{ ref: 'a' }] },
    ];
    const first = await submitBatch(jobs, { 'idempotency-key': key });
    const again = await submitBatch(jobs, { 'idempotency-key': key });
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json().jobs.map((j: JobBody) => j.jobId)).toEqual(
      first.json().jobs.map((j: JobBody) => j.jobId),
    );
    const changed = await submitBatch([jobs[0], { jobType: 'b' }], { 'idempotency-key': key });
    expect(changed.statusCode).toBe(409);
    expect(changed.json().code).toBe('IDEMPOTENCY_CONFLICT');
    expect(await jobCount()).toBe(2);
  });

  it('reads the DAG of a run; an unknown run is a 404', async () => {
    const run = (await h.call('POST', '/runs', { name: 'nightly' })).json<{ runId: string }>();
    const res = await submitBatch([
      { jobType: 'a', ref: 'a', runId: run.runId },
      { jobType: 'b', runId: run.runId, dependsOn: [{ ref: 'a' }] },
      { jobType: 'c', runId: run.runId },
    ]);
    const [a, b, c] = res.json().jobs as JobBody[];
    const dag = await h.call('GET', `/runs/${run.runId}/dag`);
    expect(dag.statusCode).toBe(200);
    expect(dag.json().edges).toEqual([{ from: a!.jobId, to: b!.jobId }]);
    expect(dag.json().parallelGroups).toEqual([[a!.jobId, c!.jobId], [b!.jobId]]);
    expect((await h.call('GET', '/runs/no-such-run/dag')).json().code).toBe('RUN_NOT_FOUND');
    expect((await h.call('GET', `/jobs/${randomUUID()}/dag`)).json().code).toBe('JOB_NOT_FOUND');
  });
});
