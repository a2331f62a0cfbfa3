import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_ADMIN_CLIENT, FakeAuthority } from '../test/fake-authority.js';
import { FakeHttpServer, problem } from '../test/fake-http-server.js';
import { OrchestratorClient } from './orchestrator-client.js';
import type { JobWhy } from './job-why-resources.js';

const BASE = '/api/v1/orchestrator';
const JOB = 'aaaaaaaa-0000-4000-8000-000000000001';

let server: FakeHttpServer;
let authority: FakeAuthority;
let client: OrchestratorClient;

beforeEach(async () => {
  server = await FakeHttpServer.start();
  authority = FakeAuthority.install(server);
  client = new OrchestratorClient({
    baseUrl: server.url,
    credentials: { ...FAKE_ADMIN_CLIENT, scopes: ['orch:read'] },
  });
});

afterEach(async () => {
  await server.close();
});

describe('whyJob', () => {
  it('reads GET /jobs/{id}/why with an orch:read token', async () => {
    const why: JobWhy = {
      jobId: JOB,
      status: 'pending',
      runnable: false,
      conditions: [
        {
          code: 'NOT_BEFORE',
          message: 'scheduled: not before 2030-01-01T13:00:00.000Z (in 1h)',
          until: '2030-01-01T13:00:00.000Z',
          details: { notBefore: '2030-01-01T13:00:00.000Z' },
        },
      ],
      evaluatedAt: '2030-01-01T12:00:00.000Z',
    };
    server.route('GET', `${BASE}/jobs/${JOB}/why`, () => ({ body: why }));
    await expect(client.whyJob(JOB)).resolves.toEqual(why);
    expect(authority.tokenRequests[0]).toMatchObject({ scope: 'orch:read' });
  });

  it('throws the problem of an unknown job', async () => {
    server.route('GET', `${BASE}/jobs/${JOB}/why`, () => problem(404, 'JOB_NOT_FOUND', 'no such job'));
    await expect(client.whyJob(JOB)).rejects.toMatchObject({ status: 404, code: 'JOB_NOT_FOUND' });
  });
});
