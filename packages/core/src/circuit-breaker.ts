import type { AuditMetadata, AuditRecord, AuditState } from './audit-entry.js';
import type { Actor } from './job.js';

/** The states of a circuit breaker. */
export const CIRCUIT_STATES = ['closed', 'open', 'half_open'] as const;

/** One state of a circuit breaker. */
export type CircuitState = (typeof CIRCUIT_STATES)[number];

/** When a breaker opens, how long it stays open, and how it probes. */
export interface CircuitBreakerSettings {
  /** The share of failed attempts in the window that opens the breaker, in (0, 1]. */
  readonly failureRatio: number;
  /** The fewest ended attempts in the window for the ratio to count. */
  readonly minVolume: number;
  /** The sliding window of ended attempts, 10 s to 1 day (counted in 10-second buckets). */
  readonly windowSeconds: number;
  /** How long it stays open before it lets probes through. */
  readonly coolDownSeconds: number;
  /** Half-open: how many jobs may run at once as probes, and how many must succeed to close it. */
  readonly probeLeases: number;
}

/**
 * A circuit breaker of a tenant (SPEC §2 "Limits"), on one source or one job type
 * (docs/decisions/0016-admission-and-limits.md §7).
 */
export interface CircuitBreaker extends CircuitBreakerSettings {
  readonly tenantId: string;
  readonly breakerId: string;
  /** Exactly one of `sourceId` and `jobType` is set. */
  readonly sourceId: string | null;
  readonly jobType: string | null;
  readonly state: CircuitState;
  readonly stateChangedAt: string;
  /** Set while open: when it becomes half-open. */
  readonly openUntil: string | null;
  /** The window's attempts when it opened. */
  readonly openedWith: { readonly attempts: number; readonly failures: number } | null;
  readonly version: number;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly updatedAt: string;
  readonly updatedBy: string;
}

/** The defaults of a breaker's settings: half the attempts of a minute (at least 20) open it for 30 s. */
export const DEFAULT_CIRCUIT_SETTINGS: CircuitBreakerSettings = {
  failureRatio: 0.5,
  minVolume: 20,
  windowSeconds: 60,
  coolDownSeconds: 30,
  probeLeases: 1,
};

/** Bounds of the settings; the ledger's CHECK constraints hold the same. */
export const CIRCUIT_LIMITS = {
  minWindowSeconds: 10,
  maxWindowSeconds: 86_400,
  maxCoolDownSeconds: 86_400,
  maxMinVolume: 1_000_000,
  maxProbeLeases: 1_000,
} as const;

/** The length of an outcome bucket: the resolution of the sliding window. */
export const CIRCUIT_BUCKET_SECONDS = 10;

/** The ended attempts a breaker counts: in its window (closed) or since it became half-open. */
export interface CircuitCounts {
  readonly successes: number;
  readonly failures: number;
}

/** A state change of a breaker, with why. */
export interface CircuitTransition {
  readonly from: CircuitState;
  readonly to: CircuitState;
  /** Set when it opens. */
  readonly openUntil: string | null;
  readonly reason: string;
  readonly counts: CircuitCounts;
}

/**
 * What a breaker becomes at `nowMs` (pure; the evaluator applies it under the breaker's row lock):
 * - closed → open when at least `minVolume` attempts ended in the window and the failed share reached
 *   `failureRatio`;
 * - open → half-open once `openUntil` has passed;
 * - half-open → open on any failed probe (`sinceHalfOpen`), → closed once `probeLeases` probes succeeded.
 * `null` when it stays as it is.
 *
 * @param window - the attempts ended in the last `windowSeconds` (what a closed breaker looks at)
 * @param sinceHalfOpen - the attempts ended since it became half-open (what a half-open breaker looks at)
 */
export function nextCircuitState(
  breaker: Pick<CircuitBreaker, keyof CircuitBreakerSettings | 'state' | 'openUntil'>,
  window: CircuitCounts,
  sinceHalfOpen: CircuitCounts,
  nowMs: number,
): CircuitTransition | null {
  const openFor = (counts: CircuitCounts, reason: string): CircuitTransition => ({
    from: breaker.state,
    to: 'open',
    openUntil: new Date(nowMs + breaker.coolDownSeconds * 1000).toISOString(),
    reason,
    counts,
  });
  switch (breaker.state) {
    case 'closed': {
      const attempts = window.successes + window.failures;
      if (attempts < breaker.minVolume || attempts === 0) return null;
      const ratio = window.failures / attempts;
      if (ratio < breaker.failureRatio) return null;
      return openFor(
        window,
        `${window.failures} of ${attempts} attempts failed in ${breaker.windowSeconds} s ` +
          `(${Math.round(ratio * 100)} % ≥ ${Math.round(breaker.failureRatio * 100)} %)`,
      );
    }
    case 'open': {
      if (breaker.openUntil === null || Date.parse(breaker.openUntil) > nowMs) return null;
      return {
        from: 'open',
        to: 'half_open',
        openUntil: null,
        reason: `cool-down of ${breaker.coolDownSeconds} s over: up to ${breaker.probeLeases} probe(s) at once`,
        counts: { successes: 0, failures: 0 },
      };
    }
    case 'half_open': {
      if (sinceHalfOpen.failures > 0) return openFor(sinceHalfOpen, 'a probe failed');
      if (sinceHalfOpen.successes < breaker.probeLeases) return null;
      return {
        from: 'half_open',
        to: 'closed',
        openUntil: null,
        reason: `${sinceHalfOpen.successes} probe(s) succeeded`,
        counts: sinceHalfOpen,
      };
    }
  }
}

/** A transition the evaluator made, with the breaker it changed. */
export interface CircuitStateChange extends CircuitTransition {
  readonly tenantId: string;
  readonly breakerId: string;
  readonly sourceId: string | null;
  readonly jobType: string | null;
}

/** The event type of a transition into `state`. */
export function circuitEventType(
  state: CircuitState,
): 'circuit.opened' | 'circuit.half_opened' | 'circuit.closed' {
  switch (state) {
    case 'open':
      return 'circuit.opened';
    case 'half_open':
      return 'circuit.half_opened';
    case 'closed':
      return 'circuit.closed';
  }
}

/** The operator actions on a breaker, each audited with the breaker before and after. */
export const CIRCUIT_AUDIT_ACTIONS = [
  'circuit_breaker.create',
  'circuit_breaker.update',
  'circuit_breaker.delete',
  'circuit_breaker.reset',
] as const;

/** An operator action on a breaker. */
export type CircuitAuditAction = (typeof CIRCUIT_AUDIT_ACTIONS)[number];

/** The breaker state an audit entry keeps. */
export function circuitAuditState(breaker: CircuitBreaker): AuditState {
  return {
    sourceId: breaker.sourceId,
    jobType: breaker.jobType,
    failureRatio: breaker.failureRatio,
    minVolume: breaker.minVolume,
    windowSeconds: breaker.windowSeconds,
    coolDownSeconds: breaker.coolDownSeconds,
    probeLeases: breaker.probeLeases,
    state: breaker.state,
    openUntil: breaker.openUntil,
    version: breaker.version,
  };
}

/** The record of an operator action on a breaker: `resourceType` `circuit_breaker`. */
export function circuitAuditRecord(params: {
  readonly action: CircuitAuditAction;
  readonly actor: Actor;
  readonly before: CircuitBreaker | null;
  readonly after: CircuitBreaker | null;
  readonly audit?: AuditMetadata | undefined;
}): AuditRecord {
  const { audit = {}, before, after } = params;
  const subject = after ?? before;
  if (subject === null) throw new Error('a breaker audit record needs the breaker before or after');
  return {
    actor: params.actor,
    action: params.action,
    resourceType: 'circuit_breaker',
    resourceId: subject.breakerId,
    ...(before === null ? {} : { before: circuitAuditState(before) }),
    ...(after === null ? {} : { after: circuitAuditState(after) }),
    ...(audit.reason === undefined ? {} : { reason: audit.reason }),
    ...(audit.ticket === undefined ? {} : { ticket: audit.ticket }),
    ...(audit.requestReason === undefined ? {} : { requestReason: audit.requestReason }),
    ...(audit.requestTicket === undefined ? {} : { requestTicket: audit.requestTicket }),
    correlationId: audit.correlationId ?? `circuit_breaker:${subject.breakerId}`,
  };
}
