import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeHttpServer, problem } from '../test/fake-http-server.js';
import { makeJob } from '../test/fake-orchestrator.js';
import {
  isLeaseLost,
  isOutcomeUnknown,
  isUnavailable,
  LeaseOutcomeUnknownError,
  OrchestratorApiError,
  OrchestratorConnectionError,
} from './api-error.js';
import { OrchestratorClient } from './orchestrator-client.js';

const BASE = '/api/v1/orchestrator';
const FAST = { maxRetries: 3, initialDelayMs: 5, maxDelayMs: 50 };

let server: FakeHttpServer;
let client: OrchestratorClient;

beforeEach(async () => {
  server = await FakeHttpServer.start();
  client = new OrchestratorClient({ baseUrl: server.url, tenant: 't1', retry: FAST });
});

afterEach(async () => {
  await server.close();
});

/** Answers with `replies` in turn, then repeats the last one. */
function sequence(
  ...replies: Parameters<FakeHttpServer['route']>[2][]
): Parameters<FakeHttpServer['route']>[2] {
  let call = 0;
  return (request) => replies[Math.min(call++, replies.length - 1)]!(request);
}

describe('requests', () => {
  it('sends the base path, tenant, idempotency key and JSON body, and returns the job', async () => {
    const job = makeJob({ jobType: 'advisory.ingest' });
    server.route('POST', `${BASE}/jobs`, () => ({ status: 201, body: job }));

    const answer = await client.submitJob(
      { jobType: 'advisory.ingest', payload: { a: 1 } },
      { idempotencyKey: 'k-1' },
    );

    expect(answer).toEqual(job);
    const [request] = server.requestsTo('POST', `${BASE}/jobs`);
    expect(request!.headers['x-stella-tenant']).toBe('t1');
    expect(request!.headers['x-stella-actor']).toBeUndefined();
    expect(request!.headers.authorization).toBeUndefined();
    expect(request!.headers['idempotency-key']).toBe('k-1');
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.body).toEqual({ jobType: 'advisory.ingest', payload: { a: 1 } });
  });

  it('maps list filters to the query string and follows next_page_token across pages', async () => {
    const pages = [
      { items: [makeJob(), makeJob()], next_page_token: 'p2' },
      { items: [makeJob()], next_page_token: null },
    ];
    server.route('GET', `${BASE}/jobs`, (r) => ({
      body: r.query.get('page_token') === 'p2' ? pages[1] : pages[0],
    }));

    const seen: number[] = [];
    for await (const page of client.listAllJobs({
      status: ['pending', 'failed'],
      jobType: 'x',
      pageSize: 2,
    })) {
      seen.push(page.items.length);
    }

    expect(seen).toEqual([2, 1]);
    const [first, second] = server.requestsTo('GET', `${BASE}/jobs`);
    expect(first!.query.get('status')).toBe('pending,failed');
    expect(first!.query.get('jobType')).toBe('x');
    expect(first!.query.get('page_size')).toBe('2');
    expect(first!.query.has('page_token')).toBe(false);
    expect(second!.query.get('page_token')).toBe('p2');
  });

  it('calls the health probes outside the base path', async () => {
    server.route('GET', '/healthz', () => ({ body: { status: 'ok' } }));
    await expect(client.health()).resolves.toEqual({ status: 'ok' });
  });

  it('gives a long-poll its wait on top of the timeout', async () => {
    const slow = new OrchestratorClient({ baseUrl: server.url, timeoutMs: 100, retry: { maxRetries: 0 } });
    server.route('POST', `${BASE}/leases`, async () => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      return { body: { leases: [] } };
    });
    await expect(slow.leaseJobs({ workerId: 'w', jobTypes: ['a'], waitMs: 500 })).resolves.toEqual([]);
    await expect(slow.leaseJobs({ workerId: 'w', jobTypes: ['a'] })).rejects.toMatchObject({
      timedOut: true,
    });
  });
});

describe('errors', () => {
  it('turns a problem+json answer into OrchestratorApiError with status, code, detail and problem', async () => {
    server.route('GET', /\/jobs\/[^/]+$/, (r) =>
      problem(404, 'JOB_NOT_FOUND', `job ${r.path.split('/').at(-1)!} does not exist`, { traceId: 'tr-1' }),
    );

    const error = await client.getJob('j-404').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OrchestratorApiError);
    expect(error).toMatchObject({ status: 404, code: 'JOB_NOT_FOUND', detail: 'job j-404 does not exist' });
    expect((error as OrchestratorApiError).problem.traceId).toBe('tr-1');
    expect(server.requests).toHaveLength(1);
  });

  it('gives a non-problem error body the code HTTP_<status>', async () => {
    server.route('GET', `${BASE}/jobs/summary`, () => ({ status: 500, text: '<html>oops</html>' }));
    await expect(client.getJobsSummary()).rejects.toMatchObject({ status: 500, code: 'HTTP_500' });
  });

  it('says LEASE_LOST through isLeaseLost, and a first-attempt LEASE_LOST is not ambiguous', async () => {
    server.route('POST', /\/complete$/, () => problem(409, 'LEASE_LOST', 'stale fencing token'));
    const error = await client
      .completeJob('l1', { fencingToken: 1, outcome: 'succeeded' })
      .catch((e: unknown) => e);
    expect(isLeaseLost(error)).toBe(true);
    expect(isOutcomeUnknown(error)).toBe(false);
  });
});

describe('retries', () => {
  it('retries a read on 503 until it succeeds', async () => {
    const job = makeJob();
    server.route(
      'GET',
      /\/jobs\/[^/]+$/,
      sequence(
        () => problem(503, 'STORE_UNAVAILABLE', 'down'),
        () => problem(503, 'STORE_UNAVAILABLE', 'down'),
        () => ({ body: job }),
      ),
    );
    await expect(client.getJob(job.jobId)).resolves.toEqual(job);
    expect(server.requests).toHaveLength(3);
  });

  it('gives up after maxRetries and surfaces the last error', async () => {
    server.route('GET', `${BASE}/runs`, () => problem(503, 'STORE_UNAVAILABLE', 'down'));
    const error = await client.listRuns().catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 503, code: 'STORE_UNAVAILABLE' });
    expect(isUnavailable(error)).toBe(true);
    expect(server.requests).toHaveLength(1 + FAST.maxRetries);
  });

  it('waits the Retry-After of a 429 before trying again', async () => {
    const patient = new OrchestratorClient({ baseUrl: server.url, retry: { ...FAST, maxDelayMs: 5_000 } });
    server.route(
      'GET',
      `${BASE}/deadletter`,
      sequence(
        () => ({ ...problem(429, 'RATE_LIMITED', 'slow down'), headers: { 'retry-after': '1' } }),
        () => ({ body: { items: [], next_page_token: null } }),
      ),
    );
    await patient.listDeadLetters({ status: 'open' });
    const [first, second] = server.requests;
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(950);
  });

  it('does not wait a Retry-After longer than maxDelayMs: it surfaces the error with retryAfterMs', async () => {
    server.route('GET', `${BASE}/runs`, () => ({
      ...problem(429, 'RATE_LIMITED', 'slow down'),
      headers: { 'retry-after': '120' },
    }));
    await expect(client.listRuns()).rejects.toMatchObject({ status: 429, retryAfterMs: 120_000 });
    expect(server.requests).toHaveLength(1);
  });

  it('does not repeat a submission without idempotency key after an ambiguous 502, but does with a key', async () => {
    server.route(
      'POST',
      `${BASE}/jobs`,
      sequence(
        () => problem(502, 'HTTP_502', 'bad gateway'),
        () => ({ status: 201, body: makeJob() }),
      ),
    );
    await expect(client.submitJob({ jobType: 'a' })).rejects.toMatchObject({ status: 502 });
    expect(server.requests).toHaveLength(1);

    await expect(client.submitJob({ jobType: 'a' }, { idempotencyKey: 'k' })).resolves.toMatchObject({
      status: 'pending',
    });
    expect(server.requests).toHaveLength(2);
  });

  it('repeats a submission without key after a 503, which did nothing', async () => {
    server.route(
      'POST',
      `${BASE}/jobs`,
      sequence(
        () => problem(503, 'STORE_UNAVAILABLE', 'down'),
        () => ({ status: 201, body: makeJob() }),
      ),
    );
    await expect(client.submitJob({ jobType: 'a' })).resolves.toMatchObject({ jobType: 'test.job' });
    expect(server.requests).toHaveLength(2);
  });

  it('surfaces LEASE_LOST after a reset completion as LeaseOutcomeUnknownError', async () => {
    server.route(
      'POST',
      /\/leases\/l1\/complete$/,
      sequence(
        () => ({ destroy: true }),
        () => problem(409, 'LEASE_LOST', 'gone'),
      ),
    );

    const error = await client
      .completeJob('l1', { fencingToken: 3, outcome: 'succeeded' })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(LeaseOutcomeUnknownError);
    expect(isLeaseLost(error)).toBe(true);
    expect(isOutcomeUnknown(error)).toBe(true);
    expect(server.requests).toHaveLength(2);
  });

  it('marks LEASE_LOST batch results outcomeUnknown after an ambiguous 504', async () => {
    server.route(
      'POST',
      `${BASE}/leases/complete`,
      sequence(
        () => problem(504, 'HTTP_504', 'gateway timeout'),
        () => ({
          body: {
            results: [
              { leaseId: 'a', ok: false, code: 'LEASE_LOST', detail: 'gone' },
              { leaseId: 'b', ok: true, disposition: 'succeeded', jobId: 'j' },
            ],
          },
        }),
      ),
    );
    const results = await client.completeJobs([
      { leaseId: 'a', fencingToken: 1, outcome: 'succeeded' },
      { leaseId: 'b', fencingToken: 1, outcome: 'succeeded' },
    ]);
    expect(results[0]).toMatchObject({ ok: false, code: 'LEASE_LOST', outcomeUnknown: true });
    expect(results[1]).toMatchObject({ ok: true });
  });

  it('does not retry the readiness probe', async () => {
    server.route('GET', '/readyz', () => problem(503, 'STORE_UNAVAILABLE', 'migrations pending'));
    await expect(client.ready()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(server.requests).toHaveLength(1);
  });

  it('reports an unreachable server as OrchestratorConnectionError after retrying', async () => {
    const url = server.url;
    await server.close();
    const offline = new OrchestratorClient({ baseUrl: url, retry: FAST });
    const error = await offline.getJob('x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OrchestratorConnectionError);
    expect(error).toMatchObject({ timedOut: false });
    expect(isUnavailable(error)).toBe(true);
    server = await FakeHttpServer.start();
  });

  it('stops retrying when the caller aborts, rejecting with the abort reason', async () => {
    server.route('GET', `${BASE}/runs`, () => problem(503, 'STORE_UNAVAILABLE', 'down'));
    const slow = new OrchestratorClient({
      baseUrl: server.url,
      retry: { maxRetries: 10, initialDelayMs: 200, maxDelayMs: 200 },
    });
    const controller = new AbortController();
    setTimeout(() => {
      controller.abort(new Error('enough'));
    }, 50);
    await expect(slow.listRuns({}, { signal: controller.signal })).rejects.toThrow('enough');
    expect(server.requests.length).toBeLessThan(3);
  });
});
