import { insertCircuitOutcomes, setBreakerState } from '@stella-orch/testing';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../src/index.js';
import { ledgerEngines, startHarnessOn, type Harness } from './harness.js';
import { parsePrometheus, sumOf } from './prometheus-text.js';

const ENGINES = await ledgerEngines('Circuit breakers API suite');

interface BreakerBody {
  breakerId: string;
  tenantId: string;
  sourceId: string | null;
  jobType: string | null;
  failureRatio: number;
  minVolume: number;
  windowSeconds: number;
  coolDownSeconds: number;
  probeLeases: number;
  state: 'closed' | 'open' | 'half_open';
  stateChangedAt: string;
  openUntil: string | null;
  openedWith: { attempts: number; failures: number } | null;
  window: { successes: number; failures: number };
  probes: { successes: number; failures: number };
  version: number;
}

interface AuditItem {
  action: string;
  resourceId: string;
  reason?: string;
  ticket?: string;
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
}

describe.each(ENGINES)('circuit breakers on %s', (engine) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarnessOn(engine, {
      config: { metrics: { ...DEFAULT_CONFIG.metrics, ledgerCacheMs: 0 } },
    });
  });
  afterAll(async () => {
    await h.close();
  });
  beforeEach(() => {
    h.newTenant();
  });

  const create = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    h.call('POST', '/circuit-breakers', body, headers);
  const audit = async () =>
    (await h.call('GET', '/audit?resourceType=circuit_breaker&page_size=100')).json<{ items: AuditItem[] }>()
      .items;
  const listIds = async (query = '') =>
    (await h.call('GET', `/circuit-breakers${query}`))
      .json<{ items: BreakerBody[] }>()
      .items.map((b) => b.breakerId);

  it('creates, gets, lists, changes (If-Match) and deletes breakers, each audited with the operator’s reason', async () => {
    const created = await create({ jobType: 'scan' });
    expect(created.statusCode).toBe(201);
    expect(created.headers['etag']).toBe('"1"');
    const breaker = created.json<BreakerBody>();
    expect(breaker).toMatchObject({
      tenantId: h.tenant,
      sourceId: null,
      jobType: 'scan',
      failureRatio: 0.5,
      minVolume: 20,
      windowSeconds: 60,
      coolDownSeconds: 30,
      probeLeases: 1,
      state: 'closed',
      openUntil: null,
      openedWith: null,
      window: { successes: 0, failures: 0 },
      probes: { successes: 0, failures: 0 },
      version: 1,
    });
    const got = await h.call('GET', `/circuit-breakers/${breaker.breakerId}`);
    expect(got.statusCode).toBe(200);
    expect(got.headers['etag']).toBe('"1"');
    expect(got.json()).toEqual(breaker);

    await h.call('POST', '/sources', { sourceId: 'nvd', sourceType: 'concelier' });
    const bySource = (
      await create({ sourceId: 'nvd', failureRatio: 0.25, minVolume: 5, windowSeconds: 300 })
    ).json<BreakerBody>();
    expect(bySource).toMatchObject({
      sourceId: 'nvd',
      jobType: null,
      failureRatio: 0.25,
      windowSeconds: 300,
    });
    expect(await listIds()).toEqual([breaker.breakerId, bySource.breakerId]);
    expect(await listIds('?sourceId=nvd')).toEqual([bySource.breakerId]);
    expect(await listIds('?jobType=scan')).toEqual([breaker.breakerId]);
    expect(await listIds('?state=open')).toEqual([]);
    const page = (await h.call('GET', '/circuit-breakers?page_size=1')).json<{
      next_page_token: string | null;
    }>();
    expect(await listIds(`?page_token=${page.next_page_token ?? ''}`)).toEqual([bySource.breakerId]);

    const changed = await h.call(
      'PUT',
      `/circuit-breakers/${breaker.breakerId}`,
      { failureRatio: 0.75, coolDownSeconds: 120 },
      { 'if-match': '"1"' },
    );
    expect(changed.statusCode).toBe(200);
    expect(changed.headers['etag']).toBe('"2"');
    expect(changed.json()).toMatchObject({
      failureRatio: 0.75,
      coolDownSeconds: 120,
      minVolume: 20,
      version: 2,
    });
    const stale = await h.call('PUT', `/circuit-breakers/${breaker.breakerId}`, { minVolume: 3, version: 1 });
    expect(stale.statusCode).toBe(412);
    expect(stale.json()).toMatchObject({
      code: 'CIRCUIT_BREAKER_VERSION_MISMATCH',
      details: { currentVersion: 2 },
    });
    const deleted = await h.call('DELETE', `/circuit-breakers/${bySource.breakerId}`, undefined, {
      'if-match': '"1"',
    });
    expect(deleted.statusCode).toBe(204);
    expect((await h.call('GET', `/circuit-breakers/${bySource.breakerId}`)).statusCode).toBe(404);

    const entries = await audit();
    expect(entries.map((e) => e.action)).toEqual([
      'circuit_breaker.delete',
      'circuit_breaker.update',
      'circuit_breaker.create',
      'circuit_breaker.create',
    ]);
    expect(entries[1]).toMatchObject({
      resourceId: breaker.breakerId,
      reason: 'automated test',
      ticket: 'TEST-0',
      before: { failureRatio: 0.5, version: 1 },
      after: { failureRatio: 0.75, version: 2 },
    });
  });

  it('refuses bad input with 400 VALIDATION_FAILED naming the field, writing nothing', async () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ jobType: 'scan', failureRatio: 0 }, 'failureRatio'],
      [{ jobType: 'scan', failureRatio: 2 }, 'failureRatio'],
      [{ jobType: 'scan', failureRatio: -0.5 }, 'failureRatio'],
      [{}, 'body'],
      [{ sourceId: null, jobType: null }, 'body'],
      [{ sourceId: 'nvd', jobType: 'scan' }, 'body'],
      [{ jobType: 'scan', minVolume: 0 }, 'minVolume'],
      [{ jobType: 'scan', minVolume: 1_000_001 }, 'minVolume'],
      [{ jobType: 'scan', windowSeconds: 5 }, 'windowSeconds'],
      [{ jobType: 'scan', windowSeconds: 86_401 }, 'windowSeconds'],
      [{ jobType: 'scan', coolDownSeconds: 0 }, 'coolDownSeconds'],
      [{ jobType: 'scan', probeLeases: 1_001 }, 'probeLeases'],
      [{ jobType: 'has spaces' }, 'jobType'],
    ];
    for (const [body, path] of bad) {
      const res = await create(body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      const problem = res.json<{ code: string; errors: { path: string }[] }>();
      expect(problem.code).toBe('VALIDATION_FAILED');
      expect(problem.errors.map((e) => e.path)).toContain(path);
    }
    // Types and unknown fields are the schema's.
    for (const body of [
      { jobType: 'scan', failureRatio: '0.5' },
      { jobType: 'scan', minVolume: 2.5 },
      { jobType: 'scan', extra: 1 },
      { jobType: 7 },
    ]) {
      const res = await create(body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    }
    expect((await h.call('GET', '/circuit-breakers?state=broken')).statusCode).toBe(400);
    expect(await listIds()).toEqual([]);
    expect(await audit()).toEqual([]);

    const { breakerId } = (await create({ jobType: 'scan' })).json<BreakerBody>();
    for (const body of [{}, { failureRatio: 0 }, { failureRatio: 2 }, { state: 'closed' }]) {
      const res = await h.call('PUT', `/circuit-breakers/${breakerId}`, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
    }
    expect(
      (await h.call('PUT', `/circuit-breakers/${breakerId}`, { minVolume: 5 }, { 'if-match': 'v1' }))
        .statusCode,
    ).toBe(400);
    expect((await audit()).map((e) => e.action)).toEqual(['circuit_breaker.create']);
  });

  it('refuses an unknown source, or another tenant’s, with 404 SOURCE_NOT_FOUND, writing nothing', async () => {
    const unknown = await create({ sourceId: 'nope' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: 'SOURCE_NOT_FOUND', details: { sourceId: 'nope' } });
    const mine = h.tenant;
    h.newTenant();
    await h.call('POST', '/sources', { sourceId: 'theirs', sourceType: 'concelier' });
    h.tenant = mine;
    expect((await create({ sourceId: 'theirs' })).statusCode).toBe(404);
    expect(await listIds()).toEqual([]);
    expect(await audit()).toEqual([]);
  });

  it('answers 409 CIRCUIT_BREAKER_EXISTS for a second breaker on a scope, and an idempotent repeat with the first', async () => {
    const first = await create({ jobType: 'scan', minVolume: 5 }, { 'idempotency-key': 'cb-1' });
    const { breakerId } = first.json<BreakerBody>();
    const taken = await create({ jobType: 'scan' });
    expect(taken.statusCode).toBe(409);
    expect(taken.json()).toMatchObject({
      code: 'CIRCUIT_BREAKER_EXISTS',
      details: { breakerId, jobType: 'scan' },
    });
    const again = await create({ jobType: 'scan', minVolume: 5 }, { 'idempotency-key': 'cb-1' });
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    const reused = await create({ jobType: 'other' }, { 'idempotency-key': 'cb-1' });
    expect(reused.statusCode).toBe(409);
    expect(reused.json()).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
    expect((await audit()).map((e) => e.action)).toEqual(['circuit_breaker.create']);
  });

  it('answers the window’s counts, the state, openUntil and stateChangedAt', async () => {
    const { breakerId } = (await create({ jobType: 'scan', windowSeconds: 60 })).json<BreakerBody>();
    await insertCircuitOutcomes(h.driver, h.tenant, breakerId, { secondsAgo: 0, successes: 2, failures: 7 });
    await insertCircuitOutcomes(h.driver, h.tenant, breakerId, {
      secondsAgo: 3_600,
      successes: 9,
      failures: 9,
    });
    await setBreakerState(h.driver, h.tenant, breakerId, 'open', { openForSeconds: 120 });
    const open = (await h.call('GET', `/circuit-breakers/${breakerId}`)).json<BreakerBody>();
    expect(open).toMatchObject({
      state: 'open',
      window: { successes: 2, failures: 7 },
      openedWith: { attempts: 20, failures: 15 },
    });
    const openFor = Date.parse(open.openUntil ?? '') - Date.parse(open.stateChangedAt);
    expect(openFor).toBeGreaterThan(119_000);
    expect(openFor).toBeLessThanOrEqual(120_000);
    expect(await listIds('?state=open')).toEqual([breakerId]);
  });

  it('reset closes an open breaker (audited, with a circuit.closed event) and lets its jobs through; a closed one is left alone', async () => {
    const job = (await h.call('POST', '/jobs', { jobType: 'scan' })).json<{ jobId: string }>().jobId;
    const { breakerId } = (await create({ jobType: 'scan' })).json<BreakerBody>();
    const untouched = await h.call('POST', `/circuit-breakers/${breakerId}/reset`);
    expect(untouched.statusCode).toBe(200);
    expect(untouched.json()).toMatchObject({ state: 'closed', version: 1 });
    expect((await audit()).map((e) => e.action)).toEqual(['circuit_breaker.create']);

    await setBreakerState(h.driver, h.tenant, breakerId, 'open', { openForSeconds: 600 });
    await insertCircuitOutcomes(h.driver, h.tenant, breakerId, { secondsAgo: 0, successes: 0, failures: 25 });
    const lease = async () =>
      (await h.call('POST', '/leases', { jobTypes: ['scan'], limit: 10, workerId: 'w1' }))
        .json<{ leases: { job: { jobId: string } }[] }>()
        .leases.map((l) => l.job.jobId);
    // Open: the job waits, and why names the breaker.
    expect(await lease()).toEqual([]);
    const why = (await h.call('GET', `/jobs/${job}/why`)).json<{ conditions: { code: string }[] }>();
    expect(why.conditions.map((c) => c.code)).toContain('CIRCUIT_OPEN');

    const reset = await h.call(
      'POST',
      `/circuit-breakers/${breakerId}/reset`,
      {},
      {
        'x-stella-operator-reason': 'upstream fixed',
      },
    );
    expect(reset.statusCode).toBe(200);
    expect(reset.json()).toMatchObject({
      state: 'closed',
      openUntil: null,
      window: { successes: 0, failures: 0 },
      version: 1,
      updatedBy: 'harness-admin',
    });
    expect(await lease()).toEqual([job]);
    const [entry] = await audit();
    expect(entry).toMatchObject({
      action: 'circuit_breaker.reset',
      reason: 'automated test',
      before: { state: 'open' },
      after: { state: 'closed', openUntil: null },
    });
    const events = await h.driver.query<{ event_type: string; actor: string; data: Record<string, unknown> }>(
      `SELECT event_type, actor, data FROM orch.events WHERE tenant_id = $1 AND event_type = 'circuit.closed'`,
      [h.tenant],
    );
    expect(events).toEqual([
      {
        event_type: 'circuit.closed',
        actor: 'harness-admin',
        data: {
          breakerId,
          sourceId: null,
          jobType: 'scan',
          from: 'open',
          to: 'closed',
          openUntil: null,
          reason: 'reset by harness-admin',
        },
      },
    ]);
  });

  it('hides another tenant’s breakers (404) and needs orch:operate to change, orch:read to read', async () => {
    const { breakerId } = (await create({ jobType: 'scan' })).json<BreakerBody>();
    const mine = h.tenant;
    const other = {
      authorization: `Bearer ${await h.tokenFor({
        tenant: h.newTenant(),
        metadata: { operator_reason: 'r', operator_ticket: 't' },
      })}`,
    };
    for (const [method, path, body] of [
      ['GET', `/circuit-breakers/${breakerId}`, undefined],
      ['PUT', `/circuit-breakers/${breakerId}`, { minVolume: 2 }],
      ['DELETE', `/circuit-breakers/${breakerId}`, undefined],
      ['POST', `/circuit-breakers/${breakerId}/reset`, {}],
      ['GET', `/circuit-breakers/${randomUUID()}`, undefined],
      ['GET', '/circuit-breakers/not-a-uuid', undefined],
      ['POST', '/circuit-breakers/not-a-uuid/reset', {}],
    ] as const) {
      const res = await h.call(method, path, body, other);
      expect(res.statusCode, `${method} ${path}`).toBe(404);
      expect(res.json()).toMatchObject({ code: 'CIRCUIT_BREAKER_NOT_FOUND' });
    }
    expect((await h.call('GET', '/circuit-breakers', undefined, other)).json()).toEqual({
      items: [],
      next_page_token: null,
    });
    h.tenant = mine;
    const reader = { authorization: `Bearer ${await h.tokenFor({ scopes: ['orch:read'] })}` };
    expect((await h.call('GET', `/circuit-breakers/${breakerId}`, undefined, reader)).statusCode).toBe(200);
    for (const [method, path, body] of [
      ['POST', '/circuit-breakers', { jobType: 'other' }],
      ['PUT', `/circuit-breakers/${breakerId}`, { minVolume: 2 }],
      ['DELETE', `/circuit-breakers/${breakerId}`, undefined],
      ['POST', `/circuit-breakers/${breakerId}/reset`, {}],
    ] as const) {
      const refused = await h.call(method, path, body, reader);
      expect(refused.statusCode, `${method} ${path}`).toBe(403);
      expect(refused.json()).toMatchObject({
        code: 'INSUFFICIENT_SCOPE',
        details: { requiredScope: 'orch:operate' },
      });
    }
    // orch:operate without a reason and ticket (an external issuer's token) is refused before anything runs.
    const bare = { authorization: `Bearer ${await h.tokenFor({ scopes: ['orch:operate'] })}` };
    expect((await h.call('POST', '/circuit-breakers', { jobType: 'other' }, bare)).statusCode).toBe(400);
    expect((await audit()).map((e) => e.action)).toEqual(['circuit_breaker.create']);
  });

  it('documents the routes, their scopes’ answers and the breaker schema in the OpenAPI document', async () => {
    const doc = (await h.call('GET', '/.well-known/openapi')).json<{
      paths: Record<string, Record<string, { tags?: string[]; responses: Record<string, unknown> }>>;
    }>();
    const base = '/api/v1/orchestrator/circuit-breakers';
    expect(Object.keys(doc.paths[base] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths[`${base}/{breakerId}`] ?? {}).sort()).toEqual(['delete', 'get', 'put']);
    const reset = doc.paths[`${base}/{breakerId}/reset`]?.['post'];
    expect(reset?.tags).toEqual(['circuit-breakers']);
    expect(Object.keys(reset?.responses ?? {}).sort()).toEqual(['200', '400', '404']);
  });

  it('exports stella_orch_circuit_breakers by tenant and state, every state of a tenant with breakers', async () => {
    const { breakerId } = (await create({ jobType: 'scan' })).json<BreakerBody>();
    await create({ jobType: 'ingest' });
    await setBreakerState(h.driver, h.tenant, breakerId, 'open');
    const samples = parsePrometheus(await h.metrics.render());
    const of = (state: string) => sumOf(samples, 'stella_orch_circuit_breakers', { tenant: h.tenant, state });
    expect([of('closed'), of('open'), of('half_open')]).toEqual([1, 1, 0]);
    expect(
      samples.some(
        (s) =>
          s.name === 'stella_orch_circuit_breakers' &&
          s.labels['state'] === 'half_open' &&
          s.labels['tenant'] === h.tenant,
      ),
    ).toBe(true);
  });
});
