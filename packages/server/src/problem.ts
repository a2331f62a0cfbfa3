import { ERROR_CATALOGUE, isOrchestratorError, type ErrorCode, type FieldError } from '@stella-orch/core';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { requestTraceOf } from './tracing/request-tracing.js';

/** An RFC 9457 problem document with the orchestrator's stable `code`. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: ErrorCode;
  readonly detail: string;
  readonly instance: string;
  readonly traceId: string;
  readonly errors?: readonly FieldError[];
  readonly [extension: string]: unknown;
}

const PROBLEM_BASE = 'https://stella-ops.org/problems/';

/**
 * Builds the problem document of `code` for a request. Its `traceId` is the request's W3C trace id (its
 * server span's, or its own `traceparent`'s when the server does not trace), else the request id: either
 * way the value the request's log lines carry.
 */
export function problemFor(
  request: FastifyRequest,
  code: ErrorCode,
  detail: string,
  extensions: Readonly<Record<string, unknown>> = {},
): Problem {
  const entry = ERROR_CATALOGUE[code];
  return {
    type: PROBLEM_BASE + code.toLowerCase().replaceAll('_', '-'),
    title: entry.title,
    status: entry.status,
    code,
    detail,
    instance: request.url.split('?')[0] ?? request.url,
    traceId: requestTraceOf(request.raw)?.traceId ?? request.id,
    ...extensions,
  };
}

/** Sends a problem document. */
export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  for (const [name, value] of Object.entries(authHeadersOf(problem))) reply.header(name, value);
  return reply.code(problem.status).type('application/problem+json').send(problem);
}

/** The realm of the `WWW-Authenticate` challenges (RFC 6750 §3). */
const REALM = 'stella-orch';

/**
 * The headers an authentication, authorization or rate-limit problem carries: the RFC 6750 challenge on
 * 401 (with `error="invalid_token"` when a token was given) and on a missing scope, `Retry-After` on 429.
 */
function authHeadersOf(problem: Problem): Record<string, string> {
  const details = (problem['details'] ?? {}) as Record<string, unknown>;
  switch (problem.code) {
    case 'UNAUTHENTICATED':
      return {
        'www-authenticate':
          details['tokenGiven'] === true
            ? `Bearer realm="${REALM}", error="invalid_token", error_description="${quoted(problem.detail)}"`
            : `Bearer realm="${REALM}"`,
      };
    case 'INSUFFICIENT_SCOPE':
      return {
        'www-authenticate': `Bearer realm="${REALM}", error="insufficient_scope", scope="${quoted(String(details['requiredScope']))}"`,
      };
    case 'RATE_LIMITED':
      return typeof details['retryAfterSeconds'] === 'number'
        ? { 'retry-after': String(details['retryAfterSeconds']) }
        : {};
    default:
      return {};
  }
}

function quoted(value: string): string {
  return value.replace(/["\\\p{Cc}]/gu, '');
}

const FASTIFY_CODES: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
};

/**
 * The one place that maps failures to HTTP: orchestrator errors by their catalogue code, Fastify's body
 * and schema errors by theirs, and anything else to a 500 that reveals nothing internal.
 */
export function toProblem(request: FastifyRequest, error: unknown): Problem {
  if (isOrchestratorError(error)) {
    const { errors, ...details } = error.details ?? {};
    return problemFor(request, error.code, error.message, {
      ...(Object.keys(details).length > 0 ? { details } : {}),
      ...(Array.isArray(errors) ? { errors } : {}),
    });
  }
  const fastifyError = error as Partial<FastifyError>;
  if (Array.isArray(fastifyError.validation)) {
    const part = fastifyError.validationContext ?? 'body';
    const errors: FieldError[] = fastifyError.validation.map((v) => {
      const extra = v.params['additionalProperty'] ?? v.params['missingProperty'];
      const base = `${part}${v.instancePath.replaceAll('/', '.')}`;
      const path = typeof extra === 'string' ? `${base}.${extra}` : base;
      const message =
        v.keyword === 'additionalProperties' ? 'is not a known field' : (v.message ?? 'is not valid');
      return { path, message };
    });
    return problemFor(request, 'VALIDATION_FAILED', errors.map((e) => `${e.path}: ${e.message}`).join('; '), {
      errors,
    });
  }
  const mapped = fastifyError.code === undefined ? undefined : FASTIFY_CODES[fastifyError.code];
  if (mapped !== undefined)
    return problemFor(request, mapped, fastifyError.message ?? ERROR_CATALOGUE[mapped].title);
  if (
    typeof fastifyError.statusCode === 'number' &&
    fastifyError.statusCode >= 400 &&
    fastifyError.statusCode < 500
  ) {
    return problemFor(request, 'VALIDATION_FAILED', fastifyError.message ?? 'bad request');
  }
  return problemFor(request, 'INTERNAL', 'an internal error occurred; see the server log for this traceId');
}
