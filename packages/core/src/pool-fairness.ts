/**
 * Fair leasing across tenants for pool workers (docs/decisions/0016-admission-and-limits.md §5–§6): one
 * lease call of a pool token draws from every tenant with ready work, each tenant getting a share of the
 * batch proportional to its weight, so that one tenant's 10,000 ready jobs cannot fill every batch while
 * another tenant waits.
 *
 * The dealing is deficit round robin in whole jobs: every deal credits each tenant with ready work its
 * weighted share of the batch (a fraction of a job when the batch is smaller than the number of tenants),
 * and each job of the batch goes to the tenant owed the most. What a tenant is owed carries over to the
 * next deal in the {@link PoolCursor}, so shares below one job add up across calls; ties go first to the
 * tenants after the one served last, so the pool rotates. A tenant with no ready work is forgotten (its
 * credit is dropped, as an emptied queue's deficit is in DRR): being idle earns no credit.
 */

/** The relative weight of each tenant; a tenant not named weighs {@link DEFAULT_TENANT_WEIGHT}. */
export type TenantWeights = Readonly<Record<string, number>>;

/** The weight of a tenant the configuration does not name. */
export const DEFAULT_TENANT_WEIGHT = 1;

/** The most jobs a tenant may be owed, or be advanced, in batches: a bound on credit carried over. */
const MAX_CREDIT_BATCHES = 4;

/** Below this, two credits are equal (sums of fractions are not exact). */
const EPSILON = 1e-9;

/** What one deal hands to the next. */
export interface PoolCursor {
  /** The tenant served last; ties go first to the tenants after it (in code-unit order, wrapping). */
  readonly after: string | null;
  /**
   * What each tenant with ready work is owed (positive) or was advanced (negative), in jobs. Tenants
   * absent here start at 0.
   */
  readonly credits: Readonly<Record<string, number>>;
}

/** The cursor of a first deal. */
export const EMPTY_POOL_CURSOR: PoolCursor = { after: null, credits: {} };

/** One tenant's part of a batch. */
export interface TenantShare {
  readonly tenantId: string;
  /** Jobs to lease for the tenant, at least 1. */
  readonly share: number;
}

/** The answer of {@link dealAcrossTenants}. */
export interface PoolDeal {
  /** The tenants to lease for, in serving order (starting after the cursor), each with its share. */
  readonly shares: readonly TenantShare[];
  /** What the next deal starts from. */
  readonly cursor: PoolCursor;
}

/** The weight of `tenantId`: its configured weight when positive and finite, else the default. */
export function tenantWeight(weights: TenantWeights, tenantId: string): number {
  const weight = Object.hasOwn(weights, tenantId) ? weights[tenantId] : undefined;
  return weight !== undefined && Number.isFinite(weight) && weight > 0 ? weight : DEFAULT_TENANT_WEIGHT;
}

/**
 * Deals a batch of `limit` jobs across `tenants` (the tenants with ready work; order and repeats do not
 * matter): each tenant is credited `limit × weight / total weight`, then each job of the batch goes to
 * the tenant owed the most, ties to the first after `cursor.after`. The shares add up to `limit` (when
 * there is a tenant); a tenant whose share is 0 this time keeps what it is owed for the next deal.
 *
 * A tenant that then leases less than its share (it had less ready work) gives the rest to the others: the
 * caller deals the rest again over the tenants that filled their shares, with the cursor this deal
 * returned (dropping the tenant that ran dry, which forfeits its credit).
 */
export function dealAcrossTenants(
  tenants: readonly string[],
  limit: number,
  weights: TenantWeights,
  cursor: PoolCursor,
): PoolDeal {
  const order = servingOrder(tenants, cursor.after);
  const jobs = Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : 0;
  if (order.length === 0 || jobs === 0) {
    return { shares: [], cursor: { after: cursor.after, credits: keep(cursor.credits, order) } };
  }
  const totalWeight = order.reduce((sum, tenantId) => sum + tenantWeight(weights, tenantId), 0);
  const bound = MAX_CREDIT_BATCHES * jobs;
  const credits = order.map((tenantId) =>
    clamp((cursor.credits[tenantId] ?? 0) + (jobs * tenantWeight(weights, tenantId)) / totalWeight, bound),
  );
  const shares = order.map(() => 0);
  let left = jobs;
  // Whole jobs owed first, in serving order (a tenant owed more than the batch takes it all).
  for (let i = 0; i < order.length && left > 0; i++) {
    const owed = Math.min(left, Math.max(0, Math.floor((credits[i] ?? 0) + EPSILON)));
    shares[i] = owed;
    credits[i] = (credits[i] ?? 0) - owed;
    left -= owed;
  }
  // The rest one by one to the tenant owed the most; the first in serving order wins a tie.
  for (; left > 0; left--) {
    let best = 0;
    for (let i = 1; i < order.length; i++) {
      if ((credits[i] ?? 0) > (credits[best] ?? 0) + EPSILON) best = i;
    }
    shares[best] = (shares[best] ?? 0) + 1;
    credits[best] = (credits[best] ?? 0) - 1;
  }
  const served = order.flatMap((tenantId, i) =>
    (shares[i] ?? 0) > 0 ? [{ tenantId, share: shares[i] ?? 0 }] : [],
  );
  const nextCredits: Record<string, number> = {};
  order.forEach((tenantId, i) => {
    nextCredits[tenantId] = clamp(credits[i] ?? 0, bound);
  });
  return {
    shares: served,
    cursor: { after: served.at(-1)?.tenantId ?? cursor.after, credits: nextCredits },
  };
}

/** The distinct tenants in code-unit order, starting with the first after `after` and wrapping around. */
function servingOrder(tenants: readonly string[], after: string | null): string[] {
  const sorted = [...new Set(tenants)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (after === null) return sorted;
  const start = sorted.findIndex((tenantId) => tenantId > after);
  return start <= 0 ? sorted : [...sorted.slice(start), ...sorted.slice(0, start)];
}

/** The credits of the tenants in `order` only. */
function keep(credits: Readonly<Record<string, number>>, order: readonly string[]): Record<string, number> {
  const kept: Record<string, number> = {};
  for (const tenantId of order) {
    const credit = credits[tenantId];
    if (credit !== undefined) kept[tenantId] = credit;
  }
  return kept;
}

function clamp(value: number, bound: number): number {
  return Math.max(-bound, Math.min(bound, value));
}
