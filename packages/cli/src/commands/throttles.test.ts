import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { problem } from '../../../client/test/fake-http-server.js';
import { OPERATOR_ENV, startCliHarness, type CliHarness } from '../../test/cli-harness.js';

const BASE = '/api/v1/orchestrator';
const THROTTLE_ID = '4d2c6c1e-2c9e-4d0e-8a5b-6f1c2e3d4b5a';

function throttleBody(overrides: Record<string, unknown> = {}) {
  return {
    throttleId: THROTTLE_ID,
    tenantId: 't1',
    sourceId: 'nvd',
    jobType: null,
    pause: false,
    maxPerSecond: 2,
    maxConcurrent: null,
    reason: 'incident 42',
    ticket: 'OPS-42',
    expiresAt: '2026-11-01T12:00:00.000Z',
    revokedAt: null,
    revokedBy: null,
    revokeReason: null,
    active: true,
    createdAt: '2026-11-01T10:00:00.000Z',
    createdBy: 'admin',
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

const run = (argv: string[], env: NodeJS.ProcessEnv = OPERATOR_ENV) => harness.run(argv, env);

describe('throttles', () => {
  it('create sends the target, the effect and the duration in seconds with an orch:operate token', async () => {
    harness.server.route('POST', `${BASE}/throttles`, () => ({ status: 201, body: throttleBody() }));
    const result = await run([
      'throttles',
      'create',
      '--source',
      'nvd',
      '--max-per-second',
      '2',
      '--duration',
      '2h',
    ]);
    expect(result.code).toBe(0);
    expect(harness.apiRequests()[0]?.body).toEqual({
      sourceId: 'nvd',
      maxPerSecond: 2,
      durationSeconds: 7200,
    });
    expect(harness.authority.tokenRequests.at(-1)).toMatchObject({
      scope: 'orch:operate',
      operator_reason: 'incident 42',
      operator_ticket: 'OPS-42',
    });
    expect(result.out).toMatch(/Target\s*│\s*source nvd/);
    expect(result.out).toMatch(/Effect\s*│\s*≤ 2\/s/);
  });

  it('refuses, before calling the server, no effect, no end or two ends, a bad duration, no reason', async () => {
    for (const argv of [
      ['throttles', 'create', '--duration', '1h'],
      ['throttles', 'create', '--pause'],
      ['throttles', 'create', '--pause', '--duration', '1h', '--expires-at', '2030-01-01T00:00:00Z'],
      ['throttles', 'create', '--pause', '--duration', 'soon'],
      ['throttles', 'create', '--max-concurrent', '-1', '--duration', '60'],
    ]) {
      const result = await run(argv);
      expect(result.code, argv.join(' ')).toBe(2);
    }
    const noReason = await run(['throttles', 'create', '--pause', '--duration', '60'], {});
    expect(noReason.code).toBe(2);
    expect(noReason.err).toContain('--reason');
    expect(harness.apiRequests()).toEqual([]);
  });

  it('shows the server’s refusal of an unknown source', async () => {
    harness.server.route('POST', `${BASE}/throttles`, () =>
      problem(404, 'SOURCE_NOT_FOUND', 'source nope does not exist'),
    );
    const result = await run([
      'throttles',
      'create',
      '--source',
      'nope',
      '--pause',
      '--expires-at',
      '2030-01-01T00:00:00Z',
    ]);
    expect(result.code).toBe(3);
    expect(result.err).toContain('SOURCE_NOT_FOUND');
    expect(harness.apiRequests()[0]?.body).toEqual({
      sourceId: 'nope',
      pause: true,
      expiresAt: '2030-01-01T00:00:00Z',
    });
  });

  it('list passes its filters; revoke sends the reason; get shows the state', async () => {
    harness.server.route('GET', `${BASE}/throttles`, () => ({
      body: {
        items: [throttleBody({ active: false, revokedAt: '2026-11-01T11:00:00.000Z' })],
        next_page_token: null,
      },
    }));
    harness.server.route('POST', `${BASE}/throttles/${THROTTLE_ID}/revoke`, () => ({
      body: throttleBody({ active: false, revokedAt: '2026-11-01T11:00:00.000Z', revokeReason: 'recovered' }),
    }));
    harness.server.route('GET', `${BASE}/throttles/${THROTTLE_ID}`, () => ({
      body: throttleBody({ active: false }),
    }));
    const list = await run(['throttles', 'list', '--source', 'nvd', '--active', 'no'], {});
    expect(list.code).toBe(0);
    expect(list.out).toContain('revoked');
    const revoked = await run(['throttles', 'revoke', THROTTLE_ID, '--revoke-reason', 'recovered']);
    expect(revoked.out).toMatch(/Revoke reason\s*│\s*recovered/);
    const got = await run(['throttles', 'get', THROTTLE_ID], {});
    expect(got.out).toMatch(/State\s*│\s*expired/);
    const [get, revoke] = harness.apiRequests();
    expect(get?.query.get('sourceId')).toBe('nvd');
    expect(get?.query.get('active')).toBe('false');
    expect(revoke?.body).toEqual({ reason: 'recovered' });
    expect((await run(['throttles', 'list', '--active', 'maybe'], {})).code).toBe(2);
  });

  it('explains throttles in --help', async () => {
    const group = await run(['throttles', '--help']);
    for (const word of ['list', 'get', 'create', 'revoke', 'lowest', 'never fail'])
      expect(group.out).toContain(word);
    const create = await run(['throttles', 'create', '--help']);
    for (const word of [
      '--pause',
      '--max-per-second <n>',
      '--max-concurrent <n>',
      '--duration <d>',
      '--expires-at',
      'orch:operate',
    ])
      expect(create.out).toContain(word);
  });
});
