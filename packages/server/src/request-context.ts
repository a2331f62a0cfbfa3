import {
  checkOperatorMetadata,
  OrchestratorError,
  validationError,
  type OperatorMetadata,
  type RequestContext,
} from '@stella-orch/core';
import type { FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    /** Tenant and actor of this request: set by the context hook, the only place that decides identity. */
    orchestratorContext: RequestContext | null;
  }
}

const TENANT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ACTOR_PATTERN = /^[\x21-\x7e]{1,256}$/;
const CORRELATION_PATTERN = /^[\x21-\x7e]{1,128}$/;

/** The tenant used when a request names none (development mode, before the Authority is configured). */
export const DEFAULT_TENANT = 'default';

/**
 * Builds the request context from the request. Today identity comes from headers (`X-Stella-Tenant`,
 * `X-Stella-Actor`); the Authority replaces this function's body with token validation (and fills
 * `actor.clientId`, `actor.scopes` and `operator` from the token), and nothing else in the server reads
 * identity. The request's own operator reason and ticket (`X-Stella-Operator-Reason`,
 * `X-Stella-Operator-Ticket`) are read here too, under the operator policy of SPEC §3.
 *
 * @throws OrchestratorError `VALIDATION_FAILED` on a malformed tenant, actor or correlation header, or an
 *   operator reason/ticket that is too long or holds control characters
 */
export function resolveRequestContext(request: FastifyRequest): RequestContext {
  const tenantId = header(request, 'x-stella-tenant') ?? DEFAULT_TENANT;
  if (!TENANT_PATTERN.test(tenantId)) {
    throw new OrchestratorError('VALIDATION_FAILED', 'X-Stella-Tenant must be 1–64 of A-Z a-z 0-9 . _ -', {
      details: { errors: [{ path: 'header.x-stella-tenant', message: 'is not a valid tenant id' }] },
    });
  }
  const subject = header(request, 'x-stella-actor') ?? 'anonymous';
  if (!ACTOR_PATTERN.test(subject)) {
    throw new OrchestratorError('VALIDATION_FAILED', 'X-Stella-Actor must be 1–256 printable characters', {
      details: { errors: [{ path: 'header.x-stella-actor', message: 'is not a valid actor' }] },
    });
  }
  const correlationId = header(request, 'x-correlation-id') ?? request.id;
  if (!CORRELATION_PATTERN.test(correlationId)) {
    throw new OrchestratorError('VALIDATION_FAILED', 'X-Correlation-Id must be 1–128 printable characters', {
      details: { errors: [{ path: 'header.x-correlation-id', message: 'is not a valid correlation id' }] },
    });
  }
  const requestOperator = requestOperatorOf(request);
  return {
    tenantId,
    actor: { subject, clientId: null, scopes: [] },
    correlationId,
    ...(requestOperator === undefined ? {} : { requestOperator }),
  };
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
