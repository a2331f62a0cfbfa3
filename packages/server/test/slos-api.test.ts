import { ageOutcomes, insertOutcomes } from '@stella-orch/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ledgerEngines, startHarnessOn, type Harness } from './harness.js';

const ENGINES = await ledgerEngines('SLO API suite');
const HOUR = 3_600;

describe.each(ENGINES)('SLOs and incidents on %s', (engine) => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarnessOn(engine);
  });
  beforeEach(() => {
    h.newTenant();
  });
  afterAll(async () => {
    await h.close();
  });

  const createSlo = async (body: Record<string, unknown>) => {
    const response = await h.call('POST', '/slos', body);
    expect(response.statusCode, response.body).toBe(201);
    return response.json<{ sloId: string; name: string }>();
  };
  const auditActions = async () =>
    (await h.call('GET', '/audit?page_size=100'))
      .json<{ items: { action: string }[] }>()
      .items.map((entry) => entry.action)
      .reverse();
  const eventTypes = async (tenant: string) =>
    (
      await h.driver.query<{ event_type: string }>(
        'SELECT event_type FROM orch.events WHERE tenant_id = $1 ORDER BY event_id',
        [tenant],
      )
    ).map((row) => row.event_type);
  const sloCount = async () =>
    (
      await h.driver.query<{ n: number }>('SELECT count(*)::int AS n FROM orch.slos WHERE tenant_id = $1', [
        h.tenant,
      ])
    )[0]?.n;

  it('creates, reads, lists, changes and deletes an SLO, each change audited with its event', async () => {
    const slo = await createSlo({ name: 'ingest success', objective: 0.99, jobType: 'ingest' });
    expect(slo).toMatchObject({
      name: 'ingest success',
      objective: 0.99,
      jobType: 'ingest',
      sourceId: null,
      windowSeconds: 2_592_000,
      alertPolicy: { fastBurnThreshold: 14.4, slowBurnThreshold: 6 },
      pauseSourceOnIncident: false,
      createdBy: 'harness-admin',
    });
    const got = await h.call('GET', `/slos/${slo.sloId}`);
    expect(got.json()).toEqual(slo);
    const list = await h.call('GET', '/slos?page_size=10');
    expect(list.json()).toEqual({ items: [slo], next_page_token: null });

    const patched = await h.call('PATCH', `/slos/${slo.sloId}`, {
      objective: 0.995,
      windowSeconds: 7 * 86_400,
      alertPolicy: { fastBurnThreshold: 10 },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({
      objective: 0.995,
      windowSeconds: 604_800,
      alertPolicy: { fastBurnThreshold: 10, slowBurnThreshold: 6 },
    });

    const deleted = await h.call('DELETE', `/slos/${slo.sloId}`);
    expect(deleted.statusCode).toBe(204);
    expect((await h.call('GET', `/slos/${slo.sloId}`)).json()).toMatchObject({ code: 'SLO_NOT_FOUND' });

    expect(await auditActions()).toEqual(['slo.create', 'slo.update', 'slo.delete']);
    const [entry] = (await h.call('GET', '/audit?action=slo.update')).json<{
      items: Record<string, unknown>[];
    }>().items;
    expect(entry).toMatchObject({
      resourceType: 'slo',
      resourceId: slo.sloId,
      before: { objective: 0.99, fastBurnThreshold: 14.4 },
      after: { objective: 0.995, fastBurnThreshold: 10 },
      reason: 'automated test',
      ticket: 'TEST-0',
    });
    expect(await eventTypes(h.tenant)).toEqual([
      'operator.slo.create',
      'operator.slo.update',
      'operator.slo.delete',
    ]);
  });

  it('refuses bad input with problem+json codes and writes nothing', async () => {
    const slo = await createSlo({ name: 'api', objective: 0.9 });
    const cases: [string, string, unknown, number, string][] = [
      ['POST', '/slos', { name: 'x', objective: 1 }, 400, 'VALIDATION_FAILED'],
      ['POST', '/slos', { name: 'x', objective: 0 }, 400, 'VALIDATION_FAILED'],
      ['POST', '/slos', { name: 'x', objective: '0.9' }, 400, 'VALIDATION_FAILED'],
      ['POST', '/slos', { name: 'x' }, 400, 'VALIDATION_FAILED'],
      ['POST', '/slos', { name: 'x', objective: 0.9, windowSeconds: 60 }, 400, 'VALIDATION_FAILED'],
      ['POST', '/slos', { name: 'x', objective: 0.9, windowSeconds: 91 * 86_400 }, 400, 'VALIDATION_FAILED'],
      [
        'POST',
        '/slos',
        { name: 'x', objective: 0.9, alertPolicy: { fastBurnThreshold: 0 } },
        400,
        'VALIDATION_FAILED',
      ],
      ['POST', '/slos', { name: 'x', objective: 0.9, pauseSourceOnIncident: true }, 400, 'VALIDATION_FAILED'],
      ['POST', '/slos', { name: 'x', objective: 0.9, colour: 'red' }, 400, 'VALIDATION_FAILED'],
      ['POST', '/slos', { name: 'api', objective: 0.95 }, 409, 'SLO_NAME_TAKEN'],
      ['PATCH', `/slos/${slo.sloId}`, {}, 400, 'VALIDATION_FAILED'],
      ['PATCH', `/slos/${slo.sloId}`, { objective: 1.5 }, 400, 'VALIDATION_FAILED'],
      ['PATCH', '/slos/00000000-0000-4000-8000-000000000000', { objective: 0.5 }, 404, 'SLO_NOT_FOUND'],
      ['DELETE', '/slos/not-a-uuid', undefined, 404, 'SLO_NOT_FOUND'],
      ['GET', '/slos/00000000-0000-4000-8000-000000000000/burn-rate', undefined, 404, 'SLO_NOT_FOUND'],
      ['GET', '/slos?page_token=garbage', undefined, 400, 'INVALID_CURSOR'],
      ['GET', '/incidents?status=burning', undefined, 400, 'VALIDATION_FAILED'],
      ['GET', '/incidents/00000000-0000-4000-8000-000000000000', undefined, 404, 'INCIDENT_NOT_FOUND'],
    ];
    for (const [method, path, body, status, code] of cases) {
      const response = await h.call(method as 'GET', path, body);
      expect(response.statusCode, `${method} ${path} ${JSON.stringify(body)}`).toBe(status);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json()).toMatchObject({ code });
    }
    expect(await sloCount()).toBe(1);
    expect((await h.call('GET', `/slos/${slo.sloId}`)).json()).toEqual(slo);
    expect(await auditActions()).toEqual(['slo.create']);
  });

  it('needs orch:read to read and orch:operate with a reason and ticket to write', async () => {
    const slo = await createSlo({ name: 'api', objective: 0.9 });
    const reader = { authorization: `Bearer ${await h.tokenFor({ scopes: ['orch:read'] })}` };
    expect((await h.call('GET', '/slos', undefined, reader)).statusCode).toBe(200);
    expect((await h.call('GET', `/slos/${slo.sloId}/burn-rate`, undefined, reader)).statusCode).toBe(200);
    expect((await h.call('GET', '/incidents', undefined, reader)).statusCode).toBe(200);
    const refused = await h.call('POST', '/slos', { name: 'b', objective: 0.9 }, reader);
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'INSUFFICIENT_SCOPE' });
    expect((await h.call('DELETE', `/slos/${slo.sloId}`, undefined, reader)).statusCode).toBe(403);
    const operatorWithoutTicket = {
      authorization: `Bearer ${await h.tokenFor({ scopes: ['orch:operate'], metadata: { operator_reason: 'x' } })}`,
    };
    const noTicket = await h.call('POST', '/slos', { name: 'b', objective: 0.9 }, operatorWithoutTicket);
    expect(noTicket.statusCode).toBe(400);
    expect((await h.call('GET', '/slos', undefined, { authorization: '' })).statusCode).toBe(401);
    expect(await sloCount()).toBe(1);
  });

  it('keeps tenants apart: another tenant’s SLO and incidents are 404', async () => {
    const slo = await createSlo({ name: 'api', objective: 0.99 });
    await insertOutcomes(h.driver, h.tenant, { status: 'failed', count: 10, secondsAgo: 60 });
    const [evaluation] = (await h.slos.evaluateTenant(h.tenant)).filter((e) => e.sloId === slo.sloId);
    const incidentId = evaluation?.openIncidentId ?? '';
    expect(incidentId).not.toBe('');
    const owner = h.tenant;
    h.newTenant();
    for (const path of [`/slos/${slo.sloId}`, `/slos/${slo.sloId}/burn-rate`]) {
      expect((await h.call('GET', path)).json()).toMatchObject({ code: 'SLO_NOT_FOUND' });
    }
    expect((await h.call('PATCH', `/slos/${slo.sloId}`, { objective: 0.5 })).statusCode).toBe(404);
    expect((await h.call('DELETE', `/slos/${slo.sloId}`)).statusCode).toBe(404);
    expect((await h.call('GET', `/incidents/${incidentId}`)).json()).toMatchObject({
      code: 'INCIDENT_NOT_FOUND',
    });
    expect((await h.call('GET', '/slos')).json()).toEqual({ items: [], next_page_token: null });
    expect((await h.call('GET', '/incidents')).json()).toEqual({ items: [], next_page_token: null });
    // The owner still has it, unchanged.
    h.tenant = owner;
    expect((await h.call('GET', `/slos/${slo.sloId}`)).json()).toMatchObject({ objective: 0.99 });
  });

  it('reports burn rates on fixed data', async () => {
    const slo = await createSlo({
      name: 'ingest',
      objective: 0.99,
      jobType: 'ingest',
      windowSeconds: 2 * 86_400,
    });
    const put = (status: 'succeeded' | 'failed' | 'canceled', count: number, secondsAgo: number) =>
      insertOutcomes(h.driver, h.tenant, { status, count, secondsAgo, jobType: 'ingest' });
    await put('succeeded', 95, 600);
    await put('failed', 5, 900);
    await put('canceled', 100, 600);
    await put('succeeded', 300, 3 * HOUR);
    await put('failed', 100, 30 * HOUR);
    await put('succeeded', 500, 10 * 86_400);
    const response = await h.call('GET', `/slos/${slo.sloId}/burn-rate`);
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json<Record<string, unknown>>();
    expect(body).toMatchObject({
      sloId: slo.sloId,
      name: 'ingest',
      objective: 0.99,
      windows: {
        '1h': { good: 95, bad: 5, total: 100, errorRatio: 0.05, burnRate: 5 },
        '6h': { good: 395, bad: 5, total: 400, errorRatio: 0.0125, burnRate: 1.25 },
        '24h': { good: 395, bad: 5, total: 400, burnRate: 1.25 },
        '30d': { good: 895, bad: 105, total: 1_000, errorRatio: 0.105, burnRate: 10.5 },
      },
      errorBudget: {
        windowSeconds: 172_800,
        good: 395,
        bad: 105,
        total: 500,
        errorRatio: 0.21,
        allowedFailures: 5,
        consumed: 21,
        remaining: -20,
      },
      alerts: { fast: false, slow: false },
      openIncident: null,
    });
    expect(Date.parse(body['asOf'] as string)).not.toBeNaN();
  });

  it('enters incident mode on enough failures and leaves it on recovery, with events', async () => {
    const slo = await createSlo({ name: 'checkout', objective: 0.99, jobType: 'checkout' });
    const put = (status: 'succeeded' | 'failed', count: number, secondsAgo: number) =>
      insertOutcomes(h.driver, h.tenant, { status, count, secondsAgo, jobType: 'checkout' });
    await put('succeeded', 90, 300);
    await put('failed', 10, 300); // burn(1 h) = 10: below 14.4; burn(6 h) = 10 > 6: slow alert
    await h.slos.evaluateAll();
    const open = (await h.call('GET', '/incidents?status=open')).json<{ items: Record<string, unknown>[] }>();
    expect(open.items).toHaveLength(1);
    const incident = open.items[0] ?? {};
    expect(incident).toMatchObject({
      sloId: slo.sloId,
      status: 'open',
      trigger: 'slow',
      burnRatesAtOpen: { '1h': 10, '6h': 10 },
      resolvedAt: null,
      pausedSourceId: null,
      sourcePaused: false,
    });
    const burn = (await h.call('GET', `/slos/${slo.sloId}/burn-rate`)).json();
    expect(burn).toMatchObject({
      alerts: { fast: false, slow: true },
      openIncident: { incidentId: incident['incidentId'] },
    });

    // Another pass (or replica) opens nothing more.
    await h.slos.evaluateAll();
    expect(
      (await h.call('GET', `/incidents?slo_id=${slo.sloId}`)).json<{ items: unknown[] }>().items,
    ).toHaveLength(1);

    // Six hours later the failures have left every alerting window; the jobs since then succeeded.
    await ageOutcomes(h.driver, h.tenant, 6 * HOUR + 60);
    await put('succeeded', 50, 60);
    await h.slos.evaluateAll();
    const resolved = (await h.call('GET', `/incidents/${String(incident['incidentId'])}`)).json();
    expect(resolved).toMatchObject({ status: 'resolved', burnRatesAtResolve: { '1h': 0, '6h': 0 } });
    expect((await h.call('GET', '/incidents?status=open')).json<{ items: unknown[] }>().items).toHaveLength(
      0,
    );
    expect(
      (await h.call('GET', '/incidents?status=resolved')).json<{ items: unknown[] }>().items,
    ).toHaveLength(1);

    const incidentEvents = (await eventTypes(h.tenant)).filter((type) => type.startsWith('incident.'));
    expect(incidentEvents).toEqual(['incident.opened', 'incident.resolved']);
  });

  it('pauses the affected source when the SLO asks for it: an audited pause that holds its jobs', async () => {
    const registered = await h.call('POST', '/sources', { sourceId: 'nvd', sourceType: 'concelier' });
    expect(registered.statusCode, registered.body).toBe(201);
    const slo = await createSlo({
      name: 'nvd-ingest',
      objective: 0.99,
      sourceId: 'nvd',
      pauseSourceOnIncident: true,
    });
    await insertOutcomes(h.driver, h.tenant, {
      status: 'failed',
      count: 20,
      secondsAgo: 60,
      sourceId: 'nvd',
    });
    await h.slos.evaluateAll();

    const open = (await h.call('GET', '/incidents?status=open')).json<{ items: Record<string, unknown>[] }>();
    expect(open.items).toHaveLength(1);
    expect(open.items[0]).toMatchObject({ sloId: slo.sloId, pausedSourceId: 'nvd', sourcePaused: true });
    const source = (await h.call('GET', '/sources/nvd')).json<{ paused: boolean; pauseReason: string }>();
    expect(source.paused).toBe(true);
    expect(source.pauseReason).toContain(String(open.items[0]?.['incidentId']));

    const pause = (await h.call('GET', '/audit?action=source.pause')).json<{
      items: { actor: { subject: string }; reason?: string }[];
    }>().items;
    expect(pause).toHaveLength(1);
    expect(pause[0]?.actor.subject).toBe('system:incident-mode');
    expect(await eventTypes(h.tenant)).toContain('operator.source.pause');

    // A job of the paused source is held: a worker leases nothing of it.
    const job = await h.call('POST', '/jobs', { jobType: 'ingest', sourceId: 'nvd', payload: {} });
    expect(job.statusCode, job.body).toBe(201);
    const lease = await h.call('POST', '/leases', { workerId: 'w1', jobTypes: ['ingest'], limit: 5 });
    expect(lease.statusCode, lease.body).toBe(200);
    expect(lease.json<{ leases: unknown[] }>().leases).toHaveLength(0);
  });

  it('exposes the burn-rate and open-incident gauges', async () => {
    const slo = await createSlo({ name: 'gauge', objective: 0.9 });
    await insertOutcomes(h.driver, h.tenant, { status: 'failed', count: 3, secondsAgo: 60 });
    await h.slos.evaluateAll();
    const text = await h.metrics.render();
    expect(text).toContain(
      `stella_orch_slo_burn_rate{tenant="${h.tenant}",slo="${slo.sloId}",window="1h"} 10`,
    );
    expect(text).toContain(`stella_orch_incidents_open{tenant="${h.tenant}"} 1`);
  });
});
