/**
 * A throttle (SPEC §2 "Limits"): an operator's temporary override on a source, a job type, both, or
 * (neither) the whole tenant. It pauses, lowers the rate (a token bucket refilled at `maxPerSecond`, of
 * capacity `max(1, ceil(maxPerSecond))`), or lowers the concurrency, until `expiresAt` or until it is
 * revoked. Where several limits apply to a job, the lowest wins (docs/decisions/0016-admission-and-limits.md).
 */
export interface Throttle {
  readonly tenantId: string;
  readonly throttleId: string;
  /** `null`: every source. */
  readonly sourceId: string | null;
  /** `null`: every job type. */
  readonly jobType: string | null;
  /** Lease nothing of the target until the throttle ends. */
  readonly pause: boolean;
  /** `null`: the rate is not lowered. */
  readonly maxPerSecond: number | null;
  /** `null`: the concurrency is not lowered; 0 leases nothing more while it lasts. */
  readonly maxConcurrent: number | null;
  readonly reason: string;
  readonly ticket: string;
  readonly expiresAt: string;
  readonly revokedAt: string | null;
  readonly revokedBy: string | null;
  readonly revokeReason: string | null;
  readonly createdAt: string;
  readonly createdBy: string;
}

/** Whether a throttle is in force at `nowMs`: not revoked and not expired. */
export function throttleActive(throttle: Pick<Throttle, 'expiresAt' | 'revokedAt'>, nowMs: number): boolean {
  return throttle.revokedAt === null && Date.parse(throttle.expiresAt) > nowMs;
}

/** The token bucket of a throttle's rate, or `null` when it lowers no rate. */
export function throttleBucket(
  throttle: Pick<Throttle, 'maxPerSecond'>,
): { readonly capacity: number; readonly refillPerSecond: number } | null {
  if (throttle.maxPerSecond === null) return null;
  return { capacity: Math.max(1, Math.ceil(throttle.maxPerSecond)), refillPerSecond: throttle.maxPerSecond };
}
