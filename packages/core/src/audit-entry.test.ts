import { describe, expect, it } from 'vitest';
import {
  auditMetadataOf,
  checkAuditRecord,
  computeAuditHash,
  GENESIS_PREV_HASH,
  jobAuditRecord,
  jobAuditState,
  sealAuditEntry,
  type AuditRecord,
  type UnsealedAuditEntry,
} from './audit-entry.js';
import { canonicalJson, sha256Digest } from './canonical-json.js';
import { OrchestratorError } from './errors.js';
import type { Job } from './job.js';
import type { RequestContext } from './request-context.js';

const ACTOR = { subject: 'alice', clientId: 'console', scopes: ['orch:operate'] };

function unsealed(overrides: Partial<UnsealedAuditEntry> = {}): UnsealedAuditEntry {
  return {
    auditId: '6f1c2a4e-1111-4222-8333-444455556666',
    tenantId: 't1',
    sequence: 1,
    occurredAt: '2030-01-01T00:00:00.000Z',
    actor: ACTOR,
    action: 'job.cancel',
    resourceType: 'job',
    resourceId: 'job-1',
    before: { status: 'pending', attempt: 0, cancelRequested: false },
    after: { status: 'canceled', attempt: 0, cancelRequested: true },
    reason: 'maintenance',
    ticket: 'OPS-1',
    requestReason: 'duplicate',
    requestTicket: 'INC-2',
    correlationId: 'corr-1',
    prevHash: GENESIS_PREV_HASH,
    ...overrides,
  };
}

describe('GENESIS_PREV_HASH', () => {
  it('is sha256: and 64 zeros', () => {
    expect(GENESIS_PREV_HASH).toBe(`sha256:${'0'.repeat(64)}`);
  });
});

describe('computeAuditHash', () => {
  it('is sha256 over the canonical JSON of every field but the hash, prevHash included', () => {
    const entry = unsealed();
    expect(computeAuditHash(entry)).toBe(sha256Digest(canonicalJson(entry)));
    // Pinned (and checked independently with Python's json + hashlib): changing the hash input breaks
    // every stored chain, so it must be a deliberate change.
    expect(computeAuditHash(entry)).toBe(
      'sha256:d595c3aa4163ed778191f250f6493a9336ee2403cef09e20acd100977f4bc4d1',
    );
  });

  it('changes when any field changes', () => {
    const base = computeAuditHash(unsealed());
    const changes: Partial<UnsealedAuditEntry>[] = [
      { auditId: '6f1c2a4e-1111-4222-8333-444455556667' },
      { tenantId: 't2' },
      { sequence: 2 },
      { occurredAt: '2030-01-01T00:00:00.001Z' },
      { actor: { ...ACTOR, subject: 'bob' } },
      { actor: { ...ACTOR, clientId: null } },
      { actor: { ...ACTOR, scopes: [] } },
      { action: 'job.retry' },
      { resourceType: 'run' },
      { resourceId: 'job-2' },
      { before: { status: 'leased', attempt: 0, cancelRequested: false } },
      { after: { status: 'canceled', attempt: 1, cancelRequested: true } },
      { reason: 'other' },
      { ticket: 'OPS-2' },
      { requestReason: 'other' },
      { requestTicket: 'INC-3' },
      { correlationId: 'corr-2' },
      { prevHash: `sha256:${'1'.repeat(64)}` },
    ];
    const hashes = changes.map((change) => computeAuditHash(unsealed(change)));
    expect(new Set([base, ...hashes]).size).toBe(changes.length + 1);
  });

  it('leaves absent fields out, so a reason moved to the request-level field is a different entry', () => {
    const { reason, ticket, ...withoutCredentials } = unsealed();
    const moved = { ...withoutCredentials, requestReason: reason!, requestTicket: ticket! };
    expect(computeAuditHash(withoutCredentials)).toBe(sha256Digest(canonicalJson(withoutCredentials)));
    expect(computeAuditHash(moved)).not.toBe(computeAuditHash(unsealed()));
  });

  it('ignores key order and anything that is not a field of the entry', () => {
    const entry = unsealed();
    const reordered = Object.fromEntries(Object.entries(entry).reverse()) as unknown as UnsealedAuditEntry;
    const extra = { ...entry, hash: 'sha256:whatever', storedAt: 'now' } as UnsealedAuditEntry;
    expect(computeAuditHash(reordered)).toBe(computeAuditHash(entry));
    expect(computeAuditHash(extra)).toBe(computeAuditHash(entry));
  });
});

describe('sealAuditEntry', () => {
  it('adds the hash and keeps every field', () => {
    const entry = unsealed();
    expect(sealAuditEntry(entry)).toEqual({ ...entry, hash: computeAuditHash(entry) });
  });
});

describe('checkAuditRecord', () => {
  const record: AuditRecord = {
    actor: ACTOR,
    action: 'job.cancel',
    resourceType: 'job',
    resourceId: 'j',
    correlationId: 'c',
  };

  it('accepts a well-formed record', () => {
    expect(checkAuditRecord(record)).toEqual([]);
    expect(
      checkAuditRecord({ ...record, action: 'quota.pause_all', reason: 'r', requestTicket: 't' }),
    ).toEqual([]);
  });

  it('refuses bad action names, empty or long identifiers, and reasons outside the policy', () => {
    const paths = (r: AuditRecord) => checkAuditRecord(r).map((e) => e.path);
    for (const action of ['', 'cancel', 'Job.Cancel', 'job.', 'job cancel', `job.${'x'.repeat(130)}`]) {
      expect(paths({ ...record, action }), action).toEqual(['action']);
    }
    expect(paths({ ...record, resourceType: '', resourceId: 'x'.repeat(257) })).toEqual([
      'resourceType',
      'resourceId',
    ]);
    expect(paths({ ...record, actor: { ...ACTOR, subject: '' }, correlationId: '' })).toEqual([
      'actor.subject',
      'correlationId',
    ]);
    expect(
      paths({
        ...record,
        reason: 'a\u0007',
        ticket: '',
        requestReason: 'r'.repeat(257),
        requestTicket: 'x\n',
      }),
    ).toEqual(['reason', 'ticket', 'requestReason', 'requestTicket']);
  });
});

describe('auditMetadataOf', () => {
  const ctx: RequestContext = { tenantId: 't', actor: ACTOR, correlationId: 'corr' };

  it('carries the correlation id, and the credentials’ and the request’s reason and ticket apart', () => {
    expect(auditMetadataOf(ctx)).toEqual({ correlationId: 'corr' });
    expect(
      auditMetadataOf({
        ...ctx,
        operator: { reason: 'token reason', ticket: 'T-1' },
        requestOperator: { reason: 'header reason', ticket: 'H-1' },
      }),
    ).toEqual({
      correlationId: 'corr',
      reason: 'token reason',
      ticket: 'T-1',
      requestReason: 'header reason',
      requestTicket: 'H-1',
    });
    expect(auditMetadataOf({ ...ctx, requestOperator: { ticket: 'H-1' } })).toEqual({
      correlationId: 'corr',
      requestTicket: 'H-1',
    });
  });

  it('refuses metadata outside the policy, whoever filled the context', () => {
    const call = () =>
      auditMetadataOf({ ...ctx, operator: { ticket: 't'.repeat(129) }, requestOperator: { reason: 'a\tb' } });
    expect(call).toThrow(OrchestratorError);
    try {
      call();
    } catch (error) {
      expect((error as OrchestratorError).code).toBe('VALIDATION_FAILED');
      expect((error as OrchestratorError).details?.['errors']).toEqual([
        { path: 'operator.ticket', message: 'must be at most 128 characters' },
        { path: 'header.x-stella-operator-reason', message: 'must not contain control characters' },
      ]);
    }
  });
});

describe('jobAuditRecord', () => {
  const job = {
    jobId: 'job-1',
    correlationId: 'job-corr',
    status: 'failed',
    attempt: 3,
    cancelRequested: false,
  } as Job;

  it('summarises the job before and after', () => {
    expect(jobAuditState(job)).toEqual({ status: 'failed', attempt: 3, cancelRequested: false });
    const canceled = { ...job, status: 'canceled', cancelRequested: true } as Job;
    expect(
      jobAuditRecord({
        action: 'job.cancel',
        actor: ACTOR,
        before: job,
        after: canceled,
        audit: { correlationId: 'c' },
      }),
    ).toEqual({
      actor: ACTOR,
      action: 'job.cancel',
      resourceType: 'job',
      resourceId: 'job-1',
      before: { status: 'failed', attempt: 3, cancelRequested: false },
      after: { status: 'canceled', attempt: 3, cancelRequested: true },
      correlationId: 'c',
    });
  });

  it('names the job a retry or replay made, and copies the metadata', () => {
    const record = jobAuditRecord({
      action: 'job.retry',
      actor: ACTOR,
      before: job,
      after: job,
      newJob: { jobId: 'job-2', correlationId: 'new-corr', created: false },
      audit: { reason: 'r', ticket: 't', requestReason: 'rr', requestTicket: 'rt' },
    });
    expect(record).toMatchObject({
      after: { status: 'failed', newJobId: 'job-2', newJobCreated: false },
      reason: 'r',
      ticket: 't',
      requestReason: 'rr',
      requestTicket: 'rt',
      // Without a correlation id of its own, the entry correlates with the new job…
      correlationId: 'new-corr',
    });
    // … or, without one, with the job acted on.
    expect(
      jobAuditRecord({ action: 'job.cancel', actor: ACTOR, before: job, after: job }).correlationId,
    ).toBe('job-corr');
  });
});
