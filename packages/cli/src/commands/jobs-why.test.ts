import { afterEach, beforeEach, describe, expect, it } from 'vitest';
// The client package's scripted HTTP peer, shared rather than copied.
import { problem } from '../../../client/test/fake-http-server.js';
import { startCliHarness, type CliHarness } from '../../test/cli-harness.js';

const BASE = '/api/v1/orchestrator';
const JOB = 'aaaaaaaa-0000-4000-8000-000000000001';
const PARENT = 'bbbbbbbb-0000-4000-8000-000000000002';

const WHY = {
  jobId: JOB,
  status: 'waiting',
  runnable: false,
  conditions: [
    {
      code: 'DEPENDENCY_NOT_MET',
      message: `waiting for 1 of 1 parent job(s) to succeed: ${PARENT} (running)`,
      details: { parents: [{ jobId: PARENT, status: 'running' }] },
    },
    {
      code: 'SOURCE_PAUSED',
      message: 'source feed is paused by alice at 2030-01-01T11:50:00.000Z (10m ago): outage (ticket INC-7)',
      details: { sourceId: 'feed' },
    },
  ],
  evaluatedAt: '2030-01-01T12:00:00.000Z',
};

describe('jobs why', () => {
  let harness: CliHarness;
  beforeEach(async () => {
    harness = await startCliHarness();
  });
  afterEach(async () => {
    await harness.close();
  });

  it('prints the conditions in order as plain lines, or the answer as JSON', async () => {
    harness.server.route('GET', `${BASE}/jobs/${JOB}/why`, () => ({ status: 200, body: WHY }));
    const text = await harness.run(['jobs', 'why', JOB]);
    expect(text.err).toBe('');
    expect(text.code).toBe(0);
    expect(text.out.trimEnd().split('\n')).toEqual([
      `Job ${JOB} is waiting.`,
      `  DEPENDENCY_NOT_MET: waiting for 1 of 1 parent job(s) to succeed: ${PARENT} (running)`,
      '  SOURCE_PAUSED: source feed is paused by alice at 2030-01-01T11:50:00.000Z (10m ago): outage (ticket INC-7)',
    ]);

    const json = await harness.run(['--json', 'jobs', 'why', JOB]);
    expect(JSON.parse(json.out)).toEqual(WHY);
  });

  it('says a ready job is runnable, and fails like other reads on an unknown job', async () => {
    harness.server.route('GET', `${BASE}/jobs/${JOB}/why`, () => ({
      status: 200,
      body: {
        ...WHY,
        status: 'pending',
        runnable: true,
        conditions: [{ code: 'READY', message: 'ready: waiting for a worker', details: {} }],
      },
    }));
    const ready = await harness.run(['jobs', 'why', JOB]);
    expect(ready.out).toContain(`Job ${JOB} is pending and runnable now.`);
    expect(ready.out).toContain('  READY: ready: waiting for a worker');

    harness.server.route('GET', `${BASE}/jobs/${PARENT}/why`, () =>
      problem(404, 'JOB_NOT_FOUND', `job ${PARENT} does not exist`),
    );
    const missing = await harness.run(['jobs', 'why', PARENT]);
    expect(missing.code).not.toBe(0);
    expect(missing.err).toContain('JOB_NOT_FOUND');
  });
});
