import { randomUUID } from 'node:crypto';
import {
  circuitBreakerRequestDigest,
  DEFAULT_CIRCUIT_SETTINGS,
  type AuditTrail,
  type CircuitBreakerChangeContext,
  type CircuitBreakerDefinition,
  type CircuitBreakerStore,
  type CircuitState,
  type NewCircuitBreaker,
  type SourceStore,
} from '@stella-orch/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { LedgerSql } from './audit-fixtures.js';
import { expectCode } from './job-store-fixtures.js';
import { registerTestSource } from './sources.testsuite.js';

/** Makes the breaker store under test with the sources and audit trail of the same ledger. */
export type CircuitBreakerStoreFactory = () => Promise<{
  readonly circuitBreakers: CircuitBreakerStore;
  readonly sources: SourceStore;
  readonly audit: AuditTrail;
  readonly sql: LedgerSql;
  cleanup(): Promise<void>;
}>;

/** A breaker definition as the API would hand it to the store. */
export function newCircuitBreaker(
  definition: CircuitBreakerDefinition,
  idempotencyKey: string | null = null,
): NewCircuitBreaker {
  return { ...definition, idempotencyKey, requestDigest: circuitBreakerRequestDigest(definition) };
}

/** Who manages breakers in the suite, and why (the token's operator_reason and operator_ticket). */
export const CIRCUIT_CHANGE: CircuitBreakerChangeContext = {
  actor: { subject: 'on-call', clientId: 'tests', scopes: ['orch:operate'] },
  audit: { reason: 'flaky upstream', ticket: 'INC-11', correlationId: 'corr-circuit' },
};

/**
 * Puts a breaker in a state behind the store, as the evaluator would (open: for `openForSeconds` from now,
 * with the window that opened it; half-open: with probe counts): for tests of what operators do with a
 * breaker that is not closed.
 */
export async function setBreakerState(
  sql: LedgerSql,
  tenantId: string,
  breakerId: string,
  state: CircuitState,
  options: {
    readonly openForSeconds?: number;
    readonly probes?: { successes: number; failures: number };
  } = {},
): Promise<void> {
  await sql.query(
    `UPDATE orch.circuit_breakers
     SET state = $3, state_changed_at = now(),
       open_until = CASE WHEN $3 = 'open' THEN now() + make_interval(secs => $4::int) END,
       opened_with = CASE WHEN $3 = 'open' THEN '{"attempts": 20, "failures": 15}'::jsonb ELSE opened_with END,
       probe_successes = $5, probe_failures = $6
     WHERE tenant_id = $1 AND breaker_id = $2::uuid`,
    [
      tenantId,
      breakerId,
      state,
      options.openForSeconds ?? 600,
      options.probes?.successes ?? 0,
      options.probes?.failures ?? 0,
    ],
  );
}

/** Adds ended attempts to a breaker's outcome bucket `secondsAgo` seconds back, as the completion would. */
export async function insertCircuitOutcomes(
  sql: LedgerSql,
  tenantId: string,
  breakerId: string,
  outcomes: { readonly secondsAgo: number; readonly successes: number; readonly failures: number },
): Promise<void> {
  await sql.query(
    `INSERT INTO orch.circuit_outcomes (tenant_id, breaker_id, bucket_start, successes, failures)
     VALUES ($1, $2::uuid,
       date_bin('10 seconds', now() - make_interval(secs => $3::int), timestamptz '2000-01-01 00:00:00+00'), $4, $5)
     ON CONFLICT (tenant_id, breaker_id, bucket_start) DO UPDATE
     SET successes = circuit_outcomes.successes + excluded.successes,
       failures = circuit_outcomes.failures + excluded.failures`,
    [tenantId, breakerId, outcomes.secondsAgo, outcomes.successes, outcomes.failures],
  );
}

/**
 * The conformance suite of the {@link CircuitBreakerStore} port: create (defaults, audited, idempotent, one
 * per source and one per job type), the refusals writing nothing (scope, settings out of range, an unknown
 * source), list with filters and pages, update of the settings (optimistic, a no-op records nothing),
 * delete, reset (audited with a `circuit.closed` event; a closed breaker is left alone), the window's
 * counts, the counts by state of every tenant, and tenant isolation. Every test works in a tenant of its own.
 */
export function circuitBreakerStoreConformance(name: string, factory: CircuitBreakerStoreFactory): void {
  describe(`CircuitBreakerStore conformance: ${name}`, () => {
    let made: Awaited<ReturnType<CircuitBreakerStoreFactory>>;
    beforeAll(async () => {
      made = await factory();
    });
    afterAll(async () => {
      await made.cleanup();
    });

    const tenants = () => {
      const tenantId = `tenant-${randomUUID()}`;
      return {
        tenantId,
        breakers: made.circuitBreakers.forTenant(tenantId),
        sources: made.sources.forTenant(tenantId),
        audit: made.audit.forTenant(tenantId),
      };
    };
    const actions = async (audit: ReturnType<typeof tenants>['audit']) =>
      (await audit.listAuditEntries({ pageSize: 50 })).items.map((e) => e.action);
    const eventsOf = async (tenantId: string) =>
      made.sql.query<{ event_type: string; actor: string; correlation_id: string; data: unknown }>(
        `SELECT event_type, actor, correlation_id, data FROM orch.events
         WHERE tenant_id = $1 AND (event_type LIKE 'circuit.%' OR event_type LIKE 'operator.circuit_breaker.%')
         ORDER BY event_id`,
        [tenantId],
      );

    test('creates a closed breaker on a job type with the default settings; audited, with its event', async () => {
      const { tenantId, breakers, audit } = tenants();
      const { breaker, created } = await breakers.createBreaker({
        breaker: newCircuitBreaker({ jobType: 'scan' }),
        ...CIRCUIT_CHANGE,
      });
      expect(created).toBe(true);
      expect(breaker).toMatchObject({
        tenantId,
        sourceId: null,
        jobType: 'scan',
        ...DEFAULT_CIRCUIT_SETTINGS,
        state: 'closed',
        openUntil: null,
        openedWith: null,
        version: 1,
        createdBy: 'on-call',
        updatedBy: 'on-call',
        window: { successes: 0, failures: 0 },
        probes: { successes: 0, failures: 0 },
      });
      expect(Date.parse(breaker.stateChangedAt)).not.toBeNaN();
      expect(await breakers.getBreaker(breaker.breakerId)).toEqual(breaker);
      expect(await breakers.getBreaker(randomUUID())).toBeNull();
      expect(await breakers.getBreaker('not-a-uuid')).toBeNull();
      const [entry] = (await audit.listAuditEntries({ pageSize: 1 })).items;
      expect(entry).toMatchObject({
        action: 'circuit_breaker.create',
        resourceType: 'circuit_breaker',
        resourceId: breaker.breakerId,
        reason: 'flaky upstream',
        ticket: 'INC-11',
        correlationId: 'corr-circuit',
      });
      expect(entry?.before).toBeUndefined();
      expect(entry?.after).toMatchObject({ jobType: 'scan', state: 'closed', failureRatio: 0.5, version: 1 });
      expect((await eventsOf(tenantId)).map((e) => e.event_type)).toEqual([
        'operator.circuit_breaker.create',
      ]);
    });

    test('creates a breaker on a registered source with its settings; refuses an unknown or another tenant’s source, writing nothing', async () => {
      const one = tenants();
      const two = tenants();
      const sourceId = await registerTestSource(one.sources);
      const settings = {
        failureRatio: 0.25,
        minVolume: 5,
        windowSeconds: 120,
        coolDownSeconds: 45,
        probeLeases: 3,
      };
      const { breaker } = await one.breakers.createBreaker({
        breaker: newCircuitBreaker({ sourceId, ...settings }),
        ...CIRCUIT_CHANGE,
      });
      expect(breaker).toMatchObject({ sourceId, jobType: null, ...settings, state: 'closed' });
      for (const id of ['unknown', sourceId]) {
        await expectCode(
          two.breakers.createBreaker({ breaker: newCircuitBreaker({ sourceId: id }), ...CIRCUIT_CHANGE }),
          'SOURCE_NOT_FOUND',
        );
      }
      expect((await two.breakers.listBreakers({ pageSize: 10 })).items).toEqual([]);
      expect(await actions(two.audit)).toEqual([]);
    });

    test('refuses both or neither scope and settings out of range, writing nothing', async () => {
      const { breakers, audit } = tenants();
      const bad: CircuitBreakerDefinition[] = [
        {},
        { sourceId: 'nvd', jobType: 'scan' },
        { jobType: 'scan', failureRatio: 0 },
        { jobType: 'scan', failureRatio: 2 },
        { jobType: 'scan', minVolume: 0 },
        { jobType: 'scan', minVolume: 1_000_001 },
        { jobType: 'scan', windowSeconds: 9 },
        { jobType: 'scan', windowSeconds: 86_401 },
        { jobType: 'scan', coolDownSeconds: 0 },
        { jobType: 'scan', probeLeases: 1_001 },
        { jobType: 'scan', probeLeases: 1.5 },
        { jobType: ' spaced ' },
      ];
      for (const definition of bad) {
        await expectCode(
          breakers.createBreaker({ breaker: newCircuitBreaker(definition), ...CIRCUIT_CHANGE }),
          'VALIDATION_FAILED',
        );
      }
      expect((await breakers.listBreakers({ pageSize: 10 })).items).toEqual([]);
      expect(await actions(audit)).toEqual([]);
    });

    test('one breaker per source and per job type: another is CIRCUIT_BREAKER_EXISTS; an idempotent repeat returns the first', async () => {
      const { breakers, sources, audit } = tenants();
      const sourceId = await registerTestSource(sources);
      const bySource = await breakers.createBreaker({
        breaker: newCircuitBreaker({ sourceId }),
        ...CIRCUIT_CHANGE,
      });
      const byType = await breakers.createBreaker({
        breaker: newCircuitBreaker({ jobType: 'scan' }, 'breaker-key'),
        ...CIRCUIT_CHANGE,
      });
      const sourceTaken = await expectCode(
        breakers.createBreaker({ breaker: newCircuitBreaker({ sourceId, minVolume: 3 }), ...CIRCUIT_CHANGE }),
        'CIRCUIT_BREAKER_EXISTS',
      );
      expect(sourceTaken).toMatchObject({ details: { breakerId: bySource.breaker.breakerId, sourceId } });
      const typeTaken = await expectCode(
        breakers.createBreaker({ breaker: newCircuitBreaker({ jobType: 'scan' }), ...CIRCUIT_CHANGE }),
        'CIRCUIT_BREAKER_EXISTS',
      );
      expect(typeTaken).toMatchObject({ details: { breakerId: byType.breaker.breakerId, jobType: 'scan' } });
      const again = await breakers.createBreaker({
        breaker: newCircuitBreaker({ jobType: 'scan' }, 'breaker-key'),
        ...CIRCUIT_CHANGE,
      });
      expect(again).toEqual({ breaker: byType.breaker, created: false });
      await expectCode(
        breakers.createBreaker({
          breaker: newCircuitBreaker({ jobType: 'other' }, 'breaker-key'),
          ...CIRCUIT_CHANGE,
        }),
        'IDEMPOTENCY_CONFLICT',
      );
      expect(await actions(audit)).toEqual([
        'circuit_breaker.create',
        'circuit_breaker.create',
        'source.register',
      ]);
    });

    test('lists oldest first, by page, by state, source and job type', async () => {
      const { tenantId, breakers, sources } = tenants();
      const sourceId = await registerTestSource(sources);
      const ids: string[] = [];
      for (const definition of [{ sourceId }, { jobType: 'scan' }, { jobType: 'ingest' }]) {
        ids.push(
          (await breakers.createBreaker({ breaker: newCircuitBreaker(definition), ...CIRCUIT_CHANGE }))
            .breaker.breakerId,
        );
      }
      const [a, b, c] = ids as [string, string, string];
      await setBreakerState(made.sql, tenantId, b, 'open');
      await setBreakerState(made.sql, tenantId, c, 'half_open');
      const first = await breakers.listBreakers({ pageSize: 2 });
      expect(first.items.map((x) => x.breakerId)).toEqual([a, b]);
      const rest = await breakers.listBreakers({ pageSize: 2, pageToken: first.nextPageToken ?? '' });
      expect(rest.items.map((x) => x.breakerId)).toEqual([c]);
      expect(rest.nextPageToken).toBeNull();
      const listed = async (query: Parameters<typeof breakers.listBreakers>[0]) =>
        (await breakers.listBreakers(query)).items.map((x) => x.breakerId);
      expect(await listed({ pageSize: 10, state: 'open' })).toEqual([b]);
      expect(await listed({ pageSize: 10, state: 'closed' })).toEqual([a]);
      expect(await listed({ pageSize: 10, state: 'half_open' })).toEqual([c]);
      expect(await listed({ pageSize: 10, sourceId })).toEqual([a]);
      expect(await listed({ pageSize: 10, jobType: 'ingest' })).toEqual([c]);
      await expectCode(breakers.listBreakers({ pageSize: 10, pageToken: 'nonsense' }), 'INVALID_CURSOR');
    });

    test('counts the attempts of the window only, and the probes of a half-open breaker', async () => {
      const { tenantId, breakers } = tenants();
      const { breaker } = await breakers.createBreaker({
        breaker: newCircuitBreaker({ jobType: 'scan', windowSeconds: 60 }),
        ...CIRCUIT_CHANGE,
      });
      await insertCircuitOutcomes(made.sql, tenantId, breaker.breakerId, {
        secondsAgo: 0,
        successes: 3,
        failures: 2,
      });
      await insertCircuitOutcomes(made.sql, tenantId, breaker.breakerId, {
        secondsAgo: 30,
        successes: 1,
        failures: 4,
      });
      // Older than the window: not counted.
      await insertCircuitOutcomes(made.sql, tenantId, breaker.breakerId, {
        secondsAgo: 600,
        successes: 50,
        failures: 50,
      });
      expect((await breakers.getBreaker(breaker.breakerId))?.window).toEqual({ successes: 4, failures: 6 });
      expect((await breakers.listBreakers({ pageSize: 1 })).items[0]?.window).toEqual({
        successes: 4,
        failures: 6,
      });
      await setBreakerState(made.sql, tenantId, breaker.breakerId, 'half_open', {
        probes: { successes: 1, failures: 0 },
      });
      expect(await breakers.getBreaker(breaker.breakerId)).toMatchObject({
        state: 'half_open',
        probes: { successes: 1, failures: 0 },
      });
    });

    test('update replaces the settings given, keeps the others and grows the version; a no-op records nothing', async () => {
      const { breakers, audit } = tenants();
      const { breaker } = await breakers.createBreaker({
        breaker: newCircuitBreaker({ jobType: 'scan', minVolume: 5 }),
        ...CIRCUIT_CHANGE,
      });
      const updated = await breakers.updateBreaker({
        breakerId: breaker.breakerId,
        settings: { failureRatio: 0.8, probeLeases: 2 },
        expectedVersion: 1,
        ...CIRCUIT_CHANGE,
      });
      expect(updated.changed).toBe(true);
      expect(updated.breaker).toMatchObject({
        failureRatio: 0.8,
        probeLeases: 2,
        minVolume: 5,
        windowSeconds: DEFAULT_CIRCUIT_SETTINGS.windowSeconds,
        state: 'closed',
        version: 2,
      });
      const same = await breakers.updateBreaker({
        breakerId: breaker.breakerId,
        settings: { failureRatio: 0.8 },
        ...CIRCUIT_CHANGE,
      });
      expect(same).toEqual({ breaker: updated.breaker, changed: false });
      const stale = await expectCode(
        breakers.updateBreaker({
          breakerId: breaker.breakerId,
          settings: { minVolume: 9 },
          expectedVersion: 1,
          ...CIRCUIT_CHANGE,
        }),
        'CIRCUIT_BREAKER_VERSION_MISMATCH',
      );
      expect(stale).toMatchObject({ details: { expectedVersion: 1, currentVersion: 2 } });
      for (const settings of [{}, { failureRatio: 0 }, { windowSeconds: 5 }]) {
        await expectCode(
          breakers.updateBreaker({ breakerId: breaker.breakerId, settings, ...CIRCUIT_CHANGE }),
          'VALIDATION_FAILED',
        );
      }
      for (const breakerId of [randomUUID(), 'nope']) {
        await expectCode(
          breakers.updateBreaker({ breakerId, settings: { minVolume: 2 }, ...CIRCUIT_CHANGE }),
          'CIRCUIT_BREAKER_NOT_FOUND',
        );
      }
      expect(await actions(audit)).toEqual(['circuit_breaker.update', 'circuit_breaker.create']);
      const [entry] = (await audit.listAuditEntries({ pageSize: 1 })).items;
      expect(entry?.before).toMatchObject({ failureRatio: 0.5, probeLeases: 1, version: 1 });
      expect(entry?.after).toMatchObject({ failureRatio: 0.8, probeLeases: 2, version: 2 });
    });

    test('delete removes the breaker and its outcome counts (optimistic with a version), audited', async () => {
      const { tenantId, breakers, audit } = tenants();
      const { breaker } = await breakers.createBreaker({
        breaker: newCircuitBreaker({ jobType: 'scan' }),
        ...CIRCUIT_CHANGE,
      });
      await insertCircuitOutcomes(made.sql, tenantId, breaker.breakerId, {
        secondsAgo: 0,
        successes: 1,
        failures: 1,
      });
      await expectCode(
        breakers.deleteBreaker({ breakerId: breaker.breakerId, expectedVersion: 7, ...CIRCUIT_CHANGE }),
        'CIRCUIT_BREAKER_VERSION_MISMATCH',
      );
      const deleted = await breakers.deleteBreaker({
        breakerId: breaker.breakerId,
        expectedVersion: 1,
        ...CIRCUIT_CHANGE,
      });
      expect(deleted.breakerId).toBe(breaker.breakerId);
      expect(await breakers.getBreaker(breaker.breakerId)).toBeNull();
      const outcomes = await made.sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM orch.circuit_outcomes WHERE tenant_id = $1`,
        [tenantId],
      );
      expect(outcomes[0]?.n).toBe(0);
      await expectCode(
        breakers.deleteBreaker({ breakerId: breaker.breakerId, ...CIRCUIT_CHANGE }),
        'CIRCUIT_BREAKER_NOT_FOUND',
      );
      expect(await actions(audit)).toEqual(['circuit_breaker.delete', 'circuit_breaker.create']);
      const [entry] = (await audit.listAuditEntries({ pageSize: 1 })).items;
      expect(entry?.after).toBeUndefined();
      expect(entry?.before).toMatchObject({ jobType: 'scan' });
      // The scope is free again.
      const again = await breakers.createBreaker({
        breaker: newCircuitBreaker({ jobType: 'scan' }),
        ...CIRCUIT_CHANGE,
      });
      expect(again.created).toBe(true);
    });

    test('reset closes an open breaker, empties its window, audited with a circuit.closed event; a closed one is left alone', async () => {
      const { tenantId, breakers, audit } = tenants();
      const { breaker } = await breakers.createBreaker({
        breaker: newCircuitBreaker({ jobType: 'scan' }),
        ...CIRCUIT_CHANGE,
      });
      const untouched = await breakers.resetBreaker({ breakerId: breaker.breakerId, ...CIRCUIT_CHANGE });
      expect(untouched).toEqual({ breaker, changed: false });
      expect(await actions(audit)).toEqual(['circuit_breaker.create']);

      await setBreakerState(made.sql, tenantId, breaker.breakerId, 'open');
      await insertCircuitOutcomes(made.sql, tenantId, breaker.breakerId, {
        secondsAgo: 0,
        successes: 5,
        failures: 15,
      });
      const open = await breakers.getBreaker(breaker.breakerId);
      expect(open).toMatchObject({ state: 'open', window: { successes: 5, failures: 15 } });
      const reset = await breakers.resetBreaker({ breakerId: breaker.breakerId, ...CIRCUIT_CHANGE });
      expect(reset.changed).toBe(true);
      expect(reset.breaker).toMatchObject({
        state: 'closed',
        openUntil: null,
        version: 1,
        updatedBy: 'on-call',
        window: { successes: 0, failures: 0 },
        probes: { successes: 0, failures: 0 },
      });
      expect(Date.parse(reset.breaker.stateChangedAt)).toBeGreaterThanOrEqual(
        Date.parse(open?.stateChangedAt ?? ''),
      );
      expect(await breakers.getBreaker(breaker.breakerId)).toEqual(reset.breaker);
      expect(await actions(audit)).toEqual(['circuit_breaker.reset', 'circuit_breaker.create']);
      const [entry] = (await audit.listAuditEntries({ pageSize: 1 })).items;
      expect(entry?.before).toMatchObject({ state: 'open' });
      expect(entry?.after).toMatchObject({ state: 'closed', openUntil: null });
      const events = await eventsOf(tenantId);
      expect(events.map((e) => e.event_type)).toEqual([
        'operator.circuit_breaker.create',
        'operator.circuit_breaker.reset',
        'circuit.closed',
      ]);
      expect(events[2]).toMatchObject({
        actor: 'on-call',
        correlation_id: 'corr-circuit',
        data: {
          breakerId: breaker.breakerId,
          sourceId: null,
          jobType: 'scan',
          from: 'open',
          to: 'closed',
          reason: 'reset by on-call',
        },
      });

      // Half-open too; an unknown breaker is refused.
      await setBreakerState(made.sql, tenantId, breaker.breakerId, 'half_open', {
        probes: { successes: 1, failures: 0 },
      });
      const fromHalf = await breakers.resetBreaker({ breakerId: breaker.breakerId, ...CIRCUIT_CHANGE });
      expect(fromHalf.breaker).toMatchObject({ state: 'closed', probes: { successes: 0, failures: 0 } });
      const probeColumns = await made.sql.query<{ probe_successes: number }>(
        `SELECT probe_successes FROM orch.circuit_breakers WHERE tenant_id = $1`,
        [tenantId],
      );
      expect(probeColumns[0]?.probe_successes).toBe(0);
      for (const breakerId of [randomUUID(), 'nope']) {
        await expectCode(
          breakers.resetBreaker({ breakerId, ...CIRCUIT_CHANGE }),
          'CIRCUIT_BREAKER_NOT_FOUND',
        );
      }
    });

    test('counts every tenant’s breakers by state', async () => {
      const one = tenants();
      const two = tenants();
      const made1 = await one.breakers.createBreaker({
        breaker: newCircuitBreaker({ jobType: 'a' }),
        ...CIRCUIT_CHANGE,
      });
      await one.breakers.createBreaker({ breaker: newCircuitBreaker({ jobType: 'b' }), ...CIRCUIT_CHANGE });
      await two.breakers.createBreaker({ breaker: newCircuitBreaker({ jobType: 'a' }), ...CIRCUIT_CHANGE });
      await setBreakerState(made.sql, one.tenantId, made1.breaker.breakerId, 'open');
      const counts = (await made.circuitBreakers.breakerCounts()).filter((c) =>
        [one.tenantId, two.tenantId].includes(c.tenantId),
      );
      expect(counts).toEqual(
        expect.arrayContaining([
          { tenantId: one.tenantId, state: 'closed', count: 1 },
          { tenantId: one.tenantId, state: 'open', count: 1 },
          { tenantId: two.tenantId, state: 'closed', count: 1 },
        ]),
      );
      expect(counts).toHaveLength(3);
    });

    test('another tenant sees none of the breakers and cannot change them', async () => {
      const one = tenants();
      const two = tenants();
      const { breaker } = await one.breakers.createBreaker({
        breaker: newCircuitBreaker({ jobType: 'scan' }),
        ...CIRCUIT_CHANGE,
      });
      await setBreakerState(made.sql, one.tenantId, breaker.breakerId, 'open');
      expect(await two.breakers.getBreaker(breaker.breakerId)).toBeNull();
      expect((await two.breakers.listBreakers({ pageSize: 10 })).items).toEqual([]);
      const { breakerId } = breaker;
      await expectCode(
        two.breakers.updateBreaker({ breakerId, settings: { minVolume: 2 }, ...CIRCUIT_CHANGE }),
        'CIRCUIT_BREAKER_NOT_FOUND',
      );
      await expectCode(
        two.breakers.resetBreaker({ breakerId, ...CIRCUIT_CHANGE }),
        'CIRCUIT_BREAKER_NOT_FOUND',
      );
      await expectCode(
        two.breakers.deleteBreaker({ breakerId, ...CIRCUIT_CHANGE }),
        'CIRCUIT_BREAKER_NOT_FOUND',
      );
      // The same job type is free in the other tenant.
      expect(
        (
          await two.breakers.createBreaker({
            breaker: newCircuitBreaker({ jobType: 'scan' }),
            ...CIRCUIT_CHANGE,
          })
        ).created,
      ).toBe(true);
      expect(await one.breakers.getBreaker(breakerId)).toMatchObject({ state: 'open', version: 1 });
      expect(await actions(two.audit)).toEqual(['circuit_breaker.create']);
    });
  });
}
