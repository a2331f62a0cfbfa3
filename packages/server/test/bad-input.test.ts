import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';

describe('bad input gets a problem+json with a stable code and writes nothing', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ config: { maxPayloadBytes: 4_096 } });
  });
  beforeEach(() => {
    h.newTenant();
  });
  afterEach(async () => {
    const jobs = (await h.call('GET', '/jobs')).json();
    expect(jobs.items).toHaveLength(0);
  });
  afterAll(async () => {
    await h.close();
  });

  function expectProblem(
    res: { statusCode: number; headers: Record<string, unknown>; json(): unknown },
    status: number,
    code: string,
  ) {
    expect(res.statusCode).toBe(status);
    expect(String(res.headers['content-type'])).toContain('application/problem+json');
    const problem = res.json() as Record<string, unknown>;
    expect(problem).toMatchObject({ status, code });
    expect(typeof problem['title']).toBe('string');
    expect(typeof problem['detail']).toBe('string');
    expect(typeof problem['traceId']).toBe('string');
    return problem;
  }

  it('refuses malformed JSON', async () => {
    expectProblem(await h.call('POST', '/jobs', '{"jobType": "x",'), 400, 'MALFORMED_JSON');
  });

  it('refuses unknown fields, naming them', async () => {
    const problem = expectProblem(
      await h.call('POST', '/jobs', { jobType: 'x', colour: 'red' }),
      400,
      'VALIDATION_FAILED',
    );
    expect(problem['errors']).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: 'body.colour' })]),
    );
  });

  it('refuses wrong types without coercing them', async () => {
    const problem = expectProblem(
      await h.call('POST', '/jobs', { jobType: 'x', priority: '5' }),
      400,
      'VALIDATION_FAILED',
    );
    expect(problem['errors']).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: 'body.priority' })]),
    );
    expectProblem(
      await h.call('POST', '/jobs', { jobType: 'x', maxAttempts: 1000 }),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(await h.call('POST', '/jobs', { jobType: ' spaces ' }), 400, 'VALIDATION_FAILED');
    expectProblem(await h.call('POST', '/jobs', { payload: {} }), 400, 'VALIDATION_FAILED');
  });

  it('refuses a batch with one bad job, writing none of them', async () => {
    const problem = expectProblem(
      await h.call('POST', '/jobs/batch', { jobs: [{ jobType: 'ok' }, { jobType: 'ok', priority: 1.5 }] }),
      400,
      'VALIDATION_FAILED',
    );
    expect(JSON.stringify(problem['errors'])).toContain('jobs.1.priority');
    expectProblem(await h.call('POST', '/jobs/batch', { jobs: [] }), 400, 'VALIDATION_FAILED');
    const tooMany = Array.from({ length: 1001 }, () => ({ jobType: 'x' }));
    expectProblem(await h.call('POST', '/jobs/batch', { jobs: tooMany }), 400, 'VALIDATION_FAILED');
  });

  it('refuses a payload over the limit with 413', async () => {
    const big = { blob: 'x'.repeat(5_000) };
    expectProblem(await h.call('POST', '/jobs', { jobType: 'x', payload: big }), 413, 'PAYLOAD_TOO_LARGE');
    expectProblem(
      await h.call('POST', '/jobs/batch', { jobs: [{ jobType: 'x' }, { jobType: 'x', payload: big }] }),
      413,
      'PAYLOAD_TOO_LARGE',
    );
    const huge = { blob: 'x'.repeat(200_000) };
    expectProblem(await h.call('POST', '/jobs', { jobType: 'x', payload: huge }), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('refuses a bad cursor, page size, status filter and time range', async () => {
    expectProblem(await h.call('GET', '/jobs?page_token=garbage'), 400, 'INVALID_CURSOR');
    expectProblem(await h.call('GET', '/jobs?page_size=0'), 400, 'VALIDATION_FAILED');
    expectProblem(await h.call('GET', '/jobs?page_size=501'), 400, 'VALIDATION_FAILED');
    expectProblem(await h.call('GET', '/jobs?status=bogus'), 400, 'VALIDATION_FAILED');
    expectProblem(await h.call('GET', '/jobs?created_after=yesterday'), 400, 'VALIDATION_FAILED');
    expectProblem(await h.call('GET', '/jobs?colour=red'), 400, 'VALIDATION_FAILED');
  });

  it('answers 404 for unknown or malformed job ids and unknown routes', async () => {
    expectProblem(await h.call('GET', '/jobs/7d3c2a3e-2b6f-4a55-9a43-0c4d8f3b9e11'), 404, 'JOB_NOT_FOUND');
    expectProblem(await h.call('GET', '/jobs/not-a-uuid'), 404, 'JOB_NOT_FOUND');
    expectProblem(
      await h.call('GET', '/jobs/7d3c2a3e-2b6f-4a55-9a43-0c4d8f3b9e11/history'),
      404,
      'JOB_NOT_FOUND',
    );
    expectProblem(
      await h.call('POST', '/jobs/7d3c2a3e-2b6f-4a55-9a43-0c4d8f3b9e11/retry', {}),
      404,
      'JOB_NOT_FOUND',
    );
    expectProblem(await h.call('GET', '/nothing-here'), 404, 'ROUTE_NOT_FOUND');
  });

  it('refuses a non-JSON body and a malformed tenant header', async () => {
    expectProblem(
      await h.call('POST', '/jobs', 'jobType=x', { 'content-type': 'application/x-www-form-urlencoded' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expectProblem(
      await h.call('POST', '/jobs', { jobType: 'x' }, { 'x-stella-tenant': 'bad tenant!' }),
      400,
      'VALIDATION_FAILED',
    );
  });

  it('refuses lease calls with a malformed body or unknown lease', async () => {
    expectProblem(await h.call('POST', '/leases', { workerId: 'w', jobTypes: [] }), 400, 'VALIDATION_FAILED');
    expectProblem(
      await h.call('POST', '/leases', { workerId: 'w', jobTypes: ['x'], limit: 1000 }),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(
      await h.call('POST', '/leases', { workerId: 'w', jobTypes: ['x'], waitMs: 60_000 }),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(
      await h.call('POST', '/leases/7d3c2a3e-2b6f-4a55-9a43-0c4d8f3b9e11/complete', {
        fencingToken: 1,
        outcome: 'succeeded',
      }),
      409,
      'LEASE_LOST',
    );
    expectProblem(
      await h.call('POST', '/leases/7d3c2a3e-2b6f-4a55-9a43-0c4d8f3b9e11/complete', {
        fencingToken: 1,
        outcome: 'done',
      }),
      400,
      'VALIDATION_FAILED',
    );
  });
});
