import { describe, expect, it } from 'vitest';
import {
  ANY_TENANT,
  AUTHORITY_TENANT,
  clientAllowsTenant,
  isClientId,
  isTenantId,
  type OAuthClient,
} from './oauth-client.js';

function client(allowedTenants: readonly string[]): OAuthClient {
  return {
    clientId: 'console',
    displayName: 'Console',
    allowedScopes: ['orch:read'],
    allowedTenants,
    secretHash: 'scrypt$x',
    disabled: false,
    source: 'config',
    createdAt: null,
    secretRotatedAt: null,
  };
}

describe('constants', () => {
  it('names the wildcard tenant and the Authority’s own tenant', () => {
    expect(ANY_TENANT).toBe('*');
    expect(AUTHORITY_TENANT).toBe('system');
    expect(isTenantId(AUTHORITY_TENANT)).toBe(true);
  });
});

describe('clientAllowsTenant', () => {
  it('allows the listed tenants only', () => {
    const c = client(['t1', 't2']);
    expect(clientAllowsTenant(c, 't1')).toBe(true);
    expect(clientAllowsTenant(c, 't2')).toBe(true);
    expect(clientAllowsTenant(c, 't3')).toBe(false);
    expect(clientAllowsTenant(c, 'T1')).toBe(false);
    expect(clientAllowsTenant(c, AUTHORITY_TENANT)).toBe(false);
  });

  it('allows every tenant with *', () => {
    const c = client(['t1', ANY_TENANT]);
    expect(clientAllowsTenant(c, 't1')).toBe(true);
    expect(clientAllowsTenant(c, 'anything')).toBe(true);
    expect(clientAllowsTenant(c, AUTHORITY_TENANT)).toBe(true);
  });

  it('allows nothing with no tenants', () => {
    expect(clientAllowsTenant(client([]), 't1')).toBe(false);
  });
});

describe('isClientId', () => {
  it('accepts 1–128 of A-Z a-z 0-9 . _ - starting alphanumeric', () => {
    for (const value of [
      'a',
      'Z',
      '7',
      'console',
      'svc.worker_1-eu',
      'A'.repeat(128),
      `x${'._-'.repeat(42)}a`,
    ]) {
      expect(isClientId(value), value).toBe(true);
    }
  });

  it('refuses empty, too long, a leading punctuation mark and other characters', () => {
    for (const value of ['', 'A'.repeat(129), '.a', '_a', '-a', 'a b', 'a:b', 'a/b', 'é', 'a\n', 'a@b']) {
      expect(isClientId(value), JSON.stringify(value)).toBe(false);
    }
  });
});

describe('isTenantId', () => {
  it('accepts 1–64 of A-Z a-z 0-9 . _ - starting alphanumeric', () => {
    for (const value of ['t', 't1', 'Acme.EU_prod-2', '0'.repeat(64)]) {
      expect(isTenantId(value), value).toBe(true);
    }
  });

  it('refuses empty, too long, a leading punctuation mark, the wildcard and other characters', () => {
    for (const value of ['', '0'.repeat(65), '.t', '-t', '_t', ANY_TENANT, 't 1', 't/1', 'tü', 't1\n']) {
      expect(isTenantId(value), JSON.stringify(value)).toBe(false);
    }
  });
});
