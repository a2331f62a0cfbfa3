import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { problem } from '../../../client/test/fake-http-server.js';
import { startCliHarness, type CliHarness } from '../../test/cli-harness.js';

const BASE = '/api/v1/orchestrator';
const BACKFILL_ENV: NodeJS.ProcessEnv = {
  STELLA_ORCH_BACKFILL_REASON: 'reingest 2024',
  STELLA_ORCH_BACKFILL_TICKET: 'OPS-7',
};

function backfillBody(overrides: Record<string, unknown> = {}) {
  return {
    backfillId: '5b0d5a52-9c6a-4f55-8a3e-2f1a3e1c0b11',
    tenantId: 't1',
    sourceId: 'nvd',
    jobType: 'reingest',
    windowStart: '2024-01-01T00:00:00.000Z',
    windowEnd: '2024-01-02T00:00:00.000Z',
    step: 'PT6H',
    stepSeconds: 21_600,
    status: 'active',
    runId: 'backfill-5b0d5a52-9c6a-4f55-8a3e-2f1a3e1c0b11',
    totalJobs: 4,
    reason: 'reingest 2024',
    ticket: 'OPS-7',
    payloadTemplate: {},
    priority: 0,
    maxAttempts: 3,
    createdBy: 'admin',
    createdAt: '2026-11-01T10:00:00.000Z',
    updatedBy: 'admin',
    updatedAt: '2026-11-01T10:00:00.000Z',
    pausedBy: null,
    pausedAt: null,
    canceledReason: null,
    canceledBy: null,
    canceledAt: null,
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

const CREATE = ['backfills', 'create', '--source', 'nvd', '--job-type', 'reingest'];
const WINDOW = ['--from', '2024-01-01T00:00:00Z', '--to', '2024-01-02T00:00:00Z', '--step', 'PT6H'];

describe('backfills', () => {
  it('create asks for a backfill token with its reason and ticket and sends the request', async () => {
    harness.server.route('POST', `${BASE}/backfills`, () => ({ status: 201, body: backfillBody() }));
    const result = await harness.run(
      [...CREATE, ...WINDOW, '--payload', '{"feed":"nvd"}', '--idempotency-key', 'bf-1'],
      BACKFILL_ENV,
    );
    expect(result.code).toBe(0);
    const [request] = harness.apiRequests();
    expect(request?.body).toEqual({
      sourceId: 'nvd',
      jobType: 'reingest',
      windowStart: '2024-01-01T00:00:00Z',
      windowEnd: '2024-01-02T00:00:00Z',
      step: 'PT6H',
      payload: { feed: 'nvd' },
    });
    expect(request?.headers['idempotency-key']).toBe('bf-1');
    expect(harness.authority.tokenRequests.at(-1)).toMatchObject({
      scope: 'orch:backfill',
      backfill_reason: 'reingest 2024',
      backfill_ticket: 'OPS-7',
    });
    expect(result.out).toMatch(/Status\s*│\s*active/);
  });

  it('refuses to run without the backfill reason and ticket, before calling the server', async () => {
    const result = await harness.run([...CREATE, ...WINDOW]);
    expect(result.code).not.toBe(0);
    expect(result.err).toContain('--backfill-reason');
    expect(harness.apiRequests()).toEqual([]);
  });

  it('--dry-run sends dryRun and prints the preview; seconds are sent as a number', async () => {
    harness.server.route('POST', `${BASE}/backfills`, () => ({
      status: 200,
      body: {
        dryRun: true,
        sourceId: 'nvd',
        jobType: 'reingest',
        windowStart: '2024-01-01T00:00:00.000Z',
        windowEnd: '2024-01-02T00:00:00.000Z',
        step: 'PT6H',
        jobCount: 4,
        firstStep: { start: '2024-01-01T00:00:00.000Z', end: '2024-01-01T06:00:00.000Z' },
        lastStep: { start: '2024-01-01T18:00:00.000Z', end: '2024-01-02T00:00:00.000Z' },
        steps: [],
        stepsTruncated: false,
        estimate: {
          durationMs: 90_000,
          basis: 'history',
          meanJobDurationMs: 22_500,
          observedConcurrency: 1,
          rateLimitPerSecond: null,
          note: 'n',
        },
      },
    }));
    const windowInSeconds = [...WINDOW.slice(0, 4), '--step', '21600'];
    const result = await harness.run([...CREATE, ...windowInSeconds, '--dry-run'], BACKFILL_ENV);
    expect(result.code).toBe(0);
    expect(harness.apiRequests()[0]?.body).toMatchObject({ step: 21_600, dryRun: true });
    expect(result.out).toMatch(/Jobs\s*│\s*4/);
    expect(result.out).toMatch(/Estimate\s*│\s*90 s \(history\)/);
  });

  it('show, list, pause, cancel and watermarks list call their endpoints; refusals are shown', async () => {
    const id = '5b0d5a52-9c6a-4f55-8a3e-2f1a3e1c0b11';
    harness.server.route('GET', `${BASE}/backfills/${id}`, () => ({
      status: 200,
      body: backfillBody({
        progress: { counts: { pending: 3, succeeded: 1 }, finished: 1, percentDone: 25, watermark: null },
      }),
    }));
    harness.server.route('GET', `${BASE}/backfills`, () => ({
      status: 200,
      body: { items: [backfillBody()], next_page_token: null },
    }));
    harness.server.route('POST', `${BASE}/backfills/${id}/pause`, () => ({
      status: 200,
      body: backfillBody({ status: 'paused' }),
    }));
    harness.server.route('POST', `${BASE}/backfills/${id}/cancel`, () =>
      problem(409, 'BACKFILL_FINISHED', 'backfill is completed'),
    );
    harness.server.route('GET', `${BASE}/watermarks`, () => ({
      status: 200,
      body: {
        items: [
          {
            tenantId: 't1',
            sourceId: 'nvd',
            jobType: 'ingest',
            watermark: '2024-05-01T12:00:00.000Z',
            updatedAt: '2026-11-01T10:00:00.000Z',
          },
        ],
        next_page_token: null,
      },
    }));
    const shown = await harness.run(['backfills', 'show', id]);
    expect(shown.out).toMatch(/Progress\s*│\s*25% \(1 of 4 finished\)/);
    const listed = await harness.run(['backfills', 'list', '--status', 'active', '--source', 'nvd']);
    expect(listed.out).toContain(id);
    expect((await harness.run(['backfills', 'pause', id], BACKFILL_ENV)).out).toMatch(/Status\s*│\s*paused/);
    const canceled = await harness.run(['backfills', 'cancel', id, '--cancel-reason', 'wrong'], BACKFILL_ENV);
    expect(canceled.code).not.toBe(0);
    expect(canceled.err).toContain('BACKFILL_FINISHED');
    const marks = await harness.run(['watermarks', 'list', '--source', 'nvd']);
    expect(marks.out).toContain('2024-05-01T12:00:00.000Z');
    const requests = harness.apiRequests();
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET ${BASE}/backfills/${id}`,
      `GET ${BASE}/backfills`,
      `POST ${BASE}/backfills/${id}/pause`,
      `POST ${BASE}/backfills/${id}/cancel`,
      `GET ${BASE}/watermarks`,
    ]);
    expect(requests[1]?.query.get('status')).toBe('active');
    expect(requests[3]?.body).toEqual({ reason: 'wrong' });
    expect(requests[4]?.query.get('sourceId')).toBe('nvd');
    expect((await harness.run(['backfills', 'list', '--status', 'odd'])).code).not.toBe(0);
  });
});
