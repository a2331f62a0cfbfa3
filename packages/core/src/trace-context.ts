/**
 * W3C Trace Context, level 1 (https://www.w3.org/TR/trace-context/): the `traceparent` and `tracestate`
 * headers that tie the spans of one request across processes. Pure parsing and formatting; what a
 * service does with an invalid header is the specification's rule: ignore it and start a new trace
 * (never refuse the request).
 */

/** The trace context a job keeps and hands to its worker: version 00 `traceparent` and its `tracestate`. */
export interface TraceContext {
  /** `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`, lower case. */
  readonly traceparent: string;
  /** The vendor list that came with it, normalized (no empty members, no spaces around them). */
  readonly tracestate?: string;
}

/** A parsed `traceparent`. */
export interface Traceparent {
  /** The header's version (`00`, or a later one parsed by the version-00 rules). */
  readonly version: string;
  /** 32 lower-case hex digits, not all zero. */
  readonly traceId: string;
  /** 16 lower-case hex digits, not all zero: the caller's span. */
  readonly parentId: string;
  /** The trace flags as a number (bit 0: sampled). */
  readonly flags: number;
  readonly sampled: boolean;
}

/** Bounds of a `tracestate` this service keeps (the specification's propagation limits). */
export const TRACESTATE_LIMITS = { maxMembers: 32, maxLength: 512 } as const;

// The version-00 fields; a later version may add fields after them, each behind a dash.
const TRACEPARENT = /^([\da-f]{2})-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})(-.*)?$/s;
const ALL_ZEROS = /^0+$/;
const SIMPLE_KEY = /^[a-z][a-z\d_\-*/]{0,255}$/;
const MULTI_TENANT_KEY = /^[a-z\d][a-z\d_\-*/]{0,240}@[a-z][a-z\d_\-*/]{0,13}$/;
// 0–255 printable ASCII characters other than `,` and `=`, the last one not a space.
const MEMBER_VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

/**
 * Parses a `traceparent` header.
 * @returns `null` for a missing or invalid header (a version `ff`, an all-zero trace or parent id, upper
 *   case hex, a version 00 header of another length, or a header of a later version whose version-00
 *   fields do not parse)
 */
export function parseTraceparent(header: string | undefined): Traceparent | null {
  if (header === undefined) return null;
  const match = TRACEPARENT.exec(header.trim());
  if (match === null) return null;
  const [, version = '', traceId = '', parentId = '', flagsHex = '', rest] = match;
  // Version 00 has exactly these fields; version ff is invalid.
  if (version === 'ff' || (version === '00' && rest !== undefined)) return null;
  if (ALL_ZEROS.test(traceId) || ALL_ZEROS.test(parentId)) return null;
  const flags = Number.parseInt(flagsHex, 16);
  return { version, traceId, parentId, flags, sampled: (flags & 1) === 1 };
}

/** The version 00 `traceparent` of a trace id, a span id and flags. */
export function formatTraceparent(traceId: string, spanId: string, flags: number): string {
  return `00-${traceId}-${spanId}-${(flags & 0xff).toString(16).padStart(2, '0')}`;
}

/**
 * Parses a `tracestate` header (several headers joined with commas are one list).
 * @returns the list normalized (members trimmed, empty ones dropped), or `null` when it is missing,
 *   empty or invalid: a malformed key or value, a key twice, more than 32 members or more than 512
 *   characters. The specification has an invalid list discarded whole, never repaired.
 */
export function parseTracestate(header: string | undefined): string | null {
  if (header === undefined) return null;
  const members: string[] = [];
  const keys = new Set<string>();
  for (const raw of header.split(',')) {
    const member = raw.trim();
    if (member === '') continue;
    const eq = member.indexOf('=');
    if (eq <= 0) return null;
    const key = member.slice(0, eq);
    if (!(SIMPLE_KEY.test(key) || MULTI_TENANT_KEY.test(key)) || keys.has(key)) return null;
    if (!MEMBER_VALUE.test(member.slice(eq + 1))) return null;
    keys.add(key);
    members.push(member);
  }
  if (members.length === 0 || members.length > TRACESTATE_LIMITS.maxMembers) return null;
  const list = members.join(',');
  return list.length > TRACESTATE_LIMITS.maxLength ? null : list;
}

/**
 * The trace context of a request's headers, in version 00 form; `null` without a valid `traceparent`.
 * A `tracestate` is only kept beside a valid `traceparent`, and dropped alone when invalid.
 */
export function traceContextOf(headers: {
  readonly traceparent: string | undefined;
  readonly tracestate: string | undefined;
}): TraceContext | null {
  const parent = parseTraceparent(headers.traceparent);
  if (parent === null) return null;
  const traceparent = formatTraceparent(parent.traceId, parent.parentId, parent.flags);
  const tracestate = parseTracestate(headers.tracestate);
  return tracestate === null ? { traceparent } : { traceparent, tracestate };
}
