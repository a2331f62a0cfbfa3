import { randomUUID } from 'node:crypto';
import {
  verifyAuditChain,
  type AuditEntry,
  type AuditMetadata,
  type AuditTrail,
  type JobStore,
  type TenantAuditTrail,
  type TenantJobStore,
} from '@stella-orch/core';
import { expect } from 'vitest';

/** Raw SQL on the ledger as its owner (a superuser in the tests): how tampering is simulated. */
export interface LedgerSql {
  query<R>(text: string, params?: readonly unknown[]): Promise<R[]>;
}

/** What each audit conformance test gets. */
export interface AuditConformanceContext {
  readonly store: JobStore;
  readonly audit: AuditTrail;
  readonly sql: LedgerSql;
}

/** One tenant's job store and audit trail. */
export interface AuditTenant {
  readonly tenantId: string;
  readonly jobs: TenantJobStore;
  readonly trail: TenantAuditTrail;
}

/** A fresh, random tenant: its job store and its audit trail. */
export function freshAuditTenant(ctx: AuditConformanceContext): AuditTenant {
  const tenantId = `tenant-${randomUUID()}`;
  return { tenantId, jobs: ctx.store.forTenant(tenantId), trail: ctx.audit.forTenant(tenantId) };
}

/** Audit metadata as a request with a token and operator headers would carry it. */
export function operatorAudit(overrides: Partial<AuditMetadata> = {}): AuditMetadata {
  return {
    reason: 'nightly maintenance',
    ticket: 'OPS-1',
    requestReason: 'duplicate ingestion',
    requestTicket: 'INC-42',
    correlationId: `corr-${randomUUID()}`,
    ...overrides,
  };
}

/** The whole chain of a tenant, in sequence order. */
export async function wholeChain(trail: TenantAuditTrail): Promise<AuditEntry[]> {
  return trail.readAuditChain({ fromSequence: 1, limit: 10_000 });
}

/** Asserts that the tenant's chain runs 1..n without gaps, verifies, and ends at the head; returns it. */
export async function expectLinearChain(trail: TenantAuditTrail, length: number): Promise<AuditEntry[]> {
  const chain = await wholeChain(trail);
  expect(chain.map((e) => e.sequence)).toEqual(Array.from({ length }, (_, i) => i + 1));
  const verification = verifyAuditChain(chain, { expectedFirstSequence: 1 });
  expect(verification).toMatchObject({ ok: true, checked: length });
  const head = await trail.getAuditHead();
  if (length === 0) {
    expect(head).toBeNull();
  } else {
    expect(head).toEqual({ lastSequence: length, lastHash: chain.at(-1)?.hash });
  }
  return chain;
}

/**
 * Runs `change` with the ledger's user triggers on `orch.audit_entries` disabled (as the table owner or a
 * superuser could), and enables them again whatever happens.
 */
export async function withAuditTriggersDisabled(sql: LedgerSql, change: () => Promise<void>): Promise<void> {
  await sql.query('ALTER TABLE orch.audit_entries DISABLE TRIGGER USER');
  try {
    await change();
  } finally {
    await sql.query('ALTER TABLE orch.audit_entries ENABLE TRIGGER USER');
  }
}
