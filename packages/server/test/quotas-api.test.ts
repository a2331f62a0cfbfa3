import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HARNESS_CLIENT, ledgerEngines, startHarnessOn, type Harness } from './harness.js';

const ENGINES = await ledgerEngines('Quotas API suite');

interface QuotaBody {
  quotaId: string;
  tenantId: string;
  jobType: string | null;
  maxActive: number | null;
  maxPerHour: number | null;
  burst: number | null;
  paused: boolean;
  pauseReason: string | null;
  reason: string;
  ticket: string | null;
  version: number;
}

interface AuditItem {
  action: string;
  resourceId: string;
  reason?: string;
  ticket?: string;
  requestReason?: string;
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
}

const QUOTA_METADATA = { quota_reason: 'seasonal load', quota_ticket: 'CAP-7' };

describe.each(ENGINES)('quotas on %s', (engine) => {
  let h: Harness;
  let quotaAuth: Record<string, string>;
  beforeAll(async () => {
    h = await startHarnessOn(engine);
  });
  afterAll(async () => {
    await h.close();
  });
  beforeEach(async () => {
    h.newTenant();
    quotaAuth = { authorization: `Bearer ${await h.tokenFor({ metadata: QUOTA_METADATA })}` };
  });

  /** A call with a token carrying the quota reason and ticket. */
  const q = (
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => h.call(method, path, body, { ...quotaAuth, ...headers });
  const audit = async () =>
    (await h.call('GET', '/audit?resourceType=quota&page_size=100')).json<{ items: AuditItem[] }>().items;
  const listed = async () => (await h.call('GET', '/quotas')).json<{ items: QuotaBody[] }>().items;

  it('creates, gets, lists, replaces (If-Match), pauses, resumes and deletes a quota, each audited', async () => {
    const created = await q('POST', '/quotas', {
      jobType: 'scan',
      maxActive: 5,
      maxPerHour: 3600,
      burst: 60,
    });
    expect(created.statusCode).toBe(201);
    expect(created.headers['etag']).toBe('"1"');
    const quota = created.json<QuotaBody>();
    expect(quota).toMatchObject({
      tenantId: h.tenant,
      jobType: 'scan',
      maxActive: 5,
      maxPerHour: 3600,
      burst: 60,
      paused: false,
      reason: 'seasonal load',
      ticket: 'CAP-7',
      version: 1,
    });
    const got = await h.call('GET', `/quotas/${quota.quotaId}`);
    expect(got.statusCode).toBe(200);
    expect(got.json()).toEqual(quota);
    const wide = await q('POST', '/quotas', { maxPerHour: 1000 });
    expect(wide.json<QuotaBody>()).toMatchObject({ jobType: null, maxActive: null, burst: null });
    const page = (await h.call('GET', '/quotas?page_size=1')).json<{
      items: QuotaBody[];
      next_page_token: string | null;
    }>();
    expect(page.items.map((x) => x.quotaId)).toEqual([quota.quotaId]);
    const next = await h.call('GET', `/quotas?page_token=${page.next_page_token ?? ''}`);
    expect(next.json<{ items: QuotaBody[] }>().items.map((x) => x.jobType)).toEqual([null]);
    expect((await h.call('GET', '/quotas?jobType=scan')).json<{ items: QuotaBody[] }>().items).toHaveLength(
      1,
    );

    const replaced = await q('PUT', `/quotas/${quota.quotaId}`, { maxActive: 2 }, { 'if-match': '"1"' });
    expect(replaced.statusCode).toBe(200);
    expect(replaced.headers['etag']).toBe('"2"');
    expect(replaced.json<QuotaBody>()).toMatchObject({
      maxActive: 2,
      maxPerHour: null,
      burst: null,
      version: 2,
    });
    const stale = await q('PUT', `/quotas/${quota.quotaId}`, { maxActive: 3 }, { 'if-match': '"1"' });
    expect(stale.statusCode).toBe(412);
    expect(stale.json()).toMatchObject({ code: 'QUOTA_VERSION_MISMATCH', details: { currentVersion: 2 } });
    expect((await q('PUT', `/quotas/${quota.quotaId}`, { maxActive: 3, version: 1 })).statusCode).toBe(412);
    const same = await q('PUT', `/quotas/${quota.quotaId}`, { maxActive: 2 });
    expect(same.json<QuotaBody>().version).toBe(2);

    const paused = await q(
      'POST',
      `/quotas/${quota.quotaId}/pause`,
      { reason: 'over budget', ticket: 'FIN-1' },
      { 'x-stella-operator-reason': 'finance asked' },
    );
    expect(paused.json<QuotaBody>()).toMatchObject({ paused: true, pauseReason: 'over budget', version: 3 });
    const repeat = await q('POST', `/quotas/${quota.quotaId}/pause`, { reason: 'again' });
    expect(repeat.statusCode).toBe(200);
    expect(repeat.json<QuotaBody>()).toMatchObject({ pauseReason: 'over budget', version: 3 });
    expect((await q('POST', `/quotas/${quota.quotaId}/resume`)).json<QuotaBody>()).toMatchObject({
      paused: false,
      pauseReason: null,
      version: 4,
    });
    expect((await q('POST', `/quotas/${quota.quotaId}/resume`)).json<QuotaBody>().version).toBe(4);
    expect((await q('DELETE', `/quotas/${quota.quotaId}`, undefined, { 'if-match': '"1"' })).statusCode).toBe(
      412,
    );
    const deleted = await q('DELETE', `/quotas/${quota.quotaId}`);
    expect(deleted.statusCode).toBe(204);
    expect((await h.call('GET', `/quotas/${quota.quotaId}`)).statusCode).toBe(404);

    const entries = await audit();
    expect(entries.map((e) => e.action)).toEqual([
      'quota.delete',
      'quota.resume',
      'quota.pause',
      'quota.update',
      'quota.create',
      'quota.create',
    ]);
    // The token's quota_reason and quota_ticket are the entry's reason and ticket; the header is the request's.
    expect(entries[2]).toMatchObject({
      reason: 'seasonal load',
      ticket: 'CAP-7',
      requestReason: 'finance asked',
      before: { paused: false },
      after: { paused: true, pauseReason: 'over budget', pauseTicket: 'FIN-1' },
    });
    expect(entries[0]).toMatchObject({ resourceId: quota.quotaId, before: { maxActive: 2 } });
    expect(entries[0]?.after).toBeUndefined();
    const events = await h.driver.query<{ event_type: string }>(
      `SELECT event_type FROM orch.events WHERE tenant_id = $1 AND event_type LIKE 'operator.quota.%' ORDER BY event_id`,
      [h.tenant],
    );
    expect(events).toHaveLength(6);
  });

  it('answers an idempotent repeat with the same quota; refuses a second quota of a scope (409 QUOTA_EXISTS)', async () => {
    const first = await q('POST', '/quotas', { jobType: 'scan', maxActive: 1 }, { 'idempotency-key': 'q-1' });
    const again = await q('POST', '/quotas', { jobType: 'scan', maxActive: 1 }, { 'idempotency-key': 'q-1' });
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    const exists = await q('POST', '/quotas', { jobType: 'scan', maxActive: 9 });
    expect(exists.statusCode).toBe(409);
    expect(exists.json()).toMatchObject({
      code: 'QUOTA_EXISTS',
      details: { quotaId: first.json<QuotaBody>().quotaId },
    });
    const reused = await q(
      'POST',
      '/quotas',
      { jobType: 'other', maxActive: 1 },
      { 'idempotency-key': 'q-1' },
    );
    expect(reused.statusCode).toBe(409);
    expect(reused.json()).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
    expect((await q('POST', '/quotas', { maxActive: 1 })).statusCode).toBe(201);
    expect((await q('POST', '/quotas', { jobType: null, maxActive: 2 })).json()).toMatchObject({
      code: 'QUOTA_EXISTS',
    });
    expect((await audit()).map((e) => e.action)).toEqual(['quota.create', 'quota.create']);
  });

  it('refuses negative and absurd limits, a burst without maxPerHour and malformed bodies, writing nothing', async () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ maxActive: -1 }, 'maxActive'],
      [{ maxActive: 0 }, 'maxActive'],
      [{ maxActive: 1e12 }, 'maxActive'],
      [{ maxActive: 2.5 }, 'maxActive'],
      [{ maxPerHour: -5 }, 'maxPerHour'],
      [{ maxPerHour: 360_000_001 }, 'maxPerHour'],
      [{ maxActive: 5, burst: 10 }, 'burst'],
      [{ maxPerHour: 10, burst: 1e9 }, 'burst'],
      [{}, 'body'],
      [{ maxActive: null, maxPerHour: null }, 'body'],
      [{ jobType: 'bad type', maxActive: 1 }, 'jobType'],
    ];
    for (const [body, path] of bad) {
      const res = await q('POST', '/quotas', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      const problem = res.json<{ code: string; errors: { path: string }[] }>();
      expect(problem.code).toBe('VALIDATION_FAILED');
      // A wrong type is the body schema's (body.<field>), a value out of range the quota rules' (<field>).
      expect(problem.errors.map((e) => e.path.replace(/^body\./, ''))).toContain(path);
    }
    expect((await q('POST', '/quotas', { maxActive: '5' })).statusCode).toBe(400);
    expect((await q('POST', '/quotas', { maxActive: 5, extra: true })).statusCode).toBe(400);
    expect(await listed()).toEqual([]);

    const { quotaId } = (await q('POST', '/quotas', { maxActive: 5 })).json<QuotaBody>();
    expect((await q('PUT', `/quotas/${quotaId}`, { burst: 3 })).statusCode).toBe(400);
    expect((await q('PUT', `/quotas/${quotaId}`, { maxActive: -2 })).statusCode).toBe(400);
    expect((await q('PUT', `/quotas/${quotaId}`, { maxActive: 1 }, { 'if-match': 'nope' })).statusCode).toBe(
      400,
    );
    expect((await q('PUT', `/quotas/${quotaId}`, { jobType: 'other', maxActive: 1 })).statusCode).toBe(400);
    expect((await q('POST', `/quotas/${quotaId}/pause`, {})).statusCode).toBe(400);
    expect((await q('POST', `/quotas/${quotaId}/pause`, { reason: '' })).statusCode).toBe(400);
    expect((await h.call('GET', `/quotas/${quotaId}`)).json<QuotaBody>()).toMatchObject({
      maxActive: 5,
      paused: false,
      version: 1,
    });
    expect((await audit()).map((e) => e.action)).toEqual(['quota.create']);
  });

  it('needs orch:quota (403) with a quota_reason (400, or 400 invalid_request at the token endpoint)', async () => {
    // The harness's default token has every scope but no quota_reason: refused before anything is written.
    const noReason = await h.call('POST', '/quotas', { maxActive: 5 });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json()).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [{ path: 'header.x-stella-operator-reason' }],
    });
    const withoutScope = await h.tokenFor({
      scopes: ['orch:read', 'orch:operate'],
      metadata: { ...QUOTA_METADATA, operator_reason: 'r', operator_ticket: 't' },
    });
    const refused = await h.call(
      'POST',
      '/quotas',
      { maxActive: 5 },
      { authorization: `Bearer ${withoutScope}` },
    );
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({
      code: 'INSUFFICIENT_SCOPE',
      details: { requiredScope: 'orch:quota' },
    });
    expect(await listed()).toEqual([]);
    expect(await audit()).toEqual([]);

    // A reason in the request header stands in for the token's (no ticket needed).
    const byHeader = await h.call(
      'POST',
      '/quotas',
      { maxActive: 5 },
      { 'x-stella-operator-reason': 'peak' },
    );
    expect(byHeader.statusCode).toBe(201);
    expect(byHeader.json<QuotaBody>()).toMatchObject({ reason: 'peak', ticket: null });
    // The built-in Authority grants orch:quota only with a quota_reason.
    const token = await h.requestToken({
      grant_type: 'client_credentials',
      client_id: HARNESS_CLIENT.clientId,
      client_secret: HARNESS_CLIENT.clientSecret,
      scope: 'orch:quota',
      tenant: h.tenant,
    });
    expect(token.statusCode).toBe(400);
    expect(token.json()).toMatchObject({ error: 'invalid_request' });
    const granted = await h.requestToken({
      grant_type: 'client_credentials',
      client_id: HARNESS_CLIENT.clientId,
      client_secret: HARNESS_CLIENT.clientSecret,
      scope: 'orch:quota orch:read',
      tenant: h.tenant,
      quota_reason: 'raise the scan quota',
    });
    expect(granted.statusCode).toBe(200);
    const auth = { authorization: `Bearer ${granted.json<{ access_token: string }>().access_token}` };
    const made = await h.call('POST', '/quotas', { jobType: 'scan', maxActive: 5 }, auth);
    expect(made.json<QuotaBody>()).toMatchObject({ reason: 'raise the scan quota', ticket: null });
    // Reads need orch:read only.
    const reader = await h.tokenFor({ scopes: ['orch:read'] });
    expect(
      (await h.call('GET', '/quotas', undefined, { authorization: `Bearer ${reader}` })).statusCode,
    ).toBe(200);
  });

  it('answers 404 for another tenant’s quota and for ids that are not quota ids', async () => {
    const { quotaId } = (await q('POST', '/quotas', { maxActive: 5 })).json<QuotaBody>();
    const mine = h.tenant;
    const other = {
      authorization: `Bearer ${await h.tokenFor({ tenant: h.newTenant(), metadata: QUOTA_METADATA })}`,
    };
    for (const [method, path, body] of [
      ['GET', `/quotas/${quotaId}`, undefined],
      ['PUT', `/quotas/${quotaId}`, { maxActive: 1 }],
      ['DELETE', `/quotas/${quotaId}`, undefined],
      ['POST', `/quotas/${quotaId}/pause`, { reason: 'x' }],
      ['POST', `/quotas/${quotaId}/resume`, {}],
      ['GET', `/quotas/${randomUUID()}`, undefined],
      ['GET', '/quotas/not-a-uuid', undefined],
      ['PUT', '/quotas/not-a-uuid', { maxActive: 1 }],
    ] as const) {
      const res = await h.call(method, path, body, other);
      expect(res.statusCode, `${method} ${path}`).toBe(404);
      expect(res.json()).toMatchObject({ code: 'QUOTA_NOT_FOUND' });
    }
    expect((await h.call('GET', '/quotas', undefined, other)).json<{ items: unknown[] }>().items).toEqual([]);
    h.tenant = mine;
    expect((await h.call('GET', `/quotas/${quotaId}`)).json<QuotaBody>()).toMatchObject({ version: 1 });
  });

  it('summarizes every quota’s active and ready jobs, its tokens, and the tenant totals', async () => {
    for (let i = 0; i < 3; i++) await h.call('POST', '/jobs', { jobType: 'scan' });
    await h.call('POST', '/jobs', { jobType: 'export' });
    const leased = await h.call('POST', '/leases', { jobTypes: ['scan'], limit: 1, workerId: 'w1' });
    expect(leased.json<{ leases: unknown[] }>().leases).toHaveLength(1);
    const scan = (
      await q('POST', '/quotas', { jobType: 'scan', maxActive: 10, maxPerHour: 60, burst: 5 })
    ).json<QuotaBody>();
    await q('POST', '/quotas', { maxActive: 100 });
    const summary = await h.call('GET', '/quotas/summary');
    expect(summary.statusCode).toBe(200);
    const body = summary.json<{
      tenantId: string;
      asOf: string;
      totals: { active: number; readyJobs: number };
      quotas: {
        quota: QuotaBody;
        active: number;
        tokens: number | null;
        tokenCapacity: number | null;
        readyJobs: number;
      }[];
    }>();
    expect(body).toMatchObject({ tenantId: h.tenant, totals: { active: 1, readyJobs: 3 } });
    expect(body.quotas).toMatchObject([
      { quota: { quotaId: scan.quotaId }, active: 1, readyJobs: 2, tokens: 5, tokenCapacity: 5 },
      { quota: { jobType: null }, active: 1, readyJobs: 3, tokens: null, tokenCapacity: null },
    ]);
  });

  it('a paused quota holds the jobs of its scope at the lease grant (they wait); resume lets them through', async () => {
    const jobIds: string[] = [];
    for (let i = 0; i < 2; i++) {
      jobIds.push((await h.call('POST', '/jobs', { jobType: 'scan' })).json<{ jobId: string }>().jobId);
    }
    const other = (await h.call('POST', '/jobs', { jobType: 'export' })).json<{ jobId: string }>().jobId;
    const { quotaId } = (await q('POST', '/quotas', { jobType: 'scan', maxActive: 10 })).json<QuotaBody>();
    await q('POST', `/quotas/${quotaId}/pause`, { reason: 'over budget' });
    const lease = async () =>
      (await h.call('POST', '/leases', { jobTypes: ['scan', 'export'], limit: 10, workerId: 'w1' }))
        .json<{ leases: { job: { jobId: string } }[] }>()
        .leases.map((l) => l.job.jobId);
    expect(await lease()).toEqual([other]);
    for (const jobId of jobIds) {
      expect((await h.call('GET', `/jobs/${jobId}`)).json()).toMatchObject({ status: 'pending' });
    }
    await q('POST', `/quotas/${quotaId}/resume`);
    expect((await lease()).sort()).toEqual([...jobIds].sort());
  });
});
