import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Link,
  type Span,
  type SpanContext,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import {
  formatTraceparent,
  parseTraceparent,
  traceContextOf,
  type LeasedJob,
  type TraceContext,
} from '@stella-orch/core';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
} from '@opentelemetry/semantic-conventions';
import { TraceState } from '@opentelemetry/core';
import type { FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';

/** The attribute names of the orchestrator's own spans (shared with the worker SDK's `orch.job.run`). */
export const TRACE_ATTRIBUTES = {
  tenantId: 'orch.tenant.id',
  jobId: 'orch.job.id',
  jobType: 'orch.job.type',
  attempt: 'orch.job.attempt',
  leaseId: 'orch.lease.id',
  fencingToken: 'orch.lease.fencing_token',
  workerId: 'orch.worker.id',
} as const;

/** The name of the span each leased job gets. */
export const LEASE_SPAN_NAME = 'orch.job.lease';

/** What the server knows of one request's trace. */
export interface RequestTrace {
  /** The trace id of log lines and problem documents. */
  readonly traceId: string;
  /** The context the work the request causes joins: the jobs it creates keep it. */
  readonly context: TraceContext;
  /** The server span of the request, while tracing. */
  readonly span?: Span;
}

// Keyed by the Node request, the one object Fastify's child-logger factory (where a request's trace
// begins, before its first log line) and the hooks both see. Entries go with their requests.
const TRACES = new WeakMap<IncomingMessage, RequestTrace>();

/** The trace of a request that {@link RequestTracing.begin} saw; `undefined` without one. */
export function requestTraceOf(raw: IncomingMessage): RequestTrace | undefined {
  return TRACES.get(raw);
}

function header(raw: IncomingMessage, name: string): string | undefined {
  const value = raw.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** The remote span context of a stored or received trace context. */
function spanContextOf(context: TraceContext): SpanContext | undefined {
  const parent = parseTraceparent(context.traceparent);
  if (parent === null) return undefined;
  return {
    traceId: parent.traceId,
    spanId: parent.parentId,
    traceFlags: parent.flags,
    isRemote: true,
    ...(context.tracestate === undefined ? {} : { traceState: new TraceState(context.tracestate) }),
  };
}

function parentContextOf(context: TraceContext | null): Context {
  const span = context === null ? undefined : spanContextOf(context);
  return span === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, span);
}

function traceContextOfSpan(span: SpanContext): TraceContext {
  const traceparent = formatTraceparent(span.traceId, span.spanId, span.traceFlags);
  const tracestate = span.traceState?.serialize();
  return tracestate === undefined || tracestate === '' ? { traceparent } : { traceparent, tracestate };
}

/**
 * The orchestrator's side of distributed tracing. Without a tracer provider it only passes a valid
 * incoming `traceparent` on (to the logs, problem documents and the jobs a request creates): no span is
 * made, and a request without one costs a header lookup. With one, each request gets a SERVER span (a
 * child of its `traceparent`), whose context the jobs it creates keep, and each leased job gets an
 * `orch.job.lease` span under the job's stored context, linked to the lease request's span.
 */
export class RequestTracing {
  readonly #tracer: Tracer | undefined;

  /** @param provider - where spans go; `undefined`: tracing is off */
  constructor(provider?: TracerProvider) {
    this.#tracer = provider?.getTracer('@stella-orch/server');
  }

  /** Whether spans are made. */
  get enabled(): boolean {
    return this.#tracer !== undefined;
  }

  /**
   * Begins the trace of a request as it arrives: reads `traceparent` / `tracestate` (an invalid header is
   * ignored, as W3C Trace Context asks: the request starts a new trace) and, when tracing, starts its
   * server span.
   */
  begin(raw: IncomingMessage): RequestTrace | undefined {
    const incoming = traceContextOf({
      traceparent: header(raw, 'traceparent'),
      tracestate: header(raw, 'tracestate'),
    });
    let begun: RequestTrace;
    if (this.#tracer === undefined) {
      if (incoming === null) return undefined;
      begun = { traceId: incoming.traceparent.slice(3, 35), context: incoming };
    } else {
      const method = raw.method ?? 'HTTP';
      const span = this.#tracer.startSpan(
        method,
        {
          kind: SpanKind.SERVER,
          attributes: {
            [ATTR_HTTP_REQUEST_METHOD]: method,
            [ATTR_URL_PATH]: (raw.url ?? '/').split('?')[0] ?? '/',
          },
        },
        parentContextOf(incoming),
      );
      const spanContext = span.spanContext();
      begun = { traceId: spanContext.traceId, context: traceContextOfSpan(spanContext), span };
    }
    TRACES.set(raw, begun);
    return begun;
  }

  /** Ends the request's server span with its route, status and tenant (a 5xx marks it an error). */
  end(request: FastifyRequest, statusCode: number): void {
    const span = TRACES.get(request.raw)?.span;
    if (span === undefined) return;
    const route = request.routeOptions.url;
    if (route !== undefined) {
      span.setAttribute(ATTR_HTTP_ROUTE, route);
      span.updateName(`${request.method} ${route}`);
    }
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, statusCode);
    const tenantId = request.orchestratorContext?.tenantId;
    if (tenantId !== undefined) span.setAttribute(TRACE_ATTRIBUTES.tenantId, tenantId);
    if (statusCode >= 500) {
      span.setAttribute(ATTR_ERROR_TYPE, String(statusCode));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
  }

  /**
   * Records one `orch.job.lease` span per leased job, from `startTime` (when the lease statement began)
   * to now: a child of the job's stored trace context (a root when the job has none), linked to the
   * lease request's own span.
   */
  recordLeases(request: FastifyRequest, leased: readonly LeasedJob[], startTime: number): void {
    if (this.#tracer === undefined || leased.length === 0) return;
    const requestSpan = TRACES.get(request.raw)?.span;
    const links: Link[] = requestSpan === undefined ? [] : [{ context: requestSpan.spanContext() }];
    for (const { job, lease } of leased) {
      const stored =
        job.traceparent === undefined
          ? null
          : {
              traceparent: job.traceparent,
              ...(job.tracestate === undefined ? {} : { tracestate: job.tracestate }),
            };
      this.#tracer
        .startSpan(
          LEASE_SPAN_NAME,
          {
            kind: SpanKind.INTERNAL,
            startTime,
            links,
            attributes: {
              [TRACE_ATTRIBUTES.tenantId]: job.tenantId,
              [TRACE_ATTRIBUTES.jobId]: job.jobId,
              [TRACE_ATTRIBUTES.jobType]: job.jobType,
              [TRACE_ATTRIBUTES.attempt]: job.attempt,
              [TRACE_ATTRIBUTES.leaseId]: lease.leaseId,
              [TRACE_ATTRIBUTES.fencingToken]: lease.fencingToken,
              [TRACE_ATTRIBUTES.workerId]: lease.workerId,
            },
          },
          parentContextOf(stored),
        )
        .end();
    }
  }
}
