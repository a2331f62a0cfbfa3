import {
  context as otelContext,
  isSpanContextValid,
  ROOT_CONTEXT,
  trace,
  TraceFlags,
  type Context,
  type SpanContext,
  type TraceState,
} from '@opentelemetry/api';

/** What a job carries of its trace: the W3C context the orchestrator stored when it was submitted. */
export interface TraceCarrier {
  readonly traceparent?: string;
  readonly tracestate?: string;
}

const TRACEPARENT = /^([\da-f]{2})-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})(-.*)?$/s;

/**
 * Sets `traceparent` (and `tracestate`) from the span of `context` (the active context when not given),
 * in W3C Trace Context form; leaves the headers alone when it has no valid span. This is the client's
 * own injection, so calls carry their trace whether or not the application registered a propagator.
 */
export function setTraceHeaders(headers: Headers, context: Context | undefined): void {
  const { traceparent, tracestate } = traceHeadersOf(context ?? otelContext.active());
  if (traceparent !== undefined) headers.set('traceparent', traceparent);
  if (tracestate !== undefined) headers.set('tracestate', tracestate);
}

/** The W3C headers of the span of `context`; empty when it has no valid span. */
export function traceHeadersOf(context: Context): TraceCarrier {
  const span = trace.getSpanContext(context);
  if (span === undefined || !isSpanContextValid(span)) return {};
  const flags = (span.traceFlags & TraceFlags.SAMPLED).toString(16).padStart(2, '0');
  const traceparent = `00-${span.traceId}-${span.spanId}-${flags}`;
  const tracestate = span.traceState?.serialize();
  return tracestate === undefined || tracestate === '' ? { traceparent } : { traceparent, tracestate };
}

/**
 * The remote span context of a job's `traceparent` (W3C level 1: version `ff`, all-zero ids and upper
 * case are invalid; a later version is read by the version-00 rules); `undefined` when it has none or
 * an invalid one.
 */
export function remoteSpanContextOf(carrier: TraceCarrier): SpanContext | undefined {
  const match = carrier.traceparent === undefined ? null : TRACEPARENT.exec(carrier.traceparent.trim());
  if (match === null) return undefined;
  const [, version = '', traceId = '', spanId = '', flags = '', rest] = match;
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  const span: SpanContext = {
    traceId,
    spanId,
    traceFlags: Number.parseInt(flags, 16) & TraceFlags.SAMPLED,
    isRemote: true,
    ...(carrier.tracestate === undefined ? {} : { traceState: new ListTraceState(carrier.tracestate) }),
  };
  return isSpanContextValid(span) ? span : undefined;
}

/** The context a job's work continues: its remote parent, or a fresh root when the job has no trace. */
export function parentContextOf(carrier: TraceCarrier): Context {
  const span = remoteSpanContextOf(carrier);
  return span === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, span);
}

/**
 * A W3C `tracestate` list as OpenTelemetry's `TraceState` (the API's own factory is deprecated, and the
 * SDK's class is not a dependency of this package): the server checked the list before storing it.
 */
class ListTraceState implements TraceState {
  readonly #members: readonly (readonly [string, string])[];

  constructor(list: string | readonly (readonly [string, string])[]) {
    this.#members =
      typeof list === 'string'
        ? list.split(',').flatMap((member) => {
            const eq = member.indexOf('=');
            return eq > 0 ? [[member.slice(0, eq).trim(), member.slice(eq + 1).trim()] as const] : [];
          })
        : list;
  }

  set(key: string, value: string): TraceState {
    const first: readonly [string, string] = [key, value];
    return new ListTraceState([first, ...this.#members.filter(([k]) => k !== key)].slice(0, 32));
  }

  unset(key: string): TraceState {
    return new ListTraceState(this.#members.filter(([k]) => k !== key));
  }

  get(key: string): string | undefined {
    return this.#members.find(([k]) => k === key)?.[1];
  }

  serialize(): string {
    return this.#members.map(([k, v]) => `${k}=${v}`).join(',');
  }
}
