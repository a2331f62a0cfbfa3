import { randomUUID } from 'node:crypto';
import {
  quotaRequestDigest,
  type AuditTrail,
  type JobStore,
  type NewQuota,
  type QuotaChangeContext,
  type QuotaDefinition,
  type QuotaStore,
} from '@stella-orch/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { LedgerSql } from './audit-fixtures.js';
import { createOne, expectCode, leaseOne } from './job-store-fixtures.js';

/** Makes the quota store under test with the job store and audit trail of the same ledger. */
export type QuotaStoreFactory = () => Promise<{
  readonly quotas: QuotaStore;
  readonly store: JobStore;
  readonly audit: AuditTrail;
  readonly sql: LedgerSql;
  cleanup(): Promise<void>;
}>;

/** A quota request as the API would hand it to the store. */
export function newQuota(definition: QuotaDefinition = {}, idempotencyKey: string | null = null): NewQuota {
  const quota = { maxActive: 10, ...definition };
  return { ...quota, idempotencyKey, requestDigest: quotaRequestDigest(quota) };
}

/** Who changes quotas in the suite, and why (the token's quota_reason and quota_ticket). */
export const QUOTA_CHANGE: QuotaChangeContext = {
  actor: { subject: 'capacity-admin', clientId: 'tests', scopes: ['orch:quota'] },
  reason: 'seasonal load',
  ticket: 'CAP-7',
  audit: { reason: 'seasonal load', ticket: 'CAP-7' },
};

/**
 * The conformance suite of the {@link QuotaStore} port: create (one per job type and one tenant-wide,
 * idempotent, audited), the refusals writing nothing, list, optimistic update, pause / resume (repeats
 * record nothing), delete, the usage summary (active and ready jobs, the bucket's tokens from
 * `orch.limit_state`), and tenant isolation. Every test works in a tenant of its own.
 */
export function quotaStoreConformance(name: string, factory: QuotaStoreFactory): void {
  describe(`QuotaStore conformance: ${name}`, () => {
    let made: Awaited<ReturnType<QuotaStoreFactory>>;
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
        quotas: made.quotas.forTenant(tenantId),
        jobs: made.store.forTenant(tenantId),
        audit: made.audit.forTenant(tenantId),
      };
    };
    const actions = async (audit: ReturnType<typeof tenants>['audit']) =>
      (await audit.listAuditEntries({ pageSize: 50 })).items.map((e) => e.action);

    test('creates, gets and lists quotas; the change is audited with the quota reason and its event', async () => {
      const { tenantId, quotas, audit } = tenants();
      const { quota, created } = await quotas.createQuota({
        quota: newQuota({ jobType: 'scan', maxActive: 5, maxPerHour: 3600, burst: 20 }),
        ...QUOTA_CHANGE,
      });
      expect(created).toBe(true);
      expect(quota).toMatchObject({
        tenantId,
        jobType: 'scan',
        maxActive: 5,
        maxPerHour: 3600,
        burst: 20,
        paused: false,
        pauseReason: null,
        reason: 'seasonal load',
        ticket: 'CAP-7',
        version: 1,
        createdBy: 'capacity-admin',
        updatedBy: 'capacity-admin',
      });
      expect(await quotas.getQuota(quota.quotaId)).toEqual(quota);
      expect(await quotas.getQuota(randomUUID())).toBeNull();
      expect(await quotas.getQuota('not-a-uuid')).toBeNull();
      const tenantWide = await quotas.createQuota({
        quota: newQuota({ maxActive: null, maxPerHour: 100 }),
        ...QUOTA_CHANGE,
      });
      expect(tenantWide.quota).toMatchObject({
        jobType: null,
        maxActive: null,
        maxPerHour: 100,
        burst: null,
      });
      const [entry] = [...(await audit.listAuditEntries({ pageSize: 10 })).items].reverse();
      expect(entry).toMatchObject({
        action: 'quota.create',
        resourceType: 'quota',
        resourceId: quota.quotaId,
        reason: 'seasonal load',
        ticket: 'CAP-7',
        correlationId: `quota:${quota.quotaId}`,
      });
      expect(entry?.before).toBeUndefined();
      expect(entry?.after).toMatchObject({ jobType: 'scan', maxActive: 5, version: 1 });
      const events = await made.sql.query<{ event_type: string }>(
        'SELECT event_type FROM orch.events WHERE tenant_id = $1 ORDER BY event_id',
        [tenantId],
      );
      expect(events.map((e) => e.event_type)).toEqual(['operator.quota.create', 'operator.quota.create']);
    });

    test('an idempotent repeat returns the quota; a taken scope or a reused key conflicts; nothing is written', async () => {
      const { quotas, audit } = tenants();
      const request = newQuota({ jobType: 'scan' }, 'key-1');
      const first = await quotas.createQuota({ quota: request, ...QUOTA_CHANGE });
      const again = await quotas.createQuota({ quota: request, ...QUOTA_CHANGE });
      expect(again).toEqual({ quota: first.quota, created: false });
      const exists = await expectCode(
        quotas.createQuota({ quota: newQuota({ jobType: 'scan', maxActive: 3 }), ...QUOTA_CHANGE }),
        'QUOTA_EXISTS',
      );
      expect(exists).toMatchObject({ details: { jobType: 'scan', quotaId: first.quota.quotaId } });
      await expectCode(
        quotas.createQuota({ quota: newQuota({ jobType: 'other' }, 'key-1'), ...QUOTA_CHANGE }),
        'IDEMPOTENCY_CONFLICT',
      );
      // One tenant-wide quota too.
      await quotas.createQuota({ quota: newQuota(), ...QUOTA_CHANGE });
      await expectCode(
        quotas.createQuota({ quota: newQuota({ jobType: null }), ...QUOTA_CHANGE }),
        'QUOTA_EXISTS',
      );
      expect(await actions(audit)).toEqual(['quota.create', 'quota.create']);
      expect((await quotas.listQuotas({ pageSize: 10 })).items).toHaveLength(2);
    });

    test('refuses absurd limits, a burst without an hourly rate, no limit at all and bad reasons, writing nothing', async () => {
      const { quotas, audit } = tenants();
      const bad: QuotaDefinition[] = [
        { maxActive: 0 },
        { maxActive: -1 },
        { maxActive: 1.5 },
        { maxActive: 1_000_001 },
        { maxActive: null, maxPerHour: 0 },
        { maxActive: null, maxPerHour: 360_000_001 },
        { maxActive: 5, burst: 10 },
        { maxActive: null, maxPerHour: 10, burst: 0 },
        { maxActive: null, maxPerHour: 10, burst: 2_000_000 },
        { maxActive: null },
        { jobType: ' spaces ' },
        { jobType: 'x'.repeat(129) },
      ];
      for (const definition of bad) {
        await expectCode(
          quotas.createQuota({ quota: newQuota(definition), ...QUOTA_CHANGE }),
          'VALIDATION_FAILED',
        );
      }
      await expectCode(
        quotas.createQuota({ quota: newQuota(), ...QUOTA_CHANGE, reason: '' }),
        'VALIDATION_FAILED',
      );
      await expectCode(
        quotas.createQuota({ quota: newQuota(), ...QUOTA_CHANGE, ticket: 't'.repeat(129) }),
        'VALIDATION_FAILED',
      );
      expect((await quotas.listQuotas({ pageSize: 10 })).items).toEqual([]);
      expect(await actions(audit)).toEqual([]);
    });

    test('lists in creation order, by page, with a job type filter', async () => {
      const { quotas } = tenants();
      const ids: string[] = [];
      for (const jobType of ['a', 'b', 'c', null]) {
        ids.push((await quotas.createQuota({ quota: newQuota({ jobType }), ...QUOTA_CHANGE })).quota.quotaId);
      }
      const first = await quotas.listQuotas({ pageSize: 3 });
      expect(first.items.map((q) => q.quotaId)).toEqual(ids.slice(0, 3));
      const rest = await quotas.listQuotas({ pageSize: 3, pageToken: first.nextPageToken ?? '' });
      expect(rest.items.map((q) => q.quotaId)).toEqual(ids.slice(3));
      expect(rest.nextPageToken).toBeNull();
      expect((await quotas.listQuotas({ pageSize: 10, jobType: 'b' })).items.map((q) => q.quotaId)).toEqual([
        ids[1],
      ]);
      await expectCode(quotas.listQuotas({ pageSize: 10, pageToken: 'nonsense' }), 'INVALID_CURSOR');
    });

    test('replaces the limits with an optional expected version; a stale version and a no-op change nothing', async () => {
      const { quotas, audit } = tenants();
      const { quota } = await quotas.createQuota({ quota: newQuota({ jobType: 'scan' }), ...QUOTA_CHANGE });
      const later = { ...QUOTA_CHANGE, reason: 'peak over', ticket: null };
      const updated = await quotas.updateQuota({
        quotaId: quota.quotaId,
        limits: { maxPerHour: 600 },
        expectedVersion: 1,
        ...later,
      });
      expect(updated.changed).toBe(true);
      // Replaced whole: maxActive, absent, is cleared.
      expect(updated.quota).toMatchObject({
        maxActive: null,
        maxPerHour: 600,
        burst: null,
        reason: 'peak over',
        ticket: null,
        version: 2,
      });
      await expectCode(
        quotas.updateQuota({
          quotaId: quota.quotaId,
          limits: { maxActive: 1 },
          expectedVersion: 1,
          ...later,
        }),
        'QUOTA_VERSION_MISMATCH',
      );
      const same = await quotas.updateQuota({
        quotaId: quota.quotaId,
        limits: { maxPerHour: 600, burst: null },
        ...QUOTA_CHANGE,
      });
      expect(same).toEqual({ quota: updated.quota, changed: false });
      await expectCode(
        quotas.updateQuota({ quotaId: quota.quotaId, limits: { burst: 5 }, ...later }),
        'VALIDATION_FAILED',
      );
      await expectCode(
        quotas.updateQuota({ quotaId: randomUUID(), limits: { maxActive: 1 }, ...later }),
        'QUOTA_NOT_FOUND',
      );
      await expectCode(
        quotas.updateQuota({ quotaId: 'nope', limits: { maxActive: 1 }, ...later }),
        'QUOTA_NOT_FOUND',
      );
      expect(await actions(audit)).toEqual(['quota.update', 'quota.create']);
      const [latest] = (await audit.listAuditEntries({ pageSize: 1 })).items;
      expect(latest?.before).toMatchObject({ maxActive: 10, maxPerHour: null, version: 1 });
      expect(latest?.after).toMatchObject({
        maxActive: null,
        maxPerHour: 600,
        version: 2,
        reason: 'peak over',
      });
    });

    test('pause keeps its reason, ticket and actor; repeats record nothing; resume clears them', async () => {
      const { quotas, audit } = tenants();
      const { quota } = await quotas.createQuota({ quota: newQuota(), ...QUOTA_CHANGE });
      const pause = { action: 'pause', pause: { reason: 'tenant over budget', ticket: 'FIN-3' } } as const;
      const paused = await quotas.changeQuotaState({
        quotaId: quota.quotaId,
        change: pause,
        ...QUOTA_CHANGE,
      });
      expect(paused.changed).toBe(true);
      expect(paused.quota).toMatchObject({
        paused: true,
        pauseReason: 'tenant over budget',
        pauseTicket: 'FIN-3',
        pausedBy: 'capacity-admin',
        version: 2,
      });
      expect(paused.quota.pausedAt).not.toBeNull();
      const again = await quotas.changeQuotaState({
        quotaId: quota.quotaId,
        change: { action: 'pause', pause: { reason: 'another reason' } },
        ...QUOTA_CHANGE,
      });
      expect(again).toEqual({ quota: paused.quota, changed: false });
      const resumed = await quotas.changeQuotaState({
        quotaId: quota.quotaId,
        change: { action: 'resume' },
        ...QUOTA_CHANGE,
      });
      expect(resumed.quota).toMatchObject({
        paused: false,
        pauseReason: null,
        pauseTicket: null,
        pausedBy: null,
        pausedAt: null,
        version: 3,
      });
      const resumedAgain = await quotas.changeQuotaState({
        quotaId: quota.quotaId,
        change: { action: 'resume' },
        ...QUOTA_CHANGE,
      });
      expect(resumedAgain).toEqual({ quota: resumed.quota, changed: false });
      await expectCode(
        quotas.changeQuotaState({
          quotaId: quota.quotaId,
          change: { action: 'pause', pause: { reason: '' } },
          ...QUOTA_CHANGE,
        }),
        'VALIDATION_FAILED',
      );
      await expectCode(
        quotas.changeQuotaState({ quotaId: randomUUID(), change: { action: 'resume' }, ...QUOTA_CHANGE }),
        'QUOTA_NOT_FOUND',
      );
      expect(await actions(audit)).toEqual(['quota.resume', 'quota.pause', 'quota.create']);
    });

    test('delete removes the quota (audited with the quota before); its scope can have a quota again', async () => {
      const { tenantId, quotas, audit } = tenants();
      const { quota } = await quotas.createQuota({ quota: newQuota({ jobType: 'scan' }), ...QUOTA_CHANGE });
      await expectCode(
        quotas.deleteQuota({ quotaId: quota.quotaId, expectedVersion: 2, ...QUOTA_CHANGE }),
        'QUOTA_VERSION_MISMATCH',
      );
      const deleted = await quotas.deleteQuota({
        quotaId: quota.quotaId,
        expectedVersion: 1,
        ...QUOTA_CHANGE,
      });
      expect(deleted).toEqual(quota);
      expect(await quotas.getQuota(quota.quotaId)).toBeNull();
      await expectCode(quotas.deleteQuota({ quotaId: quota.quotaId, ...QUOTA_CHANGE }), 'QUOTA_NOT_FOUND');
      const [entry] = (await audit.listAuditEntries({ pageSize: 1 })).items;
      expect(entry).toMatchObject({ action: 'quota.delete', resourceId: quota.quotaId });
      expect(entry?.before).toMatchObject({ jobType: 'scan', maxActive: 10 });
      expect(entry?.after).toBeUndefined();
      const again = await quotas.createQuota({ quota: newQuota({ jobType: 'scan' }), ...QUOTA_CHANGE });
      expect(again.quota.quotaId).not.toBe(quota.quotaId);
      const events = await made.sql.query<{ event_type: string }>(
        'SELECT event_type FROM orch.events WHERE tenant_id = $1 ORDER BY event_id',
        [tenantId],
      );
      expect(events.map((e) => e.event_type)).toEqual([
        'operator.quota.create',
        'operator.quota.delete',
        'operator.quota.create',
      ]);
    });

    test('the summary counts active and ready jobs per quota scope, the tokens now, and the tenant totals', async () => {
      const { tenantId, quotas, jobs } = tenants();
      // Jobs first (leased before any quota exists, so that no limit is in the way).
      for (let i = 0; i < 3; i++) await createOne(jobs, { jobType: 'scan' });
      await createOne(jobs, { jobType: 'export' });
      await createOne(jobs, { jobType: 'export', notBefore: new Date(Date.now() + 3_600_000).toISOString() });
      await leaseOne(jobs, { jobType: 'scan' });
      await leaseOne(jobs, { jobType: 'export' });
      const scan = await quotas.createQuota({
        quota: newQuota({ jobType: 'scan', maxActive: 4, maxPerHour: 3600, burst: 100 }),
        ...QUOTA_CHANGE,
      });
      const exportQuota = await quotas.createQuota({
        quota: newQuota({ jobType: 'export', maxActive: 2 }),
        ...QUOTA_CHANGE,
      });
      const tenantWide = await quotas.createQuota({
        quota: newQuota({ maxActive: null, maxPerHour: 120 }),
        ...QUOTA_CHANGE,
      });
      // The lease grant stored the scan bucket 36 s ago at 2 tokens: 2 + 36 × 1/s refilled since.
      await made.sql.query(
        `INSERT INTO orch.limit_state (tenant_id, limit_key, tokens, refilled_at)
         VALUES ($1, 'quota:scan', 2, now() - interval '36 seconds')`,
        [tenantId],
      );
      const summary = await quotas.quotaSummary();
      expect(summary.tenantId).toBe(tenantId);
      expect(Math.abs(Date.parse(summary.asOf) - Date.now())).toBeLessThan(60_000);
      expect(summary.totals).toEqual({ active: 2, readyJobs: 2 });
      const [scanUsage, exportUsage, wideUsage] = summary.quotas;
      expect(scanUsage).toMatchObject({ quota: scan.quota, active: 1, readyJobs: 2, tokenCapacity: 100 });
      expect(scanUsage?.tokens).toBeGreaterThanOrEqual(38);
      expect(scanUsage?.tokens).toBeLessThan(45);
      expect(exportUsage).toMatchObject({
        quota: exportQuota.quota,
        active: 1,
        readyJobs: 0,
        tokens: null,
        tokenCapacity: null,
      });
      // No stored level: a full bucket (the default burst, a minute of the hourly rate).
      expect(wideUsage).toMatchObject({
        quota: tenantWide.quota,
        active: 2,
        readyJobs: 2,
        tokens: 2,
        tokenCapacity: 2,
      });
      // Every quota has room (2 tokens left of the tenant-wide bucket): none holds anything back.
      expect(summary.quotas.map((u) => u.holds)).toEqual([[], [], []]);
      await quotas.updateQuota({
        quotaId: scan.quota.quotaId,
        limits: { maxActive: 1, maxPerHour: 3600, burst: 100 },
        ...QUOTA_CHANGE,
      });
      const held = await quotas.quotaSummary();
      expect(held.quotas[0]?.holds.map((h) => h.code)).toEqual(['QUOTA_ACTIVE_LIMIT']);
    });

    test('another tenant sees none of the quotas and cannot change them', async () => {
      const one = tenants();
      const two = tenants();
      const { quota } = await one.quotas.createQuota({
        quota: newQuota({ jobType: 'scan' }),
        ...QUOTA_CHANGE,
      });
      expect(await two.quotas.getQuota(quota.quotaId)).toBeNull();
      expect((await two.quotas.listQuotas({ pageSize: 10 })).items).toEqual([]);
      expect((await two.quotas.quotaSummary()).quotas).toEqual([]);
      await expectCode(
        two.quotas.updateQuota({ quotaId: quota.quotaId, limits: { maxActive: 1 }, ...QUOTA_CHANGE }),
        'QUOTA_NOT_FOUND',
      );
      await expectCode(
        two.quotas.deleteQuota({ quotaId: quota.quotaId, ...QUOTA_CHANGE }),
        'QUOTA_NOT_FOUND',
      );
      // The same scope is free in the other tenant.
      expect(
        (await two.quotas.createQuota({ quota: newQuota({ jobType: 'scan' }), ...QUOTA_CHANGE })).created,
      ).toBe(true);
      expect(await one.quotas.getQuota(quota.quotaId)).toEqual(quota);
    });
  });
}
