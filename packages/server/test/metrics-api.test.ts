import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { MetricsConfig } from '../src/index.js';
import { HARNESS_CLIENT, startHarness, type Harness } from './harness.js';
import { parsePrometheus, sumOf, type Sample } from './prometheus-text.js';

async function scrape(h: Harness, headers: Record<string, string> = {}): Promise<Sample[]> {
  const res = await h.app.inject({ method: 'GET', url: '/metrics', headers });
  expect(res.statusCode).toBe(200);
  return parsePrometheus(res.body);
}

const TOKEN_FORM = {
  grant_type: 'client_credentials',
  client_id: HARNESS_CLIENT.clientId,
  client_secret: HARNESS_CLIENT.clientSecret,
  scope: 'orch:read',
};

describe('GET /metrics (in-process, PGlite)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ config: { metrics: { ...defaults(), ledgerCacheMs: 0 } } });
  });
  beforeEach(() => {
    h.newTenant();
  });
  afterAll(async () => {
    await h.close();
  });

  it('serves the Prometheus text format at the root, without a token, with the process metrics', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.body).toContain('# TYPE stella_orch_jobs_submitted_total counter');
    expect(res.body).toContain('# TYPE stella_orch_job_queue_wait_seconds histogram');
    expect(res.body).toContain('# TYPE stella_orch_queue_ready_jobs gauge');
    expect(res.body).toContain('process_cpu_user_seconds_total');
    expect(res.body).toContain('nodejs_eventloop_lag_seconds');
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/orchestrator/metrics' })).statusCode).toBe(404);
  });

  it('times HTTP requests by route pattern and status class, never by raw URL', async () => {
    const jobId = randomUUID();
    expect((await h.call('GET', `/jobs/${jobId}`)).statusCode).toBe(404);
    expect((await h.app.inject({ method: 'GET', url: `/no/such/${jobId}` })).statusCode).toBe(404);
    const res = await h.app.inject({ method: 'GET', url: '/metrics' });
    const samples = parsePrometheus(res.body);
    const route = '/api/v1/orchestrator/jobs/:jobId';
    expect(
      sumOf(samples, 'stella_orch_http_request_duration_seconds_count', {
        method: 'GET',
        route,
        status_class: '4xx',
      }),
    ).toBe(1);
    expect(
      sumOf(samples, 'stella_orch_http_request_duration_seconds_count', { route: 'unmatched' }),
    ).toBeGreaterThanOrEqual(1);
    expect(res.body).not.toContain(jobId);
  });

  it('counts token grants and refusals by OAuth error', async () => {
    const before = await scrape(h);
    expect((await h.requestToken({ ...TOKEN_FORM, tenant: h.tenant })).statusCode).toBe(200);
    expect(
      (await h.requestToken({ ...TOKEN_FORM, tenant: h.tenant, client_secret: 'wrong-secret' })).statusCode,
    ).toBe(401);
    expect(
      (await h.requestToken({ ...TOKEN_FORM, tenant: h.tenant, scope: 'orch:operate' })).statusCode,
    ).toBe(400);
    const after = await scrape(h);
    const delta = (labels: Record<string, string>) =>
      sumOf(after, 'stella_orch_token_requests_total', labels) -
      sumOf(before, 'stella_orch_token_requests_total', labels);
    expect(delta({ outcome: 'granted', error: 'none' })).toBe(1);
    expect(delta({ outcome: 'refused', error: 'invalid_client' })).toBe(1);
    expect(delta({ outcome: 'refused', error: 'invalid_request' })).toBe(1);
  });

  it('gauges the ledger at scrape time: ready, held and in-flight work', async () => {
    await h.call('POST', '/jobs', { jobType: 'gauge.a' });
    await h.call('POST', '/jobs', { jobType: 'gauge.a' });
    await h.call('POST', '/jobs', { jobType: 'gauge.a', notBefore: '2999-01-01T00:00:00Z' });
    await h.call('POST', '/leases', { workerId: 'w', jobTypes: ['gauge.a'] });
    const samples = await scrape(h);
    const labels = { tenant: h.tenant, job_type: 'gauge.a' };
    expect(sumOf(samples, 'stella_orch_queue_ready_jobs', labels)).toBe(1);
    expect(sumOf(samples, 'stella_orch_queue_held_jobs', { ...labels, reason: 'not_before' })).toBe(1);
    expect(sumOf(samples, 'stella_orch_jobs_in_flight', labels)).toBe(1);
    expect(sumOf(samples, 'stella_orch_queue_oldest_ready_job_age_seconds', labels)).toBeGreaterThanOrEqual(
      0,
    );
  });

  it('exposes the stream subscribers gauge for the stream routes', async () => {
    h.metrics.streamSubscribers.inc('sse');
    h.metrics.streamSubscribers.inc('sse');
    h.metrics.streamSubscribers.inc('ws');
    h.metrics.streamSubscribers.dec('sse');
    const samples = await scrape(h);
    expect(sumOf(samples, 'stella_orch_stream_subscribers', { transport: 'sse' })).toBe(1);
    expect(sumOf(samples, 'stella_orch_stream_subscribers', { transport: 'ws' })).toBe(1);
  });
});

function defaults(): MetricsConfig {
  return {
    enabled: true,
    bearerToken: null,
    tenantLabels: true,
    maxJobTypeLabels: 100,
    ledgerCacheMs: 5_000,
  };
}

describe('GET /metrics options', () => {
  const harnesses: Harness[] = [];
  afterAll(async () => {
    await Promise.all(harnesses.map((h) => h.close()));
  });
  async function harness(
    metrics: Partial<ReturnType<typeof defaults>>,
    extra: object = {},
  ): Promise<Harness> {
    const h = await startHarness({ config: { metrics: { ...defaults(), ...metrics }, ...extra } });
    harnesses.push(h);
    return h;
  }

  it('behind a bearer token: 401 without it, with another one or with an API token; 200 with it', async () => {
    const secret = 'metrics-scrape-token-0123456789';
    const h = await harness({ bearerToken: secret });
    const none = await h.app.inject({ method: 'GET', url: '/metrics' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['content-type']).toContain('application/problem+json');
    expect(none.headers['www-authenticate']).toContain('Bearer');
    for (const authorization of [`Bearer ${secret}x`, `Bearer ${await h.tokenFor()}`, `Basic ${secret}`]) {
      expect(
        (await h.app.inject({ method: 'GET', url: '/metrics', headers: { authorization } })).statusCode,
      ).toBe(401);
    }
    await scrape(h, { authorization: `Bearer ${secret}` });
  });

  it('turned off: no endpoint, and the API works as ever', async () => {
    const h = await harness({ enabled: false });
    expect((await h.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(404);
    expect((await h.call('POST', '/jobs', { jobType: 'off' })).statusCode).toBe(201);
    expect(h.metrics.enabled).toBe(false);
  });

  it('folds tenants into _all and caps job types with _other', async () => {
    const h = await harness({ tenantLabels: false, maxJobTypeLabels: 2 });
    for (const jobType of ['cap.a', 'cap.b', 'cap.c', 'cap.d']) {
      expect((await h.call('POST', '/jobs', { jobType })).statusCode).toBe(201);
    }
    h.newTenant();
    expect((await h.call('POST', '/jobs', { jobType: 'cap.a' })).statusCode).toBe(201);
    const samples = (await scrape(h)).filter((s) => s.name === 'stella_orch_jobs_submitted_total');
    const submitted = samples.filter((s) => s.labels['origin'] === 'submit');
    expect(submitted.map((s) => [s.labels['tenant'], s.labels['job_type'], s.value]).sort()).toEqual([
      ['_all', '_other', 2],
      ['_all', 'cap.a', 2],
      ['_all', 'cap.b', 1],
    ]);
    // The other origins' series exist at 0 (made when the pair was first seen), for the same label pairs.
    expect(samples.filter((s) => s.labels['origin'] !== 'submit').every((s) => s.value === 0)).toBe(true);
    expect(samples).toHaveLength(9);
  });

  it('counts requests refused 429 by the per-client rate limit', async () => {
    const h = await harness({}, { authority: { rateLimit: { requestsPerSecond: 0.001, burst: 2 } } });
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push((await h.call('GET', '/jobs')).statusCode);
    expect(codes).toEqual([200, 200, 429, 429]);
    expect(sumOf(await scrape(h), 'stella_orch_rate_limited_requests_total', { limiter: 'api_client' })).toBe(
      2,
    );
  });
});
