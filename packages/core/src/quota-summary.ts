import { admit } from './admission.js';
import { queueHolds } from './queue-holds.js';
import type { JobCondition } from './job-holds.js';
import { limitKeys, limitRules } from './limit-rules.js';
import { quotaBucket, type Quota } from './quota.js';
import { tokensAt, type BucketLevel } from './token-bucket.js';

/** The load of one job type of a tenant, as the ledger counts it. */
export interface JobTypeLoad {
  readonly jobType: string;
  /** Jobs leased or running. */
  readonly active: number;
  /** Pending jobs that are not held and eligible now. */
  readonly ready: number;
}

/** One quota and what its scope (the tenant, and its job type when it has one) uses now. */
export interface QuotaUsage {
  readonly quota: Quota;
  /** Jobs of its scope leased or running: what `maxActive` caps. */
  readonly active: number;
  /** The tokens in its hourly bucket now; `null` without `maxPerHour`. */
  readonly tokens: number | null;
  /** The bucket's capacity (`burst`, or its default); `null` without `maxPerHour`. */
  readonly tokenCapacity: number | null;
  /** Pending jobs of its scope that are not held and eligible now: what waits for a lease. */
  readonly readyJobs: number;
  /**
   * What the quota holds back now, in the words and codes of `GET /jobs/{id}/why` (`QUOTA_PAUSED`,
   * `QUOTA_ACTIVE_LIMIT`, `QUOTA_RATE_LIMIT`): empty while it allows a lease, or when nothing waits.
   */
  readonly holds: readonly JobCondition[];
}

/** The quotas of a tenant with their usage, and the tenant's totals, at one instant of the ledger's clock. */
export interface QuotaSummary {
  readonly tenantId: string;
  /** The database clock the usage was read at. */
  readonly asOf: string;
  /** Every job of the tenant, with or without a quota. */
  readonly totals: { readonly active: number; readonly readyJobs: number };
  /** In listing order (oldest quota first). */
  readonly quotas: readonly QuotaUsage[];
}

/**
 * The usage of each quota from the tenant's load by job type and the stored bucket levels (keyed as the
 * lease grant keys them, `limitKeys.quota`; a bucket without a stored level is full), at `nowMs` of the
 * database clock.
 * A tenant-wide quota counts every job type.
 */
export function summarizeQuotas(params: {
  readonly tenantId: string;
  readonly quotas: readonly Quota[];
  readonly loads: readonly JobTypeLoad[];
  readonly levels: ReadonlyMap<string, BucketLevel>;
  readonly nowMs: number;
}): QuotaSummary {
  const byType = new Map(params.loads.map((load) => [load.jobType, load]));
  const totals = params.loads.reduce(
    (sum, load) => ({ active: sum.active + load.active, readyJobs: sum.readyJobs + load.ready }),
    { active: 0, readyJobs: 0 },
  );
  const quotas = params.quotas.map((quota): QuotaUsage => {
    const load =
      quota.jobType === null
        ? { active: totals.active, ready: totals.readyJobs }
        : (byType.get(quota.jobType) ?? { active: 0, ready: 0 });
    const bucket = quotaBucket(quota);
    return {
      quota,
      active: load.active,
      tokens:
        bucket === null
          ? null
          : tokensAt(bucket, params.levels.get(limitKeys.quota(quota.jobType)), params.nowMs),
      tokenCapacity: bucket?.capacity ?? null,
      readyJobs: load.ready,
      holds: load.ready === 0 ? [] : quotaHolds(quota, params),
    };
  });
  return { tenantId: params.tenantId, asOf: new Date(params.nowMs).toISOString(), totals, quotas };
}

/** The conditions of `quota` now, evaluated as the lease grant evaluates it (core `admit`). */
function quotaHolds(
  quota: Quota,
  params: {
    readonly loads: readonly JobTypeLoad[];
    readonly levels: ReadonlyMap<string, BucketLevel>;
    readonly nowMs: number;
  },
): JobCondition[] {
  const rules = limitRules({ sources: [], quotas: [quota], throttles: [], nowMs: params.nowMs });
  const inFlight = params.loads.map((load) => ({
    jobType: load.jobType,
    sourceId: null,
    lane: 'live' as const,
    count: load.active,
  }));
  const admission = admit({ rules, levels: params.levels, inFlight, nowMs: params.nowMs, backfillShare: 1 });
  // A queue of the quota's scope: its job type's; a tenant-wide quota's scope takes a queue of any type.
  return queueHolds(admission, { jobType: quota.jobType ?? '*', sourceId: null });
}
