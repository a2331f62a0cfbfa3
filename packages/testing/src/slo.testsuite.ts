import { randomUUID } from 'node:crypto';
import {
  SloService,
  type AuditTrail,
  type SloChangeContext,
  type SloStore,
  type SourcePauser,
} from '@stella-orch/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { operatorAudit, type LedgerSql } from './audit-fixtures.js';
import { expectCode } from './job-store-fixtures.js';
import { ageOutcomes, insertOutcomes } from './slo-fixtures.js';

/** Makes the SLO store and audit trail under test (one database), raw SQL on it, and the cleanup. */
export type SloStoreFactory = () => Promise<{
  readonly slos: SloStore;
  readonly audit: AuditTrail;
  readonly sql: LedgerSql;
  cleanup(): Promise<void>;
}>;

const OPERATOR = { subject: 'sre-on-call', clientId: 'console', scopes: ['orch:operate'] };
const HOUR = 3_600;
const DAY = 86_400;

function change(): SloChangeContext {
  return { actor: OPERATOR, audit: operatorAudit() };
}

const systemIds = { uuid: () => randomUUID(), random: () => Math.random() };

/** A source pauser that remembers what it was asked (the sources feature provides the real one). */
function recordingPauser(): SourcePauser & { readonly calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    pause: (tenantId, sourceId) => {
      calls.push(`${tenantId}/${sourceId}`);
      return Promise.resolve(true);
    },
  };
}

interface EventRow {
  event_type: string;
  actor: string;
  correlation_id: string | null;
  data: Record<string, unknown>;
}

/**
 * The conformance suite of the {@link SloStore} port: SLOs round-trip with their audit entries, outcome
 * counts over every window come from fixed data (jobs inserted with chosen completion times), at most one
 * incident of an SLO is open, and opening and resolving write their events in the same transaction. The
 * evaluation of {@link SloService} runs on the store: incident mode on, and off again.
 *
 * @param name - the adapter under test, as the suite's title
 * @param factory - makes the store (called once, before the tests) and the cleanup (after them)
 */
export function sloStoreConformance(name: string, factory: SloStoreFactory): void {
  describe(`SloStore conformance: ${name}`, () => {
    let ctx: Awaited<ReturnType<SloStoreFactory>>;
    beforeAll(async () => {
      ctx = await factory();
    });
    afterAll(async () => {
      await ctx.cleanup();
    });

    const tenant = () => `tenant-${randomUUID()}`;
    const service = (pauser?: SourcePauser) =>
      new SloService({ store: ctx.slos, ids: systemIds, ...(pauser === undefined ? {} : { pauser }) });
    const events = (tenantId: string) =>
      ctx.sql.query<EventRow>(
        `SELECT event_type, actor, correlation_id, data FROM orch.events WHERE tenant_id = $1 ORDER BY event_id`,
        [tenantId],
      );
    const auditActions = async (tenantId: string) =>
      (await ctx.audit.forTenant(tenantId).listAuditEntries({ pageSize: 100 })).items
        .map((entry) => entry.action)
        .reverse();

    test('an SLO round-trips; create, update and delete are audited with their events', async () => {
      const tenantId = tenant();
      const slos = service();
      const created = await slos.createSlo(
        tenantId,
        { name: 'ingest success', objective: 0.995, jobType: 'ingest', windowSeconds: 7 * DAY },
        change(),
      );
      expect(created).toMatchObject({
        tenantId,
        name: 'ingest success',
        description: null,
        jobType: 'ingest',
        sourceId: null,
        objective: 0.995,
        windowSeconds: 604_800,
        alertPolicy: { fastBurnThreshold: 14.4, slowBurnThreshold: 6 },
        pauseSourceOnIncident: false,
        createdBy: 'sre-on-call',
        updatedBy: 'sre-on-call',
      });
      expect(await slos.getSlo(tenantId, created.sloId)).toEqual(created);

      const updated = await slos.updateSlo(
        tenantId,
        created.sloId,
        { objective: 0.99, alertPolicy: { slowBurnThreshold: 3 }, sourceId: 'feed-1' },
        change(),
      );
      expect(updated).toMatchObject({
        objective: 0.99,
        sourceId: 'feed-1',
        alertPolicy: { fastBurnThreshold: 14.4, slowBurnThreshold: 3 },
      });
      // A patch that changes nothing records nothing.
      expect(await slos.updateSlo(tenantId, created.sloId, { objective: 0.99 }, change())).toEqual(updated);
      expect(await slos.deleteSlo(tenantId, created.sloId, change())).toEqual(updated);
      expect(await ctx.slos.forTenant(tenantId).getSlo(created.sloId)).toBeNull();

      expect(await auditActions(tenantId)).toEqual(['slo.create', 'slo.update', 'slo.delete']);
      const entries = (await ctx.audit.forTenant(tenantId).listAuditEntries({ pageSize: 10 })).items;
      const update = entries.find((entry) => entry.action === 'slo.update');
      expect(update).toMatchObject({
        resourceType: 'slo',
        resourceId: created.sloId,
        before: { objective: 0.995, sourceId: null, slowBurnThreshold: 6 },
        after: { objective: 0.99, sourceId: 'feed-1', slowBurnThreshold: 3 },
        reason: 'nightly maintenance',
      });
      expect((await events(tenantId)).map((event) => event.event_type)).toEqual([
        'operator.slo.create',
        'operator.slo.update',
        'operator.slo.delete',
      ]);
    });

    test('bad definitions, taken names and unknown SLOs are refused and write nothing', async () => {
      const tenantId = tenant();
      const slos = service();
      const first = await slos.createSlo(tenantId, { name: 'api', objective: 0.99 }, change());
      const second = await slos.createSlo(tenantId, { name: 'batch', objective: 0.9 }, change());
      await expectCode(
        slos.createSlo(tenantId, { name: 'api', objective: 0.95 }, change()),
        'SLO_NAME_TAKEN',
      );
      await expectCode(slos.updateSlo(tenantId, second.sloId, { name: 'api' }, change()), 'SLO_NAME_TAKEN');
      for (const objective of [0, 1, 1.2]) {
        await expectCode(slos.createSlo(tenantId, { name: 'x', objective }, change()), 'VALIDATION_FAILED');
      }
      await expectCode(
        slos.createSlo(tenantId, { name: 'x', objective: 0.9, windowSeconds: 60 }, change()),
        'VALIDATION_FAILED',
      );
      await expectCode(
        slos.updateSlo(tenantId, first.sloId, { alertPolicy: { fastBurnThreshold: 0 } }, change()),
        'VALIDATION_FAILED',
      );
      await expectCode(
        slos.updateSlo(tenantId, first.sloId, { pauseSourceOnIncident: true }, change()),
        'VALIDATION_FAILED',
      );
      await expectCode(slos.updateSlo(tenantId, randomUUID(), { objective: 0.9 }, change()), 'SLO_NOT_FOUND');
      await expectCode(slos.deleteSlo(tenantId, 'not-a-uuid', change()), 'SLO_NOT_FOUND');
      // Another tenant's SLO does not exist for this one.
      await expectCode(slos.getSlo(tenant(), first.sloId), 'SLO_NOT_FOUND');
      await expectCode(slos.deleteSlo(tenant(), first.sloId, change()), 'SLO_NOT_FOUND');
      expect(await slos.getSlo(tenantId, first.sloId)).toEqual(first);
      expect(await slos.getSlo(tenantId, second.sloId)).toEqual(second);
      expect(await auditActions(tenantId)).toEqual(['slo.create', 'slo.create']);
    });

    test('SLOs list newest first, a page at a time', async () => {
      const tenantId = tenant();
      const slos = service();
      const made = [];
      for (const n of [1, 2, 3, 4, 5])
        made.push(await slos.createSlo(tenantId, { name: `slo ${n}`, objective: 0.9 }, change()));
      const first = await slos.listSlos(tenantId, { pageSize: 2 });
      expect(first.items.map((slo) => slo.name)).toEqual(['slo 5', 'slo 4']);
      const second = await slos.listSlos(tenantId, { pageSize: 2, pageToken: first.nextPageToken ?? '' });
      const third = await slos.listSlos(tenantId, { pageSize: 2, pageToken: second.nextPageToken ?? '' });
      expect([...second.items, ...third.items].map((slo) => slo.name)).toEqual(['slo 3', 'slo 2', 'slo 1']);
      expect(third.nextPageToken).toBeNull();
      await expectCode(slos.listSlos(tenantId, { pageSize: 2, pageToken: 'garbage' }), 'INVALID_CURSOR');
      expect(await ctx.slos.listSloTenants()).toContain(tenantId);
    });

    test('outcomes are counted per window from fixed data, in the SLO’s scope only', async () => {
      const tenantId = tenant();
      const slos = service();
      const slo = await slos.createSlo(
        tenantId,
        { name: 'ingest', objective: 0.99, jobType: 'ingest', windowSeconds: 7 * DAY },
        change(),
      );
      const put = (
        status: 'succeeded' | 'failed' | 'canceled',
        count: number,
        secondsAgo: number,
        jobType = 'ingest',
      ) => insertOutcomes(ctx.sql, tenantId, { status, count, secondsAgo, jobType });
      await put('succeeded', 90, 10 * 60); // 10 minutes ago
      await put('failed', 10, 30 * 60);
      await put('succeeded', 100, 3 * HOUR);
      await put('failed', 5, 5 * HOUR);
      await put('succeeded', 200, 12 * HOUR);
      await put('failed', 20, 2 * DAY);
      await put('succeeded', 1_000, 10 * DAY);
      await put('failed', 1, 40 * DAY); // outside every window
      await put('canceled', 50, 10 * 60); // never counted
      await put('failed', 500, 10 * 60, 'export'); // another job type
      await insertOutcomes(ctx.sql, tenant(), { status: 'failed', count: 100, secondsAgo: 60 }); // another tenant

      const counts = await ctx.slos.forTenant(tenantId).countOutcomes(slo);
      expect(counts.windows).toEqual({
        '1h': { good: 90, bad: 10 },
        '6h': { good: 190, bad: 15 },
        '24h': { good: 390, bad: 15 },
        '30d': { good: 1_390, bad: 35 },
      });
      expect(counts.sloWindow).toEqual({ good: 390, bad: 35 });

      const status = await slos.burnStatus(tenantId, slo.sloId);
      expect(status.report.windows['1h']).toEqual({
        good: 90,
        bad: 10,
        total: 100,
        errorRatio: 0.1,
        burnRate: 10,
      });
      expect(status.report.windows['6h'].burnRate).toBeCloseTo(15 / 205 / 0.01, 9);
      expect(status.report.errorBudget).toMatchObject({ total: 425, bad: 35, windowSeconds: 604_800 });
      expect(status.alerts).toEqual({ fast: false, slow: true });
      expect(status.openIncident).toBeNull();

      // Every job type: the export failures count too.
      const all = await slos.createSlo(tenantId, { name: 'all', objective: 0.99 }, change());
      expect((await ctx.slos.forTenant(tenantId).countOutcomes(all)).windows['1h']).toEqual({
        good: 90,
        bad: 510,
      });
      // An idle scope: zero totals, burn rate 0.
      const idle = await slos.createSlo(
        tenantId,
        { name: 'idle', objective: 0.99, jobType: 'none' },
        change(),
      );
      const idleStatus = await slos.burnStatus(tenantId, idle.sloId);
      expect(idleStatus.report.windows['1h']).toEqual({
        good: 0,
        bad: 0,
        total: 0,
        errorRatio: 0,
        burnRate: 0,
      });
    });

    test('counts by source', async () => {
      const tenantId = tenant();
      await insertOutcomes(ctx.sql, tenantId, {
        status: 'failed',
        count: 3,
        secondsAgo: 60,
        sourceId: 'feed-a',
      });
      await insertOutcomes(ctx.sql, tenantId, {
        status: 'failed',
        count: 7,
        secondsAgo: 60,
        sourceId: 'feed-b',
      });
      await insertOutcomes(ctx.sql, tenantId, { status: 'succeeded', count: 1, secondsAgo: 60 });
      const counts = await ctx.slos
        .forTenant(tenantId)
        .countOutcomes({ jobType: null, sourceId: 'feed-a', windowSeconds: DAY });
      expect(counts.windows['1h']).toEqual({ good: 0, bad: 3 });
    });

    test('at most one incident of an SLO is open, even when two open at once', async () => {
      const tenantId = tenant();
      const slo = await service().createSlo(tenantId, { name: 'api', objective: 0.99 }, change());
      const store = ctx.slos.forTenant(tenantId);
      const rates = { '1h': 20, '6h': 8, '24h': 2, '30d': 0.5 };
      const attempts = await Promise.all(
        [1, 2, 3].map(() =>
          store.openIncident(slo, {
            incidentId: randomUUID(),
            trigger: 'fast+slow',
            burnRatesAtOpen: rates,
            pausedSourceId: null,
          }),
        ),
      );
      const opened = attempts.filter((incident) => incident !== null);
      expect(opened).toHaveLength(1);
      const incident = opened[0];
      expect(incident).toMatchObject({
        status: 'open',
        sloId: slo.sloId,
        burnRatesAtOpen: rates,
        resolvedAt: null,
      });
      expect(await store.getOpenIncident(slo.sloId)).toEqual(incident);

      const calm = { '1h': 0, '6h': 1, '24h': 1, '30d': 0.4 };
      const resolved = await store.resolveIncident(slo, incident?.incidentId ?? '', calm);
      expect(resolved).toMatchObject({ status: 'resolved', burnRatesAtResolve: calm });
      expect(resolved?.resolvedAt).not.toBeNull();
      // A second resolve (another replica) changes nothing.
      expect(await store.resolveIncident(slo, incident?.incidentId ?? '', calm)).toBeNull();
      expect(await store.getOpenIncident(slo.sloId)).toBeNull();

      const types = (await events(tenantId)).map((event) => event.event_type);
      expect(types.filter((type) => type.startsWith('incident.'))).toEqual([
        'incident.opened',
        'incident.resolved',
      ]);
      const [openedEvent] = (await events(tenantId)).filter(
        (event) => event.event_type === 'incident.opened',
      );
      expect(openedEvent).toMatchObject({
        actor: 'system:slo-evaluator',
        correlation_id: `incident:${incident?.incidentId}`,
        data: { incidentId: incident?.incidentId, sloId: slo.sloId, sloName: 'api', burnRates: rates },
      });
    });

    test('incidents list newest first, by status and SLO, a page at a time', async () => {
      const tenantId = tenant();
      const slos = service();
      const a = await slos.createSlo(tenantId, { name: 'a', objective: 0.99 }, change());
      const b = await slos.createSlo(tenantId, { name: 'b', objective: 0.99 }, change());
      const store = ctx.slos.forTenant(tenantId);
      const rates = { '1h': 20, '6h': 8, '24h': 2, '30d': 0.5 };
      const open = (slo: typeof a) =>
        store.openIncident(slo, {
          incidentId: randomUUID(),
          trigger: 'fast',
          burnRatesAtOpen: rates,
          pausedSourceId: null,
        });
      const first = await open(a);
      await store.resolveIncident(a, first?.incidentId ?? '', rates);
      const second = await open(a);
      const third = await open(b);
      const all = await slos.listIncidents(tenantId, { pageSize: 2 });
      expect(all.items.map((i) => i.incidentId)).toEqual([third?.incidentId, second?.incidentId]);
      const rest = await slos.listIncidents(tenantId, { pageSize: 2, pageToken: all.nextPageToken ?? '' });
      expect(rest.items.map((i) => i.incidentId)).toEqual([first?.incidentId]);
      expect(rest.nextPageToken).toBeNull();
      expect((await slos.listIncidents(tenantId, { pageSize: 10, status: 'open' })).items).toHaveLength(2);
      expect((await slos.listIncidents(tenantId, { pageSize: 10, status: 'resolved' })).items).toHaveLength(
        1,
      );
      expect((await slos.listIncidents(tenantId, { pageSize: 10, sloId: a.sloId })).items).toHaveLength(2);
      expect((await slos.listIncidents(tenantId, { pageSize: 10, sloId: 'nope' })).items).toHaveLength(0);
      expect(await slos.getIncident(tenantId, third?.incidentId ?? '')).toEqual(third);
      await expectCode(slos.getIncident(tenant(), third?.incidentId ?? ''), 'INCIDENT_NOT_FOUND');
      // Deleting the SLO takes its incidents with it.
      await slos.deleteSlo(tenantId, b.sloId, change());
      await expectCode(slos.getIncident(tenantId, third?.incidentId ?? ''), 'INCIDENT_NOT_FOUND');
    });

    test('incident mode: enough failures open an incident (pausing its source), recovery resolves it', async () => {
      const tenantId = tenant();
      const pauser = recordingPauser();
      const slos = service(pauser);
      const slo = await slos.createSlo(
        tenantId,
        { name: 'feed', objective: 0.99, sourceId: 'feed-1', pauseSourceOnIncident: true },
        change(),
      );
      const evaluate = async () => (await slos.evaluateTenant(tenantId)).find((e) => e.sloId === slo.sloId);

      // Healthy: 1 failure in 200 over the last hour (burn 0.5).
      await insertOutcomes(ctx.sql, tenantId, {
        status: 'succeeded',
        count: 199,
        secondsAgo: 600,
        sourceId: 'feed-1',
      });
      await insertOutcomes(ctx.sql, tenantId, {
        status: 'failed',
        count: 1,
        secondsAgo: 600,
        sourceId: 'feed-1',
      });
      expect(await evaluate()).toMatchObject({ action: 'none', openIncidentId: null });

      // 40 more failures: 41 of 240 in the hour, burn 17.1 > 14.4.
      await insertOutcomes(ctx.sql, tenantId, {
        status: 'failed',
        count: 40,
        secondsAgo: 60,
        sourceId: 'feed-1',
      });
      const opened = await evaluate();
      expect(opened?.action).toBe('opened');
      expect(opened?.burnRates['1h']).toBeCloseTo((41 / 240) * 100, 6);
      const incident = await slos.getIncident(tenantId, opened?.openIncidentId ?? '');
      expect(incident).toMatchObject({
        status: 'open',
        trigger: 'fast+slow',
        pausedSourceId: 'feed-1',
        sourcePaused: true,
      });
      expect(pauser.calls).toEqual([`${tenantId}/feed-1`]);

      // Evaluating again (this replica or another) opens nothing new.
      expect(await evaluate()).toMatchObject({ action: 'none', openIncidentId: incident.incidentId });
      expect((await slos.listIncidents(tenantId, { pageSize: 10 })).items).toHaveLength(1);

      // Seven hours pass and the source runs clean: every alerting window is calm again.
      await ageOutcomes(ctx.sql, tenantId, 7 * HOUR);
      await insertOutcomes(ctx.sql, tenantId, {
        status: 'succeeded',
        count: 100,
        secondsAgo: 60,
        sourceId: 'feed-1',
      });
      expect(await evaluate()).toMatchObject({ action: 'resolved', openIncidentId: null });
      const resolved = await slos.getIncident(tenantId, incident.incidentId);
      expect(resolved).toMatchObject({ status: 'resolved', burnRatesAtResolve: { '1h': 0, '6h': 0 } });
      expect(await evaluate()).toMatchObject({ action: 'none', openIncidentId: null });

      const types = (await events(tenantId)).map((event) => event.event_type);
      expect(types.filter((type) => type.startsWith('incident.'))).toEqual([
        'incident.opened',
        'incident.resolved',
      ]);
      expect(pauser.calls).toHaveLength(1);
    });
  });
}
