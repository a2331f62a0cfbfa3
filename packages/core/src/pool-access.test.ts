import { describe, expect, it } from 'vitest';
import { OrchestratorError } from './errors.js';
import { poolRequestTenant } from './pool-access.js';
import { requestContextFromToken, type VerifiedToken } from './token-context.js';

const POOL_TOKEN: VerifiedToken = {
  subject: 'fleet',
  clientId: 'fleet',
  tenant: '*',
  scopes: ['orch:worker'],
  metadata: {},
  tokenId: 'jti-1',
  expiresAt: 1_900_000_900,
};

const REQUEST = { tenantHeader: undefined, correlationId: 'corr-1', requestOperator: undefined };

function failure(fn: () => unknown): OrchestratorError {
  try {
    fn();
  } catch (error) {
    if (error instanceof OrchestratorError) return error;
    throw error;
  }
  throw new Error('expected an OrchestratorError, nothing was thrown');
}

describe('poolRequestTenant', () => {
  it('runs the pool lease for *, with no tenant header or with *', () => {
    expect(poolRequestTenant('lease', undefined)).toBe('*');
    expect(poolRequestTenant('lease', '*')).toBe('*');
    const error = failure(() => poolRequestTenant('lease', 'acme'));
    expect(error.code).toBe('TENANT_MISMATCH');
    expect(error.status).toBe(403);
  });

  it('runs a fenced call as the tenant the header names, and requires the header', () => {
    expect(poolRequestTenant('fenced', 'acme')).toBe('acme');
    for (const header of [undefined, '*']) {
      const error = failure(() => poolRequestTenant('fenced', header));
      expect(error.code).toBe('VALIDATION_FAILED');
      expect(error.status).toBe(400);
      expect(error.details?.['errors']).toEqual([
        expect.objectContaining({ path: 'header.x-stella-tenant' }),
      ]);
    }
  });

  it('closes every other route to a pool token with FORBIDDEN', () => {
    for (const header of [undefined, '*', 'acme']) {
      const error = failure(() => poolRequestTenant(undefined, header));
      expect(error.code).toBe('FORBIDDEN');
      expect(error.status).toBe(403);
    }
  });
});

describe('requestContextFromToken with a pool token', () => {
  it('takes the tenant of the route’s pool rule, and the actor from the token', () => {
    expect(requestContextFromToken(POOL_TOKEN, { ...REQUEST, poolRoute: 'lease' })).toEqual({
      tenantId: '*',
      actor: { subject: 'fleet', clientId: 'fleet', scopes: ['orch:worker'] },
      correlationId: 'corr-1',
    });
    const fenced = { ...REQUEST, poolRoute: 'fenced' as const, tenantHeader: 'acme' };
    expect(requestContextFromToken(POOL_TOKEN, fenced).tenantId).toBe('acme');
    expect(failure(() => requestContextFromToken(POOL_TOKEN, REQUEST)).code).toBe('FORBIDDEN');
  });

  it('ignores the pool rule for a tenant’s own token', () => {
    const token = { ...POOL_TOKEN, tenant: 't1' };
    expect(requestContextFromToken(token, { ...REQUEST, poolRoute: 'fenced' }).tenantId).toBe('t1');
    const other = { ...REQUEST, poolRoute: 'fenced' as const, tenantHeader: 'acme' };
    expect(failure(() => requestContextFromToken(token, other)).code).toBe('TENANT_MISMATCH');
  });
});
