import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_ADMIN_CLIENT, FakeAuthority } from '../test/fake-authority.js';
import { FakeHttpServer, problem } from '../test/fake-http-server.js';
import { OrchestratorApiError } from './api-error.js';
import type { Quota, Throttle } from './limit-resources.js';
import { OrchestratorClient } from './orchestrator-client.js';

const BASE = '/api/v1/orchestrator';
const QUOTA_ID = '0b5e1f0e-8f8a-4f3c-9a51-3f2b7c2d9a10';
const THROTTLE_ID = '4d2c6c1e-2c9e-4d0e-8a5b-6f1c2e3d4b5a';

function quota(overrides: Partial<Quota> = {}): Quota {
  return {
    quotaId: QUOTA_ID,
    tenantId: 't1',
    jobType: 'scan',
    maxActive: 5,
    maxPerHour: null,
    burst: null,
    paused: false,
    pauseReason: null,
    pauseTicket: null,
    pausedBy: null,
    pausedAt: null,
    reason: 'seasonal load',
    ticket: null,
    version: 1,
    createdAt: '2030-01-01T00:00:00.000Z',
    createdBy: 'admin',
    updatedAt: '2030-01-01T00:00:00.000Z',
    updatedBy: 'admin',
    ...overrides,
  };
}

function throttle(overrides: Partial<Throttle> = {}): Throttle {
  return {
    throttleId: THROTTLE_ID,
    tenantId: 't1',
    sourceId: 'nvd',
    jobType: null,
    pause: true,
    maxPerSecond: null,
    maxConcurrent: null,
    reason: 'upstream down',
    ticket: 'INC-1',
    expiresAt: '2030-01-01T01:00:00.000Z',
    revokedAt: null,
    revokedBy: null,
    revokeReason: null,
    active: true,
    createdAt: '2030-01-01T00:00:00.000Z',
    createdBy: 'on-call',
    ...overrides,
  };
}

let server: FakeHttpServer;
let authority: FakeAuthority;
let quotaAdmin: OrchestratorClient;
let operator: OrchestratorClient;

beforeEach(async () => {
  server = await FakeHttpServer.start();
  authority = FakeAuthority.install(server);
  quotaAdmin = new OrchestratorClient({
    baseUrl: server.url,
    credentials: { ...FAKE_ADMIN_CLIENT, scopes: ['orch:quota', 'orch:read'], quotaReason: 'seasonal load' },
  });
  operator = new OrchestratorClient({
    baseUrl: server.url,
    credentials: {
      ...FAKE_ADMIN_CLIENT,
      scopes: ['orch:operate', 'orch:read'],
      operatorReason: 'upstream down',
      operatorTicket: 'INC-1',
    },
  });
});

afterEach(async () => {
  await server.close();
});

describe('quota calls (client.limits)', () => {
  it('creates with an idempotency key and an orch:quota token carrying the quota reason', async () => {
    server.route('POST', `${BASE}/quotas`, () => ({ status: 201, body: quota() }));
    const created = await quotaAdmin.limits.createQuota(
      { jobType: 'scan', maxActive: 5 },
      { idempotencyKey: 'q-1', operatorReason: 'peak' },
    );
    expect(created).toEqual(quota());
    const [request] = server.requestsTo('POST', `${BASE}/quotas`);
    expect(request?.body).toEqual({ jobType: 'scan', maxActive: 5 });
    expect(request?.headers['idempotency-key']).toBe('q-1');
    expect(request?.headers['x-stella-operator-reason']).toBe('peak');
    expect(authority.tokenRequests[0]).toMatchObject({
      scope: 'orch:quota orch:read',
      quota_reason: 'seasonal load',
    });
  });

  it('replaces with PUT and If-Match, deletes with DELETE, pauses and resumes', async () => {
    server.route('PUT', `${BASE}/quotas/${QUOTA_ID}`, () => ({ body: quota({ maxActive: 2, version: 2 }) }));
    server.route('DELETE', `${BASE}/quotas/${QUOTA_ID}`, () => ({ status: 204 }));
    server.route('POST', `${BASE}/quotas/${QUOTA_ID}/pause`, () => ({ body: quota({ paused: true }) }));
    server.route('POST', `${BASE}/quotas/${QUOTA_ID}/resume`, () => ({ body: quota() }));
    expect(
      (await quotaAdmin.limits.updateQuota(QUOTA_ID, { maxActive: 2 }, { expectedVersion: 1 })).version,
    ).toBe(2);
    await quotaAdmin.limits.deleteQuota(QUOTA_ID, { expectedVersion: 2 });
    expect((await quotaAdmin.limits.pauseQuota(QUOTA_ID, { reason: 'over budget' })).paused).toBe(true);
    expect((await quotaAdmin.limits.resumeQuota(QUOTA_ID)).paused).toBe(false);
    const [put] = server.requestsTo('PUT', `${BASE}/quotas/${QUOTA_ID}`);
    expect(put?.body).toEqual({ maxActive: 2 });
    expect(put?.headers['if-match']).toBe('"1"');
    expect(server.requestsTo('DELETE', `${BASE}/quotas/${QUOTA_ID}`)[0]?.headers['if-match']).toBe('"2"');
    expect(server.requestsTo('POST', `${BASE}/quotas/${QUOTA_ID}/pause`)[0]?.body).toEqual({
      reason: 'over budget',
    });
  });

  it('lists with the job type filter, reads one, reads the summary, and surfaces QUOTA_NOT_FOUND', async () => {
    server.route('GET', `${BASE}/quotas`, () => ({ body: { items: [quota()], next_page_token: null } }));
    server.route('GET', `${BASE}/quotas/summary`, () => ({
      body: {
        tenantId: 't1',
        asOf: '2030-01-01T00:00:00.000Z',
        totals: { active: 0, readyJobs: 0 },
        quotas: [],
      },
    }));
    server.route('GET', `${BASE}/quotas/${QUOTA_ID}`, () => problem(404, 'QUOTA_NOT_FOUND', 'no such quota'));
    expect((await quotaAdmin.limits.listQuotas({ jobType: 'scan', pageSize: 10 })).items).toHaveLength(1);
    const [list] = server.requestsTo('GET', `${BASE}/quotas`);
    expect(list?.query.get('jobType')).toBe('scan');
    expect(list?.query.get('page_size')).toBe('10');
    expect((await quotaAdmin.limits.quotaSummary()).totals).toEqual({ active: 0, readyJobs: 0 });
    const error = await quotaAdmin.limits.getQuota(QUOTA_ID).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OrchestratorApiError);
    expect((error as OrchestratorApiError).code).toBe('QUOTA_NOT_FOUND');
  });
});

describe('throttle calls (client.limits)', () => {
  it('creates, lists with filters, reads and revokes with an orch:operate token', async () => {
    server.route('POST', `${BASE}/throttles`, () => ({ status: 201, body: throttle() }));
    server.route('GET', `${BASE}/throttles`, () => ({
      body: { items: [throttle()], next_page_token: null },
    }));
    server.route('GET', `${BASE}/throttles/${THROTTLE_ID}`, () => ({ body: throttle() }));
    server.route('POST', `${BASE}/throttles/${THROTTLE_ID}/revoke`, () => ({
      body: throttle({ active: false, revokedAt: '2030-01-01T00:10:00.000Z', revokedBy: 'on-call' }),
    }));
    await operator.limits.createThrottle({ sourceId: 'nvd', pause: true, durationSeconds: 3600 });
    await operator.limits.listThrottles({ sourceId: 'nvd', active: true });
    expect((await operator.limits.getThrottle(THROTTLE_ID)).active).toBe(true);
    expect((await operator.limits.revokeThrottle(THROTTLE_ID, { reason: 'recovered' })).active).toBe(false);
    expect(server.requestsTo('POST', `${BASE}/throttles`)[0]?.body).toEqual({
      sourceId: 'nvd',
      pause: true,
      durationSeconds: 3600,
    });
    const [list] = server.requestsTo('GET', `${BASE}/throttles`);
    expect(list?.query.get('sourceId')).toBe('nvd');
    expect(list?.query.get('active')).toBe('true');
    expect(server.requestsTo('POST', `${BASE}/throttles/${THROTTLE_ID}/revoke`)[0]?.body).toEqual({
      reason: 'recovered',
    });
    expect(authority.tokenRequests[0]).toMatchObject({
      operator_reason: 'upstream down',
      operator_ticket: 'INC-1',
    });
  });
});
