import {
  dealAcrossTenants,
  EMPTY_POOL_CURSOR,
  type LeasedJob,
  type Logger,
  type PoolCursor,
  type PoolLeaseParams,
  type TenantJobStore,
} from '@stella-orch/core';
import { runLedgerOperation } from './ledger-errors.js';
import { readyTenants } from './queries/ready-tenants.js';
import type { SqlExecutor } from './sql-driver.js';

/** The most tenants one pool lease call deals across (its window moves with the cursor). */
export const POOL_TENANT_WINDOW = 1_000;
/** The most tenants with pending work one skip scan looks at, eligible work of the types or not. */
const MAX_TENANTS_VISITED = 10_000;
/** Deals of one call: the batch, then the rest of the tenants that ran dry, over the others (twice). */
const MAX_DEALS = 3;

/**
 * A pool worker's lease (decision 0016 §6): the tenants with ready work of the requested types (a skip
 * scan of the ready index, `queries/ready-tenants.ts`), the batch dealt across them by
 * `dealAcrossTenants`, and each tenant's share leased through the tenant's own grant
 * (`TenantJobStore.leaseJobs`: its limits, its lease order, its history and events), tenant by tenant.
 * A tenant that leases less than its share ran dry: it forfeits its credit and the rest is dealt again
 * over the others. Each grant is its own transaction, as a tenant's lease call is.
 *
 * The cursor (the tenant served last and what each tenant is owed) lives in this process: each replica
 * deals fairly on its own, and a restart starts afresh, which costs at most one batch of imbalance.
 */
export class PoolLeaser {
  readonly #db: SqlExecutor;
  readonly #forTenant: (tenantId: string) => TenantJobStore;
  readonly #logger: Logger;
  #cursor: PoolCursor = EMPTY_POOL_CURSOR;

  /**
   * @param deps - the ledger the ready tenants are read from, the ledger operations of one tenant (on the
   *   same ledger), and where a grant that fails after others succeeded is reported
   */
  constructor(deps: {
    readonly db: SqlExecutor;
    readonly forTenant: (tenantId: string) => TenantJobStore;
    readonly logger: Logger;
  }) {
    this.#db = deps.db;
    this.#forTenant = deps.forTenant;
    this.#logger = deps.logger;
  }

  /** Leases up to `limit` jobs across the tenants with ready work; see `JobStore.leaseAcrossTenants`. */
  async lease(params: PoolLeaseParams): Promise<LeasedJob[]> {
    const jobTypes = [...new Set(params.jobTypes)];
    const limit = Math.floor(params.limit);
    if (jobTypes.length === 0 || !(limit >= 1)) return [];
    let tenants = await this.#readyTenants(jobTypes);
    const leased: LeasedJob[] = [];
    for (let deal = 0; deal < MAX_DEALS && tenants.length > 0 && leased.length < limit; deal++) {
      const { shares, cursor } = dealAcrossTenants(
        tenants,
        limit - leased.length,
        params.tenantWeights ?? {},
        this.#cursor,
      );
      const dry = new Set<string>();
      for (const { tenantId, share } of shares) {
        let granted: LeasedJob[];
        try {
          granted = await this.#forTenant(tenantId).leaseJobs({
            jobTypes,
            limit: share,
            leaseDurationMs: params.leaseDurationMs,
            workerId: params.workerId,
            ...(params.backfillLaneShare === undefined
              ? {}
              : { backfillLaneShare: params.backfillLaneShare }),
          });
        } catch (error) {
          // Leases granted already are committed: answering the error would leave them to lapse and cost
          // their jobs an attempt. Hand them out, and let the next call meet the failure again.
          if (leased.length === 0) throw error;
          this.#logger.warn({ tenantId, err: error }, 'a pool lease stopped at a tenant whose grant failed');
          this.#cursor = cursor;
          return leased;
        }
        leased.push(...granted);
        if (granted.length < share) dry.add(tenantId);
      }
      this.#cursor = forgetting(cursor, dry);
      tenants = tenants.filter((tenantId) => !dry.has(tenantId));
      if (dry.size === 0) break;
    }
    return leased;
  }

  /**
   * Up to {@link POOL_TENANT_WINDOW} tenants with ready work: those after the cursor first, then from the
   * first tenant on, so that with more tenants than the window each one's turn comes.
   */
  async #readyTenants(jobTypes: readonly string[]): Promise<string[]> {
    const after = this.#cursor.after ?? '';
    const scan = (from: string, through: string | null, limit: number) =>
      runLedgerOperation(() =>
        readyTenants(this.#db, { jobTypes, after: from, through, limit, maxVisited: MAX_TENANTS_VISITED }),
      );
    const tenants = await scan(after, null, POOL_TENANT_WINDOW);
    if (after === '' || tenants.length >= POOL_TENANT_WINDOW) return tenants;
    return [...tenants, ...(await scan('', after, POOL_TENANT_WINDOW - tenants.length))];
  }
}

/** `cursor` without what `tenants` were owed: a tenant that ran dry starts again at 0, as in DRR. */
function forgetting(cursor: PoolCursor, tenants: ReadonlySet<string>): PoolCursor {
  if (tenants.size === 0) return cursor;
  const credits = Object.fromEntries(
    Object.entries(cursor.credits).filter(([tenantId]) => !tenants.has(tenantId)),
  );
  return { after: cursor.after, credits };
}
