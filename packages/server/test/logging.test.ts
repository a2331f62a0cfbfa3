import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HARNESS_CLIENT, startHarness, type Harness } from './harness.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('request logs (in-process, PGlite, captured)', () => {
  let h: Harness;
  const lines: string[] = [];
  beforeAll(async () => {
    h = await startHarness({
      logStream: {
        write: (line: string) => {
          lines.push(line);
        },
      },
    });
  });
  afterAll(async () => {
    await h.close();
  });

  const entries = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  /** The `request completed` line of the request that `url` (and `method`) started. */
  function completedLineOf(method: string, url: string): Record<string, unknown> {
    const all = entries();
    const incoming = all.find(
      (e) =>
        e['msg'] === 'incoming request' &&
        (e['req'] as { method: string; url: string }).url === url &&
        (e['req'] as { method: string }).method === method,
    );
    expect(incoming, `no incoming ${method} ${url}`).toBeDefined();
    const done = all.find((e) => e['msg'] === 'request completed' && e['reqId'] === incoming!['reqId']);
    expect(done, `no completed ${method} ${url}`).toBeDefined();
    return done!;
  }

  it('never shows secrets, tokens, payloads or results; shows request id, tenant, client, job and lease', async () => {
    const payloadMarker = `payload-${randomUUID()}`;
    const resultMarker = `result-${randomUUID()}`;
    const progressMarker = `progress-${randomUUID()}`;
    const form = {
      grant_type: 'client_credentials',
      client_id: HARNESS_CLIENT.clientId,
      client_secret: HARNESS_CLIENT.clientSecret,
      scope: 'orch:submit orch:read orch:worker',
      tenant: h.tenant,
    };
    const granted = await h.requestToken(form);
    expect(granted.statusCode).toBe(200);
    const accessToken: string = granted.json().access_token;
    // A client that puts its secret in the URL, and one that sends it as HTTP Basic.
    const query = new URLSearchParams(form).toString();
    await h.app.inject({ method: 'POST', url: `/connect/token?${query}` });
    const basic = Buffer.from(`${HARNESS_CLIENT.clientId}:${HARNESS_CLIENT.clientSecret}`).toString('base64');
    expect(
      (
        await h.requestToken(
          { grant_type: 'client_credentials', scope: 'orch:read', tenant: h.tenant },
          {
            authorization: `Basic ${basic}`,
          },
        )
      ).statusCode,
    ).toBe(200);

    const auth = { authorization: `Bearer ${accessToken}` };
    const submitted = await h.call(
      'POST',
      '/jobs',
      { jobType: 'log.test', payload: { marker: payloadMarker } },
      {
        ...auth,
        traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01`,
      },
    );
    expect(submitted.statusCode).toBe(201);
    const jobId: string = submitted.json().jobId;
    const leased = await h.call('POST', '/leases', { workerId: 'w-log', jobTypes: ['log.test'] }, auth);
    const lease = leased.json().leases[0] as { leaseId: string; fencingToken: number };
    const proof = { fencingToken: lease.fencingToken };
    await h.call(
      'POST',
      `/leases/${lease.leaseId}/progress`,
      { ...proof, progress: { m: progressMarker } },
      auth,
    );
    const done = await h.call(
      'POST',
      `/leases/${lease.leaseId}/complete`,
      { ...proof, outcome: 'succeeded', result: { m: resultMarker } },
      auth,
    );
    expect(done.statusCode).toBe(200);
    const read = await h.call('GET', `/jobs/${jobId}`, undefined, auth);
    expect(read.body).toContain(payloadMarker);

    const output = lines.join('');
    for (const secret of [
      HARNESS_CLIENT.clientSecret,
      encodeURIComponent(HARNESS_CLIENT.clientSecret),
      basic,
      accessToken,
      accessToken.split('.')[2]!,
      payloadMarker,
      resultMarker,
      progressMarker,
    ]) {
      expect(output).not.toContain(secret);
    }

    const submit = completedLineOf('POST', '/api/v1/orchestrator/jobs');
    expect(submit).toMatchObject({
      reqId: expect.any(String),
      tenantId: h.tenant,
      clientId: HARNESS_CLIENT.clientId,
      traceId: TRACE_ID,
      res: { statusCode: 201 },
    });
    expect(completedLineOf('POST', `/api/v1/orchestrator/leases/${lease.leaseId}/complete`)).toMatchObject({
      tenantId: h.tenant,
      leaseId: lease.leaseId,
    });
    expect(completedLineOf('GET', `/api/v1/orchestrator/jobs/${jobId}`)).toMatchObject({
      tenantId: h.tenant,
      clientId: HARNESS_CLIENT.clientId,
      jobId,
    });
    const tokenLine = entries().find(
      (e) =>
        e['msg'] === 'incoming request' && (e['req'] as { url: string }).url.startsWith('/connect/token?'),
    );
    expect((tokenLine!['req'] as { url: string }).url).toContain('client_secret=%5BRedacted%5D');
  });

  it('redacts credentials and job data from any line that would carry them', () => {
    lines.length = 0;
    h.app.log.info(
      {
        req: { headers: { authorization: 'Bearer leaked' } },
        client_secret: 'leaked',
        form: { client_secret: 'leaked' },
        job: { payload: { x: 'leaked' }, result: 'leaked', progress: 'leaked' },
        err: { params: ['leaked'] },
      },
      'a careless line',
    );
    expect(lines.join('')).not.toContain('leaked');
    expect(lines.join('')).toContain('a careless line');
  });
});
