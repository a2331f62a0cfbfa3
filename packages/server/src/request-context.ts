import {
  ANY_TENANT,
  checkOperatorMetadata,
  OrchestratorError,
  requestContextFromToken,
  validationError,
  type OperatorMetadata,
  type RequestContext,
  type VerifiedToken,
} from '@stella-orch/core';
import type { FastifyRequest } from 'fastify';
import { poolRouteOf } from './scope-map.js';
import { requestTraceOf } from './tracing/request-tracing.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Tenant and actor of this request: set by the context hook, the only place that decides identity. */
    orchestratorContext: RequestContext | null;
  }
}

const TENANT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const CORRELATION_PATTERN = /^[\x21-\x7e]{1,128}$/;
// RFC 6750 §2.1: `Bearer` and a b64token; a JWT is three base64url parts.
const BEARER_PATTERN = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;
const MAX_TOKEN_LENGTH = 16_384;

/** The subprotocol that announces a token in `Sec-WebSocket-Protocol`: `bearer, <token>`. */
export const WEBSOCKET_BEARER_PROTOCOL = 'bearer';

/**
 * A browser's WebSocket cannot send an Authorization header, only subprotocols: an upgrade request may
 * carry its token as the pair `Sec-WebSocket-Protocol: bearer, <token>` (as Kubernetes' API server does).
 * The server selects `bearer` (the first protocol offered), so the token is never echoed back; the header
 * is never logged. Returns it as an Authorization value, or `undefined`.
 */
function webSocketBearer(request: FastifyRequest): string | undefined {
  if (header(request, 'upgrade')?.toLowerCase() !== 'websocket') return undefined;
  const protocols = header(request, 'sec-websocket-protocol')
    ?.split(',')
    .map((part) => part.trim());
  const at = protocols?.indexOf(WEBSOCKET_BEARER_PROTOCOL) ?? -1;
  const token = at < 0 ? undefined : protocols?.[at + 1];
  return token === undefined || token === '' ? undefined : `Bearer ${token}`;
}

/**
 * The bearer token of a request (`Authorization: Bearer <token>`, or for a WebSocket upgrade the
 * subprotocol pair `bearer, <token>`).
 * @throws OrchestratorError `UNAUTHENTICATED`: without an Authorization header, or with one that is not a
 *   bearer token (`details.tokenGiven` tells the two apart, for the `WWW-Authenticate` challenge)
 */
export function bearerTokenOf(request: FastifyRequest): string {
  const value = header(request, 'authorization') ?? webSocketBearer(request);
  if (value === undefined) {
    throw new OrchestratorError(
      'UNAUTHENTICATED',
      'this endpoint requires a bearer token (Authorization: Bearer …)',
      {
        details: { tokenGiven: false },
      },
    );
  }
  const match = BEARER_PATTERN.exec(value);
  if (match?.[1] === undefined || match[1].length > MAX_TOKEN_LENGTH) {
    throw new OrchestratorError('UNAUTHENTICATED', 'the Authorization header must be "Bearer <token>"', {
      details: { tokenGiven: true },
    });
  }
  return match[1];
}

/**
 * Builds the request context from a verified token and the request: the token decides tenant and actor
 * (`X-Stella-Tenant` may only repeat the token's tenant); the request adds its correlation id and its own
 * operator reason and ticket (`X-Stella-Operator-Reason`, `X-Stella-Operator-Ticket`), checked under the
 * operator policy of SPEC §3. This hook is the only place in the server that decides identity. The
 * request's trace context (see `tracing/request-tracing.ts`) goes with it, for the jobs it creates.
 * A pool worker's token (tenant `*`) runs as its route in `POOL_ROUTES` allows (scope-map.ts): `routePath`
 * is the route as registered below the API prefix (`/leases/:leaseId/complete`), `undefined` for none.
 *
 * @throws OrchestratorError `VALIDATION_FAILED` on a malformed tenant or correlation header or an operator
 *   reason/ticket outside the policy; `TENANT_MISMATCH` when the tenant header names another tenant;
 *   for a pool token, what `poolRequestTenant` throws (`FORBIDDEN` outside the worker bridge)
 */
export function resolveRequestContext(
  request: FastifyRequest,
  token: VerifiedToken,
  routePath?: string,
): RequestContext {
  const tenantHeader = header(request, 'x-stella-tenant');
  if (tenantHeader !== undefined && tenantHeader !== ANY_TENANT && !TENANT_PATTERN.test(tenantHeader)) {
    throw new OrchestratorError('VALIDATION_FAILED', 'X-Stella-Tenant must be 1–64 of A-Z a-z 0-9 . _ -', {
      details: { errors: [{ path: 'header.x-stella-tenant', message: 'is not a valid tenant id' }] },
    });
  }
  const correlationId = header(request, 'x-correlation-id') ?? request.id;
  if (!CORRELATION_PATTERN.test(correlationId)) {
    throw new OrchestratorError('VALIDATION_FAILED', 'X-Correlation-Id must be 1–128 printable characters', {
      details: { errors: [{ path: 'header.x-correlation-id', message: 'is not a valid correlation id' }] },
    });
  }
  const ctx = requestContextFromToken(token, {
    tenantHeader,
    correlationId,
    requestOperator: requestOperatorOf(request),
    poolRoute: routePath === undefined ? undefined : poolRouteOf(request.method, routePath),
  });
  const trace = requestTraceOf(request.raw)?.context;
  return trace === undefined ? ctx : { ...ctx, trace };
}

/** `X-Stella-Operator-Reason` / `-Ticket`, checked; `undefined` when the request gives neither. */
function requestOperatorOf(request: FastifyRequest): OperatorMetadata | undefined {
  const reason = operatorHeader(request, 'x-stella-operator-reason');
  const ticket = operatorHeader(request, 'x-stella-operator-ticket');
  if (reason === undefined && ticket === undefined) return undefined;
  const metadata = {
    ...(reason === undefined ? {} : { reason }),
    ...(ticket === undefined ? {} : { ticket }),
  };
  const errors = checkOperatorMetadata(metadata, {
    reason: 'header.x-stella-operator-reason',
    ticket: 'header.x-stella-operator-ticket',
  });
  if (errors.length > 0) throw validationError(errors);
  return metadata;
}

/**
 * An operator header as text. HTTP header values arrive as bytes read one per character (Latin-1); a value
 * whose bytes are valid UTF-8 is decoded as such, so `café` sent as UTF-8 is recorded as `café`.
 */
function operatorHeader(request: FastifyRequest, name: string): string | undefined {
  const value = header(request, name);
  if (value === undefined || /[\u{100}-\u{10ffff}]/u.test(value)) return value;
  try {
    return UTF8.decode(Buffer.from(value, 'latin1'));
  } catch {
    return value;
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The context of a request that passed the hook. */
export function contextOf(request: FastifyRequest): RequestContext {
  const ctx = request.orchestratorContext;
  // Routes under the API prefix are only reachable through the hook; reaching here without it is a bug.
  if (ctx === null) throw new OrchestratorError('INTERNAL', 'request context missing');
  return ctx;
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  if (Array.isArray(value)) return value[0];
  return value === '' ? undefined : value;
}
