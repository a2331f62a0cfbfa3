import { ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import {
  parentContextOf,
  remoteSpanContextOf,
  setTraceHeaders,
  traceHeadersOf,
} from './trace-propagation.js';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('remoteSpanContextOf', () => {
  it('reads a job’s traceparent and tracestate as a remote parent', () => {
    const span = remoteSpanContextOf({ traceparent: TRACEPARENT, tracestate: 'congo=t61rcWkgMzE' });
    expect(span).toMatchObject({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    });
    expect(span?.traceState?.get('congo')).toBe('t61rcWkgMzE');
  });

  it('has none for a job without one or with an invalid one', () => {
    for (const traceparent of [
      undefined,
      'garbage',
      `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
      'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      `${TRACEPARENT}-more`,
    ]) {
      expect(
        remoteSpanContextOf(traceparent === undefined ? {} : { traceparent }),
        traceparent,
      ).toBeUndefined();
    }
    expect(parentContextOf({})).toBe(ROOT_CONTEXT);
  });
});

describe('setTraceHeaders', () => {
  it('sends the span of the context as traceparent and tracestate, and nothing without one', () => {
    const context = parentContextOf({ traceparent: TRACEPARENT, tracestate: 'rojo=1' });
    const headers = new Headers();
    setTraceHeaders(headers, context);
    expect(headers.get('traceparent')).toBe(TRACEPARENT);
    expect(headers.get('tracestate')).toBe('rojo=1');
    expect(
      traceHeadersOf(
        trace.setSpanContext(ROOT_CONTEXT, { ...trace.getSpanContext(context)!, traceFlags: 0 }),
      ),
    ).toEqual({ traceparent: TRACEPARENT.replace(/01$/, '00'), tracestate: 'rojo=1' });

    const none = new Headers();
    setTraceHeaders(none, undefined);
    setTraceHeaders(none, ROOT_CONTEXT);
    expect([...none.keys()]).toEqual([]);
  });
});
