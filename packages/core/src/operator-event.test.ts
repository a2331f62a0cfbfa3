import { describe, expect, it } from 'vitest';
import type { AuditEntry } from './audit-entry.js';
import { OPERATOR_EVENT_PREFIX, operatorEventOf } from './operator-event.js';

const ENTRY: AuditEntry = {
  auditId: 'a-1',
  tenantId: 'acme',
  sequence: 4,
  occurredAt: '2026-11-24T10:00:00.000Z',
  actor: { subject: 'alice', clientId: 'ops-cli', scopes: ['orch:operate', 'orch:read'] },
  action: 'job.cancel',
  resourceType: 'job',
  resourceId: 'job-1',
  before: { status: 'pending' },
  after: { status: 'canceled' },
  reason: 'feed re-keyed',
  ticket: 'OPS-1',
  requestReason: 'this one',
  requestTicket: 'OPS-2',
  correlationId: 'corr-1',
  prevHash: `sha256:${'0'.repeat(64)}`,
  hash: `sha256:${'1'.repeat(64)}`,
};

describe('operatorEventOf', () => {
  it('makes operator.{action} with the actor scopes, the audit reference and the reasons', () => {
    expect(operatorEventOf(ENTRY)).toEqual({
      tenantId: 'acme',
      eventType: `${OPERATOR_EVENT_PREFIX}job.cancel`,
      jobId: 'job-1',
      actor: 'alice',
      actorScopes: ['orch:operate', 'orch:read'],
      correlationId: 'corr-1',
      data: {
        auditId: 'a-1',
        auditSequence: 4,
        action: 'job.cancel',
        resourceType: 'job',
        resourceId: 'job-1',
        reason: 'feed re-keyed',
        ticket: 'OPS-1',
        requestReason: 'this one',
        requestTicket: 'OPS-2',
        before: { status: 'pending' },
        after: { status: 'canceled' },
      },
    });
  });

  it('names no job for other resources and leaves out what the entry does not have', () => {
    const bare: AuditEntry = {
      auditId: ENTRY.auditId,
      tenantId: ENTRY.tenantId,
      sequence: ENTRY.sequence,
      occurredAt: ENTRY.occurredAt,
      actor: ENTRY.actor,
      action: ENTRY.action,
      resourceType: ENTRY.resourceType,
      resourceId: ENTRY.resourceId,
      correlationId: ENTRY.correlationId,
      prevHash: ENTRY.prevHash,
      hash: ENTRY.hash,
    };
    const event = operatorEventOf({
      ...bare,
      action: 'client.add',
      resourceType: 'client',
      resourceId: 'nvd',
    });
    expect(event?.jobId).toBeNull();
    expect(event?.data).toEqual({
      auditId: 'a-1',
      auditSequence: 4,
      action: 'client.add',
      resourceType: 'client',
      resourceId: 'nvd',
    });
  });

  it('writes no event for token grants and refusals', () => {
    expect(operatorEventOf({ ...ENTRY, action: 'token.grant' })).toBeNull();
    expect(operatorEventOf({ ...ENTRY, action: 'token.refuse' })).toBeNull();
  });
});
