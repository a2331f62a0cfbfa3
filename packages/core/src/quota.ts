/**
 * A quota of a tenant (SPEC §2 "Limits"), for one job type or (`jobType: null`) for all of its jobs
 * together: at most `maxActive` jobs leased or running at once, and at most `maxPerHour` leases an hour
 * with bursts of up to `burst` (a token bucket of capacity `burst` refilled at `maxPerHour / 3600` per
 * second). A paused quota leases nothing; its jobs wait. Enforced at the lease grant
 * (docs/decisions/0016-admission-and-limits.md).
 */
export interface Quota {
  readonly tenantId: string;
  readonly quotaId: string;
  /** `null`: every job type of the tenant together. */
  readonly jobType: string | null;
  /** `null`: no cap on jobs leased or running at once. */
  readonly maxActive: number | null;
  /** `null`: no hourly rate. */
  readonly maxPerHour: number | null;
  /** The bucket's capacity; `null` with a `maxPerHour`: {@link defaultQuotaBurst}. */
  readonly burst: number | null;
  readonly paused: boolean;
  readonly pauseReason: string | null;
  readonly pauseTicket: string | null;
  readonly pausedBy: string | null;
  readonly pausedAt: string | null;
  /** The `quota_reason` / `quota_ticket` of the last change. */
  readonly reason: string;
  readonly ticket: string | null;
  /** Grows by one with every change: the ETag of optimistic updates. */
  readonly version: number;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly updatedAt: string;
  readonly updatedBy: string;
}

/** The burst of a quota that names none: one minute's worth of its hourly rate, at least 1. */
export function defaultQuotaBurst(maxPerHour: number): number {
  return Math.max(1, Math.ceil(maxPerHour / 60));
}

/** The token bucket of a quota's hourly rate, or `null` when it has none. */
export function quotaBucket(
  quota: Pick<Quota, 'maxPerHour' | 'burst'>,
): { readonly capacity: number; readonly refillPerSecond: number } | null {
  if (quota.maxPerHour === null) return null;
  return {
    capacity: quota.burst ?? defaultQuotaBurst(quota.maxPerHour),
    refillPerSecond: quota.maxPerHour / 3600,
  };
}
