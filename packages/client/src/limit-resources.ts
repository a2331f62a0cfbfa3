// The quota and throttle resources of the HTTP contract (docs/api.md, "Limits"), as they travel on the wire.
import type { PageQuery } from './job-resources.js';

/**
 * A quota of a tenant, for one job type or (`jobType: null`) all of them: at most `maxActive` jobs leased or
 * running at once, at most `maxPerHour` leases an hour with bursts of `burst`. A paused quota leases nothing.
 */
export interface Quota {
  readonly quotaId: string;
  readonly tenantId: string;
  readonly jobType: string | null;
  readonly maxActive: number | null;
  readonly maxPerHour: number | null;
  /** `null` with a `maxPerHour`: a minute's worth of it (at least 1). */
  readonly burst: number | null;
  readonly paused: boolean;
  readonly pauseReason: string | null;
  readonly pauseTicket: string | null;
  readonly pausedBy: string | null;
  readonly pausedAt: string | null;
  /** The `quota_reason` / `quota_ticket` of the last change. */
  readonly reason: string;
  readonly ticket: string | null;
  /** Grows with every change; the ETag of optimistic updates. */
  readonly version: number;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly updatedAt: string;
  readonly updatedBy: string;
}

/** The limits of a quota: the body of `PUT /quotas/{quotaId}` (replaced whole: an absent limit is `null`). */
export interface QuotaLimits {
  /** 1 to 1,000,000. */
  readonly maxActive?: number | null;
  /** 1 to 360,000,000. */
  readonly maxPerHour?: number | null;
  /** 1 to 1,000,000, only with `maxPerHour`. */
  readonly burst?: number | null;
}

/** The body of `POST /quotas`: at least one of `maxActive` and `maxPerHour`. */
export interface NewQuota extends QuotaLimits {
  /** Absent or `null`: the whole tenant. */
  readonly jobType?: string | null;
}

/** Filter and page of `GET /quotas`. */
export interface ListQuotasQuery extends PageQuery {
  readonly jobType?: string;
}

/** Why a quota is paused (`POST /quotas/{quotaId}/pause`). */
export interface QuotaPause {
  readonly reason: string;
  readonly ticket?: string;
}

/** One quota with what its scope uses now (`GET /quotas/summary`). */
export interface QuotaUsage {
  readonly quota: Quota;
  /** Jobs of its scope leased or running. */
  readonly active: number;
  /** Tokens in its hourly bucket now; `null` without `maxPerHour`. */
  readonly tokens: number | null;
  readonly tokenCapacity: number | null;
  /** Pending jobs of its scope that are not held and eligible now. */
  readonly readyJobs: number;
  /** What the quota holds back now (codes and words of `GET /jobs/{id}/why`); empty while it allows a lease. */
  readonly holds: readonly {
    readonly code: string;
    readonly message: string;
    readonly until?: string;
    readonly details: Readonly<Record<string, unknown>>;
  }[];
}

/** `GET /quotas/summary`: every quota with its usage, and the tenant's totals, at one database instant. */
export interface QuotaSummary {
  readonly tenantId: string;
  readonly asOf: string;
  readonly totals: { readonly active: number; readonly readyJobs: number };
  readonly quotas: readonly QuotaUsage[];
}

/**
 * A throttle: an operator's temporary override on a source, a job type, both or the whole tenant, that
 * pauses, lowers the rate or lowers the concurrency until `expiresAt` or until it is revoked.
 */
export interface Throttle {
  readonly throttleId: string;
  readonly tenantId: string;
  readonly sourceId: string | null;
  readonly jobType: string | null;
  readonly pause: boolean;
  readonly maxPerSecond: number | null;
  readonly maxConcurrent: number | null;
  readonly reason: string;
  readonly ticket: string;
  readonly expiresAt: string;
  readonly revokedAt: string | null;
  readonly revokedBy: string | null;
  readonly revokeReason: string | null;
  /** In force now (not revoked, not expired), by the server's database clock. */
  readonly active: boolean;
  readonly createdAt: string;
  readonly createdBy: string;
}

/**
 * The body of `POST /throttles`: at least one effect, and exactly one of `durationSeconds` (1 s to 30
 * days) and `expiresAt` (in the future, within 30 days).
 */
export interface NewThrottle {
  readonly sourceId?: string | null;
  readonly jobType?: string | null;
  readonly pause?: boolean;
  /** Greater than 0, at most 100,000. */
  readonly maxPerSecond?: number | null;
  /** 0 to 1,000,000. */
  readonly maxConcurrent?: number | null;
  readonly durationSeconds?: number;
  readonly expiresAt?: string;
}

/** Filters and page of `GET /throttles`. */
export interface ListThrottlesQuery extends PageQuery {
  readonly sourceId?: string;
  readonly jobType?: string;
  /** `true`: only those in force; `false`: only revoked or expired ones. */
  readonly active?: boolean;
}
