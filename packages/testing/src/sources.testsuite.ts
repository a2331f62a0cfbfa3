import { randomUUID } from 'node:crypto';
import {
  sourceRegistrationDigest,
  type AuditTrail,
  type JobStore,
  type NewSource,
  type SourceRegistration,
  type SourceStore,
  type TenantSourceStore,
} from '@stella-orch/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { LedgerSql } from './audit-fixtures.js';
import { createOne, expectCode, leaseOne, newJob, NO_BACKOFF, TEST_ACTOR } from './job-store-fixtures.js';

/** Makes the source registry under test with the job store and audit trail of the same ledger. */
export type SourceStoreFactory = () => Promise<{
  readonly sources: SourceStore;
  readonly store: JobStore;
  readonly audit: AuditTrail;
  readonly sql: LedgerSql;
  cleanup(): Promise<void>;
}>;

/** A registration as the API would hand it to the store. */
export function newSource(
  registration: Partial<SourceRegistration> = {},
  idempotencyKey: string | null = null,
): NewSource {
  const source = { sourceId: `src-${randomUUID()}`, sourceType: 'concelier', ...registration };
  return { ...source, idempotencyKey, requestDigest: sourceRegistrationDigest(source) };
}

/** Registers a source (type `concelier`) in `tenant` and returns its id. */
export async function registerTestSource(
  sources: TenantSourceStore,
  registration: Partial<SourceRegistration> = {},
): Promise<string> {
  const { source } = await sources.registerSource({ source: newSource(registration), actor: TEST_ACTOR });
  return source.sourceId;
}

/**
 * Registers a source straight in the ledger, with no audit entry and no event: for suites about something
 * else whose assertions read the audit trail or the event log whole.
 */
export async function insertSourceRow(sql: LedgerSql, tenantId: string, sourceId: string): Promise<void> {
  await sql.query(
    `INSERT INTO orch.sources (tenant_id, source_id, source_type, request_digest, created_by, updated_by)
     VALUES ($1, $2, 'concelier', 'fixture', 'fixture', 'fixture')`,
    [tenantId, sourceId],
  );
}

/**
 * The conformance suite of the {@link SourceStore} port, with what sources change in the job store: the
 * submit checks (unknown → `SOURCE_NOT_FOUND`, disabled → `SOURCE_DISABLED`, nothing written) and the hold
 * of a paused or disabled source's jobs at lease time. Every test works in a tenant of its own.
 */
export function sourceStoreConformance(name: string, factory: SourceStoreFactory): void {
  describe(`SourceStore conformance: ${name}`, () => {
    let made: Awaited<ReturnType<SourceStoreFactory>>;
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
        sources: made.sources.forTenant(tenantId),
        jobs: made.store.forTenant(tenantId),
        audit: made.audit.forTenant(tenantId),
      };
    };

    test('registers, gets and lists sources; each change is audited with before and after', async () => {
      const { sources, audit } = tenants();
      const registration = newSource({
        sourceId: 'nvd',
        displayName: 'NVD feed',
        rateLimit: { burst: 10, refillPerSecond: 2.5 },
      });
      const { source, created } = await sources.registerSource({ source: registration, actor: TEST_ACTOR });
      expect(created).toBe(true);
      expect(source).toMatchObject({
        sourceId: 'nvd',
        sourceType: 'concelier',
        displayName: 'NVD feed',
        description: null,
        enabled: true,
        paused: false,
        pauseReason: null,
        rateLimit: { burst: 10, refillPerSecond: 2.5 },
        version: 1,
        createdBy: TEST_ACTOR.subject,
      });
      expect(await sources.getSource('nvd')).toEqual(source);
      expect(await sources.getSource('other')).toBeNull();
      const entries = await audit.listAuditEntries({ pageSize: 10 });
      expect(entries.items).toMatchObject([
        { action: 'source.register', resourceType: 'source', resourceId: 'nvd', correlationId: 'source:nvd' },
      ]);
      expect(entries.items[0]?.before).toBeUndefined();
      expect(entries.items[0]?.after).toMatchObject({ enabled: true, paused: false, version: 1 });
    });

    test('an idempotent repeat returns the source; a taken id or a reused key conflicts; nothing is written', async () => {
      const { sources, audit } = tenants();
      const registration = newSource({}, 'key-1');
      const first = await sources.registerSource({ source: registration, actor: TEST_ACTOR });
      const again = await sources.registerSource({ source: registration, actor: TEST_ACTOR });
      expect(again).toEqual({ source: first.source, created: false });
      await expectCode(
        sources.registerSource({ source: newSource({ sourceId: registration.sourceId }), actor: TEST_ACTOR }),
        'SOURCE_EXISTS',
      );
      await expectCode(
        sources.registerSource({ source: newSource({}, 'key-1'), actor: TEST_ACTOR }),
        'IDEMPOTENCY_CONFLICT',
      );
      expect((await audit.listAuditEntries({ pageSize: 10 })).items).toHaveLength(1);
      expect((await sources.listSources({ pageSize: 10 })).items).toHaveLength(1);
    });

    test('refuses bad registrations with the field, writing nothing', async () => {
      const { sources, audit } = tenants();
      const bad = [
        newSource({ sourceId: ' spaces ' }),
        newSource({ sourceType: 'Not Lower' }),
        newSource({ rateLimit: { burst: 0, refillPerSecond: 1 } }),
        newSource({ rateLimit: { burst: 5, refillPerSecond: -1 } }),
        { ...newSource(), rateLimit: { burst: 5, refillPerSecond: Number.POSITIVE_INFINITY } },
        newSource({ rateLimit: { burst: 1e12, refillPerSecond: 1 } }),
      ];
      for (const source of bad) {
        await expectCode(sources.registerSource({ source, actor: TEST_ACTOR }), 'VALIDATION_FAILED');
      }
      expect((await sources.listSources({ pageSize: 10 })).items).toEqual([]);
      expect((await audit.listAuditEntries({ pageSize: 10 })).items).toEqual([]);
    });

    test('lists in registration order, by page, with type, enabled and paused filters', async () => {
      const { sources } = tenants();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        ids.push(await registerTestSource(sources, { sourceType: i % 2 === 0 ? 'concelier' : 'excititor' }));
      }
      const [, second, third] = ids as [string, string, string];
      await sources.changeSourceState({ sourceId: second, change: { action: 'disable' }, actor: TEST_ACTOR });
      await sources.changeSourceState({
        sourceId: third,
        change: { action: 'pause', pause: { reason: 'upstream outage' } },
        actor: TEST_ACTOR,
      });
      const first = await sources.listSources({ pageSize: 2 });
      expect(first.items.map((s) => s.sourceId)).toEqual(ids.slice(0, 2));
      const rest = await sources.listSources({ pageSize: 10, pageToken: first.nextPageToken ?? '' });
      expect(rest.items.map((s) => s.sourceId)).toEqual(ids.slice(2));
      expect(rest.nextPageToken).toBeNull();
      const excititors = await sources.listSources({ pageSize: 10, sourceType: 'excititor' });
      expect(excititors.items.map((s) => s.sourceId)).toEqual([ids[1], ids[3]]);
      expect(
        (await sources.listSources({ pageSize: 10, enabled: false })).items.map((s) => s.sourceId),
      ).toEqual([second]);
      expect(
        (await sources.listSources({ pageSize: 10, paused: true })).items.map((s) => s.sourceId),
      ).toEqual([third]);
      await expectCode(sources.listSources({ pageSize: 10, pageToken: 'nonsense' }), 'INVALID_CURSOR');
    });

    test('updates with an optional expected version; a stale version and a no-op change nothing', async () => {
      const { sources, audit } = tenants();
      const sourceId = await registerTestSource(sources);
      const { source, changed } = await sources.updateSource({
        sourceId,
        patch: { displayName: 'Feed', rateLimit: { burst: 3, refillPerSecond: 1 } },
        expectedVersion: 1,
        actor: TEST_ACTOR,
      });
      expect(changed).toBe(true);
      expect(source).toMatchObject({
        displayName: 'Feed',
        rateLimit: { burst: 3, refillPerSecond: 1 },
        version: 2,
      });
      await expectCode(
        sources.updateSource({
          sourceId,
          patch: { displayName: 'X' },
          expectedVersion: 1,
          actor: TEST_ACTOR,
        }),
        'SOURCE_VERSION_MISMATCH',
      );
      const same = await sources.updateSource({
        sourceId,
        patch: { displayName: 'Feed' },
        actor: TEST_ACTOR,
      });
      expect(same).toEqual({ source, changed: false });
      const cleared = await sources.updateSource({ sourceId, patch: { rateLimit: null }, actor: TEST_ACTOR });
      expect(cleared.source).toMatchObject({ rateLimit: null, version: 3 });
      await expectCode(sources.updateSource({ sourceId, patch: {}, actor: TEST_ACTOR }), 'VALIDATION_FAILED');
      await expectCode(
        sources.updateSource({ sourceId: 'missing', patch: { displayName: 'X' }, actor: TEST_ACTOR }),
        'SOURCE_NOT_FOUND',
      );
      const actions = (await audit.listAuditEntries({ pageSize: 10 })).items.map((e) => e.action);
      expect(actions).toEqual(['source.update', 'source.update', 'source.register']);
      const [latest] = (await audit.listAuditEntries({ pageSize: 1 })).items;
      expect(latest?.before).toMatchObject({ rateLimit: { burst: 3, refillPerSecond: 1 }, version: 2 });
      expect(latest?.after).toMatchObject({ rateLimit: null, version: 3 });
    });

    test('keeps a concurrency limit: registered, changed, cleared, audited; out of range is refused', async () => {
      const { sources, audit } = tenants();
      const { source } = await sources.registerSource({
        source: newSource({ maxConcurrent: 4 }),
        actor: TEST_ACTOR,
      });
      expect(source).toMatchObject({ maxConcurrent: 4, rateLimit: null });
      expect((await sources.getSource(source.sourceId))?.maxConcurrent).toBe(4);
      const unlimited = await registerTestSource(sources);
      expect((await sources.getSource(unlimited))?.maxConcurrent).toBeNull();
      const changed = await sources.updateSource({
        sourceId: source.sourceId,
        patch: { maxConcurrent: 1_000_000 },
        actor: TEST_ACTOR,
      });
      expect(changed.source).toMatchObject({ maxConcurrent: 1_000_000, version: 2 });
      const cleared = await sources.updateSource({
        sourceId: source.sourceId,
        patch: { maxConcurrent: null },
        actor: TEST_ACTOR,
      });
      expect(cleared.source).toMatchObject({ maxConcurrent: null, version: 3 });
      for (const maxConcurrent of [0, -1, 2.5, 1_000_001]) {
        await expectCode(
          sources.registerSource({ source: newSource({ maxConcurrent }), actor: TEST_ACTOR }),
          'VALIDATION_FAILED',
        );
        await expectCode(
          sources.updateSource({ sourceId: source.sourceId, patch: { maxConcurrent }, actor: TEST_ACTOR }),
          'VALIDATION_FAILED',
        );
      }
      const [latest] = (await audit.listAuditEntries({ pageSize: 1 })).items;
      expect(latest?.before).toMatchObject({ maxConcurrent: 1_000_000 });
      expect(latest?.after).toMatchObject({ maxConcurrent: null });
      expect((await sources.getSource(source.sourceId))?.version).toBe(3);
    });

    test('pause keeps its reason, ticket and actor; repeats record nothing; resume clears them', async () => {
      const { sources, audit } = tenants();
      const sourceId = await registerTestSource(sources);
      const pause = { action: 'pause', pause: { reason: 'upstream outage', ticket: 'INC-7' } } as const;
      const paused = await sources.changeSourceState({ sourceId, change: pause, actor: TEST_ACTOR });
      expect(paused.changed).toBe(true);
      expect(paused.source).toMatchObject({
        paused: true,
        pauseReason: 'upstream outage',
        pauseTicket: 'INC-7',
        pausedBy: TEST_ACTOR.subject,
        version: 2,
      });
      expect(paused.source.pausedAt).not.toBeNull();
      const again = await sources.changeSourceState({
        sourceId,
        change: { action: 'pause', pause: { reason: 'another reason' } },
        actor: TEST_ACTOR,
      });
      expect(again).toEqual({ source: paused.source, changed: false });
      const resumed = await sources.changeSourceState({
        sourceId,
        change: { action: 'resume' },
        actor: TEST_ACTOR,
      });
      expect(resumed.source).toMatchObject({
        paused: false,
        pauseReason: null,
        pauseTicket: null,
        pausedBy: null,
        pausedAt: null,
      });
      await expectCode(
        sources.changeSourceState({
          sourceId,
          change: { action: 'pause', pause: { reason: '' } },
          actor: TEST_ACTOR,
        }),
        'VALIDATION_FAILED',
      );
      await expectCode(
        sources.changeSourceState({ sourceId: 'missing', change: { action: 'resume' }, actor: TEST_ACTOR }),
        'SOURCE_NOT_FOUND',
      );
      const actions = (await audit.listAuditEntries({ pageSize: 10 })).items.map((e) => e.action);
      expect(actions).toEqual(['source.resume', 'source.pause', 'source.register']);
    });

    test('jobs and runs naming an unknown or disabled source are refused whole, nothing written', async () => {
      const { sources, jobs } = tenants();
      const sourceId = await registerTestSource(sources);
      await expectCode(
        jobs.createJobs({ jobs: [newJob({ sourceId }), newJob({ sourceId: 'unknown' })], actor: TEST_ACTOR }),
        'SOURCE_NOT_FOUND',
      );
      await expectCode(
        jobs.createRun({
          run: {
            runId: `run-${randomUUID()}`,
            name: 'r',
            sourceId: 'unknown',
            idempotencyKey: null,
            requestDigest: 'd',
          },
          actor: TEST_ACTOR,
        }),
        'SOURCE_NOT_FOUND',
      );
      await sources.changeSourceState({ sourceId, change: { action: 'disable' }, actor: TEST_ACTOR });
      await expectCode(
        jobs.createJobs({ jobs: [newJob({ sourceId })], actor: TEST_ACTOR }),
        'SOURCE_DISABLED',
      );
      await expectCode(
        jobs.createRun({
          run: {
            runId: `run-${randomUUID()}`,
            name: 'r',
            sourceId,
            idempotencyKey: null,
            requestDigest: 'd',
          },
          actor: TEST_ACTOR,
        }),
        'SOURCE_DISABLED',
      );
      expect((await jobs.listJobs({ pageSize: 10 })).items).toEqual([]);
      expect((await jobs.listRuns({ pageSize: 10 })).items).toEqual([]);
      await sources.changeSourceState({ sourceId, change: { action: 'enable' }, actor: TEST_ACTOR });
      expect((await createOne(jobs, { sourceId })).sourceId).toBe(sourceId);
    });

    test('a paused source holds its queued and new jobs (never failed) while others are leased; resume releases them', async () => {
      const { sources, jobs } = tenants();
      const held = await registerTestSource(sources);
      const other = await registerTestSource(sources);
      const queued = await createOne(jobs, { sourceId: held, priority: 9 });
      await sources.changeSourceState({
        sourceId: held,
        change: { action: 'pause', pause: { reason: 'maintenance' } },
        actor: TEST_ACTOR,
      });
      const submittedWhilePaused = await createOne(jobs, { sourceId: held, priority: 9 });
      const free = await createOne(jobs, { sourceId: other });
      const unsourced = await createOne(jobs);
      const leased = await jobs.leaseJobs({
        jobTypes: ['test.job'],
        limit: 10,
        leaseDurationMs: 30_000,
        workerId: 'w',
      });
      expect(leased.map((l) => l.job.jobId).sort()).toEqual([free.jobId, unsourced.jobId].sort());
      expect((await jobs.getJob(queued.jobId))?.status).toBe('pending');
      expect((await jobs.getJob(submittedWhilePaused.jobId))?.status).toBe('pending');

      await sources.changeSourceState({ sourceId: held, change: { action: 'resume' }, actor: TEST_ACTOR });
      const released = await jobs.leaseJobs({
        jobTypes: ['test.job'],
        limit: 10,
        leaseDurationMs: 30_000,
        workerId: 'w',
      });
      expect(released.map((l) => l.job.jobId)).toEqual([queued.jobId, submittedWhilePaused.jobId]);
    });

    test('a disabled source holds its queued jobs; a job retried while its source is paused stays held', async () => {
      const { sources, jobs } = tenants();
      const sourceId = await registerTestSource(sources);
      const queued = await createOne(jobs, { sourceId });
      const running = await createOne(jobs, { sourceId });
      await sources.changeSourceState({ sourceId, change: { action: 'disable' }, actor: TEST_ACTOR });
      expect(
        await jobs.leaseJobs({ jobTypes: ['test.job'], limit: 10, leaseDurationMs: 30_000, workerId: 'w' }),
      ).toEqual([]);
      await sources.changeSourceState({ sourceId, change: { action: 'enable' }, actor: TEST_ACTOR });
      const first = await leaseOne(jobs);
      expect(first.job.jobId).toBe(queued.jobId);
      // Paused while the job runs: its retry goes back to pending, held.
      await sources.changeSourceState({
        sourceId,
        change: { action: 'pause', pause: { reason: 'r' } },
        actor: TEST_ACTOR,
      });
      await jobs.completeJob({
        ...first.lease,
        outcome: 'failed',
        error: { type: 'E', message: 'm', retryable: true },
        retryDelaysMs: NO_BACKOFF,
      });
      expect(
        await jobs.leaseJobs({ jobTypes: ['test.job'], limit: 10, leaseDurationMs: 30_000, workerId: 'w' }),
      ).toEqual([]);
      expect((await jobs.getJob(queued.jobId))?.status).toBe('pending');
      await sources.changeSourceState({ sourceId, change: { action: 'resume' }, actor: TEST_ACTOR });
      const again = await jobs.leaseJobs({
        jobTypes: ['test.job'],
        limit: 10,
        leaseDurationMs: 30_000,
        workerId: 'w',
      });
      expect(again.map((l) => l.job.jobId).sort()).toEqual([queued.jobId, running.jobId].sort());
    });

    test('another tenant sees none of the sources, and cannot name them on jobs', async () => {
      const one = tenants();
      const two = tenants();
      const sourceId = await registerTestSource(one.sources);
      expect(await two.sources.getSource(sourceId)).toBeNull();
      expect((await two.sources.listSources({ pageSize: 10 })).items).toEqual([]);
      await expectCode(
        two.sources.changeSourceState({ sourceId, change: { action: 'disable' }, actor: TEST_ACTOR }),
        'SOURCE_NOT_FOUND',
      );
      await expectCode(
        two.jobs.createJobs({ jobs: [newJob({ sourceId })], actor: TEST_ACTOR }),
        'SOURCE_NOT_FOUND',
      );
      expect((await one.sources.getSource(sourceId))?.enabled).toBe(true);
    });

    test('every change writes its operator event with the audit entry', async () => {
      const { tenantId, sources } = tenants();
      const sourceId = await registerTestSource(sources);
      await sources.changeSourceState({
        sourceId,
        change: { action: 'pause', pause: { reason: 'r' } },
        actor: TEST_ACTOR,
      });
      const rows = await made.sql.query<{ event_type: string }>(
        'SELECT event_type FROM orch.events WHERE tenant_id = $1 ORDER BY event_id',
        [tenantId],
      );
      expect(rows.map((r) => r.event_type)).toEqual(['operator.source.register', 'operator.source.pause']);
    });
  });
}
