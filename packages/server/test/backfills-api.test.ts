import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ledgerEngines, startHarnessOn, type Harness } from './harness.js';

const ENGINES = await ledgerEngines('Backfills API suite');

interface BackfillBody {
  backfillId: string;
  sourceId: string;
  jobType: string;
  status: string;
  runId: string;
  totalJobs: number;
  reason: string;
  ticket: string;
  progress?: {
    counts: Record<string, number>;
    finished: number;
    percentDone: number;
    watermark: string | null;
  };
}

const WINDOW = { windowStart: '2024-01-01T00:00:00Z', windowEnd: '2024-01-02T00:00:00Z', step: 'PT6H' };
const BACKFILL_METADATA = { backfill_reason: 'reingest 2024', backfill_ticket: 'OPS-42' };

describe.each(ENGINES)('backfills on %s', (engine) => {
  let h: Harness;
  let backfillAuth: Record<string, string>;
  beforeAll(async () => {
    h = await startHarnessOn(engine, { config: { backfill: { maxJobs: 100, laneShare: 0.25 } } });
  });
  afterAll(async () => {
    await h.close();
  });
  beforeEach(async () => {
    h.newTenant();
    backfillAuth = {
      authorization: `Bearer ${await h.tokenFor({ scopes: ['orch:backfill'], metadata: BACKFILL_METADATA })}`,
    };
    const source = await h.call('POST', '/sources', { sourceId: 'nvd', sourceType: 'concelier' });
    expect(source.statusCode).toBe(201);
  });

  const create = (body: Record<string, unknown>, headers: Record<string, string> = backfillAuth) =>
    h.call('POST', '/backfills', { sourceId: 'nvd', jobType: 'reingest', ...WINDOW, ...body }, headers);
  const counts = async () => {
    const rows = await h.driver.query<{ backfills: number; jobs: number; runs: number; audit: number }>(
      `SELECT (SELECT count(*)::int FROM orch.backfills WHERE tenant_id = $1) AS backfills,
         (SELECT count(*)::int FROM orch.jobs WHERE tenant_id = $1) AS jobs,
         (SELECT count(*)::int FROM orch.runs WHERE tenant_id = $1) AS runs,
         (SELECT count(*)::int FROM orch.audit_entries WHERE tenant_id = $1) AS audit`,
      [h.tenant],
    );
    return rows[0];
  };

  it('creates a backfill with its run and jobs, audited with the token’s reason and ticket and an event', async () => {
    const created = await create({ payload: { feed: 'nvd' }, priority: 3 });
    expect(created.statusCode).toBe(201);
    const backfill = created.json<BackfillBody>();
    expect(backfill).toMatchObject({
      sourceId: 'nvd',
      jobType: 'reingest',
      status: 'active',
      totalJobs: 4,
      reason: 'reingest 2024',
      ticket: 'OPS-42',
    });
    const jobs = await h.call('GET', `/jobs?runId=${backfill.runId}&page_size=10`);
    const items = jobs.json<{ items: { payload: { window: { start: string } }; sourceId: string }[] }>()
      .items;
    expect(items).toHaveLength(4);
    expect(items.map((j) => j.payload.window.start).sort()[0]).toBe('2024-01-01T00:00:00.000Z');
    const got = await h.call('GET', `/backfills/${backfill.backfillId}`);
    expect(got.statusCode).toBe(200);
    expect(got.json<BackfillBody>().progress).toEqual({
      counts: { pending: 4 },
      finished: 0,
      percentDone: 0,
      watermark: null,
    });
    const audit = await h.call('GET', '/audit?page_size=1');
    expect(audit.json<{ items: unknown[] }>().items[0]).toMatchObject({
      action: 'backfill.create',
      resourceType: 'backfill',
      resourceId: backfill.backfillId,
      reason: 'reingest 2024',
      ticket: 'OPS-42',
    });
    const events = await h.driver.query<{ event_type: string }>(
      `SELECT event_type FROM orch.events WHERE tenant_id = $1 AND event_type = 'operator.backfill.create'`,
      [h.tenant],
    );
    expect(events).toHaveLength(1);
    const list = await h.call('GET', '/backfills?sourceId=nvd&status=active');
    expect(list.json<{ items: BackfillBody[] }>().items.map((b) => b.backfillId)).toEqual([
      backfill.backfillId,
    ]);
    // Idempotency-Key: the same request answers the same backfill.
    const keyed = await create(
      { windowStart: '2024-02-01T00:00:00Z', windowEnd: '2024-02-02T00:00:00Z' },
      {
        ...backfillAuth,
        'idempotency-key': 'bf-1',
      },
    );
    const again = await create(
      { windowStart: '2024-02-01T00:00:00Z', windowEnd: '2024-02-02T00:00:00Z' },
      {
        ...backfillAuth,
        'idempotency-key': 'bf-1',
      },
    );
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json<BackfillBody>().backfillId).toBe(keyed.json<BackfillBody>().backfillId);
  });

  it('a dry run previews the steps and an estimate and writes nothing', async () => {
    const before = await counts();
    const preview = await create({ dryRun: true, step: 'PT1H' });
    expect(preview.statusCode).toBe(200);
    expect(preview.json()).toMatchObject({
      dryRun: true,
      jobCount: 24,
      step: 'PT1H',
      firstStep: { start: '2024-01-01T00:00:00.000Z', end: '2024-01-01T01:00:00.000Z' },
      lastStep: { start: '2024-01-01T23:00:00.000Z', end: '2024-01-02T00:00:00.000Z' },
      stepsTruncated: false,
      estimate: { basis: 'none', durationMs: null },
    });
    expect(preview.json<{ steps: unknown[] }>().steps).toHaveLength(24);
    expect(await counts()).toEqual(before);
  });

  it('refuses an overlapping backfill with 409 naming the open one; nothing is written', async () => {
    const first = (await create({})).json<BackfillBody>();
    const before = await counts();
    const overlap = await create({ windowStart: '2023-12-31T00:00:00Z', step: 'P1D' });
    expect(overlap.statusCode).toBe(409);
    expect(overlap.headers['content-type']).toContain('application/problem+json');
    expect(overlap.json()).toMatchObject({
      code: 'BACKFILL_OVERLAP',
      details: { backfillId: first.backfillId, status: 'active' },
    });
    expect(overlap.json<{ detail: string }>().detail).toContain(first.backfillId);
    expect(await counts()).toEqual(before);
  });

  it('bad input: 400/404/409 problems with a code, nothing written', async () => {
    const before = await counts();
    const cases: [Record<string, unknown>, number, string][] = [
      [{ windowEnd: '2023-01-01T00:00:00Z' }, 400, 'VALIDATION_FAILED'],
      [{ step: 'P1M' }, 400, 'VALIDATION_FAILED'],
      [{ step: 0 }, 400, 'VALIDATION_FAILED'],
      [{ step: 'PT0S' }, 400, 'VALIDATION_FAILED'],
      [{ windowStart: 'yesterday' }, 400, 'VALIDATION_FAILED'],
      [{ payload: { window: 1 } }, 400, 'VALIDATION_FAILED'],
      [{ step: 'PT1M' }, 400, 'BACKFILL_TOO_LARGE'],
      [{ sourceId: 'unknown' }, 404, 'SOURCE_NOT_FOUND'],
      [{ extra: true }, 400, 'VALIDATION_FAILED'],
    ];
    for (const [body, status, code] of cases) {
      const response = await create(body);
      expect([JSON.stringify(body), response.statusCode, response.json<{ code: string }>().code]).toEqual([
        JSON.stringify(body),
        status,
        code,
      ]);
    }
    expect(await counts()).toEqual(before);
    expect((await create({ step: 'PT1M' })).json()).toMatchObject({
      details: { jobCount: 1440, maxJobs: 100 },
    });
    await h.call('POST', '/sources/nvd/disable', {});
    const disabled = await create({});
    expect([disabled.statusCode, disabled.json<{ code: string }>().code]).toEqual([409, 'SOURCE_DISABLED']);
    expect((await counts())?.backfills).toBe(0);
    expect((await h.call('GET', '/backfills/5b0d5a52-9c6a-4f55-8a3e-2f1a3e1c0b11')).statusCode).toBe(404);
    expect((await h.call('GET', '/backfills/nope')).json()).toMatchObject({ code: 'BACKFILL_NOT_FOUND' });
    expect((await h.call('GET', '/watermarks/nvd/reingest')).json()).toMatchObject({
      code: 'WATERMARK_NOT_FOUND',
    });
  });

  it('scopes: writes need orch:backfill with its reason and ticket; reads need orch:read', async () => {
    const operator = {
      authorization: `Bearer ${await h.tokenFor({
        scopes: ['orch:operate', 'orch:read'],
        metadata: { operator_reason: 'r', operator_ticket: 't' },
      })}`,
    };
    const denied = await create({}, operator);
    expect([denied.statusCode, denied.json<{ code: string }>().code]).toEqual([403, 'INSUFFICIENT_SCOPE']);
    const bare = { authorization: `Bearer ${await h.tokenFor({ scopes: ['orch:backfill'] })}` };
    const missing = await create({}, bare);
    expect([missing.statusCode, missing.json<{ code: string }>().code]).toEqual([400, 'VALIDATION_FAILED']);
    // The request's operator headers may give them instead.
    const withHeaders = await create(
      {},
      { ...bare, 'x-stella-operator-reason': 'header reason', 'x-stella-operator-ticket': 'H-1' },
    );
    expect(withHeaders.statusCode).toBe(201);
    expect(withHeaders.json<BackfillBody>()).toMatchObject({ reason: 'header reason', ticket: 'H-1' });
    const id = withHeaders.json<BackfillBody>().backfillId;
    expect((await h.call('GET', '/backfills', undefined, backfillAuth)).statusCode).toBe(403);
    expect((await h.call('POST', `/backfills/${id}/pause`, {}, operator)).statusCode).toBe(403);
    expect((await h.call('GET', `/backfills/${id}`, undefined, operator)).statusCode).toBe(200);
    expect((await h.call('GET', '/watermarks', undefined, operator)).statusCode).toBe(200);
    expect((await h.call('GET', '/backfills', undefined, { authorization: '' })).statusCode).toBe(401);
  });

  it('pause, resume and cancel are audited with events; a paused backfill’s jobs are not leased', async () => {
    const { backfillId } = (await create({ step: 'PT12H' })).json<BackfillBody>();
    const paused = await h.call('POST', `/backfills/${backfillId}/pause`, {}, backfillAuth);
    expect([paused.statusCode, paused.json<BackfillBody>().status]).toEqual([200, 'paused']);
    const lease = () => h.call('POST', '/leases', { jobTypes: ['reingest'], limit: 1, workerId: 'w1' });
    expect((await lease()).json<{ leases: unknown[] }>().leases).toEqual([]);
    const resumed = await h.call('POST', `/backfills/${backfillId}/resume`, {}, backfillAuth);
    expect(resumed.json<BackfillBody>().status).toBe('active');
    expect((await lease()).json<{ leases: unknown[] }>().leases).toHaveLength(1);
    const canceled = await h.call(
      'POST',
      `/backfills/${backfillId}/cancel`,
      { reason: 'wrong feed' },
      backfillAuth,
    );
    expect(canceled.json()).toMatchObject({ status: 'canceled', canceledReason: 'wrong feed' });
    const progress = (await h.call('GET', `/backfills/${backfillId}`)).json<BackfillBody>().progress;
    expect(progress?.counts).toEqual({ canceled: 1, leased: 1 });
    const finished = await h.call('POST', `/backfills/${backfillId}/pause`, {}, backfillAuth);
    expect([finished.statusCode, finished.json<{ code: string }>().code]).toEqual([409, 'BACKFILL_FINISHED']);
    const actions = (await h.call('GET', '/audit?page_size=10'))
      .json<{ items: { action: string; reason?: string }[] }>()
      .items.filter((e) => e.action.startsWith('backfill.'));
    expect(actions.map((e) => [e.action, e.reason])).toEqual([
      ['backfill.cancel', 'reingest 2024'],
      ['backfill.resume', 'reingest 2024'],
      ['backfill.pause', 'reingest 2024'],
      ['backfill.create', 'reingest 2024'],
    ]);
    const events = await h.driver.query<{ event_type: string }>(
      `SELECT event_type FROM orch.events WHERE tenant_id = $1 AND event_type LIKE 'operator.backfill.%' ORDER BY event_id`,
      [h.tenant],
    );
    expect(events.map((e) => e.event_type)).toEqual([
      'operator.backfill.create',
      'operator.backfill.pause',
      'operator.backfill.resume',
      'operator.backfill.cancel',
    ]);
    expect((await h.call('POST', `/backfills/${backfillId}/cancel`, {}, backfillAuth)).statusCode).toBe(409);
  });

  it('a live job with an event time advances the watermark; tenants are isolated', async () => {
    const submitted = await h.call('POST', '/jobs', {
      jobType: 'ingest',
      sourceId: 'nvd',
      eventTime: '2024-05-01T12:00:00Z',
    });
    expect(submitted.statusCode).toBe(201);
    const leased = await h.call('POST', '/leases', { jobTypes: ['ingest'], limit: 1, workerId: 'w1' });
    const [lease] = leased.json<{ leases: { leaseId: string; fencingToken: number }[] }>().leases;
    if (lease === undefined) throw new Error('nothing leased');
    const done = await h.call('POST', `/leases/${lease.leaseId}/complete`, {
      fencingToken: lease.fencingToken,
      outcome: 'succeeded',
      result: {},
    });
    expect(done.statusCode).toBe(200);
    const mark = await h.call('GET', '/watermarks/nvd/ingest');
    expect(mark.json()).toMatchObject({
      sourceId: 'nvd',
      jobType: 'ingest',
      watermark: '2024-05-01T12:00:00.000Z',
    });
    expect((await h.call('GET', '/watermarks?sourceId=nvd')).json<{ items: unknown[] }>().items).toHaveLength(
      1,
    );
    const slashed = await h.call('GET', '/watermarks/nvd/feeds%2Fnvd');
    expect(slashed.json()).toMatchObject({
      code: 'WATERMARK_NOT_FOUND',
      details: { sourceId: 'nvd', jobType: 'feeds/nvd' },
    });
    const badTime = await h.call('POST', '/jobs', { jobType: 'ingest', eventTime: 'soon' });
    expect(badTime.statusCode).toBe(400);
    const { backfillId } = (await create({})).json<BackfillBody>();
    const own = (tenantId: string) =>
      h.call('GET', `/backfills/${backfillId}`, undefined, { 'x-stella-tenant': tenantId });
    expect((await own(h.tenant)).statusCode).toBe(200);
    const firstTenant = h.tenant;
    h.newTenant();
    expect((await h.call('GET', `/backfills/${backfillId}`)).statusCode).toBe(404);
    expect((await h.call('GET', '/backfills')).json<{ items: unknown[] }>().items).toEqual([]);
    expect((await h.call('GET', '/watermarks')).json<{ items: unknown[] }>().items).toEqual([]);
    const otherAuth = {
      authorization: `Bearer ${await h.tokenFor({ scopes: ['orch:backfill'], metadata: BACKFILL_METADATA })}`,
    };
    expect((await h.call('POST', `/backfills/${backfillId}/cancel`, {}, otherAuth)).statusCode).toBe(404);
    expect(firstTenant).not.toBe(h.tenant);
  });
});
