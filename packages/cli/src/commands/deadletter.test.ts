import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { problem } from '../../../client/test/fake-http-server.js';
import { OPERATOR_ENV, startCliHarness, type CliHarness } from '../../test/cli-harness.js';

const BASE = '/api/v1/orchestrator';
const ENTRY_ID = '5c0c2a0e-8f55-4a53-9d4c-2f7b3c9a1e10';
const JOB_ID = '9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d';

const ENTRY = {
  entryId: ENTRY_ID,
  jobId: JOB_ID,
  jobType: 'advisory.ingest',
  sourceId: 'nvd',
  attempts: 3,
  errorType: 'Timeout',
  errorMessage: 'the feed did not answer',
  status: 'open',
  replayedJobId: null,
  resolutionNote: null,
  resolvedBy: null,
  resolvedAt: null,
  createdAt: '2030-01-01T00:00:00.000Z',
  updatedAt: '2030-01-01T00:00:00.000Z',
};

let harness: CliHarness;
beforeEach(async () => {
  harness = await startCliHarness();
});
afterEach(async () => {
  await harness.close();
});

const run = (argv: string[]) => harness.run(argv, OPERATOR_ENV);

describe('deadletter', () => {
  it('list sends the filters and prints the entries', async () => {
    harness.server.route('GET', `${BASE}/deadletter`, () => ({
      status: 200,
      body: { items: [ENTRY], next_page_token: null },
    }));
    const result = await run([
      'deadletter',
      'list',
      '--status',
      'open',
      '--source',
      'nvd',
      '--error-type',
      'Timeout',
      '--since',
      '2030-01-01',
    ]);
    expect(result.code, result.err).toBe(0);
    const query = harness.apiRequests()[0]?.query;
    expect(query?.get('status')).toBe('open');
    expect(query?.get('sourceId')).toBe('nvd');
    expect(query?.get('errorType')).toBe('Timeout');
    expect(query?.get('created_after')).toBe('2030-01-01T00:00:00.000Z');
    expect(result.out).toContain(ENTRY_ID);
    expect(result.out).toContain('Timeout');
    expect((await run(['deadletter', 'list', '--status', 'closed'])).code).toBe(2);
  });

  it('stats and summary print the counts', async () => {
    harness.server.route('GET', `${BASE}/deadletter/stats`, () => ({
      status: 200,
      body: {
        total: 4,
        byStatus: { open: 3, replayed: 1, resolved: 0 },
        topErrorTypes: [{ errorType: 'Timeout', count: 3 }],
        oldestOpen: {
          entryId: ENTRY_ID,
          jobId: JOB_ID,
          jobType: 'advisory.ingest',
          createdAt: ENTRY.createdAt,
        },
      },
    }));
    harness.server.route('GET', `${BASE}/deadletter/summary`, () => ({
      status: 200,
      body: {
        totalOpen: 3,
        truncated: false,
        groups: [
          {
            jobType: 'advisory.ingest',
            errorType: 'Timeout',
            sourceId: 'nvd',
            count: 3,
            firstSeenAt: ENTRY.createdAt,
            lastSeenAt: ENTRY.createdAt,
            sampleMessage: 'the feed did not answer',
          },
        ],
      },
    }));
    const stats = await run(['deadletter', 'stats', '--top', '3']);
    expect(stats.code, stats.err).toBe(0);
    expect(harness.apiRequests()[0]?.query.get('top')).toBe('3');
    expect(stats.out).toContain('Entries: 4 (open 3, replayed 1, resolved 0)');
    const summary = await run(['deadletter', 'summary']);
    expect(summary.code, summary.err).toBe(0);
    expect(summary.out).toContain('the feed did not answer');
  });

  it('resolve sends the note; a closed entry exits non-zero', async () => {
    let calls = 0;
    harness.server.route('POST', `${BASE}/deadletter/${ENTRY_ID}/resolve`, () =>
      calls++ === 0
        ? {
            status: 200,
            body: { ...ENTRY, status: 'resolved', resolutionNote: 'fixed upstream', resolvedBy: 'alice' },
          }
        : problem(409, 'DEAD_LETTER_NOT_OPEN', 'dead-letter entry is resolved'),
    );
    const result = await run(['deadletter', 'resolve', ENTRY_ID, '--note', 'fixed upstream']);
    expect(result.code, result.err).toBe(0);
    expect(harness.apiRequests()[0]?.body).toEqual({ note: 'fixed upstream' });
    expect(result.out).toContain('fixed upstream');
    const again = await run(['deadletter', 'resolve', ENTRY_ID, '--note', 'again']);
    expect(again.code).not.toBe(0);
    expect(again.err).toContain('DEAD_LETTER_NOT_OPEN');
    expect((await run(['deadletter', 'resolve', ENTRY_ID])).code).toBe(2);
  });
});

describe('jobs replay by filter', () => {
  it('--dry-run sends the filter and prints the preview', async () => {
    harness.server.route('POST', `${BASE}/jobs/replay`, () => ({
      status: 200,
      body: {
        dryRun: true,
        total: 3,
        max: null,
        exceedsMax: false,
        byJobType: [{ jobType: 'advisory.ingest', count: 3 }],
        bySource: [{ sourceId: 'nvd', count: 3 }],
      },
    }));
    const result = await run([
      'jobs',
      'replay',
      '--status',
      'failed,canceled',
      '--source',
      'nvd',
      '--dead-letter-open',
      '--dry-run',
    ]);
    expect(result.code, result.err).toBe(0);
    expect(harness.apiRequests()[0]?.body).toEqual({
      filter: { sourceId: 'nvd', status: ['failed', 'canceled'], deadLetterStatus: 'open' },
      dryRun: true,
    });
    expect(result.out).toContain('Dry run: 3 jobs would be replayed');
    expect(result.out).toContain('nvd 3');
  });

  it('--max replays, and a filter without --max or with a job id is a usage error', async () => {
    harness.server.route('POST', `${BASE}/jobs/replay`, () => ({
      status: 201,
      body: {
        dryRun: false,
        replayId: 'r-1',
        total: 1,
        created: 1,
        existing: 0,
        deadLettersReplayed: 1,
        byJobType: [{ jobType: 'advisory.ingest', count: 1 }],
        bySource: [{ sourceId: null, count: 1 }],
        jobs: [{ replayOf: JOB_ID, jobId: ENTRY_ID, created: true }],
      },
    }));
    const result = await run(['jobs', 'replay', '--job-type', 'advisory.ingest', '--max', '10']);
    expect(result.code, result.err).toBe(0);
    expect(harness.apiRequests()[0]?.body).toEqual({ filter: { jobType: 'advisory.ingest' }, max: 10 });
    expect(result.out).toContain('1 replayed');
    expect((await run(['jobs', 'replay', '--job-type', 'x'])).code).toBe(2);
    expect((await run(['jobs', 'replay', JOB_ID, '--max', '3'])).code).toBe(2);
    expect((await run(['jobs', 'replay', '--status', 'pending', '--max', '3'])).code).toBe(2);
    expect(harness.apiRequests()).toHaveLength(1);
  });
});
