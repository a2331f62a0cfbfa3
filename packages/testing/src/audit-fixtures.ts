import { createHash, randomUUID } from 'node:crypto';
import {
  canonicalJson,
  checkpointSigningInput,
  manifestSigningInput,
  sha256Digest,
  verifyAuditChain,
  type AuditArchiveManifest,
  type AuditCheckpoint,
  type AuditEntry,
  type AuditMetadata,
  type AuditTrail,
  type JobStore,
  type TenantAuditTrail,
  type TenantJobStore,
} from '@stella-orch/core';
import { expect } from 'vitest';
import { createOne, TEST_ACTOR } from './job-store-fixtures.js';

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

/** A tenant with `count` canceled jobs, hence `count` entries. */
export async function tenantWithEntries(ctx: AuditConformanceContext, count: number): Promise<AuditTenant> {
  const tenant = freshAuditTenant(ctx);
  for (let i = 0; i < count; i++) {
    const job = await createOne(tenant.jobs);
    await tenant.jobs.cancelJob({
      jobId: job.jobId,
      reason: `r${i}`,
      actor: TEST_ACTOR,
      audit: operatorAudit(),
    });
  }
  return tenant;
}

/** The message a refused statement gives, or a note that it succeeded. */
export async function rejection(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'the statement succeeded',
    (error: unknown) => (error instanceof Error ? error.message : String(error)),
  );
}

/**
 * A stand-in signature (base64url SHA-256 of the signing input): the ledger keeps signatures without
 * checking them, so the suites need no key.
 */
function fakeSignature(input: string): string {
  return createHash('sha256').update(input).digest('base64url');
}

/** A checkpoint of `entry` (the head of its tenant's chain, say), "signed" by a stand-in. */
export function checkpointOf(
  entry: Pick<AuditEntry, 'tenantId' | 'sequence' | 'hash'>,
  overrides: Partial<AuditCheckpoint> = {},
): AuditCheckpoint {
  const unsigned = {
    tenantId: entry.tenantId,
    sequence: entry.sequence,
    headHash: entry.hash,
    signedAt: new Date().toISOString(),
    keyId: 'test-audit-key',
    ...overrides,
  };
  return { ...unsigned, signature: overrides.signature ?? fakeSignature(checkpointSigningInput(unsigned)) };
}

/**
 * The manifest of an archive of `entries` (a run of one tenant's chain, in sequence order) as NDJSON of
 * their canonical JSON, "signed" by a stand-in.
 */
export function archiveManifestOf(
  entries: readonly AuditEntry[],
  overrides: Partial<AuditArchiveManifest> = {},
): AuditArchiveManifest {
  const first = entries[0];
  const last = entries.at(-1);
  if (first === undefined || last === undefined) throw new Error('an archive holds at least one entry');
  const unsigned = {
    tenantId: first.tenantId,
    archiveId: randomUUID(),
    firstSequence: first.sequence,
    throughSequence: last.sequence,
    firstPrevHash: first.prevHash,
    lastHash: last.hash,
    entryCount: entries.length,
    ndjsonDigest: sha256Digest(entries.map((entry) => `${canonicalJson(entry)}\n`).join('')),
    createdAt: new Date().toISOString(),
    keyId: 'test-audit-key',
    ...overrides,
  };
  return { ...unsigned, signature: overrides.signature ?? fakeSignature(manifestSigningInput(unsigned)) };
}
