import { randomUUID } from 'node:crypto';
import {
  throttleRequestDigest,
  type AuditTrail,
  type NewThrottle,
  type SourceStore,
  type ThrottleChangeContext,
  type ThrottleRequest,
  type ThrottleStore,
} from '@stella-orch/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { LedgerSql } from './audit-fixtures.js';
import { expectCode } from './job-store-fixtures.js';
import { registerTestSource } from './sources.testsuite.js';

/** Makes the throttle store under test with the sources and audit trail of the same ledger. */
export type ThrottleStoreFactory = () => Promise<{
  readonly throttles: ThrottleStore;
  readonly sources: SourceStore;
  readonly audit: AuditTrail;
  readonly sql: LedgerSql;
  cleanup(): Promise<void>;
}>;

/** A throttle request as the API would hand it to the store (by default: pause for an hour). */
export function newThrottle(
  request: ThrottleRequest = {},
  idempotencyKey: string | null = null,
): NewThrottle {
  const throttle: ThrottleRequest =
    request.durationSeconds === undefined && request.expiresAt === undefined
      ? { pause: true, durationSeconds: 3600, ...request }
      : { pause: true, ...request };
  return { ...throttle, idempotencyKey, requestDigest: throttleRequestDigest(throttle) };
}

/** Who throttles in the suite, and why (the token's operator_reason and operator_ticket). */
export const THROTTLE_CHANGE: ThrottleChangeContext = {
  actor: { subject: 'on-call', clientId: 'tests', scopes: ['orch:operate'] },
  reason: 'upstream overloaded',
  ticket: 'INC-9',
  audit: { reason: 'upstream overloaded', ticket: 'INC-9' },
};

const DAY_MS = 86_400_000;

/**
 * The conformance suite of the {@link ThrottleStore} port: create (audited, its end on the database clock,
 * idempotent), the refusals writing nothing (no effect, limits out of range, an end in the past or beyond
 * 30 days, an unknown source), list with filters, revoke (a repeat or an expired throttle changes nothing),
 * and tenant isolation. Every test works in a tenant of its own.
 */
export function throttleStoreConformance(name: string, factory: ThrottleStoreFactory): void {
  describe(`ThrottleStore conformance: ${name}`, () => {
    let made: Awaited<ReturnType<ThrottleStoreFactory>>;
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
        throttles: made.throttles.forTenant(tenantId),
        sources: made.sources.forTenant(tenantId),
        audit: made.audit.forTenant(tenantId),
      };
    };
    const actions = async (audit: ReturnType<typeof tenants>['audit']) =>
      (await audit.listAuditEntries({ pageSize: 50 })).items.map((e) => e.action);

    test('creates a throttle ending after its duration; it is in force, audited, with its event', async () => {
      const { tenantId, throttles, sources, audit } = tenants();
      const sourceId = await registerTestSource(sources);
      const { throttle, created } = await throttles.createThrottle({
        throttle: newThrottle({
          sourceId,
          jobType: 'scan',
          pause: false,
          maxPerSecond: 0.5,
          maxConcurrent: 0,
        }),
        ...THROTTLE_CHANGE,
      });
      expect(created).toBe(true);
      expect(throttle).toMatchObject({
        tenantId,
        sourceId,
        jobType: 'scan',
        pause: false,
        maxPerSecond: 0.5,
        maxConcurrent: 0,
        reason: 'upstream overloaded',
        ticket: 'INC-9',
        revokedAt: null,
        revokedBy: null,
        revokeReason: null,
        createdBy: 'on-call',
        active: true,
      });
      expect(Date.parse(throttle.expiresAt) - Date.parse(throttle.createdAt)).toBeGreaterThan(3_599_000);
      expect(Date.parse(throttle.expiresAt) - Date.parse(throttle.createdAt)).toBeLessThanOrEqual(3_600_000);
      expect(await throttles.getThrottle(throttle.throttleId)).toEqual(throttle);
      expect(await throttles.getThrottle(randomUUID())).toBeNull();
      expect(await throttles.getThrottle('x')).toBeNull();
      const [entry] = (await audit.listAuditEntries({ pageSize: 1 })).items;
      expect(entry).toMatchObject({
        action: 'throttle.create',
        resourceType: 'throttle',
        resourceId: throttle.throttleId,
        reason: 'upstream overloaded',
        ticket: 'INC-9',
      });
      expect(entry?.after).toMatchObject({ sourceId, maxPerSecond: 0.5, maxConcurrent: 0 });
      const events = await made.sql.query<{ event_type: string }>(
        `SELECT event_type FROM orch.events WHERE tenant_id = $1 AND event_type LIKE 'operator.throttle.%'`,
        [tenantId],
      );
      expect(events.map((e) => e.event_type)).toEqual(['operator.throttle.create']);
    });

    test('takes an expiresAt within 30 days; refuses one in the past or beyond, writing nothing', async () => {
      const { throttles, audit } = tenants();
      const expiresAt = new Date(Date.now() + 2 * DAY_MS).toISOString();
      const { throttle } = await throttles.createThrottle({
        throttle: newThrottle({ expiresAt }),
        ...THROTTLE_CHANGE,
      });
      expect(throttle.expiresAt).toBe(expiresAt);
      for (const end of [
        { expiresAt: new Date(Date.now() - 60_000).toISOString() },
        { expiresAt: new Date(Date.now() + 31 * DAY_MS).toISOString() },
        { durationSeconds: 30 * 86_400 + 1 },
        { durationSeconds: 0 },
      ]) {
        await expectCode(
          throttles.createThrottle({ throttle: newThrottle(end), ...THROTTLE_CHANGE }),
          'VALIDATION_FAILED',
        );
      }
      expect(await actions(audit)).toEqual(['throttle.create']);
    });

    test('refuses a throttle without an effect, with limits out of range or two ends, writing nothing', async () => {
      const { throttles, audit } = tenants();
      const bad: ThrottleRequest[] = [
        { pause: false },
        { pause: false, maxPerSecond: 0 },
        { pause: false, maxPerSecond: -1 },
        { pause: false, maxPerSecond: 100_001 },
        { pause: false, maxConcurrent: -1 },
        { pause: false, maxConcurrent: 1.5 },
        { pause: false, maxConcurrent: 1_000_001 },
        { durationSeconds: 60, expiresAt: new Date(Date.now() + DAY_MS).toISOString() },
        { expiresAt: 'tomorrow' },
        { jobType: ' spaces ' },
      ];
      for (const request of bad) {
        await expectCode(
          throttles.createThrottle({ throttle: newThrottle(request), ...THROTTLE_CHANGE }),
          'VALIDATION_FAILED',
        );
      }
      await expectCode(
        throttles.createThrottle({ throttle: newThrottle(), ...THROTTLE_CHANGE, ticket: '' }),
        'VALIDATION_FAILED',
      );
      expect((await throttles.listThrottles({ pageSize: 10 })).items).toEqual([]);
      expect(await actions(audit)).toEqual([]);
    });

    test('refuses an unknown source, or another tenant’s, writing nothing', async () => {
      const one = tenants();
      const two = tenants();
      const sourceId = await registerTestSource(two.sources);
      for (const id of ['unknown', sourceId]) {
        await expectCode(
          one.throttles.createThrottle({ throttle: newThrottle({ sourceId: id }), ...THROTTLE_CHANGE }),
          'SOURCE_NOT_FOUND',
        );
      }
      expect((await one.throttles.listThrottles({ pageSize: 10 })).items).toEqual([]);
      expect(await actions(one.audit)).toEqual([]);
    });

    test('an idempotent repeat returns the throttle; a reused key with another request conflicts', async () => {
      const { throttles, audit } = tenants();
      const request = newThrottle({ jobType: 'scan', maxConcurrent: 2 }, 'throttle-key');
      const first = await throttles.createThrottle({ throttle: request, ...THROTTLE_CHANGE });
      const again = await throttles.createThrottle({ throttle: request, ...THROTTLE_CHANGE });
      expect(again).toEqual({ throttle: first.throttle, created: false });
      await expectCode(
        throttles.createThrottle({
          throttle: newThrottle({ jobType: 'other' }, 'throttle-key'),
          ...THROTTLE_CHANGE,
        }),
        'IDEMPOTENCY_CONFLICT',
      );
      expect(await actions(audit)).toEqual(['throttle.create']);
    });

    test('lists newest first, by page, by source, job type and whether in force', async () => {
      const { throttles, sources } = tenants();
      const sourceId = await registerTestSource(sources);
      const ids: string[] = [];
      for (const request of [{ sourceId }, { jobType: 'scan' }, { sourceId, jobType: 'scan' }, {}]) {
        ids.push(
          (await throttles.createThrottle({ throttle: newThrottle(request), ...THROTTLE_CHANGE })).throttle
            .throttleId,
        );
      }
      const [a, b, c, d] = ids as [string, string, string, string];
      await throttles.revokeThrottle({ throttleId: b, ...THROTTLE_CHANGE });
      const first = await throttles.listThrottles({ pageSize: 3 });
      expect(first.items.map((t) => t.throttleId)).toEqual([d, c, b]);
      const rest = await throttles.listThrottles({ pageSize: 3, pageToken: first.nextPageToken ?? '' });
      expect(rest.items.map((t) => t.throttleId)).toEqual([a]);
      expect(rest.nextPageToken).toBeNull();
      const listed = async (query: Parameters<typeof throttles.listThrottles>[0]) =>
        (await throttles.listThrottles(query)).items.map((t) => t.throttleId);
      expect(await listed({ pageSize: 10, sourceId })).toEqual([c, a]);
      expect(await listed({ pageSize: 10, jobType: 'scan' })).toEqual([c, b]);
      expect(await listed({ pageSize: 10, active: false })).toEqual([b]);
      expect(await listed({ pageSize: 10, active: true })).toEqual([d, c, a]);
      await expectCode(throttles.listThrottles({ pageSize: 10, pageToken: 'nonsense' }), 'INVALID_CURSOR');
    });

    test('revoke ends a throttle once; revoking it again, or an expired one, changes and records nothing', async () => {
      const { tenantId, throttles, audit } = tenants();
      const { throttle } = await throttles.createThrottle({ throttle: newThrottle(), ...THROTTLE_CHANGE });
      const revoked = await throttles.revokeThrottle({
        throttleId: throttle.throttleId,
        revokeReason: 'upstream recovered',
        ...THROTTLE_CHANGE,
      });
      expect(revoked.changed).toBe(true);
      expect(revoked.throttle).toMatchObject({
        revokedBy: 'on-call',
        revokeReason: 'upstream recovered',
        active: false,
      });
      expect(revoked.throttle.revokedAt).not.toBeNull();
      const again = await throttles.revokeThrottle({ throttleId: throttle.throttleId, ...THROTTLE_CHANGE });
      expect(again).toEqual({ throttle: revoked.throttle, changed: false });

      const expiring = await throttles.createThrottle({ throttle: newThrottle(), ...THROTTLE_CHANGE });
      await made.sql.query(
        `UPDATE orch.throttles SET created_at = now() - interval '2 hours', expires_at = now() - interval '1 hour'
         WHERE tenant_id = $1 AND throttle_id = $2`,
        [tenantId, expiring.throttle.throttleId],
      );
      const expired = await throttles.revokeThrottle({
        throttleId: expiring.throttle.throttleId,
        ...THROTTLE_CHANGE,
      });
      expect(expired.changed).toBe(false);
      expect(expired.throttle).toMatchObject({ active: false, revokedAt: null });
      // Without a reason of its own, the revoke keeps the operator's.
      const other = await throttles.createThrottle({ throttle: newThrottle(), ...THROTTLE_CHANGE });
      const byDefault = await throttles.revokeThrottle({
        throttleId: other.throttle.throttleId,
        ...THROTTLE_CHANGE,
      });
      expect(byDefault.throttle.revokeReason).toBe('upstream overloaded');

      await expectCode(
        throttles.revokeThrottle({ throttleId: randomUUID(), ...THROTTLE_CHANGE }),
        'THROTTLE_NOT_FOUND',
      );
      await expectCode(
        throttles.revokeThrottle({ throttleId: 'nope', ...THROTTLE_CHANGE }),
        'THROTTLE_NOT_FOUND',
      );
      expect(await actions(audit)).toEqual([
        'throttle.revoke',
        'throttle.create',
        'throttle.create',
        'throttle.revoke',
        'throttle.create',
      ]);
      const [latest] = (await audit.listAuditEntries({ pageSize: 1 })).items;
      expect(latest?.before).toMatchObject({ revokedAt: null });
      expect(latest?.after).toMatchObject({ revokedBy: 'on-call' });
    });

    test('another tenant sees none of the throttles and cannot revoke them', async () => {
      const one = tenants();
      const two = tenants();
      const { throttle } = await one.throttles.createThrottle({
        throttle: newThrottle(),
        ...THROTTLE_CHANGE,
      });
      expect(await two.throttles.getThrottle(throttle.throttleId)).toBeNull();
      expect((await two.throttles.listThrottles({ pageSize: 10 })).items).toEqual([]);
      await expectCode(
        two.throttles.revokeThrottle({ throttleId: throttle.throttleId, ...THROTTLE_CHANGE }),
        'THROTTLE_NOT_FOUND',
      );
      expect((await one.throttles.getThrottle(throttle.throttleId))?.active).toBe(true);
    });
  });
}
