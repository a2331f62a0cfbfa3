import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_ADMIN_CLIENT, FakeAuthority } from '../test/fake-authority.js';
import { FakeHttpServer, problem } from '../test/fake-http-server.js';
import { OrchestratorApiError } from './api-error.js';
import type { CircuitBreaker } from './circuit-resources.js';
import { OrchestratorClient } from './orchestrator-client.js';

const BASE = '/api/v1/orchestrator';
const BREAKER_ID = '7a1c2e3d-4b5a-4d0e-8a5b-6f1c2e3d4b5a';

function breaker(overrides: Partial<CircuitBreaker> = {}): CircuitBreaker {
  return {
    breakerId: BREAKER_ID,
    tenantId: 't1',
    sourceId: null,
    jobType: 'scan',
    failureRatio: 0.5,
    minVolume: 20,
    windowSeconds: 60,
    coolDownSeconds: 30,
    probeLeases: 1,
    state: 'closed',
    stateChangedAt: '2030-01-01T00:00:00.000Z',
    openUntil: null,
    openedWith: null,
    window: { successes: 0, failures: 0 },
    probes: { successes: 0, failures: 0 },
    version: 1,
    createdAt: '2030-01-01T00:00:00.000Z',
    createdBy: 'on-call',
    updatedAt: '2030-01-01T00:00:00.000Z',
    updatedBy: 'on-call',
    ...overrides,
  };
}

let server: FakeHttpServer;
let authority: FakeAuthority;
let operator: OrchestratorClient;

beforeEach(async () => {
  server = await FakeHttpServer.start();
  authority = FakeAuthority.install(server);
  operator = new OrchestratorClient({
    baseUrl: server.url,
    credentials: {
      ...FAKE_ADMIN_CLIENT,
      scopes: ['orch:operate', 'orch:read'],
      operatorReason: 'flaky upstream',
      operatorTicket: 'INC-11',
    },
  });
});

afterEach(async () => {
  await server.close();
});

describe('circuit breaker calls (client.circuits)', () => {
  it('creates with an idempotency key and an orch:operate token carrying the operator reason and ticket', async () => {
    server.route('POST', `${BASE}/circuit-breakers`, () => ({ status: 201, body: breaker() }));
    const created = await operator.circuits.createBreaker(
      { jobType: 'scan', minVolume: 5 },
      { idempotencyKey: 'cb-1', operatorReason: 'NVD flaps' },
    );
    expect(created).toEqual(breaker());
    const [request] = server.requestsTo('POST', `${BASE}/circuit-breakers`);
    expect(request?.body).toEqual({ jobType: 'scan', minVolume: 5 });
    expect(request?.headers['idempotency-key']).toBe('cb-1');
    expect(request?.headers['x-stella-operator-reason']).toBe('NVD flaps');
    expect(authority.tokenRequests[0]).toMatchObject({
      scope: 'orch:operate orch:read',
      operator_reason: 'flaky upstream',
      operator_ticket: 'INC-11',
    });
  });

  it('changes with PUT and If-Match, deletes with DELETE, resets with POST', async () => {
    server.route('PUT', `${BASE}/circuit-breakers/${BREAKER_ID}`, () => ({
      body: breaker({ failureRatio: 0.8, version: 2 }),
    }));
    server.route('DELETE', `${BASE}/circuit-breakers/${BREAKER_ID}`, () => ({ status: 204 }));
    server.route('POST', `${BASE}/circuit-breakers/${BREAKER_ID}/reset`, () => ({ body: breaker() }));
    expect(
      (await operator.circuits.updateBreaker(BREAKER_ID, { failureRatio: 0.8 }, { expectedVersion: 1 }))
        .version,
    ).toBe(2);
    await operator.circuits.deleteBreaker(BREAKER_ID, { expectedVersion: 2 });
    expect((await operator.circuits.resetBreaker(BREAKER_ID)).state).toBe('closed');
    const [put] = server.requestsTo('PUT', `${BASE}/circuit-breakers/${BREAKER_ID}`);
    expect(put?.body).toEqual({ failureRatio: 0.8 });
    expect(put?.headers['if-match']).toBe('"1"');
    expect(put?.headers['x-stella-operator-reason']).toBeUndefined();
    expect(
      server.requestsTo('DELETE', `${BASE}/circuit-breakers/${BREAKER_ID}`)[0]?.headers['if-match'],
    ).toBe('"2"');
    expect(server.requestsTo('POST', `${BASE}/circuit-breakers/${BREAKER_ID}/reset`)[0]?.body).toEqual({});
  });

  it('lists with filters, reads one, and surfaces CIRCUIT_BREAKER_NOT_FOUND', async () => {
    server.route('GET', `${BASE}/circuit-breakers`, () => ({
      body: { items: [breaker({ state: 'open' })], next_page_token: null },
    }));
    server.route('GET', `${BASE}/circuit-breakers/${BREAKER_ID}`, () =>
      problem(404, 'CIRCUIT_BREAKER_NOT_FOUND', 'no such circuit breaker'),
    );
    const page = await operator.circuits.listBreakers({ state: 'open', jobType: 'scan', pageSize: 10 });
    expect(page.items).toHaveLength(1);
    const [list] = server.requestsTo('GET', `${BASE}/circuit-breakers`);
    expect(list?.query.get('state')).toBe('open');
    expect(list?.query.get('jobType')).toBe('scan');
    expect(list?.query.get('page_size')).toBe('10');
    expect(list?.query.has('sourceId')).toBe(false);
    const error = await operator.circuits.getBreaker(BREAKER_ID).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OrchestratorApiError);
    expect((error as OrchestratorApiError).code).toBe('CIRCUIT_BREAKER_NOT_FOUND');
  });
});
