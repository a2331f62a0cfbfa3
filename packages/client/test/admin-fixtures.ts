// Wire resources of the client-management and audit endpoints with sensible defaults, for tests.
import type { AuditCheckpoint, AuditEntry } from '../src/audit-resources.js';
import type { RegisteredClient } from '../src/client-resources.js';

/** A registered client as `GET /clients` lists it. */
export function makeRegisteredClient(overrides: Partial<RegisteredClient> = {}): RegisteredClient {
  return {
    clientId: 'ingest-svc',
    displayName: 'Ingest service',
    scopes: ['orch:submit'],
    tenants: ['t1'],
    disabled: false,
    source: 'registry',
    createdAt: '2030-01-01T00:00:00.000Z',
    secretRotatedAt: null,
    ...overrides,
  };
}

/** An audit entry of tenant `t1` at `sequence`. */
export function makeAuditEntry(sequence: number, overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    auditId: `a-${sequence}`,
    tenantId: 't1',
    sequence,
    occurredAt: '2030-01-01T00:00:00.000Z',
    actor: { subject: 'ops-cli', clientId: 'ops-cli', scopes: ['orch:operate'] },
    action: 'job.cancel',
    resourceType: 'job',
    resourceId: `j-${sequence}`,
    before: { status: 'pending' },
    after: { status: 'canceled' },
    reason: 'stuck',
    ticket: 'OPS-1',
    correlationId: 'c',
    prevHash: `sha256:${'0'.repeat(64)}`,
    hash: `sha256:${'1'.repeat(64)}`,
    ...overrides,
  };
}

/** A signed checkpoint of tenant `t1`. */
export function makeCheckpoint(overrides: Partial<AuditCheckpoint> = {}): AuditCheckpoint {
  return {
    tenantId: 't1',
    sequence: 3,
    headHash: `sha256:${'a'.repeat(64)}`,
    signedAt: '2030-01-01T00:00:00.000Z',
    keyId: 'audit-2030',
    signature: 'c2lnbmF0dXJl',
    ...overrides,
  };
}
