import { randomUUID } from 'node:crypto';
import { insertSourceRow, settled } from '@stella-orch/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SseConnection, WsConnection } from './event-stream-client.js';
import { bearer, submitJobs, TEST_EVENTS_CONFIG } from './events-fixtures.js';
import { ledgerEngines, startHarnessOn, type Harness } from './harness.js';

const ENGINES = await ledgerEngines('event stream API suite');

describe.each(ENGINES)('event streams on %s', (engine) => {
  let h: Harness;
  let base: string;
  const open: { cut(): void }[] = [];

  beforeAll(async () => {
    h = await startHarnessOn(engine, { config: { events: TEST_EVENTS_CONFIG } });
    base = await h.app.listen({ host: '127.0.0.1', port: 0 });
  });
  beforeEach(() => {
    h.newTenant();
  });
  afterAll(async () => {
    for (const connection of open) connection.cut();
    await h.close();
  });

  const sse = async (path: string, headers: Record<string, string>) => {
    const connection = await SseConnection.open(`${base}/api/v1/orchestrator${path}`, headers);
    open.push(connection);
    return connection;
  };
  const ws = async (path: string, headers: Record<string, string>) => {
    const connection = await WsConnection.open(
      `${base.replace('http', 'ws')}/api/v1/orchestrator${path}`,
      headers,
    );
    open.push(connection);
    return connection;
  };
  const readToken = () => h.tokenFor({ scopes: ['orch:read'] });

  it('refuses a stream without a token (401), without orch:read (403) and for a forged tenant (403)', async () => {
    const none = await sse('/events', {});
    expect(none.status).toBe(401);
    expect(none.response.headers['content-type']).toContain('application/problem+json');
    const noScope = await sse('/events', bearer(await h.tokenFor({ scopes: ['orch:submit'] })));
    expect(noScope.status).toBe(403);
    const forged = await sse('/events', bearer(await readToken(), { 'x-stella-tenant': 'someone-else' }));
    expect(forged.status).toBe(403);
    await expect(ws('/events/ws', {})).rejects.toThrow('HTTP 401');
    await expect(ws('/events/ws', bearer(await h.tokenFor({ scopes: ['orch:worker'] })))).rejects.toThrow(
      'HTTP 403',
    );
    await expect(
      ws('/events/ws?from=now', bearer(await readToken(), { 'x-stella-tenant': 'someone-else' })),
    ).rejects.toThrow('HTTP 403');
  });

  it('refuses a malformed position (400 INVALID_CURSOR), a bad filter (400) and an unknown run (404)', async () => {
    const token = await readToken();
    const res = await h.call('GET', '/events?after=not-a-position', undefined, bearer(token));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'INVALID_CURSOR' });
    const header = await h.call('GET', '/events', undefined, bearer(token, { 'last-event-id': 'zz' }));
    expect(header.json()).toMatchObject({ code: 'INVALID_CURSOR' });
    const filter = await h.call('GET', '/events?type=Job', undefined, bearer(token));
    expect(filter.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: 'type' }] });
    const run = await h.call('GET', `/runs/${randomUUID()}/events`, undefined, bearer(token));
    expect(run.statusCode).toBe(404);
    expect(run.json()).toMatchObject({ code: 'RUN_NOT_FOUND' });
    await expect(ws('/events/ws?from=zz', bearer(token))).rejects.toThrow('HTTP 400');
  });

  it('streams SSE: subscribed, then one message per event with id = position and the envelope as data', async () => {
    const conn = await sse('/events?after=0', bearer(await readToken()));
    expect(conn.status).toBe(200);
    expect(conn.response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const [jobId] = await submitJobs(h, 3);
    const messages = await conn.until((m) => m.length >= 4);
    expect(messages[0]).toMatchObject({ kind: 'subscribed', position: '0'.repeat(32) });
    const events = conn.events();
    expect(events.map((m) => m.kind)).toEqual(['job.created', 'job.created', 'job.created']);
    expect(events[0]!.body).toMatchObject({
      schema: 'orch.event.v1',
      eventType: 'job.created',
      tenantId: h.tenant,
      jobId,
      idempotencyKey: `orch-job.created-${jobId}-0`,
    });
    const positions = events.map((m) => m.position!);
    expect([...positions].sort()).toEqual(positions);
    expect(new Set(positions).size).toBe(3);
    await conn.until(() => conn.comments.includes(': keep-alive'));
  });

  it('starts with new events only when no position is given', async () => {
    await submitJobs(h, 2);
    // Those two are readable before the stream starts (reads wait for every older transaction to end).
    await settled(h.driver);
    const conn = await sse('/events', bearer(await readToken()));
    await conn.until((m) => m.length >= 1);
    const [late] = await submitJobs(h, 1);
    await conn.until((m) => m.length >= 2);
    expect(conn.events().map((m) => m.body['jobId'])).toEqual([late]);
  });

  it("never shows a tenant another tenant's events", async () => {
    const other = h.tenant;
    const conn = await sse(
      '/events?after=0',
      bearer(await h.tokenFor({ tenant: other, scopes: ['orch:read'] })),
    );
    h.newTenant();
    await submitJobs(h, 5);
    const mine = await submitJobs(
      h,
      1,
      {},
      { authorization: `Bearer ${await h.tokenFor({ tenant: other })}` },
    );
    await conn.until((m) => m.length >= 2);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(conn.events().map((m) => [m.body['tenantId'], m.body['jobId']])).toEqual([[other, mine[0]]]);
  });

  it('filters by type prefix, job type, source and job, and streams one run on its own route', async () => {
    const token = await readToken();
    // Registered behind the API: its operator event would be one more on the streams under test.
    await insertSourceRow(h.driver, h.tenant, 'nvd');
    const runRes = await h.call('POST', '/runs', { name: 'nightly' });
    const runId = runRes.json<{ runId: string }>().runId;
    const byType = await sse('/events?after=0&type=job.leased,operator.', bearer(token));
    const byJobType = await sse('/events?after=0&jobType=ev.other', bearer(token));
    const bySource = await sse('/events?after=0&source=nvd', bearer(token));
    const byRun = await sse(`/runs/${runId}/events?after=0`, bearer(token));
    const [inRun] = await submitJobs(h, 1, { runId });
    const [other] = await submitJobs(h, 1, { jobType: 'ev.other', sourceId: 'nvd' });
    const byJob = await sse(`/events?after=0&jobId=${other}`, bearer(token));
    const lease = await h.call('POST', '/leases', { jobTypes: ['ev.other'], limit: 1, workerId: 'w1' });
    expect(lease.statusCode).toBe(200);
    const cancel = await h.call('POST', `/jobs/${inRun}/cancel`, {});
    expect(cancel.statusCode).toBe(200);
    const kinds = async (conn: SseConnection, count: number) =>
      (await conn.until((m) => m.length >= count + 1)).slice(1).map((m) => m.kind);
    expect(await kinds(byType, 2)).toEqual(['job.leased', 'operator.job.cancel']);
    expect(await kinds(byJobType, 2)).toEqual(['job.created', 'job.leased']);
    expect(await kinds(bySource, 2)).toEqual(['job.created', 'job.leased']);
    expect(await kinds(byJob, 2)).toEqual(['job.created', 'job.leased']);
    expect(await kinds(byRun, 3)).toEqual(['job.created', 'job.canceled', 'operator.job.cancel']);
    const operator = byType.events()[1]!.body;
    expect(operator).toMatchObject({
      jobId: inRun,
      actor: { subject: 'harness-admin', scopes: expect.arrayContaining(['orch:operate']) as unknown },
      data: { action: 'job.cancel', reason: 'automated test', ticket: 'TEST-0' },
    });
  });

  it('streams over a WebSocket from ?from= or from the first message', async () => {
    const token = await readToken();
    const fromQuery = await ws('/events/ws?from=0', bearer(token));
    const fromMessage = await ws('/events/ws?type=job.', bearer(token));
    fromMessage.socket.send(JSON.stringify({ from: '0' }));
    const ids = await submitJobs(h, 2);
    for (const conn of [fromQuery, fromMessage]) {
      const messages = await conn.until((m) => m.length >= 3);
      expect(messages[0]).toMatchObject({ kind: 'subscribed', position: '0'.repeat(32) });
      expect(conn.events().map((m) => m.body['jobId'])).toEqual(ids);
      expect(conn.events().every((m) => /^[0-9a-f]{32}$/.test(m.position!))).toBe(true);
    }
    const bad = await ws('/events/ws', bearer(token));
    bad.socket.send('{"from": 7}');
    await bad.until(() => bad.ended);
    expect(bad.closeCode).toBe(1008);
  });

  it('describes the WebSocket stream in the OpenAPI document: the upgrade, its parameters, its messages', async () => {
    const doc = (await h.call('GET', '/.well-known/openapi')).json();
    const get = doc.paths['/api/v1/orchestrator/events/ws']?.get;
    expect(get).toBeDefined();
    expect(get.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['from', 'type', 'jobType', 'source', 'runId', 'jobId']),
    );
    expect(get.description).toContain('Sec-WebSocket-Protocol');
    expect(get.description).toContain('position_expired');
    expect(Object.keys(get.responses)).toEqual(expect.arrayContaining(['101', '400', '401', '403']));
  });

  it('takes a browser WebSocket token as the subprotocol pair "bearer, <token>", and selects only "bearer"', async () => {
    const token = await readToken();
    const url = `${base.replace('http', 'ws')}/api/v1/orchestrator/events/ws?from=0`;
    const browser = await WsConnection.open(url, {}, ['bearer', token]);
    open.push(browser);
    expect(browser.socket.protocol).toBe('bearer');
    const [id] = await submitJobs(h, 1);
    await browser.until(() => browser.events().length >= 1);
    expect(browser.events().map((m) => m.body['jobId'])).toEqual([id]);
    // A bad token, a pair without a token, another tenant's token: refused like a header.
    await expect(WsConnection.open(url, {}, ['bearer', `${token}x`])).rejects.toThrow('HTTP 401');
    await expect(WsConnection.open(url, {}, ['bearer'])).rejects.toThrow('HTTP 401');
    const noScope = await h.tokenFor({ scopes: ['orch:submit'] });
    await expect(WsConnection.open(url, {}, ['bearer', noScope])).rejects.toThrow('HTTP 403');
    // Only an upgrade request may carry it: an SSE request with the header is unauthenticated.
    const sseWithProtocol = await sse('/events', { 'sec-websocket-protocol': `bearer, ${token}` });
    expect(sseWithProtocol.status).toBe(401);
  });
});
