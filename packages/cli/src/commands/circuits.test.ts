import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { problem } from '../../../client/test/fake-http-server.js';
import { OPERATOR_ENV, startCliHarness, type CliHarness } from '../../test/cli-harness.js';

const BASE = '/api/v1/orchestrator';
const BREAKER_ID = '7a1c2e3d-4b5a-4d0e-8a5b-6f1c2e3d4b5a';

function breakerBody(overrides: Record<string, unknown> = {}) {
  return {
    breakerId: BREAKER_ID,
    tenantId: 't1',
    sourceId: 'nvd',
    jobType: null,
    failureRatio: 0.5,
    minVolume: 20,
    windowSeconds: 60,
    coolDownSeconds: 30,
    probeLeases: 1,
    state: 'closed',
    stateChangedAt: '2026-11-01T10:00:00.000Z',
    openUntil: null,
    openedWith: null,
    window: { successes: 8, failures: 2 },
    probes: { successes: 0, failures: 0 },
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

const run = (argv: string[], env: NodeJS.ProcessEnv = OPERATOR_ENV) => harness.run(argv, env);

describe('circuits', () => {
  it('create sends the scope and the settings given with an orch:operate token', async () => {
    harness.server.route('POST', `${BASE}/circuit-breakers`, () => ({ status: 201, body: breakerBody() }));
    const result = await run([
      'circuits',
      'create',
      '--source',
      'nvd',
      '--failure-ratio',
      '25%',
      '--window',
      '300',
      '--probes',
      '2',
    ]);
    expect(result.code).toBe(0);
    expect(harness.apiRequests()[0]?.body).toEqual({
      sourceId: 'nvd',
      failureRatio: 0.25,
      windowSeconds: 300,
      probeLeases: 2,
    });
    expect(harness.authority.tokenRequests.at(-1)).toMatchObject({
      scope: 'orch:operate',
      operator_reason: 'incident 42',
      operator_ticket: 'OPS-42',
    });
    expect(result.out).toMatch(/Scope\s*│\s*source nvd/);
    expect(result.out).toMatch(/Window\s*│\s*2 failed of 10 in 60 s/);
  });

  it('refuses, before calling the server, both or neither scope, settings out of range, an empty update, no reason', async () => {
    for (const argv of [
      ['circuits', 'create'],
      ['circuits', 'create', '--source', 'nvd', '--job-type', 'scan'],
      ['circuits', 'create', '--job-type', 'scan', '--failure-ratio', '0'],
      ['circuits', 'create', '--job-type', 'scan', '--failure-ratio', '2'],
      ['circuits', 'create', '--job-type', 'scan', '--window', '5'],
      ['circuits', 'create', '--job-type', 'scan', '--probes', '1001'],
      ['circuits', 'update', BREAKER_ID],
      ['circuits', 'list', '--state', 'ajar'],
    ]) {
      const result = await run(argv);
      expect(result.code, argv.join(' ')).toBe(2);
    }
    const noReason = await run(['circuits', 'reset', BREAKER_ID], {});
    expect(noReason.code).toBe(2);
    expect(noReason.err).toContain('--reason');
    expect(harness.apiRequests()).toEqual([]);
  });

  it('shows the server’s refusals: an existing breaker, an unknown one', async () => {
    harness.server.route('POST', `${BASE}/circuit-breakers`, () =>
      problem(409, 'CIRCUIT_BREAKER_EXISTS', 'the tenant has a circuit breaker on job type scan already'),
    );
    harness.server.route('GET', `${BASE}/circuit-breakers/${BREAKER_ID}`, () =>
      problem(404, 'CIRCUIT_BREAKER_NOT_FOUND', 'no such circuit breaker'),
    );
    const exists = await run(['circuits', 'create', '--job-type', 'scan']);
    expect(exists.code).not.toBe(0);
    expect(exists.err).toContain('CIRCUIT_BREAKER_EXISTS');
    const missing = await run(['circuits', 'get', BREAKER_ID], {});
    expect(missing.code).toBe(3);
    expect(missing.err).toContain('CIRCUIT_BREAKER_NOT_FOUND');
  });

  it('list passes its filters; get shows the state; update sends If-Match; delete and reset', async () => {
    const open = breakerBody({
      state: 'open',
      openUntil: '2026-11-01T10:05:00.000Z',
      openedWith: { attempts: 20, failures: 12 },
    });
    harness.server.route('GET', `${BASE}/circuit-breakers`, () => ({
      body: { items: [open], next_page_token: null },
    }));
    harness.server.route('GET', `${BASE}/circuit-breakers/${BREAKER_ID}`, () => ({ body: open }));
    harness.server.route('PUT', `${BASE}/circuit-breakers/${BREAKER_ID}`, () => ({
      body: breakerBody({ minVolume: 50, version: 2 }),
    }));
    harness.server.route('DELETE', `${BASE}/circuit-breakers/${BREAKER_ID}`, () => ({ status: 204 }));
    harness.server.route('POST', `${BASE}/circuit-breakers/${BREAKER_ID}/reset`, () => ({
      body: breakerBody(),
    }));

    const list = await run(['circuits', 'list', '--state', 'open', '--source', 'nvd'], {});
    expect(list.code).toBe(0);
    expect(list.out).toContain('open until');
    const got = await run(['circuits', 'get', BREAKER_ID], {});
    expect(got.out).toMatch(/Opened with\s*│\s*12 failed of 20/);
    const updated = await run(['circuits', 'update', BREAKER_ID, '--min-volume', '50', '--if-version', '1']);
    expect(updated.code).toBe(0);
    expect(updated.out).toMatch(/Version\s*│\s*2/);
    expect((await run(['circuits', 'delete', BREAKER_ID])).out).toContain('Deleted circuit breaker');
    const reset = await run(['circuits', 'reset', BREAKER_ID]);
    expect(reset.out).toMatch(/State\s*│\s*closed/);
    const [listed, , put, del, posted] = harness.apiRequests();
    expect(listed?.query.get('state')).toBe('open');
    expect(listed?.query.get('sourceId')).toBe('nvd');
    expect(put?.body).toEqual({ minVolume: 50 });
    expect(put?.headers['if-match']).toBe('"1"');
    expect(del?.method).toBe('DELETE');
    expect(posted?.body).toEqual({});
  });

  it('explains breakers in --help', async () => {
    const group = await run(['circuits', '--help']);
    for (const word of ['list', 'get', 'create', 'update', 'delete', 'reset', 'half-open', 'never fail'])
      expect(group.out).toContain(word);
    const create = await run(['circuits', 'create', '--help']);
    for (const word of [
      '--source <sourceId>',
      '--job-type <type>',
      '--failure-ratio <r>',
      '--min-volume <n>',
      '--window <seconds>',
      '--cool-down <seconds>',
      '--probes <n>',
      'orch:operate',
    ])
      expect(create.out).toContain(word);
  });
});
