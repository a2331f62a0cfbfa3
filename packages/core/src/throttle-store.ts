import type { AuditMetadata } from './audit-entry.js';
import type { Actor, Page } from './job.js';
import type { Throttle } from './throttle.js';
import type { ThrottleRequest } from './throttle-validation.js';

/**
 * Who acts on a throttle and why. `reason` and `ticket` are kept on the throttle: the request's operator
 * headers, else the token's `operator_reason` / `operator_ticket` (`orch:operate` needs both). `audit` is
 * what the audit entry records.
 */
export interface ThrottleChangeContext {
  readonly actor: Actor;
  readonly reason: string;
  readonly ticket: string;
  readonly audit?: AuditMetadata | undefined;
}

/** A throttle request as the ledger writes it: with its idempotency key and request digest. */
export interface NewThrottle extends ThrottleRequest {
  readonly idempotencyKey: string | null;
  readonly requestDigest: string;
}

/** A throttle as read: with whether it is in force now, by the database clock. */
export interface ThrottleView extends Throttle {
  readonly active: boolean;
}

/** Filters and page of a throttle listing. Order: newest first. */
export interface ListThrottlesQuery {
  readonly sourceId?: string;
  readonly jobType?: string;
  /** `true`: only those in force now; `false`: only revoked or expired ones. */
  readonly active?: boolean;
  readonly pageSize: number;
  readonly pageToken?: string;
}

/**
 * The throttles of one tenant (SPEC §2 "Limits"): temporary operator overrides that end at `expiresAt` or
 * when revoked. Creating and revoking append their `throttle.*` audit entry (and so its
 * `operator.throttle.*` event) in the transaction of the change; a refused change, or a revoke that
 * changes nothing, writes none. The lease grant reads the throttles in force as they are.
 */
export interface TenantThrottleStore {
  readonly tenantId: string;
  /**
   * Creates a throttle; the same idempotency key with the same request returns the throttle it made
   * (`created: false`). The end is checked against the database clock.
   * @throws OrchestratorError `SOURCE_NOT_FOUND` (nothing written), `IDEMPOTENCY_CONFLICT`,
   *   `VALIDATION_FAILED`
   */
  createThrottle(params: { readonly throttle: NewThrottle } & ThrottleChangeContext): Promise<{
    readonly throttle: ThrottleView;
    readonly created: boolean;
  }>;
  /** A throttle, or `null` (an id that is not a UUID included). */
  getThrottle(throttleId: string): Promise<ThrottleView | null>;
  /** @throws OrchestratorError `INVALID_CURSOR` */
  listThrottles(query: ListThrottlesQuery): Promise<Page<ThrottleView>>;
  /**
   * Ends a throttle now (`revokedAt`, `revokedBy`, and `revokeReason`: the one given, else the context's
   * reason). Revoking a revoked or expired throttle changes nothing and records nothing.
   * @throws OrchestratorError `THROTTLE_NOT_FOUND`, `VALIDATION_FAILED`
   */
  revokeThrottle(
    params: {
      readonly throttleId: string;
      readonly revokeReason?: string | null | undefined;
    } & ThrottleChangeContext,
  ): Promise<{ readonly throttle: ThrottleView; readonly changed: boolean }>;
}

/** The throttle port. */
export interface ThrottleStore {
  /** The throttles of one tenant. */
  forTenant(tenantId: string): TenantThrottleStore;
}
