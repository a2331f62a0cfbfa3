import { describe, expect, it } from 'vitest';
import { checkAuditRecord } from './audit-entry.js';
import { CLIENT_AUDIT_ACTIONS, clientAuditRecord, clientAuditState } from './client-audit.js';
import type { OAuthClient } from './oauth-client.js';

const ACTOR = { subject: 'admin', clientId: 'console', scopes: ['orch:admin'] };

const CLIENT: OAuthClient = {
  clientId: 'ingest-bot',
  displayName: 'Ingestion bot',
  allowedScopes: ['orch:submit', 'orch:read'],
  allowedTenants: ['acme', 'globex'],
  secretHash: 'scrypt$N=16384,r=8,p=1$c2FsdA$aGFzaA',
  disabled: false,
  source: 'registry',
  createdAt: '2030-01-01T00:00:00.000Z',
  secretRotatedAt: null,
};

describe('CLIENT_AUDIT_ACTIONS', () => {
  it('names the four registry changes', () => {
    expect(CLIENT_AUDIT_ACTIONS).toEqual([
      'client.add',
      'client.rotate_secret',
      'client.disable',
      'client.enable',
    ]);
  });
});

describe('clientAuditState', () => {
  it('keeps the name, scopes, tenants, disabled flag and rotation time, never the secret hash', () => {
    const state = clientAuditState(CLIENT);
    expect(state).toEqual({
      displayName: 'Ingestion bot',
      scopes: ['orch:submit', 'orch:read'],
      tenants: ['acme', 'globex'],
      disabled: false,
      secretRotatedAt: null,
    });
    expect(JSON.stringify(state)).not.toContain('scrypt');
  });

  it('copies the lists, so the state does not change with the client', () => {
    const scopes: OAuthClient['allowedScopes'][number][] = ['orch:read'];
    const state = clientAuditState({ ...CLIENT, allowedScopes: scopes });
    scopes.push('orch:admin');
    expect(state['scopes']).toEqual(['orch:read']);
  });
});

describe('clientAuditRecord', () => {
  it('records an addition without a before state, with the metadata of the change', () => {
    const record = clientAuditRecord({
      action: 'client.add',
      actor: ACTOR,
      before: null,
      after: CLIENT,
      audit: {
        reason: 'onboarding',
        ticket: 'OPS-7',
        requestReason: 'new ingestion source',
        requestTicket: 'INC-9',
        correlationId: 'corr-1',
      },
    });
    expect(record).toEqual({
      actor: ACTOR,
      action: 'client.add',
      resourceType: 'client',
      resourceId: 'ingest-bot',
      after: clientAuditState(CLIENT),
      reason: 'onboarding',
      ticket: 'OPS-7',
      requestReason: 'new ingestion source',
      requestTicket: 'INC-9',
      correlationId: 'corr-1',
    });
    expect(record).not.toHaveProperty('before');
    expect(checkAuditRecord(record)).toEqual([]);
  });

  it('records a change with the client before and after, and no secret hash anywhere', () => {
    const rotated: OAuthClient = {
      ...CLIENT,
      secretHash: 'scrypt$N=16384,r=8,p=1$b3RoZXI$bmV3',
      secretRotatedAt: '2030-02-01T00:00:00.000Z',
    };
    const record = clientAuditRecord({
      action: 'client.rotate_secret',
      actor: ACTOR,
      before: CLIENT,
      after: rotated,
      audit: { correlationId: 'corr-2' },
    });
    expect(record).toMatchObject({
      before: { secretRotatedAt: null },
      after: { secretRotatedAt: '2030-02-01T00:00:00.000Z' },
      correlationId: 'corr-2',
    });
    for (const field of ['reason', 'ticket', 'requestReason', 'requestTicket'])
      expect(record).not.toHaveProperty(field);
    expect(JSON.stringify(record)).not.toContain('scrypt');
  });

  it('correlates with the client when the change has no correlation id', () => {
    const disabled = { ...CLIENT, disabled: true };
    const record = clientAuditRecord({
      action: 'client.disable',
      actor: ACTOR,
      before: CLIENT,
      after: disabled,
    });
    expect(record.correlationId).toBe('client:ingest-bot');
    expect(record.before).toMatchObject({ disabled: false });
    expect(record.after).toMatchObject({ disabled: true });
    expect(checkAuditRecord(record)).toEqual([]);
  });
});
