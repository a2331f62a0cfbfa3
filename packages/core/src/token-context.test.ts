import { describe, expect, it } from 'vitest';
import { OrchestratorError } from './errors.js';
import type { RequestContext } from './request-context.js';
import { SCOPES, type Scope } from './scopes.js';
import {
  requestContextFromToken,
  requireOperatorMetadata,
  requireScope,
  type VerifiedToken,
} from './token-context.js';

const TOKEN: VerifiedToken = {
  subject: 'console',
  clientId: 'console',
  tenant: 't1',
  scopes: ['orch:read', 'orch:operate'],
  metadata: { operator_reason: 'maintenance window', operator_ticket: 'OPS-1', quota_reason: 'load' },
  tokenId: 'jti-1',
  expiresAt: 1_900_000_900,
};

const REQUEST = { tenantHeader: undefined, correlationId: 'corr-1', requestOperator: undefined };

function orchestratorFailure(fn: () => unknown): OrchestratorError {
  try {
    fn();
  } catch (error) {
    if (error instanceof OrchestratorError) return error;
    throw error;
  }
  throw new Error('expected an OrchestratorError, nothing was thrown');
}

function context(overrides: Partial<RequestContext> = {}): RequestContext {
  return {
    tenantId: 't1',
    actor: { subject: 'console', clientId: 'console', scopes: ['orch:operate'] },
    correlationId: 'corr-1',
    ...overrides,
  };
}

describe('requestContextFromToken', () => {
  it('takes the tenant, the actor and the operator’s (and quota) reason and ticket from the token', () => {
    expect(requestContextFromToken(TOKEN, REQUEST)).toEqual({
      tenantId: 't1',
      actor: { subject: 'console', clientId: 'console', scopes: ['orch:read', 'orch:operate'] },
      correlationId: 'corr-1',
      operator: { reason: 'maintenance window', ticket: 'OPS-1' },
      quota: { reason: 'load' },
    });
  });

  it('copies the scopes rather than sharing the token’s array', () => {
    const ctx = requestContextFromToken(TOKEN, REQUEST);
    expect(ctx.actor.scopes).toEqual(TOKEN.scopes);
    expect(ctx.actor.scopes).not.toBe(TOKEN.scopes);
  });

  it('accepts a tenant header that repeats the token’s tenant', () => {
    expect(requestContextFromToken(TOKEN, { ...REQUEST, tenantHeader: 't1' }).tenantId).toBe('t1');
  });

  it('refuses a tenant header naming another tenant with TENANT_MISMATCH', () => {
    for (const tenantHeader of ['t2', 'T1', '']) {
      const error = orchestratorFailure(() => requestContextFromToken(TOKEN, { ...REQUEST, tenantHeader }));
      expect(error.code).toBe('TENANT_MISMATCH');
      expect(error.status).toBe(403);
      expect(error.message).toBe(`X-Stella-Tenant names ${tenantHeader}, but the token is for tenant t1`);
    }
  });

  it('maps a reason or a ticket alone, and leaves operator out when the token has neither', () => {
    expect(
      requestContextFromToken({ ...TOKEN, metadata: { operator_reason: 'why' } }, REQUEST).operator,
    ).toEqual({ reason: 'why' });
    expect(
      requestContextFromToken({ ...TOKEN, metadata: { operator_ticket: 'OPS-9' } }, REQUEST).operator,
    ).toEqual({ ticket: 'OPS-9' });
    const none = requestContextFromToken({ ...TOKEN, metadata: { quota_reason: 'load' } }, REQUEST);
    expect(none).not.toHaveProperty('operator');
    expect(none.quota).toEqual({ reason: 'load' });
    expect(requestContextFromToken({ ...TOKEN, metadata: {} }, REQUEST)).not.toHaveProperty('operator');
  });

  it('keeps the token’s backfill_reason and backfill_ticket apart from the operator’s', () => {
    const ctx = requestContextFromToken(
      { ...TOKEN, metadata: { backfill_reason: 'reingest', backfill_ticket: 'BF-1' } },
      REQUEST,
    );
    expect(ctx.backfill).toEqual({ reason: 'reingest', ticket: 'BF-1' });
    expect(ctx).not.toHaveProperty('operator');
    expect(requestContextFromToken(TOKEN, REQUEST)).not.toHaveProperty('backfill');
  });

  it('passes the request’s own reason and ticket through beside the token’s', () => {
    const requestOperator = { reason: 'duplicate', ticket: 'INC-2' };
    const ctx = requestContextFromToken(TOKEN, { ...REQUEST, requestOperator });
    expect(ctx.requestOperator).toEqual(requestOperator);
    expect(ctx.operator).toEqual({ reason: 'maintenance window', ticket: 'OPS-1' });
    expect(requestContextFromToken(TOKEN, REQUEST)).not.toHaveProperty('requestOperator');
  });
});

describe('requireScope', () => {
  it('lets a caller with the scope through', () => {
    expect(() => {
      requireScope(context(), 'orch:operate');
    }).not.toThrow();
  });

  it('refuses a caller without it with INSUFFICIENT_SCOPE naming the scope', () => {
    const error = orchestratorFailure(() => {
      requireScope(context(), 'orch:admin');
    });
    expect(error.code).toBe('INSUFFICIENT_SCOPE');
    expect(error.status).toBe(403);
    expect(error.details).toEqual({ requiredScope: 'orch:admin' });
    expect(error.message).toContain('orch:admin');
  });

  it('does not let one scope stand in for another', () => {
    for (const scope of SCOPES) {
      const others = SCOPES.filter((s) => s !== scope);
      const error = orchestratorFailure(() => {
        requireScope(context({ actor: { subject: 'x', clientId: null, scopes: others } }), scope);
      });
      expect(error.details, scope).toEqual({ requiredScope: scope });
    }
  });
});

describe('requireOperatorMetadata', () => {
  const REASON_MISSING = {
    path: 'header.x-stella-operator-reason',
    message: 'an operator action needs a reason: the token’s operator_reason or this header',
  };
  const TICKET_MISSING = {
    path: 'header.x-stella-operator-ticket',
    message: 'an operator action needs a ticket: the token’s operator_ticket or this header',
  };

  it('asks nothing of the scopes that are not operator actions', () => {
    const others: Scope[] = ['orch:read', 'orch:submit', 'orch:worker'];
    for (const scope of others)
      expect(() => {
        requireOperatorMetadata(context(), scope);
      }, scope).not.toThrow();
  });

  it('asks a backfill action for the token’s backfill_reason and backfill_ticket (or the headers)', () => {
    const operatorOnly = context({ operator: { reason: 'r', ticket: 't' } });
    const error = orchestratorFailure(() => {
      requireOperatorMetadata(operatorOnly, 'orch:backfill');
    });
    expect(error.details?.['errors']).toEqual([
      {
        path: 'header.x-stella-operator-reason',
        message: 'a backfill action needs a reason: the token’s backfill_reason or this header',
      },
      {
        path: 'header.x-stella-operator-ticket',
        message: 'a backfill action needs a ticket: the token’s backfill_ticket or this header',
      },
    ]);
    expect(() => {
      requireOperatorMetadata(context({ backfill: { reason: 'r', ticket: 't' } }), 'orch:backfill');
    }).not.toThrow();
    expect(() => {
      requireOperatorMetadata(context({ requestOperator: { reason: 'r', ticket: 't' } }), 'orch:backfill');
    }).not.toThrow();
  });

  it('asks a quota action for a reason (the token’s quota_reason or the header), never a ticket', () => {
    const operatorOnly = context({ operator: { reason: 'r', ticket: 't' }, quota: { ticket: 'CAP-1' } });
    const error = orchestratorFailure(() => {
      requireOperatorMetadata(operatorOnly, 'orch:quota');
    });
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details?.['errors']).toEqual([
      {
        path: 'header.x-stella-operator-reason',
        message: 'a quota action needs a reason: the token’s quota_reason or this header',
      },
    ]);
    expect(() => {
      requireOperatorMetadata(context({ quota: { reason: 'seasonal load' } }), 'orch:quota');
    }).not.toThrow();
    expect(() => {
      requireOperatorMetadata(context({ requestOperator: { reason: 'r' } }), 'orch:quota');
    }).not.toThrow();
  });

  for (const scope of ['orch:operate', 'orch:admin'] as const) {
    describe(scope, () => {
      it('accepts a reason and a ticket from the token', () => {
        expect(() => {
          requireOperatorMetadata(context({ operator: { reason: 'r', ticket: 't' } }), scope);
        }).not.toThrow();
      });

      it('accepts them from the request headers', () => {
        expect(() => {
          requireOperatorMetadata(context({ requestOperator: { reason: 'r', ticket: 't' } }), scope);
        }).not.toThrow();
      });

      it('accepts one from the token and the other from the headers', () => {
        expect(() => {
          requireOperatorMetadata(
            context({ operator: { reason: 'r' }, requestOperator: { ticket: 't' } }),
            scope,
          );
        }).not.toThrow();
        expect(() => {
          requireOperatorMetadata(
            context({ operator: { ticket: 't' }, requestOperator: { reason: 'r' } }),
            scope,
          );
        }).not.toThrow();
      });

      it('reports both when neither is given anywhere', () => {
        for (const ctx of [context(), context({ operator: {}, requestOperator: {} })]) {
          const error = orchestratorFailure(() => {
            requireOperatorMetadata(ctx, scope);
          });
          expect(error.code).toBe('VALIDATION_FAILED');
          expect(error.details).toEqual({ errors: [REASON_MISSING, TICKET_MISSING] });
        }
      });

      it('reports the missing reason alone', () => {
        for (const ctx of [
          context({ operator: { ticket: 't' } }),
          context({ requestOperator: { ticket: 't' } }),
        ]) {
          const error = orchestratorFailure(() => {
            requireOperatorMetadata(ctx, scope);
          });
          expect(error.details).toEqual({ errors: [REASON_MISSING] });
          expect(error.message).toBe(`${REASON_MISSING.path}: ${REASON_MISSING.message}`);
        }
      });

      it('reports the missing ticket alone', () => {
        for (const ctx of [
          context({ operator: { reason: 'r' } }),
          context({ requestOperator: { reason: 'r' } }),
        ]) {
          const error = orchestratorFailure(() => {
            requireOperatorMetadata(ctx, scope);
          });
          expect(error.details).toEqual({ errors: [TICKET_MISSING] });
        }
      });
    });
  }
});
