import { afterEach, beforeEach, describe, expect, it } from 'vitest';
// The client package's scripted HTTP peer, shared rather than copied.
import { FakeHttpServer } from '../../../client/test/fake-http-server.js';
import { makeJob } from '../../../client/test/fake-orchestrator.js';
import { startCliHarness, type CliHarness } from '../../test/cli-harness.js';

const BASE = '/api/v1/orchestrator';
const A = 'aaaaaaaa-0000-4000-8000-000000000001';
const B = 'bbbbbbbb-0000-4000-8000-000000000002';
const C = 'cccccccc-0000-4000-8000-000000000003';

const DAG = {
  nodes: [
    {
      jobId: A,
      jobType: 'extract',
      status: 'succeeded',
      runId: null,
      startedAt: null,
      completedAt: null,
      durationMs: 1200,
      durationEstimated: false,
    },
    {
      jobId: B,
      jobType: 'load',
      status: 'waiting',
      runId: null,
      startedAt: null,
      completedAt: null,
      durationMs: 300,
      durationEstimated: true,
    },
    {
      jobId: C,
      jobType: 'index',
      status: 'waiting',
      runId: null,
      startedAt: null,
      completedAt: null,
      durationMs: 0,
      durationEstimated: true,
    },
  ],
  edges: [
    { from: A, to: B },
    { from: A, to: C },
  ],
  topologicalOrder: [A, B, C],
  criticalPath: { jobIds: [A, B], durationMs: 1500, estimatedJobIds: [B] },
  parallelGroups: [[A], [B, C]],
};

describe('jobs submit --depends-on and jobs dag', () => {
  let server: FakeHttpServer;
  let harness: CliHarness;
  beforeEach(async () => {
    harness = await startCliHarness();
    server = harness.server;
  });
  afterEach(async () => {
    await harness.close();
  });

  it('sends every --depends-on in order, and shows them on the job', async () => {
    server.route('POST', `${BASE}/jobs`, () => ({
      status: 201,
      body: makeJob({ status: 'waiting', dependsOn: [A, B] }),
    }));
    const result = await harness.run(['jobs', 'submit', 'load', '--depends-on', A, '--depends-on', B]);
    expect(result.code).toBe(0);
    expect(harness.apiRequests()[0]!.body).toEqual({ jobType: 'load', dependsOn: [A, B] });
    expect(result.out).toContain('Depends on');
    expect(result.out).toContain(`${A} ${B}`);
  });

  it('prints a job graph as a table in topological order with the critical path, or JSON', async () => {
    server.route('GET', `${BASE}/jobs/${A}/dag`, () => ({ status: 200, body: DAG }));
    const text = await harness.run(['jobs', 'dag', A]);
    expect(text.code).toBe(0);
    const rows = text.out.split('\n').filter((l) => l.includes('-0000-4000-'));
    expect(rows.map((r) => [A, B, C].find((id) => r.includes(id)))).toEqual([A, B, C]);
    expect(rows[1]).toContain('~300 ms');
    expect(rows[1]).toContain('aaaaaaaa');
    expect(text.out).toContain(
      'Critical path: aaaaaaaa → bbbbbbbb (~1,500 ms, 1 of 2 estimated); 3 jobs, 2 groups',
    );

    const json = await harness.run(['--json', 'jobs', 'dag', A]);
    expect(JSON.parse(json.out)).toEqual(DAG);
  });

  it('reads a run graph with --run', async () => {
    server.route('GET', `${BASE}/runs/nightly/dag`, () => ({ status: 200, body: DAG }));
    const result = await harness.run(['jobs', 'dag', 'nightly', '--run']);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(harness.apiRequests().map((r) => r.path)).toContain(`${BASE}/runs/nightly/dag`);
  });
});
