import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { problem } from '../../../client/test/fake-http-server.js';
import { startCliHarness, type CliHarness } from '../../test/cli-harness.js';

const BASE = '/api/v1/orchestrator';
const QUOTA_ID = '0b5e1f0e-8f8a-4f3c-9a51-3f2b7c2d9a10';
const QUOTA_ENV: NodeJS.ProcessEnv = { STELLA_ORCH_QUOTA_REASON: 'seasonal load' };

function quotaBody(overrides: Record<string, unknown> = {}) {
  return {
    quotaId: QUOTA_ID,
    tenantId: 't1',
    jobType: 'scan',
    maxActive: 5,
    maxPerHour: 3600,
    burst: null,
    paused: false,
    pauseReason: null,
    pauseTicket: null,
    pausedBy: null,
    pausedAt: null,
    reason: 'seasonal load',
    ticket: null,
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

const run = (argv: string[], env: NodeJS.ProcessEnv = QUOTA_ENV) => harness.run(argv, env);

describe('quotas', () => {
  it('create asks for an orch:quota token with the quota reason and sends the limits', async () => {
    harness.server.route('POST', `${BASE}/quotas`, () => ({ status: 201, body: quotaBody() }));
    const result = await run(
      [
        'quotas',
        'create',
        '--job-type',
        'scan',
        '--max-active',
        '5',
        '--max-per-hour',
        '3600',
        '--idempotency-key',
        'q-1',
      ],
      { ...QUOTA_ENV, STELLA_ORCH_QUOTA_TICKET: 'CAP-7' },
    );
    expect(result.code).toBe(0);
    const [request] = harness.apiRequests();
    expect(request?.body).toEqual({ jobType: 'scan', maxActive: 5, maxPerHour: 3600 });
    expect(request?.headers['idempotency-key']).toBe('q-1');
    expect(harness.authority.tokenRequests.at(-1)).toMatchObject({
      scope: 'orch:quota',
      quota_reason: 'seasonal load',
      quota_ticket: 'CAP-7',
    });
    expect(result.out).toMatch(/Max active\s*│\s*5/);
    expect(result.out).toMatch(/Burst\s*│\s*default/);
  });

  it('refuses, before calling the server, a change without --quota-reason, no limit, or a burst alone', async () => {
    const noReason = await run(['quotas', 'create', '--max-active', '5'], {});
    expect(noReason.code).toBe(2);
    expect(noReason.err).toContain('--quota-reason');
    const noLimit = await run(['quotas', 'create', '--job-type', 'scan']);
    expect(noLimit.code).toBe(2);
    expect(noLimit.err).toContain('--max-active, --max-per-hour or both');
    const burstAlone = await run(['quotas', 'update', QUOTA_ID, '--max-active', '2', '--burst', '10']);
    expect(burstAlone.code).toBe(2);
    expect(burstAlone.err).toContain('--burst');
    expect((await run(['quotas', 'create', '--max-active', '-1'])).code).toBe(2);
    expect(harness.apiRequests()).toEqual([]);
  });

  it('update sends PUT with If-Match; delete, pause and resume call their endpoints; errors show their code', async () => {
    harness.server.route('PUT', `${BASE}/quotas/${QUOTA_ID}`, () => ({
      body: quotaBody({ maxPerHour: null, version: 2 }),
    }));
    harness.server.route('DELETE', `${BASE}/quotas/${QUOTA_ID}`, () => ({ status: 204 }));
    harness.server.route('POST', `${BASE}/quotas/${QUOTA_ID}/pause`, () => ({
      body: quotaBody({ paused: true, pauseReason: 'over budget', version: 3 }),
    }));
    harness.server.route('POST', `${BASE}/quotas/${QUOTA_ID}/resume`, () =>
      problem(404, 'QUOTA_NOT_FOUND', `quota ${QUOTA_ID} does not exist`),
    );
    expect((await run(['quotas', 'update', QUOTA_ID, '--max-active', '5', '--if-version', '1'])).code).toBe(
      0,
    );
    const paused = await run(['quotas', 'pause', QUOTA_ID, '--pause-reason', 'over budget']);
    expect(paused.code).toBe(0);
    expect(paused.out).toMatch(/State\s*│\s*paused/);
    const deleted = await run(['quotas', 'delete', QUOTA_ID]);
    expect(deleted.out).toContain(`Deleted quota ${QUOTA_ID}.`);
    const missing = await run(['quotas', 'resume', QUOTA_ID]);
    expect(missing.code).toBe(3);
    expect(missing.err).toContain('QUOTA_NOT_FOUND');
    const [put, pause, del] = harness.apiRequests();
    expect(put?.method).toBe('PUT');
    expect(put?.body).toEqual({ maxActive: 5 });
    expect(put?.headers['if-match']).toBe('"1"');
    expect(pause?.body).toEqual({ reason: 'over budget' });
    expect(del?.method).toBe('DELETE');
  });

  it('list and summary need only orch:read and render tables', async () => {
    harness.server.route('GET', `${BASE}/quotas`, () => ({
      body: {
        items: [quotaBody(), quotaBody({ quotaId: 'q2', jobType: null, maxPerHour: null })],
        next_page_token: null,
      },
    }));
    harness.server.route('GET', `${BASE}/quotas/summary`, () => ({
      body: {
        tenantId: 't1',
        asOf: '2026-11-01T10:00:00.000Z',
        totals: { active: 3, readyJobs: 7 },
        quotas: [
          {
            quota: quotaBody(),
            active: 3,
            tokens: 12.25,
            tokenCapacity: 60,
            readyJobs: 7,
            holds: [
              {
                code: 'QUOTA_RATE_LIMIT',
                message: 'quota q (job type scan) rate limit: next token in 80 ms',
                details: {},
              },
            ],
          },
        ],
      },
    }));
    const list = await run(['quotas', 'list', '--job-type', 'scan'], {});
    expect(list.code).toBe(0);
    expect(list.out).toContain('(all job types)');
    expect(harness.apiRequests()[0]?.query.get('jobType')).toBe('scan');
    const summary = await run(['quotas', 'summary'], {});
    expect(summary.code).toBe(0);
    expect(summary.out).toContain('3/5');
    expect(summary.out).toContain('12.3/60');
    expect(summary.out).toContain('3 active, 7 ready');
    expect(summary.out).toContain(
      'QUOTA_RATE_LIMIT: quota q (job type scan) rate limit: next token in 80 ms',
    );
    expect(harness.authority.tokenRequests.every((r) => r['scope'] === 'orch:read')).toBe(true);
  });

  it('explains quotas and the scope each command needs in --help', async () => {
    const group = await run(['quotas', '--help']);
    for (const word of [
      'list',
      'get',
      'create',
      'update',
      'delete',
      'pause',
      'resume',
      'summary',
      'lowest wins',
    ])
      expect(group.out).toContain(word);
    const create = await run(['quotas', 'create', '--help']);
    for (const word of [
      '--max-active <n>',
      '--max-per-hour <n>',
      '--burst <n>',
      '--job-type <type>',
      'orch:quota',
    ])
      expect(create.out).toContain(word);
    expect(create.out).toContain('--quota-reason');
  });
});
