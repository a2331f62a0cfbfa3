import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { problem } from '../../../client/test/fake-http-server.js';
import { OPERATOR_ENV, startCliHarness, type CliHarness } from '../../test/cli-harness.js';

const BASE = '/api/v1/orchestrator';

function sourceBody(overrides: Record<string, unknown> = {}) {
  return {
    sourceId: 'nvd',
    tenantId: 't1',
    sourceType: 'concelier',
    displayName: null,
    description: null,
    enabled: true,
    paused: false,
    pauseReason: null,
    pauseTicket: null,
    pausedBy: null,
    pausedAt: null,
    rateLimit: null,
    maxConcurrent: null,
    version: 1,
    createdAt: '2026-11-01T10:00:00.000Z',
    createdBy: 'admin',
    updatedAt: '2026-11-01T10:00:00.000Z',
    updatedBy: 'admin',
    ...overrides,
  };
}

let harness: CliHarness;
beforeEach(async () => {
  harness = await startCliHarness();
});
afterEach(async () => {
  await harness.close();
});

const run = (argv: string[]) => harness.run(argv, OPERATOR_ENV);

describe('sources', () => {
  it('register sends the source with its rate limit and idempotency key, and prints it', async () => {
    harness.server.route('POST', `${BASE}/sources`, () => ({
      status: 201,
      body: sourceBody({ rateLimit: { burst: 20, refillPerSecond: 5 } }),
    }));
    const result = await run([
      'sources',
      'register',
      'nvd',
      '--type',
      'concelier',
      '--burst',
      '20',
      '--refill',
      '5',
      '--idempotency-key',
      'reg-1',
    ]);
    expect(result.code).toBe(0);
    const [request] = harness.apiRequests();
    expect(request?.body).toEqual({
      sourceId: 'nvd',
      sourceType: 'concelier',
      rateLimit: { burst: 20, refillPerSecond: 5 },
    });
    expect(request?.headers['idempotency-key']).toBe('reg-1');
    expect(result.out).toMatch(/Rate limit\s*│\s*burst 20, 5\/s/);
  });

  it('refuses a rate limit with only one of --burst and --refill before calling the server', async () => {
    const result = await run(['sources', 'register', 'nvd', '--type', 'concelier', '--burst', '20']);
    expect(result.code).not.toBe(0);
    expect(result.err).toContain('--burst and --refill');
    expect(harness.apiRequests()).toEqual([]);
  });

  it('pause sends the reason and ticket in the body, and shows the server’s refusal', async () => {
    harness.server.route('POST', `${BASE}/sources/nvd/pause`, () => ({
      status: 200,
      body: sourceBody({ paused: true, pauseReason: 'upstream outage', pauseTicket: 'INC-42', version: 2 }),
    }));
    const paused = await run([
      'sources',
      'pause',
      'nvd',
      '--pause-reason',
      'upstream outage',
      '--pause-ticket',
      'INC-42',
    ]);
    expect(paused.code).toBe(0);
    expect(harness.apiRequests()[0]?.body).toEqual({ reason: 'upstream outage', ticket: 'INC-42' });
    expect(paused.out).toMatch(/State\s*│\s*paused/);

    harness.server.route('POST', `${BASE}/sources/gone/resume`, () =>
      problem(404, 'SOURCE_NOT_FOUND', 'source gone does not exist'),
    );
    const missing = await run(['sources', 'resume', 'gone']);
    expect(missing.code).not.toBe(0);
    expect(missing.err).toContain('SOURCE_NOT_FOUND');
  });

  it('update sends If-Match with --if-version; list passes the filters', async () => {
    harness.server.route('PATCH', `${BASE}/sources/nvd`, () => ({
      status: 200,
      body: sourceBody({ version: 4 }),
    }));
    harness.server.route('GET', `${BASE}/sources`, () => ({
      status: 200,
      body: { items: [sourceBody({ enabled: false })], next_page_token: null },
    }));
    expect((await run(['sources', 'update', 'nvd', '--unlimited', '--if-version', '3'])).code).toBe(0);
    const list = await run(['sources', 'list', '--type', 'concelier', '--enabled', 'no']);
    expect(list.code).toBe(0);
    const [patch, get] = harness.apiRequests();
    expect(patch?.body).toEqual({ rateLimit: null });
    expect(patch?.headers['if-match']).toBe('"3"');
    expect(get?.query.get('sourceType')).toBe('concelier');
    expect(get?.query.get('enabled')).toBe('false');
    expect(list.out).toContain('disabled');
  });

  it('register and update send the concurrency limit; --no-max-concurrent clears it', async () => {
    harness.server.route('POST', `${BASE}/sources`, () => ({
      status: 201,
      body: sourceBody({ maxConcurrent: 4 }),
    }));
    harness.server.route('PATCH', `${BASE}/sources/nvd`, () => ({
      status: 200,
      body: sourceBody({ version: 2 }),
    }));
    const registered = await run([
      'sources',
      'register',
      'nvd',
      '--type',
      'concelier',
      '--max-concurrent',
      '4',
    ]);
    expect(registered.code).toBe(0);
    expect(registered.out).toMatch(/Concurrency\s*│\s*4 at once/);
    expect((await run(['sources', 'update', 'nvd', '--no-max-concurrent'])).code).toBe(0);
    const [register, patch] = harness.apiRequests();
    expect(register?.body).toEqual({ sourceId: 'nvd', sourceType: 'concelier', maxConcurrent: 4 });
    expect(patch?.body).toEqual({ maxConcurrent: null });
    const refused = await run(['sources', 'update', 'nvd', '--max-concurrent', '0']);
    expect(refused.code).not.toBe(0);
    expect(harness.apiRequests()).toHaveLength(2);
  });
});
