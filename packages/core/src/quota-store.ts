import type { AuditMetadata } from './audit-entry.js';
import type { Actor, Page } from './job.js';
import type { Quota } from './quota.js';
import type { QuotaSummary } from './quota-summary.js';
import type { QuotaDefinition, QuotaLimits, QuotaPause } from './quota-validation.js';

/**
 * Who changes a quota and why. `reason` and `ticket` are kept on the quota as the why of its last change:
 * the request's operator headers, else the token's `quota_reason` / `quota_ticket` (`orch:quota` is
 * granted only with a reason). `audit` is what the audit entry records.
 */
export interface QuotaChangeContext {
  readonly actor: Actor;
  readonly reason: string;
  readonly ticket: string | null;
  readonly audit?: AuditMetadata | undefined;
}

/** A quota as the ledger writes it: validated, with its idempotency key and request digest. */
export interface NewQuota extends QuotaDefinition {
  readonly idempotencyKey: string | null;
  readonly requestDigest: string;
}

/** Filter and page of a quota listing. Order: creation order (oldest first). */
export interface ListQuotasQuery {
  /** Only the quota of this job type. */
  readonly jobType?: string;
  readonly pageSize: number;
  readonly pageToken?: string;
}

/** A state change of a quota: `pause` carries its reason. */
export type QuotaStateChange =
  { readonly action: 'resume' } | { readonly action: 'pause'; readonly pause: QuotaPause };

/** What a change did: the quota after it, and whether anything changed (a repeat changes nothing). */
export interface QuotaChangeResult {
  readonly quota: Quota;
  readonly changed: boolean;
}

/**
 * The quotas of one tenant (SPEC §2 "Limits"): at most one per job type and one for the whole tenant.
 * Every change appends its `quota.*` audit entry (and so its `operator.quota.*` event) in the transaction
 * of the change; a refused change, or one that changes nothing, writes none. The lease grant reads the
 * quotas as they are (docs/decisions/0016-admission-and-limits.md): a change takes effect at the next
 * lease call.
 */
export interface TenantQuotaStore {
  readonly tenantId: string;
  /**
   * Creates a quota; the same idempotency key with the same request returns the quota it made
   * (`created: false`).
   * @throws OrchestratorError `QUOTA_EXISTS`, `IDEMPOTENCY_CONFLICT`, `VALIDATION_FAILED`
   */
  createQuota(params: { readonly quota: NewQuota } & QuotaChangeContext): Promise<{
    readonly quota: Quota;
    readonly created: boolean;
  }>;
  /** A quota, or `null` (an id that is not a UUID included). */
  getQuota(quotaId: string): Promise<Quota | null>;
  /** @throws OrchestratorError `INVALID_CURSOR` */
  listQuotas(query: ListQuotasQuery): Promise<Page<Quota>>;
  /**
   * Replaces a quota's limits (an absent limit becomes `null`). With `expectedVersion`, refused unless the
   * quota is at that version. Limits equal to the current ones change nothing.
   * @throws OrchestratorError `QUOTA_NOT_FOUND`, `QUOTA_VERSION_MISMATCH`, `VALIDATION_FAILED`
   */
  updateQuota(
    params: {
      readonly quotaId: string;
      readonly limits: QuotaLimits;
      readonly expectedVersion?: number | undefined;
    } & QuotaChangeContext,
  ): Promise<QuotaChangeResult>;
  /**
   * Deletes a quota; returns it as it was. With `expectedVersion`, refused unless it is at that version.
   * @throws OrchestratorError `QUOTA_NOT_FOUND`, `QUOTA_VERSION_MISMATCH`
   */
  deleteQuota(
    params: { readonly quotaId: string; readonly expectedVersion?: number | undefined } & QuotaChangeContext,
  ): Promise<Quota>;
  /**
   * Pauses or resumes a quota. A repeat (pausing a paused quota…) changes nothing and records nothing; a
   * paused quota keeps its first reason.
   * @throws OrchestratorError `QUOTA_NOT_FOUND`, `VALIDATION_FAILED`
   */
  changeQuotaState(
    params: { readonly quotaId: string; readonly change: QuotaStateChange } & QuotaChangeContext,
  ): Promise<QuotaChangeResult>;
  /** Every quota with what its scope uses now (one database clock), and the tenant's totals. */
  quotaSummary(): Promise<QuotaSummary>;
}

/** The quota port. */
export interface QuotaStore {
  /** The quotas of one tenant. */
  forTenant(tenantId: string): TenantQuotaStore;
}
