import { describe, expect, it } from 'vitest';
import type { AuditHead } from './audit-chain.js';
import { GENESIS_PREV_HASH, sealAuditEntry, type AuditEntry } from './audit-entry.js';
import { AuditService } from './audit-service.js';
import type { AuditTrail, ListAuditEntriesQuery, TenantAuditTrail } from './audit-trail.js';
import { isOrchestratorError } from './errors.js';
import type { RequestContext } from './request-context.js';

const CTX: RequestContext = {
  tenantId: 't1',
  actor: { subject: 'auditor', clientId: null, scopes: ['orch:read'] },
  correlationId: 'corr',
};

const ENTRY: AuditEntry = sealAuditEntry({
  auditId: '00000000-0000-4000-8000-000000000001',
  tenantId: 't1',
  sequence: 1,
  occurredAt: '2030-01-01T00:00:00.000Z',
  actor: CTX.actor,
  action: 'job.cancel',
  resourceType: 'job',
  resourceId: 'j1',
  correlationId: 'c',
  prevHash: GENESIS_PREV_HASH,
});

/** A trail holding {@link ENTRY} for tenant t1 only, recording the tenants and queries it was asked for. */
function fakeTrail() {
  const tenants: string[] = [];
  const queries: ListAuditEntriesQuery[] = [];
  const trail: AuditTrail = {
    forTenant(tenantId): TenantAuditTrail {
      tenants.push(tenantId);
      const entries = tenantId === 't1' ? [ENTRY] : [];
      const head: AuditHead | null = tenantId === 't1' ? { lastSequence: 1, lastHash: ENTRY.hash } : null;
      return {
        tenantId,
        appendAuditEntry: () => Promise.reject(new Error('not used')),
        listAuditEntries: (query) => {
          queries.push(query);
          return Promise.resolve({ items: entries, nextPageToken: null });
        },
        getAuditEntry: (auditId) => Promise.resolve(entries.find((e) => e.auditId === auditId) ?? null),
        readAuditChain: ({ fromSequence, limit }) =>
          Promise.resolve(entries.filter((e) => e.sequence >= fromSequence).slice(0, limit)),
        getAuditHead: () => Promise.resolve(head),
      };
    },
  };
  return { trail, tenants, queries };
}

async function codeOf(promise: Promise<unknown>) {
  return promise.then(
    () => 'resolved',
    (e: unknown) => (isOrchestratorError(e) ? e.code : e),
  );
}

describe('AuditService', () => {
  it('lists in the caller’s tenant, passing the filters on', async () => {
    const { trail, tenants, queries } = fakeTrail();
    const service = new AuditService({ trail });
    const query = { pageSize: 10, ticket: 'OPS-1', occurredAfter: '2030-01-01T00:00:00.000Z' };
    expect(await service.listAuditEntries(CTX, query)).toEqual({ items: [ENTRY], nextPageToken: null });
    expect(tenants).toEqual(['t1']);
    expect(queries).toEqual([query]);
  });

  it('refuses a page size out of range and a time window that ends before it starts', async () => {
    const service = new AuditService(fakeTrail());
    for (const pageSize of [0, 501, 1.5]) {
      expect(await codeOf(service.listAuditEntries(CTX, { pageSize }))).toBe('VALIDATION_FAILED');
    }
    const t = '2030-01-01T00:00:00.000Z';
    expect(
      await codeOf(service.listAuditEntries(CTX, { pageSize: 5, occurredAfter: t, occurredBefore: t })),
    ).toBe('VALIDATION_FAILED');
  });

  it('gets an entry of the caller’s tenant; anything else is AUDIT_ENTRY_NOT_FOUND', async () => {
    const service = new AuditService(fakeTrail());
    expect(await service.getAuditEntry(CTX, ENTRY.auditId)).toEqual(ENTRY);
    expect(await codeOf(service.getAuditEntry({ ...CTX, tenantId: 't2' }, ENTRY.auditId))).toBe(
      'AUDIT_ENTRY_NOT_FOUND',
    );
    expect(await codeOf(service.getAuditEntry(CTX, 'nope'))).toBe('AUDIT_ENTRY_NOT_FOUND');
  });

  it('verifies the caller’s tenant’s trail', async () => {
    const service = new AuditService(fakeTrail(), { verifyPageSize: 1 });
    expect(await service.verifyAuditTrail(CTX)).toEqual({
      ok: true,
      checked: 1,
      lastSequence: 1,
      headHash: ENTRY.hash,
    });
    expect(await service.verifyAuditTrail({ ...CTX, tenantId: 't2' })).toMatchObject({
      ok: true,
      checked: 0,
    });
  });
});
