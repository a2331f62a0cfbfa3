import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_ADMIN_CLIENT, FakeAuthority, oauthError } from '../test/fake-authority.js';
import { FakeHttpServer, problem } from '../test/fake-http-server.js';
import { FakeOrchestrator } from '../test/fake-orchestrator.js';
import { isTokenRequestError, TokenRequestError } from './token-request-error.js';
import { OrchestratorConnectionError } from './api-error.js';
import type { ClientCredentials } from './client-credentials.js';
import { OrchestratorClient } from './orchestrator-client.js';
import { Worker } from './worker.js';

const BASE = '/api/v1/orchestrator';
const FAST = { maxRetries: 3, initialDelayMs: 5, maxDelayMs: 50 };
const SUMMARY = { total: 0, byStatus: {}, byJobType: [] };
const READER: ClientCredentials = { ...FAKE_ADMIN_CLIENT, scopes: ['orch:read'], tenant: 't1' };

let server: FakeHttpServer;
let authority: FakeAuthority;

beforeEach(async () => {
  server = await FakeHttpServer.start();
  authority = FakeAuthority.install(server);
  server.route('GET', `${BASE}/jobs/summary`, () => ({ body: SUMMARY }));
});

afterEach(async () => {
  await server.close();
});

function clientWith(credentials: ClientCredentials = READER): OrchestratorClient {
  return new OrchestratorClient({ baseUrl: server.url, credentials, retry: FAST });
}

const tokenCalls = (): number => server.requestsTo('POST', '/connect/token').length;
const summaryCalls = () => server.requestsTo('GET', `${BASE}/jobs/summary`);

describe('client credentials', () => {
  it('fetches a token lazily, on the first call, and sends it as a bearer token', async () => {
    const client = clientWith({
      ...FAKE_ADMIN_CLIENT,
      scopes: ['orch:read', 'orch:operate'],
      tenant: 't1',
      operatorReason: 'incident 42',
      operatorTicket: 'OPS-42',
    });
    expect(server.requests).toHaveLength(0);

    await client.getJobsSummary();

    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /connect/token',
      `GET ${BASE}/jobs/summary`,
    ]);
    const [tokenRequest] = server.requestsTo('POST', '/connect/token');
    expect(tokenRequest!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(tokenRequest!.headers.authorization).toBeUndefined();
    expect(authority.tokenRequests[0]).toEqual({
      grant_type: 'client_credentials',
      client_id: FAKE_ADMIN_CLIENT.clientId,
      scope: 'orch:read orch:operate',
      tenant: 't1',
      operator_reason: 'incident 42',
      operator_ticket: 'OPS-42',
    });
    expect(summaryCalls()[0]!.headers.authorization).toBe(`Bearer ${authority.tokens[0]!.accessToken}`);
  });

  it('asks for the client tenant when the credentials name none, and sends it as X-Stella-Tenant', async () => {
    const client = new OrchestratorClient({
      baseUrl: server.url,
      tenant: 'acme',
      credentials: { ...FAKE_ADMIN_CLIENT, scopes: ['orch:read'] },
    });
    await client.getJobsSummary();
    expect(authority.tokenRequests[0]!['tenant']).toBe('acme');
    expect(summaryCalls()[0]!.headers['x-stella-tenant']).toBe('acme');
  });

  it('caches the token across calls', async () => {
    const client = clientWith();
    await client.getJobsSummary();
    await client.getJobsSummary();
    await client.getJobsSummary();
    expect(tokenCalls()).toBe(1);
    expect(new Set(summaryCalls().map((r) => r.headers.authorization)).size).toBe(1);
  });

  it('refreshes the token before it expires', async () => {
    authority.expiresInSeconds = 1;
    const client = clientWith();
    await client.getJobsSummary();
    const first = authority.tokens[0]!;

    await new Promise((resolve) => setTimeout(resolve, 850));
    expect(first.expiresAt).toBeGreaterThan(Date.now());
    await client.getJobsSummary();

    expect(tokenCalls()).toBe(2);
    expect(summaryCalls()[1]!.headers.authorization).toBe(`Bearer ${authority.tokens[1]!.accessToken}`);
  });

  it('shares one token request between concurrent calls', async () => {
    authority.tokenDelayMs = 100;
    const client = clientWith();
    await Promise.all(Array.from({ length: 5 }, () => client.getJobsSummary()));
    expect(tokenCalls()).toBe(1);
    expect(summaryCalls()).toHaveLength(5);
  });

  it('after a 401, fetches a new token and repeats the call once', async () => {
    const client = clientWith();
    await client.getJobsSummary();
    authority.expireTokens();

    await expect(client.getJobsSummary()).resolves.toEqual(SUMMARY);

    expect(tokenCalls()).toBe(2);
    const [, refused, repeated] = summaryCalls();
    expect(refused!.headers.authorization).toBe(`Bearer ${authority.tokens[0]!.accessToken}`);
    expect(repeated!.headers.authorization).toBe(`Bearer ${authority.tokens[1]!.accessToken}`);
  });

  it('repeats a call answered 401 only once, even a call that is otherwise never repeated', async () => {
    server.route('POST', /\/cancel$/, () => problem(401, 'UNAUTHENTICATED', 'bad audience'));
    const client = clientWith({
      ...FAKE_ADMIN_CLIENT,
      scopes: ['orch:operate'],
      operatorReason: 'r',
      operatorTicket: 't',
    });

    await expect(client.cancelJob('j1')).rejects.toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });

    expect(server.requestsTo('POST', /\/cancel$/)).toHaveLength(2);
    expect(tokenCalls()).toBe(2);
  });

  it('does not repeat a call answered 401 when the token was given as is', async () => {
    const client = new OrchestratorClient({ baseUrl: server.url, accessToken: 'stale', retry: FAST });
    await expect(client.getJobsSummary()).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(summaryCalls()).toHaveLength(1);
    expect(summaryCalls()[0]!.headers.authorization).toBe('Bearer stale');
  });

  it('calls an accessToken function per attempt and repeats after a 401 only if it gives another token', async () => {
    await clientWith().getJobsSummary();
    const good = authority.tokens[0]!.accessToken;
    const given = ['expired'];
    const client = new OrchestratorClient({
      baseUrl: server.url,
      accessToken: () => Promise.resolve(given.shift() ?? good),
    });
    await expect(client.getJobsSummary()).resolves.toEqual(SUMMARY);
    expect(summaryCalls().map((r) => r.headers.authorization)).toEqual([
      `Bearer ${good}`,
      'Bearer expired',
      `Bearer ${good}`,
    ]);

    const stuck = new OrchestratorClient({ baseUrl: server.url, accessToken: () => Promise.resolve('old') });
    await expect(stuck.getJobsSummary()).rejects.toMatchObject({ status: 401 });
    expect(summaryCalls()).toHaveLength(4);
  });

  it('sends no token to the health probes and fetches none for them', async () => {
    server.route('GET', '/healthz', () => ({ body: { status: 'ok' } }));
    await clientWith().health();
    expect(server.requests.map((r) => r.path)).toEqual(['/healthz']);
    expect(server.requests[0]!.headers.authorization).toBeUndefined();
  });

  it('refuses both credentials and accessToken, or two different tenants', () => {
    expect(
      () => new OrchestratorClient({ baseUrl: server.url, credentials: READER, accessToken: 'x' }),
    ).toThrow(/not both/);
    expect(() => new OrchestratorClient({ baseUrl: server.url, tenant: 't2', credentials: READER })).toThrow(
      /differ/,
    );
  });
});

describe('token refusals', () => {
  it('rejects with TokenRequestError on invalid_client, without retrying or calling the API', async () => {
    const client = clientWith({ ...READER, clientSecret: 'wrong' });

    const error = await client.getJobsSummary().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TokenRequestError);
    expect(error).toMatchObject({
      status: 401,
      error: 'invalid_client',
      error_description: 'client authentication failed',
    });
    expect(isTokenRequestError(error, 'invalid_client')).toBe(true);
    expect(tokenCalls()).toBe(1);
    expect(summaryCalls()).toHaveLength(0);
  });

  it.each<[string, ClientCredentials]>([
    ['invalid_scope', { ...READER, clientId: 'worker-1', clientSecret: 's3cret-worker-do-not-print' }],
    ['invalid_request', { ...READER, scopes: ['orch:operate'] }],
  ])('does not retry %s', async (code, credentials) => {
    const error = await clientWith(credentials)
      .getJobsSummary()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'TokenRequestError', error: code, status: 400 });
    expect(tokenCalls()).toBe(1);
  });

  it('retries a token request after 503 and 502 answers', async () => {
    authority.scriptedTokenReplies.push(
      problem(503, 'STORE_UNAVAILABLE', 'down'),
      problem(502, 'HTTP_502', 'bad gateway'),
    );
    await expect(clientWith().getJobsSummary()).resolves.toEqual(SUMMARY);
    expect(tokenCalls()).toBe(3);
  });

  it('surfaces a token endpoint that stays unavailable as an unavailable API error', async () => {
    authority.scriptedTokenReplies.push(...Array.from({ length: 10 }, () => problem(503, 'X', 'down')));
    await expect(clientWith().getJobsSummary()).rejects.toMatchObject({ status: 503 });
    expect(tokenCalls()).toBe(1 + FAST.maxRetries);
  });

  it('reports a failing token endpoint (500) as a server error, not a refusal', async () => {
    authority.scriptedTokenReplies.push(problem(500, 'INTERNAL', 'boom'));
    const error = await clientWith()
      .getJobsSummary()
      .catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(TokenRequestError);
    expect(error).toMatchObject({ name: 'OrchestratorApiError', status: 500, code: 'INTERNAL' });
  });

  it('names a server without a token endpoint in the refusal', async () => {
    const bare = await FakeHttpServer.start();
    try {
      const client = new OrchestratorClient({ baseUrl: bare.url, credentials: READER, retry: FAST });
      await expect(client.getJobsSummary()).rejects.toMatchObject({
        name: 'TokenRequestError',
        status: 404,
        error: 'ROUTE_NOT_FOUND',
      });
    } finally {
      await bare.close();
    }
  });

  it('never puts the secret into an error, even when the server echoes it', async () => {
    const secret = FAKE_ADMIN_CLIENT.clientSecret;
    authority.scriptedTokenReplies.push(oauthError(400, 'invalid_request', `bad secret ${secret}!`));
    const refused = await clientWith()
      .getJobsSummary()
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ error_description: 'bad secret [redacted]!' });

    const url = server.url;
    await server.close();
    const unreachable = await new OrchestratorClient({ baseUrl: url, credentials: READER, retry: FAST })
      .getJobsSummary()
      .catch((e: unknown) => e);
    expect(unreachable).toBeInstanceOf(OrchestratorConnectionError);
    server = await FakeHttpServer.start();

    for (const error of [refused, unreachable]) {
      const text = `${String(error)} ${JSON.stringify(error)} ${inspect(error, { depth: 10 })}`;
      expect(text).not.toContain(secret);
    }
    expect(inspect(clientWith(), { depth: 10, showHidden: true })).not.toContain(secret);
  });

  it('lets a caller stop waiting for the token without failing the others', async () => {
    authority.tokenDelayMs = 150;
    const client = clientWith();
    const controller = new AbortController();
    const impatient = client.getJobsSummary({}, { signal: controller.signal });
    const patient = client.getJobsSummary();
    controller.abort(new Error('enough'));
    await expect(impatient).rejects.toThrow('enough');
    await expect(patient).resolves.toEqual(SUMMARY);
    expect(tokenCalls()).toBe(1);
  });
});

describe('worker credentials', () => {
  it('leases with an orch:worker token by default, and stops when the credentials are refused', async () => {
    const fake = await FakeOrchestrator.start();
    try {
      const job = fake.enqueue();
      const worker = new Worker({
        url: fake.url,
        tenant: 'default',
        credentials: { clientId: 'worker-1', clientSecret: 's3cret-worker-do-not-print' },
        jobTypes: ['test.job'],
        pollWaitMs: 200,
        handler: () => 'done',
      });
      const done = worker.start();
      while (fake.completions.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      await worker.stop();
      await done;
      expect(fake.completions[0]).toMatchObject({ outcome: 'succeeded', result: 'done' });
      expect(fake.authority.tokenRequests[0]).toMatchObject({ scope: 'orch:worker', tenant: 'default' });
      expect(job.jobId).toBeDefined();

      const refused = new Worker({
        url: fake.url,
        credentials: { clientId: 'worker-1', clientSecret: 'wrong' },
        jobTypes: ['test.job'],
        handler: () => undefined,
      });
      await expect(refused.start()).rejects.toMatchObject({ error: 'invalid_client' });
    } finally {
      await fake.close();
    }
  });
});
