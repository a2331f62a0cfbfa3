import { AUTHORITY_TENANT, SCOPES } from '@stella-orch/core';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POOL_ROUTES, ROUTE_SCOPES } from '../src/scope-map.js';
import { HARNESS_CLIENT, ledgerEngines, startHarnessOn, type Harness } from './harness.js';

const ENGINES = await ledgerEngines('Pool workers API suite');

/** A client allowed `orch:worker` in one tenant only: it may not ask for a pool token. */
const ACME_WORKER = { clientId: 'acme-worker', clientSecret: 'acme-worker-secret-0123456789' };

interface Grant {
  leaseId: string;
  fencingToken: number;
  job: { jobId: string; tenantId: string; jobType: string };
}

describe('the routes of a pool token', () => {
  it('are worker-bridge routes of the scope table: the pool lease, and every call on a lease', () => {
    for (const route of Object.keys(POOL_ROUTES)) expect(ROUTE_SCOPES[route], route).toBe('orch:worker');
    const worker = Object.entries(ROUTE_SCOPES).filter(([, scope]) => scope === 'orch:worker');
    expect(worker.map(([route]) => route).sort()).toEqual(Object.keys(POOL_ROUTES).sort());
    expect(Object.entries(POOL_ROUTES).filter(([, kind]) => kind === 'lease')).toEqual([
      ['POST /leases', 'lease'],
    ]);
  });
});

describe.each(ENGINES)('pool workers on %s', (engine) => {
  let h: Harness;
  let poolToken: string;
  beforeAll(async () => {
    h = await startHarnessOn(engine, {
      config: {
        authority: {
          clients: [
            {
              ...HARNESS_CLIENT,
              displayName: 'test harness',
              clientSecretHash: null,
              scopes: [...SCOPES],
              tenants: ['*'],
            },
            {
              ...ACME_WORKER,
              displayName: 'acme worker',
              clientSecretHash: null,
              scopes: ['orch:worker'],
              tenants: ['acme'],
            },
          ],
        },
      },
    });
    const res = await h.requestToken(tokenForm({ scope: 'orch:worker', tenant: '*' }));
    expect(res.statusCode).toBe(200);
    poolToken = res.json<{ access_token: string }>().access_token;
  });
  afterAll(async () => {
    await h.close();
  });

  function tokenForm(fields: Record<string, string>, client = HARNESS_CLIENT): Record<string, string> {
    return {
      grant_type: 'client_credentials',
      client_id: client.clientId,
      client_secret: client.clientSecret,
      ...fields,
    };
  }

  /** Calls the API with the pool token (and the headers given). */
  const asPool = (
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => h.call(method, path, body, { authorization: `Bearer ${poolToken}`, ...headers });

  /** Calls the API as `tenant`, with every scope. */
  const asTenant = async (tenant: string, method: 'GET' | 'POST', path: string, body?: unknown) =>
    h.call(method, path, body, { authorization: `Bearer ${await h.tokenFor({ tenant })}` });

  /** Submits `count` jobs of `jobType` for `tenant` through `POST /jobs/batch`, 1,000 at a time. */
  async function submit(tenant: string, jobType: string, count: number): Promise<void> {
    for (let done = 0; done < count; done += 1_000) {
      const jobs = Array.from({ length: Math.min(1_000, count - done) }, (_, i) => ({
        jobType,
        payload: { i: done + i },
      }));
      const res = await asTenant(tenant, 'POST', '/jobs/batch', { jobs });
      expect(res.statusCode).toBe(201);
    }
  }

  async function poolLease(jobTypes: string[], limit: number, extra: Record<string, unknown> = {}) {
    const res = await asPool('POST', '/leases', { workerId: 'fleet-1', jobTypes, limit, ...extra });
    expect(res.statusCode).toBe(200);
    return res.json<{ leases: Grant[] }>().leases;
  }

  it('grants a client allowed * a worker-only token for *, audited in the system chain', async () => {
    const res = await h.requestToken(tokenForm({ scope: 'orch:worker', tenant: '*' }));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ tenant: '*', scope: 'orch:worker' });
    const systemToken = await h.tokenFor({ tenant: AUTHORITY_TENANT });
    const audit = await h.call('GET', '/audit?page_size=500', undefined, {
      authorization: `Bearer ${systemToken}`,
    });
    const grants = audit
      .json<{ items: { action: string; after: { tenant?: string } }[] }>()
      .items.filter((e) => e.action === 'token.grant' && e.after.tenant === '*');
    expect(grants.length).toBeGreaterThanOrEqual(2);
  });

  it('refuses tenant * with any other scope (invalid_scope), and to a client not allowed * (invalid_target)', async () => {
    for (const scope of ['orch:read', 'orch:worker orch:read']) {
      const res = await h.requestToken(tokenForm({ scope, tenant: '*' }));
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'invalid_scope' });
      expect(res.json<{ error_description: string }>().error_description).toContain('orch:worker only');
    }
    const narrow = await h.requestToken(tokenForm({ scope: 'orch:worker', tenant: '*' }, ACME_WORKER));
    expect(narrow.statusCode).toBe(400);
    expect(narrow.json()).toMatchObject({ error: 'invalid_target' });
  });

  it('deals each batch across tenants: 10 jobs of B all leased in the first 3 batches while A has 10,000', async () => {
    const jobType = `flood-${randomUUID().slice(0, 8)}`;
    const [a, b] = [`a-${randomUUID().slice(0, 8)}`, `b-${randomUUID().slice(0, 8)}`];
    await submit(a, jobType, 10_000);
    await submit(b, jobType, 10);
    const batches: Grant[][] = [];
    for (let i = 0; i < 3; i++) batches.push(await poolLease([jobType], 10));
    for (const batch of batches) expect(batch).toHaveLength(10);
    const ofB = batches.flat().filter((grant) => grant.job.tenantId === b);
    expect(new Set(ofB.map((grant) => grant.job.jobId)).size).toBe(10);
    expect(batches.flat().filter((grant) => grant.job.tenantId === a).length).toBe(20);
    // With B drained, A gets whole batches.
    expect((await poolLease([jobType], 10)).every((grant) => grant.job.tenantId === a)).toBe(true);
  });

  it('acts on a lease as the job’s tenant named in X-Stella-Tenant; another tenant finds no lease', async () => {
    const jobType = `fenced-${randomUUID().slice(0, 8)}`;
    const [a, b] = [`a-${randomUUID().slice(0, 8)}`, `b-${randomUUID().slice(0, 8)}`];
    await submit(a, jobType, 2);
    await submit(b, jobType, 2);
    const grants = await poolLease([jobType], 4);
    expect(grants.map((g) => g.job.tenantId).sort()).toEqual([a, a, b, b].sort());
    const [first, second] = grants.filter((g) => g.job.tenantId === a);
    const [third, fourth] = grants.filter((g) => g.job.tenantId === b);
    const proof = (g: Grant) => ({ fencingToken: g.fencingToken });
    const own = (g: Grant) => ({ 'x-stella-tenant': g.job.tenantId });

    const beat = await asPool('POST', `/leases/${first!.leaseId}/heartbeat`, proof(first!), own(first!));
    expect(beat.statusCode).toBe(200);
    expect(beat.json()).toMatchObject({ jobId: first!.job.jobId, status: 'running' });
    const progress = { ...proof(first!), progress: { done: 1 } };
    expect(
      (await asPool('POST', `/leases/${first!.leaseId}/progress`, progress, own(first!))).statusCode,
    ).toBe(200);
    const artifacts = {
      ...proof(first!),
      artifacts: [
        { uri: 's3://b/out', digest: `sha256:${'ab'.repeat(32)}`, sizeBytes: 1, mediaType: 'text/plain' },
      ],
    };
    expect(
      (await asPool('POST', `/leases/${first!.leaseId}/artifacts`, artifacts, own(first!))).statusCode,
    ).toBe(201);

    // Another tenant's header: no such lease there.
    const wrong = { 'x-stella-tenant': b };
    const lost = await asPool('POST', `/leases/${first!.leaseId}/heartbeat`, proof(first!), wrong);
    expect(lost.statusCode).toBe(409);
    expect(lost.json()).toMatchObject({ code: 'LEASE_LOST' });
    const lostDone = { ...proof(first!), outcome: 'succeeded' };
    expect(
      (await asPool('POST', `/leases/${first!.leaseId}/complete`, lostDone, wrong)).json(),
    ).toMatchObject({
      code: 'LEASE_LOST',
    });
    // No header (or *): the call names the header it needs.
    for (const headers of [{}, { 'x-stella-tenant': '*' }]) {
      const missing = await asPool('POST', `/leases/${first!.leaseId}/complete`, lostDone, headers);
      expect(missing.statusCode).toBe(400);
      expect(missing.json()).toMatchObject({
        code: 'VALIDATION_FAILED',
        errors: [{ path: 'header.x-stella-tenant' }],
      });
    }

    const done = await asPool('POST', `/leases/${first!.leaseId}/complete`, lostDone, own(first!));
    expect(done.statusCode).toBe(200);
    expect(done.json()).toMatchObject({ disposition: 'succeeded', job: { tenantId: a } });

    // The batch calls run as one tenant: its leases answer, the other tenant's are LEASE_LOST.
    const beats = await asPool(
      'POST',
      '/leases/heartbeat',
      { heartbeats: [second!, third!].map((g) => ({ leaseId: g.leaseId, ...proof(g) })) },
      { 'x-stella-tenant': a },
    );
    expect(beats.json<{ results: { ok: boolean; code?: string }[] }>().results).toMatchObject([
      { ok: true },
      { ok: false, code: 'LEASE_LOST' },
    ]);
    const completions = [third!, fourth!].map((g) => ({
      leaseId: g.leaseId,
      ...proof(g),
      outcome: 'succeeded',
    }));
    const batch = await asPool('POST', '/leases/complete', { completions }, { 'x-stella-tenant': b });
    expect(batch.json<{ results: { ok: boolean }[] }>().results.map((r) => r.ok)).toEqual([true, true]);
    expect((await asPool('POST', '/leases/complete', { completions }, {})).statusCode).toBe(400);

    const job = await asTenant(a, 'GET', `/jobs/${first!.job.jobId}`);
    expect(job.json()).toMatchObject({ status: 'succeeded', progress: { done: 1 } });
  });

  it('runs nothing but the worker bridge with a pool token, and the pool lease only for *', async () => {
    for (const [method, path, body] of [
      ['GET', '/jobs', undefined],
      ['POST', '/jobs', { jobType: 'x' }],
      ['POST', '/jobs/batch', { jobs: [{ jobType: 'x' }] }],
      ['GET', '/audit', undefined],
      ['GET', '/sources', undefined],
    ] as const) {
      const res = await asPool(method, path, body, { 'x-stella-tenant': 'acme' });
      expect(res.statusCode, `${method} ${path}`).toBe(403);
      expect(res.json()).toMatchObject({ code: 'FORBIDDEN' });
      expect((await asPool(method, path, body)).statusCode).toBe(403);
    }
    const named = await asPool(
      'POST',
      '/leases',
      { workerId: 'w', jobTypes: ['x'] },
      { 'x-stella-tenant': 'acme' },
    );
    expect(named.statusCode).toBe(403);
    expect(named.json()).toMatchObject({ code: 'TENANT_MISMATCH' });
    const star = await asPool(
      'POST',
      '/leases',
      { workerId: 'w', jobTypes: ['x'] },
      { 'x-stella-tenant': '*' },
    );
    expect(star.statusCode).toBe(200);
    // A tenant's own token may not name * either.
    const tenantToken = await h.tokenFor({ tenant: 'acme' });
    const mismatch = await h.call(
      'POST',
      '/leases',
      { workerId: 'w', jobTypes: ['x'] },
      {
        authorization: `Bearer ${tenantToken}`,
        'x-stella-tenant': '*',
      },
    );
    expect(mismatch.json()).toMatchObject({ code: 'TENANT_MISMATCH' });
  });

  it('wakes a waiting pool lease when any tenant submits', async () => {
    const jobType = `wake-${randomUUID().slice(0, 8)}`;
    const tenant = `w-${randomUUID().slice(0, 8)}`;
    const startedAt = Date.now();
    const waiting = poolLease([jobType], 5, { waitMs: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await submit(tenant, jobType, 1);
    const grants = await waiting;
    expect(grants.map((g) => g.job.tenantId)).toEqual([tenant]);
    expect(Date.now() - startedAt).toBeLessThan(5_000);
  });
});
