import type { RequestContext } from '@stella-orch/core';
import type { FastifyRequest, FastifyServerOptions } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { DestinationStream, Logger } from 'pino';
import type { RequestTracing } from './tracing/request-tracing.js';

/**
 * Fields no log line may show: credentials (the `Authorization` header, client secrets, tokens, the
 * token endpoint's form) and job data (payloads, results, progress). Fastify's own request lines carry
 * neither headers nor bodies; these paths are the guard against a line that would. The SQL errors of
 * the PGlite driver carry the statement's parameters, which can hold a payload. Exact paths only: pino's
 * wildcard paths cost microseconds on every line (measured: +4 µs a line for a dozen wildcards, next to
 * nothing for these).
 */
export const REDACTED_LOG_PATHS: readonly string[] = [
  'authorization',
  'headers.authorization',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers["sec-websocket-protocol"]',
  'req.headers["sec-websocket-protocol"]',
  'client_secret',
  'clientSecret',
  'access_token',
  'token',
  'form',
  'body',
  'payload',
  'result',
  'progress',
  'job.payload',
  'job.result',
  'job.progress',
  'err.params',
  'err.cause.params',
];

/** Query parameters whose values are never logged (a client that sends its secret in the URL). */
const SECRET_QUERY_PARAMETERS = /^(client_secret|access_token|refresh_token|id_token|token|password)$/i;

/** A request URL as it may be logged: the values of secret-bearing query parameters are replaced. */
export function loggableUrl(url: string): string {
  const mark = url.indexOf('?');
  if (mark < 0) return url;
  const query = new URLSearchParams(url.slice(mark + 1));
  let changed = false;
  for (const name of new Set(query.keys())) {
    if (SECRET_QUERY_PARAMETERS.test(name)) {
      query.set(name, '[Redacted]');
      changed = true;
    }
  }
  return changed ? `${url.slice(0, mark)}?${query.toString()}` : url;
}

const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/;

/**
 * The W3C trace id of a request's `traceparent` header; `undefined` without a valid one, or with the
 * all-zero id the specification forbids. (Request logs take theirs from {@link RequestTracing}.)
 */
export function traceIdOf(traceparent: string | string[] | undefined): string | undefined {
  if (typeof traceparent !== 'string') return undefined;
  const id = TRACEPARENT.exec(traceparent.trim().toLowerCase())?.[1];
  return id === undefined || /^0+$/.test(id) ? undefined : id;
}

type LoggerOption = NonNullable<FastifyServerOptions['logger']>;

/**
 * The logger options of the app: pino JSON lines at `level` (`silent`: no logger), with the redaction
 * of {@link REDACTED_LOG_PATHS} and a request serializer that strips secrets from URLs.
 * @param stream - where lines go (standard output by default; tests capture them)
 */
export function loggerOptions(level: string, stream?: DestinationStream): LoggerOption {
  if (level === 'silent' && stream === undefined) return false;
  return {
    level,
    redact: { paths: [...REDACTED_LOG_PATHS], censor: '[Redacted]' },
    serializers: {
      // Only these fields of a request are logged (never its headers or body), whatever logs a `req`.
      req: (request: Partial<FastifyRequest>) => requestFields(request),
    },
    ...(stream === undefined ? {} : { stream }),
  };
}

/** What a log line shows of a request: method, URL without secrets, host and peer. */
function requestFields(request: Partial<FastifyRequest>): {
  method?: string;
  url?: string;
  host?: string;
  remoteAddress?: string;
  remotePort?: number;
} {
  const port = request.socket?.remotePort;
  return {
    ...(typeof request.method === 'string' ? { method: request.method } : {}),
    ...(typeof request.url === 'string' ? { url: loggableUrl(request.url) } : {}),
    ...(typeof request.host === 'string' ? { host: request.host } : {}),
    ...(typeof request.ip === 'string' ? { remoteAddress: request.ip } : {}),
    ...(port === undefined ? {} : { remotePort: port }),
  };
}

/**
 * Fastify's child-logger factory, called once per request as it arrives: it begins the request's trace
 * (`tracing.begin`: the server span when tracing, else the request's own valid `traceparent`) and binds
 * its `traceId`, beside the request id, to every line of the request.
 */
export function requestChildLoggerFor(tracing: RequestTracing) {
  return function requestChildLogger(
    this: unknown,
    logger: FastifyRequest['log'],
    bindings: Record<string, unknown>,
    options: Parameters<FastifyRequest['log']['child']>[1],
    raw: IncomingMessage,
  ): FastifyRequest['log'] {
    const traceId = tracing.begin(raw)?.traceId;
    return logger.child(traceId === undefined ? bindings : { ...bindings, traceId }, options);
  };
}

const MAX_ID_LENGTH = 128;

/**
 * Binds who and what an authenticated API request is about to its log lines (the `request completed`
 * line included): tenant and client, and the job, lease or run of the route's path. The request's logger
 * is its own (Fastify makes one per request, shared with the reply), so its bindings are extended in
 * place rather than by yet another child; without a logger there is nothing to bind.
 */
export function bindRequestLog(request: FastifyRequest, ctx: RequestContext): void {
  const log = request.log as Partial<Pick<Logger, 'setBindings'>>;
  if (typeof log.setBindings !== 'function') return;
  const params = (request.params ?? {}) as Readonly<Record<string, unknown>>;
  const fields: Record<string, string> = { tenantId: ctx.tenantId };
  if (ctx.actor.clientId !== null) fields['clientId'] = ctx.actor.clientId;
  for (const name of ['jobId', 'leaseId', 'runId'] as const) {
    const value = params[name];
    if (typeof value === 'string') fields[name] = value.slice(0, MAX_ID_LENGTH);
  }
  log.setBindings(fields);
}
