import {
  assertNoFieldErrors,
  checkOperatorMetadata,
  checkThrottleRequest,
  checkThrottleRevoke,
  encodePageToken,
  type ListThrottlesQuery,
  type NewThrottle,
  type Page,
  type TenantThrottleStore,
  type ThrottleChangeContext,
  type ThrottleStore,
  type ThrottleView,
} from '@stella-orch/core';
import type { LedgerContext } from './ledger-context.js';
import { isUuid, requireTenantId, runLedgerOperation } from './ledger-errors.js';
import { decodeSeqToken, pageLimit } from './page-keys.js';
import { notifyJobsReady } from './queries/create-jobs.js';
import { getThrottle, listThrottles } from './queries/throttles.js';
import { createThrottleAudited, revokeThrottleAudited, throttleNotFound } from './throttle-actions.js';
import { mapThrottle } from './throttle-rows.js';

/**
 * The throttles on PostgreSQL or PGlite: the {@link ThrottleStore} port. It shares the job store's ledger
 * context, so revoking a throttle wakes waiting workers.
 */
export class PostgresThrottleStore implements ThrottleStore {
  readonly #ctx: LedgerContext;

  /** @param ctx - the driver and notifier of the job store on the same ledger */
  constructor(ctx: LedgerContext) {
    this.#ctx = ctx;
  }

  /**
   * The throttles of one tenant.
   * @throws OrchestratorError `VALIDATION_FAILED` for an empty tenant id
   */
  forTenant(tenantId: string): TenantThrottleStore {
    requireTenantId(tenantId);
    return new PostgresTenantThrottleStore(this.#ctx, tenantId);
  }
}

/** The reason and ticket of a change, under the operator text policy: they are kept on the throttle. */
function checkWhy(ctx: ThrottleChangeContext): void {
  assertNoFieldErrors(checkOperatorMetadata({ reason: ctx.reason, ticket: ctx.ticket }));
}

/** The throttles of one tenant: every statement carries the tenant id. */
export class PostgresTenantThrottleStore implements TenantThrottleStore {
  readonly tenantId: string;
  readonly #ctx: LedgerContext;

  /** @param ctx - the shared driver and notifier; @param tenantId - the tenant of every operation */
  constructor(ctx: LedgerContext, tenantId: string) {
    this.#ctx = ctx;
    this.tenantId = tenantId;
  }

  /** @inheritdoc */
  async createThrottle(
    params: { readonly throttle: NewThrottle } & ThrottleChangeContext,
  ): Promise<{ throttle: ThrottleView; created: boolean }> {
    assertNoFieldErrors(checkThrottleRequest(params.throttle));
    checkWhy(params);
    return runLedgerOperation(() =>
      this.#ctx.driver.transaction((tx) => createThrottleAudited(tx, this.tenantId, params)),
    );
  }

  /** @inheritdoc */
  async getThrottle(throttleId: string): Promise<ThrottleView | null> {
    if (!isUuid(throttleId)) return null;
    const row = await runLedgerOperation(() => getThrottle(this.#ctx.driver, this.tenantId, throttleId));
    return row === null ? null : mapThrottle(row);
  }

  /** @inheritdoc */
  async listThrottles(query: ListThrottlesQuery): Promise<Page<ThrottleView>> {
    const limit = pageLimit(query.pageSize);
    const beforeSeq = decodeSeqToken(query.pageToken);
    const rows = await runLedgerOperation(() =>
      listThrottles(this.#ctx.driver, {
        tenantId: this.tenantId,
        sourceId: query.sourceId ?? null,
        jobType: query.jobType ?? null,
        active: query.active ?? null,
        beforeSeq,
        limit: limit + 1,
      }),
    );
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map(mapThrottle),
      nextPageToken: rows.length > limit && last !== undefined ? encodePageToken([last.seq]) : null,
    };
  }

  /** @inheritdoc */
  async revokeThrottle(
    params: {
      readonly throttleId: string;
      readonly revokeReason?: string | null | undefined;
    } & ThrottleChangeContext,
  ): Promise<{ throttle: ThrottleView; changed: boolean }> {
    if (!isUuid(params.throttleId)) throw throttleNotFound(params.throttleId);
    assertNoFieldErrors(checkThrottleRevoke({ reason: params.revokeReason ?? null }));
    checkWhy(params);
    const { driver, notifier } = this.#ctx;
    const outcome = await runLedgerOperation(() =>
      driver.transaction(async (tx) => {
        const result = await revokeThrottleAudited(tx, this.tenantId, {
          ...params,
          revokeReason: params.revokeReason ?? params.reason,
        });
        if (result.changed) {
          await notifyJobsReady(tx, { channel: notifier.channel, payload: notifier.payload(this.tenantId) });
        }
        return result;
      }),
    );
    // After the commit: a waiting lease call looks again, the throttle no longer holding it back.
    if (outcome.changed) notifier.announce(this.tenantId);
    return outcome;
  }
}
