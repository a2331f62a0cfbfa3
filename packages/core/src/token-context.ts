import { OrchestratorError, validationError } from './errors.js';
import { ANY_TENANT } from './oauth-client.js';
import type { OperatorMetadata } from './operator-metadata.js';
import { poolRequestTenant, type PoolRoute } from './pool-access.js';
import type { RequestContext } from './request-context.js';
import type { GrantMetadataField, Scope } from './scopes.js';

/** What a verified access token says about its bearer (whoever issued it). */
export interface VerifiedToken {
  readonly subject: string;
  readonly clientId: string;
  readonly tenant: string;
  readonly scopes: readonly Scope[];
  /** The reason/ticket claims the token carries. */
  readonly metadata: Readonly<Partial<Record<GrantMetadataField, string>>>;
  readonly tokenId: string | undefined;
  /** Seconds since the epoch. */
  readonly expiresAt: number;
}

/** Checks the bearer's token against the request (SPEC §3). */
export interface TokenVerifier {
  /**
   * @throws OrchestratorError `UNAUTHENTICATED` for a token that is malformed, badly signed, of an
   *   algorithm not allowed, expired, not yet valid, or for another issuer, audience or type
   */
  verify(token: string): Promise<VerifiedToken>;
}

/**
 * The request context of a request carrying `token`: the token decides the tenant and the actor; a tenant
 * header may only repeat the token's tenant. A pool worker's token (tenant `*`) runs as the tenant
 * {@link poolRequestTenant} gives for the request's `poolRoute`.
 * @throws OrchestratorError `TENANT_MISMATCH` when the header names another tenant; for a pool token,
 *   what {@link poolRequestTenant} throws
 */
export function requestContextFromToken(
  token: VerifiedToken,
  request: {
    readonly tenantHeader: string | undefined;
    readonly correlationId: string;
    readonly requestOperator: OperatorMetadata | undefined;
    /** What the route lets a pool token do (scope-map.ts); `undefined` for any other route. */
    readonly poolRoute?: PoolRoute | undefined;
  },
): RequestContext {
  const pool = token.tenant === ANY_TENANT;
  if (!pool && request.tenantHeader !== undefined && request.tenantHeader !== token.tenant) {
    throw new OrchestratorError(
      'TENANT_MISMATCH',
      `X-Stella-Tenant names ${request.tenantHeader}, but the token is for tenant ${token.tenant}`,
    );
  }
  const tenantId = pool ? poolRequestTenant(request.poolRoute, request.tenantHeader) : token.tenant;
  const { operator_reason: reason, operator_ticket: ticket } = token.metadata;
  const operator =
    reason === undefined && ticket === undefined
      ? undefined
      : { ...(reason === undefined ? {} : { reason }), ...(ticket === undefined ? {} : { ticket }) };
  const { backfill_reason: backfillReason, backfill_ticket: backfillTicket } = token.metadata;
  const backfill =
    backfillReason === undefined && backfillTicket === undefined
      ? undefined
      : {
          ...(backfillReason === undefined ? {} : { reason: backfillReason }),
          ...(backfillTicket === undefined ? {} : { ticket: backfillTicket }),
        };
  const { quota_reason: quotaReason, quota_ticket: quotaTicket } = token.metadata;
  const quota =
    quotaReason === undefined && quotaTicket === undefined
      ? undefined
      : {
          ...(quotaReason === undefined ? {} : { reason: quotaReason }),
          ...(quotaTicket === undefined ? {} : { ticket: quotaTicket }),
        };
  return {
    tenantId,
    actor: { subject: token.subject, clientId: token.clientId, scopes: [...token.scopes] },
    correlationId: request.correlationId,
    ...(operator === undefined ? {} : { operator }),
    ...(backfill === undefined ? {} : { backfill }),
    ...(quota === undefined ? {} : { quota }),
    ...(request.requestOperator === undefined ? {} : { requestOperator: request.requestOperator }),
  };
}

/**
 * Refuses a caller whose token lacks `scope`.
 * @throws OrchestratorError `INSUFFICIENT_SCOPE` (details: `requiredScope`)
 */
export function requireScope(ctx: RequestContext, scope: Scope): void {
  if (!ctx.actor.scopes.includes(scope)) {
    throw new OrchestratorError('INSUFFICIENT_SCOPE', `this endpoint requires the scope ${scope}`, {
      details: { requiredScope: scope },
    });
  }
}

/** The scopes whose every action must say why and under which ticket (SPEC §3). */
const OPERATOR_SCOPES: ReadonlySet<Scope> = new Set(['orch:operate', 'orch:admin', 'orch:backfill']);

/**
 * Refuses an operator action that carries no reason or no ticket — neither in the token (`operator_reason`,
 * `operator_ticket`; the built-in token service never issues `orch:operate` without them, an external
 * issuer might) nor in the request (`X-Stella-Operator-Reason`, `X-Stella-Operator-Ticket`). For
 * `orch:backfill` the token's claims are `backfill_reason` and `backfill_ticket`. A quota action
 * (`orch:quota`) needs a reason only: the token's `quota_reason` or the header; its ticket is optional.
 * @throws OrchestratorError `VALIDATION_FAILED` naming what is missing
 */
export function requireOperatorMetadata(ctx: RequestContext, scope: Scope): void {
  if (scope === 'orch:quota') {
    if ((ctx.requestOperator?.reason ?? ctx.quota?.reason) === undefined) {
      throw validationError([
        {
          path: 'header.x-stella-operator-reason',
          message: 'a quota action needs a reason: the token’s quota_reason or this header',
        },
      ]);
    }
    return;
  }
  if (!OPERATOR_SCOPES.has(scope)) return;
  // A backfill action's reason and ticket are the token's backfill_* claims (or the headers).
  const backfill = scope === 'orch:backfill';
  const fromToken = backfill ? ctx.backfill : ctx.operator;
  const claim = backfill ? 'backfill' : 'operator';
  const errors = [];
  if ((ctx.requestOperator?.reason ?? fromToken?.reason) === undefined) {
    errors.push({
      path: 'header.x-stella-operator-reason',
      message: `${claim === 'backfill' ? 'a backfill' : 'an operator'} action needs a reason: the token’s ${claim}_reason or this header`,
    });
  }
  if ((ctx.requestOperator?.ticket ?? fromToken?.ticket) === undefined) {
    errors.push({
      path: 'header.x-stella-operator-ticket',
      message: `${claim === 'backfill' ? 'a backfill' : 'an operator'} action needs a ticket: the token’s ${claim}_ticket or this header`,
    });
  }
  if (errors.length > 0) throw validationError(errors);
}
