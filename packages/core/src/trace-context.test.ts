import { describe, expect, it } from 'vitest';
import {
  formatTraceparent,
  parseTraceparent,
  parseTracestate,
  traceContextOf,
  TRACESTATE_LIMITS,
} from './trace-context.js';

// The examples of the W3C Trace Context recommendation (level 1, §3.2 and §3.3).
const SPEC_TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const SPEC_UNSAMPLED = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00';

describe('parseTraceparent', () => {
  it('parses the specification examples', () => {
    expect(parseTraceparent(SPEC_TRACEPARENT)).toEqual({
      version: '00',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      parentId: '00f067aa0ba902b7',
      flags: 1,
      sampled: true,
    });
    expect(parseTraceparent(SPEC_UNSAMPLED)?.sampled).toBe(false);
    expect(parseTraceparent(` ${SPEC_TRACEPARENT}\t`)?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it('parses a later version by the version-00 rules, ignoring what follows the fields', () => {
    expect(
      parseTraceparent('cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-brings'),
    ).toMatchObject({ version: 'cc', traceId: '4bf92f3577b34da6a3ce929d0e0e4736', sampled: true });
    expect(parseTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09')?.flags).toBe(9);
    // A later version still needs a dash after the flags when it goes on.
    expect(parseTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x')).toBeNull();
  });

  it('refuses what the specification calls invalid', () => {
    const invalid = [
      undefined,
      '',
      'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
      `00-4bf92f3577b34da6a3ce929d0e0e4736-${'0'.repeat(16)}-01`,
      '00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra',
      '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1',
      '00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01',
      '0-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      'zz-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      `${SPEC_TRACEPARENT}, ${SPEC_TRACEPARENT}`,
    ];
    for (const header of invalid) expect(parseTraceparent(header), String(header)).toBeNull();
  });
});

describe('formatTraceparent', () => {
  it('writes version 00 with two-digit flags', () => {
    expect(formatTraceparent('4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7', 1)).toBe(
      SPEC_TRACEPARENT,
    );
    expect(formatTraceparent('4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7', 0)).toBe(SPEC_UNSAMPLED);
  });
});

describe('parseTracestate', () => {
  it('keeps the specification examples, normalized', () => {
    expect(parseTracestate('congo=t61rcWkgMzE')).toBe('congo=t61rcWkgMzE');
    expect(parseTracestate('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE')).toBe(
      'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE',
    );
    expect(parseTracestate(' rojo=00f067aa0ba902b7 ,, congo=t61rcWkgMzE ')).toBe(
      'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE',
    );
    expect(parseTracestate('fw529a3039@dt=a b')).toBe('fw529a3039@dt=a b');
  });

  it('discards an invalid list whole', () => {
    const invalid = [
      undefined,
      '',
      ' , ',
      'Congo=t61rcWkgMzE',
      'congo',
      '=value',
      'congo=',
      'congo=a,congo=b',
      'congo=has,comma',
      'congo=a=b',
      `${'k'.repeat(257)}=v`,
      'tenant@SYSTEM=v',
    ];
    for (const header of invalid) expect(parseTracestate(header), String(header)).toBeNull();
  });

  it(`keeps at most ${TRACESTATE_LIMITS.maxMembers} members in ${TRACESTATE_LIMITS.maxLength} characters`, () => {
    const members = (n: number) => Array.from({ length: n }, (_, i) => `k${i}=v`).join(',');
    expect(parseTracestate(members(32))).toBe(members(32));
    expect(parseTracestate(members(33))).toBeNull();
    const long = `a=${'v'.repeat(254)}`;
    expect(parseTracestate(`${long},b=${'v'.repeat(253)}`)).toHaveLength(512);
    expect(parseTracestate(`${long},b=${'v'.repeat(254)}`)).toBeNull();
  });
});

describe('traceContextOf', () => {
  it('keeps a valid pair, in version 00 form', () => {
    expect(traceContextOf({ traceparent: SPEC_TRACEPARENT, tracestate: 'congo=t61rcWkgMzE' })).toEqual({
      traceparent: SPEC_TRACEPARENT,
      tracestate: 'congo=t61rcWkgMzE',
    });
    expect(
      traceContextOf({
        traceparent: 'cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future',
        tracestate: undefined,
      }),
    ).toEqual({ traceparent: SPEC_TRACEPARENT });
  });

  it('drops an invalid tracestate alone, and everything without a valid traceparent', () => {
    expect(traceContextOf({ traceparent: SPEC_TRACEPARENT, tracestate: 'Bad=1' })).toEqual({
      traceparent: SPEC_TRACEPARENT,
    });
    expect(traceContextOf({ traceparent: 'garbage', tracestate: 'congo=t61rcWkgMzE' })).toBeNull();
    expect(traceContextOf({ traceparent: undefined, tracestate: undefined })).toBeNull();
  });
});
