import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';

describe('jobs API (in-process, PGlite)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  beforeEach(() => {
    h.newTenant();
  });
  afterAll(async () => {
    await h.close();
  });

  it('submits a job and reads it back with its digest and history', async () => {
    const res = await h.call('POST', '/jobs', {
      jobType: 'advisory.ingest',
      payload: { b: 1, a: [1, 2] },
      priority: 5,
    });
    expect(res.statusCode).toBe(201);
    const job = res.json();
    expect(job).toMatchObject({
      tenantId: h.tenant,
      jobType: 'advisory.ingest',
      status: 'pending',
      attempt: 0,
      priority: 5,
      maxAttempts: 3,
    });
    expect(job.payloadDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const got = await h.call('GET', `/jobs/${job.jobId}`);
    expect(got.statusCode).toBe(200);
    expect(got.json()).toEqual(job);
    const history = (await h.call('GET', `/jobs/${job.jobId}/history`)).json();
    expect(history.items).toHaveLength(1);
    expect(history.items[0]).toMatchObject({ fromStatus: null, toStatus: 'pending', reason: 'submitted' });
  });

  it('makes one job per Idempotency-Key and refuses the key with another request', async () => {
    const first = await h.call(
      'POST',
      '/jobs',
      { jobType: 'scan', payload: { n: 1 } },
      { 'idempotency-key': 'k-1' },
    );
    const again = await h.call(
      'POST',
      '/jobs',
      { jobType: 'scan', payload: { n: 1 } },
      { 'idempotency-key': 'k-1' },
    );
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json().jobId).toBe(first.json().jobId);
    const other = await h.call(
      'POST',
      '/jobs',
      { jobType: 'scan', payload: { n: 2 } },
      { 'idempotency-key': 'k-1' },
    );
    expect(other.statusCode).toBe(409);
    expect(other.json().code).toBe('IDEMPOTENCY_CONFLICT');
    const list = (await h.call('GET', '/jobs')).json();
    expect(list.items).toHaveLength(1);
  });

  it('submits a batch in one transaction and repeats it idempotently', async () => {
    const jobs = Array.from({ length: 250 }, (_, i) => ({
      jobType: i % 2 === 0 ? 'a' : 'b',
      payload: { i },
    }));
    const res = await h.call('POST', '/jobs/batch', { jobs }, { 'idempotency-key': 'batch-1' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ created: 250, existing: 0 });
    const again = await h.call('POST', '/jobs/batch', { jobs }, { 'idempotency-key': 'batch-1' });
    expect(again.json()).toMatchObject({ created: 0, existing: 250 });
    const changed = jobs.map((j, i) => (i === 100 ? { ...j, payload: { i: -1 } } : j));
    const conflict = await h.call('POST', '/jobs/batch', { jobs: changed }, { 'idempotency-key': 'batch-1' });
    expect(conflict.statusCode).toBe(409);
    const summary = (await h.call('GET', '/jobs/summary')).json();
    expect(summary.total).toBe(250);
    expect(summary.byStatus.pending).toBe(250);
    expect(summary.byJobType).toHaveLength(2);
  });

  it('lists with filters and walks pages without gaps or duplicates', async () => {
    await h.call('POST', '/jobs/batch', {
      jobs: Array.from({ length: 23 }, (_, i) => ({ jobType: i < 20 ? 'x' : 'y' })),
    });
    const seen = new Set<string>();
    let token: string | null = null;
    let pages = 0;
    do {
      const query: string = `/jobs?jobType=x&page_size=7${token === null ? '' : `&page_token=${token}`}`;
      const page = (await h.call('GET', query)).json();
      for (const job of page.items) {
        expect(seen.has(job.jobId)).toBe(false);
        seen.add(job.jobId);
      }
      token = page.next_page_token;
      pages++;
    } while (token !== null);
    expect(seen.size).toBe(20);
    expect(pages).toBe(3);
    expect((await h.call('GET', '/jobs?status=pending,failed&page_size=500')).json().items).toHaveLength(23);
    expect((await h.call('GET', '/jobs?status=failed')).json().items).toHaveLength(0);
    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await h.call('GET', `/jobs?created_after=${future}`)).json().items).toHaveLength(0);
  });

  it('cancels a pending job and refuses to cancel it twice', async () => {
    const job = (await h.call('POST', '/jobs', { jobType: 'scan' })).json();
    const canceled = await h.call('POST', `/jobs/${job.jobId}/cancel`, { reason: 'not needed' });
    expect(canceled.statusCode).toBe(200);
    expect(canceled.json().status).toBe('canceled');
    const again = await h.call('POST', `/jobs/${job.jobId}/cancel`);
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'INVALID_TRANSITION' });
    const replay = await h.call('POST', `/jobs/${job.jobId}/replay`, {});
    expect(replay.statusCode).toBe(201);
    expect(replay.json()).toMatchObject({ replayOf: job.jobId, status: 'pending', jobType: 'scan' });
    expect((await h.call('GET', `/jobs/${job.jobId}`)).json().status).toBe('canceled');
  });

  it('creates runs and counts their jobs', async () => {
    const run = await h.call('POST', '/runs', { name: 'nightly' });
    expect(run.statusCode).toBe(201);
    const runId = run.json().runId;
    await h.call('POST', '/jobs/batch', {
      jobs: [
        { jobType: 'a', runId },
        { jobType: 'a', runId },
      ],
    });
    const got = (await h.call('GET', `/runs/${runId}`)).json();
    expect(got).toMatchObject({ name: 'nightly', total: 2, status: 'active' });
    expect(got.counts.pending).toBe(2);
    expect((await h.call('GET', '/runs')).json().items).toHaveLength(1);
    expect((await h.call('GET', '/runs/nope')).statusCode).toBe(404);
    const unknownRun = await h.call('POST', '/jobs', { jobType: 'a', runId: 'missing-run' });
    expect(unknownRun.statusCode).toBe(404);
    expect(unknownRun.json().code).toBe('RUN_NOT_FOUND');
  });

  it('keeps tenants apart: another tenant sees 404 and an empty list', async () => {
    const job = (await h.call('POST', '/jobs', { jobType: 'scan' })).json();
    const otherToken = await h.tokenFor({
      tenant: 'someone-else',
      metadata: { operator_reason: 'probing', operator_ticket: 'X-1' },
    });
    const other = { authorization: `Bearer ${otherToken}` };
    expect((await h.call('GET', `/jobs/${job.jobId}`, undefined, other)).statusCode).toBe(404);
    expect((await h.call('POST', `/jobs/${job.jobId}/cancel`, {}, other)).statusCode).toBe(404);
    expect((await h.call('GET', '/jobs', undefined, other)).json().items).toHaveLength(0);
  });

  it('serves health, readiness and a discoverable OpenAPI 3.1 document', async () => {
    expect((await h.call('GET', '/healthz')).json()).toEqual({ status: 'ok' });
    expect((await h.call('GET', '/readyz')).json()).toEqual({ status: 'ready' });
    const doc = (await h.call('GET', '/.well-known/openapi')).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/orchestrator/jobs',
        '/api/v1/orchestrator/leases',
        '/api/v1/orchestrator/leases/{leaseId}/complete',
      ]),
    );
  });
});
