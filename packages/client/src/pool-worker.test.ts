import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_WORKER_CLIENT } from '../test/fake-authority.js';
import { FakeOrchestrator } from '../test/fake-orchestrator.js';
import { OrchestratorClient } from './orchestrator-client.js';
import { Worker } from './worker.js';

// A pool worker (decision 0016 §6): one token for every tenant (`tenant: '*'`, `orch:worker` only); each
// call on a lease names the job's tenant, and batched calls go out one per tenant.

let fake: FakeOrchestrator;
const workers: Worker[] = [];

beforeEach(async () => {
  fake = await FakeOrchestrator.start();
});

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop({ graceful: false, timeoutMs: 100 })));
  await fake.close();
});

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The tenant header of each request the fake received on `path` (a regular expression). */
function tenantsOn(path: RegExp): (string | undefined)[] {
  return fake.http.requests
    .filter((r) => path.test(r.path))
    .map((r) => r.headers['x-stella-tenant'] as string | undefined);
}

describe('a pool worker', () => {
  it('drains two tenants with one pool token, naming each job’s tenant on its lease calls', async () => {
    const jobs = [
      ...Array.from({ length: 6 }, (_, i) => fake.enqueue({ tenantId: 'acme', payload: { i } })),
      ...Array.from({ length: 6 }, (_, i) => fake.enqueue({ tenantId: 'globex', payload: { i } })),
    ];
    const seen: string[] = [];
    const worker = new Worker({
      url: fake.url,
      tenant: '*',
      credentials: FAKE_WORKER_CLIENT,
      jobTypes: ['test.job'],
      concurrency: 12,
      pollWaitMs: 1_000,
      leaseDurationMs: 3_000,
      heartbeatIntervalMs: 50,
      completionBatchWindowMs: 30,
      handler: async (job, ctx) => {
        seen.push(job.tenantId);
        // Long enough for the scheduled heartbeats to go out batched, once per tenant.
        await new Promise((resolve) => setTimeout(resolve, 150));
        await ctx.progress({ tenant: job.tenantId });
        return { tenant: job.tenantId };
      },
    });
    workers.push(worker);
    const tenantOfLease = new Map<string, string>();
    worker.on('leased', (grant) => tenantOfLease.set(grant.leaseId, grant.job.tenantId));
    const done = worker.start();

    await until(() => worker.stats.succeeded === jobs.length);
    expect(worker.stats).toMatchObject({ succeeded: 12, lostLeases: 0, completionErrors: 0 });
    expect(seen.filter((t) => t === 'acme')).toHaveLength(6);
    expect(seen.filter((t) => t === 'globex')).toHaveLength(6);

    // One pool token, asked for tenant * and orch:worker alone.
    expect(fake.authority.tokenRequests).toEqual([
      expect.objectContaining({ tenant: '*', scope: 'orch:worker' }),
    ]);
    expect(new Set(tenantsOn(/\/leases$/))).toEqual(new Set(['*']));
    // Every call on a lease named a job's tenant: the fake finds a lease only in the tenant named.
    const leaseCalls = tenantsOn(/\/leases\/.+/);
    expect(leaseCalls.length).toBeGreaterThan(0);
    expect(new Set(leaseCalls)).toEqual(new Set(['acme', 'globex']));
    // Batched heartbeats and completions went out per tenant, each holding leases of its tenant only.
    const batched = fake.http.requests.filter((r) => /\/leases\/(heartbeat|complete)$/.test(r.path));
    expect(batched.length).toBeGreaterThan(0);
    for (const request of batched) {
      const body = request.body as {
        heartbeats?: { leaseId: string }[];
        completions?: { leaseId: string }[];
      };
      const tenants = (body.heartbeats ?? body.completions ?? []).map((item) =>
        tenantOfLease.get(item.leaseId),
      );
      expect(new Set(tenants)).toEqual(new Set([request.headers['x-stella-tenant']]));
    }
    for (const completion of fake.completions) {
      expect(completion.outcome).toBe('succeeded');
      expect(completion.result).toEqual({ tenant: tenantOfLease.get(completion.leaseId) });
    }
    expect(fake.heartbeats.some((h) => h.via === 'batch')).toBe(true);
    expect(fake.completions.some((c) => c.via === 'batch')).toBe(true);

    await worker.stop();
    await done;
  });

  it('sends the job’s tenant instead of the client’s on a call on a lease', async () => {
    const job = fake.enqueue({ tenantId: 'acme' });
    const client = new OrchestratorClient({
      baseUrl: fake.url,
      tenant: '*',
      credentials: { ...FAKE_WORKER_CLIENT, scopes: ['orch:worker'] },
    });
    expect(client.tenant).toBe('*');
    const [grant] = await client.leaseJobs({ workerId: 'w', jobTypes: ['test.job'] });
    expect(grant?.job.jobId).toBe(job.jobId);
    const proof = { fencingToken: grant!.fencingToken };
    // Without the job's tenant the fake refuses as the server does; another tenant finds no lease.
    await expect(client.heartbeat(grant!.leaseId, proof)).rejects.toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
    });
    await expect(client.heartbeat(grant!.leaseId, proof, { tenant: 'globex' })).rejects.toMatchObject({
      code: 'LEASE_LOST',
    });
    await expect(client.heartbeat(grant!.leaseId, proof, { tenant: 'acme' })).resolves.toMatchObject({
      jobId: job.jobId,
    });
    const results = await client.completeJobs([{ leaseId: grant!.leaseId, ...proof, outcome: 'succeeded' }], {
      tenant: 'acme',
    });
    expect(results).toMatchObject([{ ok: true }]);
    // A pool token runs nothing else.
    await expect(client.listJobs()).rejects.toMatchObject({ status: 403, code: 'FORBIDDEN' });
  });
});
