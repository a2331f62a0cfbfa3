import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ledgerEngines, startHarnessOn, type Harness } from './harness.js';

const ENGINES = await ledgerEngines('Sources API suite');

interface SourceBody {
  sourceId: string;
  sourceType: string;
  enabled: boolean;
  paused: boolean;
  pauseReason: string | null;
  pauseTicket: string | null;
  rateLimit: { burst: number; refillPerSecond: number } | null;
  version: number;
}

describe.each(ENGINES)('sources on %s', (engine) => {
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

  const register = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    h.call('POST', '/sources', { sourceType: 'concelier', ...body }, headers);
  const auditActions = async () =>
    (await h.call('GET', '/audit?page_size=100'))
      .json<{ items: { action: string }[] }>()
      .items.map((e) => e.action);
  const leaseIds = async (jobTypes: string[]) =>
    (await h.call('POST', '/leases', { jobTypes, limit: 50, workerId: 'w1' }))
      .json<{ leases: { job: { jobId: string } }[] }>()
      .leases.map((lease) => lease.job.jobId);

  it('registers, gets, lists and updates a source; the version is the ETag', async () => {
    const created = await register({
      sourceId: 'nvd',
      displayName: 'NVD',
      rateLimit: { burst: 5, refillPerSecond: 0.5 },
    });
    expect(created.statusCode).toBe(201);
    expect(created.headers['etag']).toBe('"1"');
    expect(created.json<SourceBody>()).toMatchObject({
      sourceId: 'nvd',
      tenantId: h.tenant,
      enabled: true,
      paused: false,
      rateLimit: { burst: 5, refillPerSecond: 0.5 },
      version: 1,
    });
    const got = await h.call('GET', '/sources/nvd');
    expect(got.statusCode).toBe(200);
    expect(got.json()).toEqual(created.json());
    await register({ sourceId: 'osv', sourceType: 'excititor' });
    const list = await h.call('GET', '/sources?page_size=1');
    const first = list.json<{ items: SourceBody[]; next_page_token: string | null }>();
    expect(first.items.map((s) => s.sourceId)).toEqual(['nvd']);
    const next = await h.call('GET', `/sources?page_token=${first.next_page_token ?? ''}`);
    expect(next.json<{ items: SourceBody[] }>().items.map((s) => s.sourceId)).toEqual(['osv']);
    const byType = await h.call('GET', '/sources?sourceType=excititor');
    expect(byType.json<{ items: SourceBody[] }>().items.map((s) => s.sourceId)).toEqual(['osv']);

    const patched = await h.call('PATCH', '/sources/nvd', { rateLimit: null }, { 'if-match': '"1"' });
    expect(patched.statusCode).toBe(200);
    expect(patched.headers['etag']).toBe('"2"');
    expect(patched.json<SourceBody>()).toMatchObject({ rateLimit: null, version: 2 });
    const stale = await h.call('PATCH', '/sources/nvd', { displayName: 'x' }, { 'if-match': '"1"' });
    expect(stale.statusCode).toBe(412);
    expect(stale.json()).toMatchObject({ code: 'SOURCE_VERSION_MISMATCH' });
    const staleBody = await h.call('PATCH', '/sources/nvd', { displayName: 'x', version: 1 });
    expect(staleBody.statusCode).toBe(412);
    expect((await h.call('GET', '/sources/nvd')).json<SourceBody>().version).toBe(2);
    expect(await auditActions()).toEqual(['source.update', 'source.register', 'source.register']);
  });

  it('keeps a concurrency limit (maxConcurrent): registered, patched, cleared; out of range refused', async () => {
    const created = await register({ sourceId: 'nvd', maxConcurrent: 8 });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ maxConcurrent: 8, rateLimit: null });
    expect((await register({ sourceId: 'osv' })).json()).toMatchObject({ maxConcurrent: null });
    const patched = await h.call('PATCH', '/sources/nvd', { maxConcurrent: 2 }, { 'if-match': '"1"' });
    expect(patched.json()).toMatchObject({ maxConcurrent: 2, version: 2 });
    expect((await h.call('PATCH', '/sources/nvd', { maxConcurrent: null })).json()).toMatchObject({
      maxConcurrent: null,
      version: 3,
    });
    for (const maxConcurrent of [0, -3, 1.5, 1_000_001, '4']) {
      const refused = await h.call('PATCH', '/sources/nvd', { maxConcurrent });
      expect(refused.statusCode, String(maxConcurrent)).toBe(400);
      expect(refused.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect((await register({ sourceId: 'bad', maxConcurrent })).statusCode).toBe(400);
    }
    expect((await h.call('GET', '/sources/nvd')).json()).toMatchObject({ maxConcurrent: null, version: 3 });
    const [latest] = (await h.call('GET', '/audit?resourceId=nvd&page_size=1')).json<{
      items: { before: { maxConcurrent: number | null }; after: { maxConcurrent: number | null } }[];
    }>().items;
    expect(latest).toMatchObject({ before: { maxConcurrent: 2 }, after: { maxConcurrent: null } });
  });

  it('answers an idempotent repeat with the same source, and refuses a taken id or reused key', async () => {
    const body = { sourceId: 'ghsa', sourceType: 'concelier' };
    const first = await register(body, { 'idempotency-key': 'reg-1' });
    const again = await register(body, { 'idempotency-key': 'reg-1' });
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    const taken = await register(body);
    expect(taken.statusCode).toBe(409);
    expect(taken.json()).toMatchObject({ code: 'SOURCE_EXISTS' });
    const reused = await register({ sourceId: 'other' }, { 'idempotency-key': 'reg-1' });
    expect(reused.statusCode).toBe(409);
    expect(reused.json()).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
    expect(await auditActions()).toEqual(['source.register']);
  });

  it('refuses bad input with the field and writes nothing', async () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ sourceId: 'a', rateLimit: { burst: -1, refillPerSecond: 1 } }, 'rateLimit.burst'],
      [{ sourceId: 'a', rateLimit: { burst: 1, refillPerSecond: 1e9 } }, 'rateLimit.refillPerSecond'],
      [{ sourceId: 'a', rateLimit: { burst: 1, refillPerSecond: 0 } }, 'rateLimit.refillPerSecond'],
      [{ sourceId: 'a b' }, 'sourceId'],
      [{ sourceId: 'a', sourceType: 'UPPER' }, 'sourceType'],
    ];
    for (const [body, path] of bad) {
      const res = await register(body);
      expect(res.statusCode, path).toBe(400);
      const problem = res.json<{ code: string; errors: { path: string }[] }>();
      expect(problem.code).toBe('VALIDATION_FAILED');
      expect(problem.errors.map((e) => e.path)).toContain(path);
    }
    expect((await register({ sourceId: 'a', extra: 1 })).statusCode).toBe(400);
    expect((await h.call('GET', '/sources')).json<{ items: unknown[] }>().items).toEqual([]);
    await register({ sourceId: 'a' });
    expect((await h.call('POST', '/sources/a/pause', {})).statusCode).toBe(400);
    expect((await h.call('PATCH', '/sources/a', {})).statusCode).toBe(400);
    expect(
      (await h.call('PATCH', '/sources/a', { displayName: 'x' }, { 'if-match': 'nope' })).statusCode,
    ).toBe(400);
    expect((await h.call('GET', '/sources/a')).json<SourceBody>().version).toBe(1);
    expect(await auditActions()).toEqual(['source.register']);
  });

  it('refuses jobs, batches and runs naming an unknown or disabled source, writing nothing', async () => {
    await register({ sourceId: 'feed' });
    const unknownJob = await h.call('POST', '/jobs', { jobType: 'ingest', sourceId: 'nope' });
    expect(unknownJob.statusCode).toBe(404);
    expect(unknownJob.json()).toMatchObject({ code: 'SOURCE_NOT_FOUND' });
    const batch = await h.call('POST', '/jobs/batch', {
      jobs: [
        { jobType: 'ingest', sourceId: 'feed' },
        { jobType: 'ingest', sourceId: 'nope' },
      ],
    });
    expect(batch.statusCode).toBe(404);
    const run = await h.call('POST', '/runs', { name: 'r', sourceId: 'nope' });
    expect(run.statusCode).toBe(404);
    expect(run.json()).toMatchObject({ code: 'SOURCE_NOT_FOUND' });

    expect((await h.call('POST', '/sources/feed/disable')).json<SourceBody>().enabled).toBe(false);
    const disabled = await h.call('POST', '/jobs', { jobType: 'ingest', sourceId: 'feed' });
    expect(disabled.statusCode).toBe(409);
    expect(disabled.json()).toMatchObject({ code: 'SOURCE_DISABLED' });
    expect((await h.call('POST', '/runs', { name: 'r', sourceId: 'feed' })).statusCode).toBe(409);
    expect((await h.call('GET', '/jobs')).json<{ items: unknown[] }>().items).toEqual([]);
    expect((await h.call('GET', '/runs')).json<{ items: unknown[] }>().items).toEqual([]);

    await h.call('POST', '/sources/feed/enable');
    expect((await h.call('POST', '/jobs', { jobType: 'ingest', sourceId: 'feed' })).statusCode).toBe(201);
    expect((await h.call('POST', '/runs', { name: 'r', sourceId: 'feed' })).statusCode).toBe(201);
  });

  it('pause holds the source’s jobs while others are leased; resume releases them; both audited with events', async () => {
    await register({ sourceId: 'paused-feed' });
    await register({ sourceId: 'live-feed' });
    const held = (
      await h.call('POST', '/jobs', { jobType: 'ingest', sourceId: 'paused-feed', priority: 9 })
    ).json<{
      jobId: string;
    }>().jobId;
    const pause = await h.call(
      'POST',
      '/sources/paused-feed/pause',
      { reason: 'upstream outage', ticket: 'INC-42' },
      { 'x-stella-operator-reason': 'feed broken' },
    );
    expect(pause.statusCode).toBe(200);
    expect(pause.json<SourceBody>()).toMatchObject({
      paused: true,
      pauseReason: 'upstream outage',
      pauseTicket: 'INC-42',
    });
    const repeat = await h.call('POST', '/sources/paused-feed/pause', { reason: 'again' });
    expect(repeat.statusCode).toBe(200);
    expect(repeat.json<SourceBody>()).toMatchObject({ pauseReason: 'upstream outage', version: 2 });
    const live = (await h.call('POST', '/jobs', { jobType: 'ingest', sourceId: 'live-feed' })).json<{
      jobId: string;
    }>().jobId;
    expect(await leaseIds(['ingest'])).toEqual([live]);
    expect((await h.call('GET', `/jobs/${held}`)).json()).toMatchObject({ status: 'pending' });
    expect(await leaseIds(['ingest'])).toEqual([]);

    expect((await h.call('POST', '/sources/paused-feed/resume')).json<SourceBody>().paused).toBe(false);
    expect(await leaseIds(['ingest'])).toEqual([held]);

    const entries = (await h.call('GET', '/audit?resourceType=source&resourceId=paused-feed')).json<{
      items: {
        action: string;
        before?: SourceBody;
        after?: SourceBody;
        requestReason?: string;
        reason?: string;
      }[];
    }>().items;
    expect(entries.map((e) => e.action)).toEqual(['source.resume', 'source.pause', 'source.register']);
    expect(entries[1]).toMatchObject({
      before: { paused: false },
      after: { paused: true, pauseReason: 'upstream outage', pauseTicket: 'INC-42' },
      reason: 'automated test',
      requestReason: 'feed broken',
    });
    const events = await h.driver.query<{ event_type: string }>(
      `SELECT event_type FROM orch.events WHERE tenant_id = $1 AND event_type LIKE 'operator.source.%' ORDER BY event_id`,
      [h.tenant],
    );
    expect(events.map((e) => e.event_type)).toEqual([
      'operator.source.register',
      'operator.source.register',
      'operator.source.pause',
      'operator.source.resume',
    ]);
  });

  it('hides another tenant’s sources (404) and enforces read vs operate scopes', async () => {
    await register({ sourceId: 'mine' });
    const mine = h.tenant;
    const other = await h.tokenFor({
      tenant: h.newTenant(),
      metadata: { operator_reason: 'automated test', operator_ticket: 'TEST-1' },
    });
    const auth = { authorization: `Bearer ${other}` };
    expect((await h.call('GET', '/sources/mine', undefined, auth)).statusCode).toBe(404);
    expect((await h.call('POST', '/sources/mine/pause', { reason: 'x' }, auth)).statusCode).toBe(404);
    expect((await h.call('PATCH', '/sources/mine', { displayName: 'x' }, auth)).statusCode).toBe(404);
    expect((await h.call('POST', '/jobs', { jobType: 'ingest', sourceId: 'mine' }, auth)).statusCode).toBe(
      404,
    );

    h.tenant = mine;
    const reader = {
      authorization: `Bearer ${await h.tokenFor({ scopes: ['orch:read'], metadata: { operator_reason: 'r' } })}`,
    };
    expect((await h.call('GET', '/sources/mine', undefined, reader)).statusCode).toBe(200);
    expect((await h.call('GET', '/sources', undefined, reader)).statusCode).toBe(200);
    const refused = await h.call('POST', '/sources/mine/disable', {}, reader);
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'INSUFFICIENT_SCOPE' });
    expect(
      (await h.call('POST', '/sources', { sourceId: 'x', sourceType: 'policy' }, reader)).statusCode,
    ).toBe(403);
    expect((await h.call('GET', '/sources/mine')).json<SourceBody>()).toMatchObject({
      enabled: true,
      version: 1,
    });
  });
});
