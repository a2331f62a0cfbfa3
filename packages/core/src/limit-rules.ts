import type { CircuitBreaker } from './circuit-breaker.js';
import { quotaBucket, type Quota } from './quota.js';
import type { SourceRateLimit } from './source.js';
import { throttleActive, throttleBucket, type Throttle } from './throttle.js';
import type { TokenBucket } from './token-bucket.js';

/**
 * Which jobs a limit applies to: those of one source and/or one job type; `null` matches every value (a
 * source-scoped limit never matches a job without a source).
 */
export interface LimitScope {
  readonly sourceId: string | null;
  readonly jobType: string | null;
}

/** Who paused what a limit covers, for `why`. */
export interface LimitPause {
  readonly by: string | null;
  readonly at: string | null;
  readonly reason: string | null;
  readonly ticket: string | null;
}

/** Where a limit comes from: what `why` names and what an operator changes to lift it. */
export type LimitOrigin =
  | { readonly kind: 'source'; readonly sourceId: string }
  | { readonly kind: 'quota'; readonly quotaId: string; readonly jobType: string | null }
  | {
      readonly kind: 'throttle';
      readonly throttleId: string;
      readonly expiresAt: string;
      readonly reason: string;
      readonly ticket: string;
      readonly createdBy: string;
    }
  | {
      readonly kind: 'circuit';
      readonly breakerId: string;
      /** `half_open` also for an open breaker whose cool-down is over (the evaluator writes it later). */
      readonly state: 'open' | 'half_open';
      readonly openUntil: string | null;
      readonly probeLeases: number;
    };

/**
 * One limit as admission sees it: a scope, and any of a pause, a token bucket and a concurrency cap. The
 * `key` names its row in `orch.limit_state`: the bucket's level, and the lock a lease grant takes to count
 * the jobs a concurrency cap covers.
 */
export interface LimitRule {
  readonly key: string;
  readonly scope: LimitScope;
  readonly origin: LimitOrigin;
  /** Set when the limit leases nothing at all. */
  readonly pause: LimitPause | null;
  readonly bucket: TokenBucket | null;
  readonly maxConcurrent: number | null;
}

/** A source's limits as the lease grant reads them. */
export interface SourceLimits {
  readonly sourceId: string;
  readonly rateLimit: SourceRateLimit | null;
  readonly maxConcurrent: number | null;
}

/** The `orch.limit_state` key of each kind of limit. */
export const limitKeys = {
  source: (sourceId: string) => `source:${sourceId}`,
  quota: (jobType: string | null) => `quota:${jobType ?? '*'}`,
  throttle: (throttleId: string) => `throttle:${throttleId}`,
  circuit: (breakerId: string) => `circuit:${breakerId}`,
} as const;

function sourceRule(source: SourceLimits): LimitRule | null {
  if (source.rateLimit === null && source.maxConcurrent === null) return null;
  return {
    key: limitKeys.source(source.sourceId),
    scope: { sourceId: source.sourceId, jobType: null },
    origin: { kind: 'source', sourceId: source.sourceId },
    pause: null,
    bucket:
      source.rateLimit === null
        ? null
        : { capacity: source.rateLimit.burst, refillPerSecond: source.rateLimit.refillPerSecond },
    maxConcurrent: source.maxConcurrent,
  };
}

type QuotaLimits = Pick<
  Quota,
  | 'quotaId'
  | 'jobType'
  | 'maxActive'
  | 'maxPerHour'
  | 'burst'
  | 'paused'
  | 'pausedBy'
  | 'pausedAt'
  | 'pauseReason'
  | 'pauseTicket'
>;

function quotaRule(quota: QuotaLimits): LimitRule {
  return {
    key: limitKeys.quota(quota.jobType),
    scope: { sourceId: null, jobType: quota.jobType },
    origin: { kind: 'quota', quotaId: quota.quotaId, jobType: quota.jobType },
    pause: quota.paused
      ? { by: quota.pausedBy, at: quota.pausedAt, reason: quota.pauseReason, ticket: quota.pauseTicket }
      : null,
    bucket: quotaBucket(quota),
    maxConcurrent: quota.maxActive,
  };
}

type ThrottleLimits = Pick<
  Throttle,
  | 'throttleId'
  | 'sourceId'
  | 'jobType'
  | 'pause'
  | 'maxPerSecond'
  | 'maxConcurrent'
  | 'reason'
  | 'ticket'
  | 'createdBy'
  | 'createdAt'
  | 'expiresAt'
  | 'revokedAt'
>;

function throttleRule(throttle: ThrottleLimits): LimitRule {
  return {
    key: limitKeys.throttle(throttle.throttleId),
    scope: { sourceId: throttle.sourceId, jobType: throttle.jobType },
    origin: {
      kind: 'throttle',
      throttleId: throttle.throttleId,
      expiresAt: throttle.expiresAt,
      reason: throttle.reason,
      ticket: throttle.ticket,
      createdBy: throttle.createdBy,
    },
    pause: throttle.pause
      ? { by: throttle.createdBy, at: throttle.createdAt, reason: throttle.reason, ticket: throttle.ticket }
      : null,
    bucket: throttleBucket(throttle),
    maxConcurrent: throttle.maxConcurrent,
  };
}

type BreakerLimits = Pick<
  CircuitBreaker,
  'breakerId' | 'sourceId' | 'jobType' | 'state' | 'openUntil' | 'probeLeases' | 'stateChangedAt'
>;

/**
 * A breaker that is not closed: open, it leases nothing in its scope until `openUntil`; after that (and
 * half-open) it lets `probeLeases` jobs run at once. `null` for a closed breaker.
 */
function circuitRule(breaker: BreakerLimits, nowMs: number): LimitRule | null {
  if (breaker.state === 'closed') return null;
  const open =
    breaker.state === 'open' && breaker.openUntil !== null && Date.parse(breaker.openUntil) > nowMs;
  return {
    key: limitKeys.circuit(breaker.breakerId),
    scope: { sourceId: breaker.sourceId, jobType: breaker.jobType },
    origin: {
      kind: 'circuit',
      breakerId: breaker.breakerId,
      state: open ? 'open' : 'half_open',
      openUntil: open ? breaker.openUntil : null,
      probeLeases: breaker.probeLeases,
    },
    pause: open ? { by: null, at: breaker.stateChangedAt, reason: null, ticket: null } : null,
    bucket: null,
    maxConcurrent: open ? null : breaker.probeLeases,
  };
}

/**
 * Every limit of a tenant that can hold a job, from its limited sources, its quotas, its throttles
 * (expired and revoked throttles left out) and its breakers that are not closed, in the order `why`
 * reports them: quotas, sources, throttles, breakers.
 */
export function limitRules(params: {
  readonly sources: readonly SourceLimits[];
  readonly quotas: readonly QuotaLimits[];
  readonly throttles: readonly ThrottleLimits[];
  readonly breakers?: readonly BreakerLimits[];
  readonly nowMs: number;
}): LimitRule[] {
  return [
    ...params.quotas.map(quotaRule),
    ...params.sources.flatMap((s) => sourceRule(s) ?? []),
    ...params.throttles.filter((t) => throttleActive(t, params.nowMs)).map(throttleRule),
    ...(params.breakers ?? []).flatMap((b) => circuitRule(b, params.nowMs) ?? []),
  ];
}

/** Whether a limit applies to the jobs of `queue`. */
export function ruleApplies(scope: LimitScope, queue: LimitScope): boolean {
  return (
    (scope.sourceId === null || scope.sourceId === queue.sourceId) &&
    (scope.jobType === null || scope.jobType === queue.jobType)
  );
}

/**
 * The keys a lease grant locks, sorted: the rules with a bucket or a concurrency cap (a pause needs no
 * lock — it leases nothing). Sorted keys make two grants against the same limits queue up in one order
 * instead of deadlocking.
 */
export function lockedLimitKeys(rules: readonly LimitRule[]): string[] {
  const keys = rules.filter((r) => r.bucket !== null || r.maxConcurrent !== null).map((r) => r.key);
  return [...new Set(keys)].sort();
}
