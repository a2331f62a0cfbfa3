import { describe, expect, it } from 'vitest';
import { GRANT_METADATA_FIELDS, isScope, isTicketField, SCOPE_RULES, SCOPES } from './scopes.js';

describe('SCOPES', () => {
  it('lists the SPEC §3 scopes and orch:admin, once each', () => {
    expect(SCOPES).toEqual([
      'orch:read',
      'orch:submit',
      'orch:worker',
      'orch:operate',
      'orch:quota',
      'orch:backfill',
      'orch:admin',
    ]);
    expect(new Set(SCOPES).size).toBe(SCOPES.length);
  });
});

describe('isScope', () => {
  it('accepts every scope', () => {
    for (const scope of SCOPES) expect(isScope(scope), scope).toBe(true);
  });

  it('refuses anything else, exactly', () => {
    for (const value of [
      '',
      'orch:',
      'read',
      'orch:READ',
      'ORCH:read',
      ' orch:read',
      'orch:read ',
      'orch:*',
    ]) {
      expect(isScope(value), JSON.stringify(value)).toBe(false);
    }
  });
});

describe('GRANT_METADATA_FIELDS', () => {
  it('lists reasons and tickets alternating', () => {
    expect(GRANT_METADATA_FIELDS).toEqual([
      'operator_reason',
      'operator_ticket',
      'quota_reason',
      'quota_ticket',
      'backfill_reason',
      'backfill_ticket',
    ]);
    GRANT_METADATA_FIELDS.forEach((field, index) => {
      expect(isTicketField(field), field).toBe(index % 2 === 1);
    });
  });
});

describe('isTicketField', () => {
  it('tells tickets from reasons', () => {
    expect(isTicketField('operator_ticket')).toBe(true);
    expect(isTicketField('quota_ticket')).toBe(true);
    expect(isTicketField('backfill_ticket')).toBe(true);
    expect(isTicketField('operator_reason')).toBe(false);
    expect(isTicketField('quota_reason')).toBe(false);
    expect(isTicketField('backfill_reason')).toBe(false);
  });
});

describe('SCOPE_RULES', () => {
  it('has a rule for every scope and no other', () => {
    expect(Object.keys(SCOPE_RULES).sort()).toEqual([...SCOPES].sort());
  });

  it('gives each scope its role and the fields SPEC §3 requires', () => {
    expect(SCOPE_RULES).toEqual({
      'orch:read': { role: 'Orch.Viewer', requires: [] },
      'orch:submit': { role: 'Orch.Producer', requires: [] },
      'orch:worker': { role: 'Orch.Worker', requires: [] },
      'orch:operate': { role: 'Orch.Operator', requires: ['operator_reason', 'operator_ticket'] },
      'orch:quota': { role: 'Orch.Admin', requires: ['quota_reason'] },
      'orch:backfill': { role: 'Orch.Admin', requires: ['backfill_reason', 'backfill_ticket'] },
      'orch:admin': { role: 'Orch.Admin', requires: ['operator_reason', 'operator_ticket'] },
    });
  });

  it('only requires known reason/ticket fields', () => {
    for (const scope of SCOPES) {
      for (const field of SCOPE_RULES[scope].requires) {
        expect(GRANT_METADATA_FIELDS, `${scope} ${field}`).toContain(field);
      }
    }
  });
});
