import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ledgerEngines, startHarnessOn, type Harness } from './harness.js';

const ENGINES = await ledgerEngines('Throttles API suite');

interface ThrottleBody {
  throttleId: string;
  tenantId: string;
  sourceId: string | null;
  jobType: string | null;
  pause: boolean;
  maxPerSecond: number | null;
  maxConcurrent: number | null;
  reason: string;
  ticket: string;
  expiresAt: string;
  revokedAt: string | null;
  revokedBy: string | null;
  revokeReason: string | null;
  active: boolean;
  createdAt: string;
}

const DAY_MS = 86_400_000;

describe.each(ENGINES)('throttles on %s', (engine) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarnessOn(engine);
  });
  afterAll(async () => {
    await h.close();
  });
  beforeEach(() => {
    h.newTenant();
  });

  const create = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    h.call('POST', '/throttles', body, headers);
  const auditActions = async () =>
    (await h.call('GET', '/audit?resourceType=throttle&page_size=100'))
      .json<{ items: { action: string }[] }>()
      .items.map((e) => e.action);
  const listIds = async (query = '') =>
    (await h.call('GET', `/throttles${query}`))
      .json<{ items: ThrottleBody[] }>()
      .items.map((t) => t.throttleId);

  it('creates, gets, lists and revokes throttles; the operator’s reason and ticket are kept and audited', async () => {
    await h.call('POST', '/sources', { sourceId: 'nvd', sourceType: 'concelier' });
    const created = await create(
      { sourceId: 'nvd', jobType: 'scan', maxPerSecond: 2.5, maxConcurrent: 1, durationSeconds: 900 },
      { 'x-stella-operator-reason': 'NVD rate limits us' },
    );
    expect(created.statusCode).toBe(201);
    const throttle = created.json<ThrottleBody>();
    expect(throttle).toMatchObject({
      tenantId: h.tenant,
      sourceId: 'nvd',
      jobType: 'scan',
      pause: false,
      maxPerSecond: 2.5,
      maxConcurrent: 1,
      reason: 'NVD rate limits us',
      ticket: 'TEST-0',
      revokedAt: null,
      active: true,
    });
    expect(Date.parse(throttle.expiresAt) - Date.parse(throttle.createdAt)).toBeGreaterThan(899_000);
    expect((await h.call('GET', `/throttles/${throttle.throttleId}`)).json()).toEqual(throttle);
    const expiresAt = new Date(Date.now() + DAY_MS).toISOString();
    const pause = (await create({ pause: true, expiresAt })).json<ThrottleBody>();
    expect(pause).toMatchObject({ sourceId: null, jobType: null, pause: true, expiresAt, active: true });

    expect(await listIds()).toEqual([pause.throttleId, throttle.throttleId]);
    expect(await listIds('?sourceId=nvd')).toEqual([throttle.throttleId]);
    expect(await listIds('?jobType=scan')).toEqual([throttle.throttleId]);
    const page = (await h.call('GET', '/throttles?page_size=1')).json<{ next_page_token: string | null }>();
    expect(await listIds(`?page_token=${page.next_page_token ?? ''}`)).toEqual([throttle.throttleId]);

    const revoked = await h.call('POST', `/throttles/${pause.throttleId}/revoke`, {
      reason: 'feed recovered',
    });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json<ThrottleBody>()).toMatchObject({
      active: false,
      revokeReason: 'feed recovered',
      revokedBy: 'harness-admin',
    });
    const again = await h.call('POST', `/throttles/${pause.throttleId}/revoke`);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(revoked.json());
    expect(await listIds('?active=true')).toEqual([throttle.throttleId]);
    expect(await listIds('?active=false')).toEqual([pause.throttleId]);
    expect(await auditActions()).toEqual(['throttle.revoke', 'throttle.create', 'throttle.create']);
    const [entry] = (await h.call('GET', '/audit?resourceType=throttle&page_size=1')).json<{
      items: { reason?: string; ticket?: string; before?: object; after?: object }[];
    }>().items;
    expect(entry).toMatchObject({
      reason: 'automated test',
      ticket: 'TEST-0',
      before: { revokedAt: null },
      after: { revokeReason: 'feed recovered' },
    });
  });

  it('refuses an unknown source (404 SOURCE_NOT_FOUND), another tenant’s included, writing nothing', async () => {
    const unknown = await create({ sourceId: 'nope', pause: true, durationSeconds: 60 });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: 'SOURCE_NOT_FOUND', details: { sourceId: 'nope' } });
    const mine = h.tenant;
    h.newTenant();
    await h.call('POST', '/sources', { sourceId: 'theirs', sourceType: 'concelier' });
    h.tenant = mine;
    expect((await create({ sourceId: 'theirs', pause: true, durationSeconds: 60 })).statusCode).toBe(404);
    expect(await listIds()).toEqual([]);
    expect(await auditActions()).toEqual([]);
  });

  it('refuses an expiry in the past or beyond 30 days, no effect and limits out of range, writing nothing', async () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ pause: true, expiresAt: new Date(Date.now() - 60_000).toISOString() }, 'expiresAt'],
      [{ pause: true, expiresAt: new Date(Date.now() + 31 * DAY_MS).toISOString() }, 'expiresAt'],
      [{ pause: true, expiresAt: 'next week' }, 'expiresAt'],
      [{ pause: true, durationSeconds: 30 * 86_400 + 1 }, 'durationSeconds'],
      [{ pause: true, durationSeconds: -5 }, 'durationSeconds'],
      [{ pause: true }, 'body'],
      [{ pause: true, durationSeconds: 60, expiresAt: new Date(Date.now() + DAY_MS).toISOString() }, 'body'],
      [{ durationSeconds: 60 }, 'body'],
      [{ pause: false, durationSeconds: 60 }, 'body'],
      [{ maxPerSecond: 0, durationSeconds: 60 }, 'maxPerSecond'],
      [{ maxPerSecond: -1, durationSeconds: 60 }, 'maxPerSecond'],
      [{ maxPerSecond: 1e9, durationSeconds: 60 }, 'maxPerSecond'],
      [{ maxConcurrent: -1, durationSeconds: 60 }, 'maxConcurrent'],
      [{ maxConcurrent: 1e7, durationSeconds: 60 }, 'maxConcurrent'],
    ];
    for (const [body, path] of bad) {
      const res = await create(body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      const problem = res.json<{ code: string; errors: { path: string }[] }>();
      expect(problem.code).toBe('VALIDATION_FAILED');
      expect(problem.errors.map((e) => e.path)).toContain(path);
    }
    expect((await create({ pause: 'yes', durationSeconds: 60 })).statusCode).toBe(400);
    expect((await create({ pause: true, durationSeconds: 60, extra: 1 })).statusCode).toBe(400);
    expect((await h.call('GET', '/throttles?active=maybe')).statusCode).toBe(400);
    expect(await listIds()).toEqual([]);
    expect(await auditActions()).toEqual([]);
  });

  it('answers an idempotent repeat with the same throttle, and refuses a reused key', async () => {
    const body = { jobType: 'scan', maxConcurrent: 0, durationSeconds: 600 };
    const first = await create(body, { 'idempotency-key': 't-1' });
    const again = await create(body, { 'idempotency-key': 't-1' });
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    const reused = await create({ ...body, maxConcurrent: 1 }, { 'idempotency-key': 't-1' });
    expect(reused.statusCode).toBe(409);
    expect(reused.json()).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
    expect(await auditActions()).toEqual(['throttle.create']);
  });

  it('hides another tenant’s throttles (404) and needs orch:operate to change, orch:read to read', async () => {
    const { throttleId } = (await create({ pause: true, durationSeconds: 60 })).json<ThrottleBody>();
    const mine = h.tenant;
    const other = {
      authorization: `Bearer ${await h.tokenFor({
        tenant: h.newTenant(),
        metadata: { operator_reason: 'r', operator_ticket: 't' },
      })}`,
    };
    for (const [method, path] of [
      ['GET', `/throttles/${throttleId}`],
      ['POST', `/throttles/${throttleId}/revoke`],
      ['GET', `/throttles/${randomUUID()}`],
      ['GET', '/throttles/not-a-uuid'],
      ['POST', '/throttles/not-a-uuid/revoke'],
    ] as const) {
      const res = await h.call(method, path, method === 'POST' ? {} : undefined, other);
      expect(res.statusCode, `${method} ${path}`).toBe(404);
      expect(res.json()).toMatchObject({ code: 'THROTTLE_NOT_FOUND' });
    }
    h.tenant = mine;
    const reader = { authorization: `Bearer ${await h.tokenFor({ scopes: ['orch:read'] })}` };
    expect((await h.call('GET', `/throttles/${throttleId}`, undefined, reader)).json()).toMatchObject({
      active: true,
    });
    const refused = await h.call('POST', `/throttles/${throttleId}/revoke`, {}, reader);
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({
      code: 'INSUFFICIENT_SCOPE',
      details: { requiredScope: 'orch:operate' },
    });
    // orch:operate without a reason and ticket (an external issuer's token) is refused before anything runs.
    const bare = { authorization: `Bearer ${await h.tokenFor({ scopes: ['orch:operate'] })}` };
    expect((await h.call('POST', '/throttles', { pause: true, durationSeconds: 60 }, bare)).statusCode).toBe(
      400,
    );
    expect(await auditActions()).toEqual(['throttle.create']);
  });

  it('a pausing throttle holds its source’s jobs at the lease grant (they wait); revoking it lets them through', async () => {
    await h.call('POST', '/sources', { sourceId: 'nvd', sourceType: 'concelier' });
    const held = (await h.call('POST', '/jobs', { jobType: 'scan', sourceId: 'nvd' })).json<{
      jobId: string;
    }>().jobId;
    const free = (await h.call('POST', '/jobs', { jobType: 'scan' })).json<{ jobId: string }>().jobId;
    const { throttleId } = (
      await create({ sourceId: 'nvd', pause: true, durationSeconds: 600 })
    ).json<ThrottleBody>();
    const lease = async () =>
      (await h.call('POST', '/leases', { jobTypes: ['scan'], limit: 10, workerId: 'w1' }))
        .json<{ leases: { job: { jobId: string } }[] }>()
        .leases.map((l) => l.job.jobId);
    expect(await lease()).toEqual([free]);
    expect((await h.call('GET', `/jobs/${held}`)).json()).toMatchObject({ status: 'pending' });
    await h.call('POST', `/throttles/${throttleId}/revoke`);
    expect(await lease()).toEqual([held]);
  });
});
