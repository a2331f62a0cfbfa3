import {
  assertNoFieldErrors,
  checkOperatorMetadata,
  checkQuotaDefinition,
  checkQuotaLimits,
  checkQuotaPause,
  encodePageToken,
  summarizeQuotas,
  type ListQuotasQuery,
  type NewQuota,
  type Page,
  type Quota,
  type QuotaChangeContext,
  type QuotaChangeResult,
  type QuotaLimits,
  type QuotaStateChange,
  type QuotaStore,
  type QuotaSummary,
  type TenantQuotaStore,
} from '@stella-orch/core';
import type { LedgerContext } from './ledger-context.js';
import { isUuid, requireTenantId, runLedgerOperation } from './ledger-errors.js';
import { decodeSeqToken, pageLimit } from './page-keys.js';
import { notifyJobsReady } from './queries/create-jobs.js';
import { ledgerNowMillis } from './queries/ledger-clock.js';
import { allQuotas, getQuota, jobTypeLoads, listQuotas, quotaLevels } from './queries/quotas.js';
import {
  changeQuotaStateAudited,
  createQuotaAudited,
  deleteQuotaAudited,
  quotaNotFound,
  updateQuotaAudited,
  type QuotaActionOutcome,
} from './quota-actions.js';
import { mapQuota } from './quota-rows.js';
import type { SqlExecutor } from './sql-driver.js';

/**
 * The quotas on PostgreSQL or PGlite: the {@link QuotaStore} port. It shares the job store's ledger
 * context, so a change that may let more work through (a resume, new limits, a delete) wakes waiting
 * workers.
 */
export class PostgresQuotaStore implements QuotaStore {
  readonly #ctx: LedgerContext;

  /** @param ctx - the driver and notifier of the job store on the same ledger */
  constructor(ctx: LedgerContext) {
    this.#ctx = ctx;
  }

  /**
   * The quotas of one tenant.
   * @throws OrchestratorError `VALIDATION_FAILED` for an empty tenant id
   */
  forTenant(tenantId: string): TenantQuotaStore {
    requireTenantId(tenantId);
    return new PostgresTenantQuotaStore(this.#ctx, tenantId);
  }
}

/** The why of a change, under the operator text policy: it is kept on the quota. */
function checkWhy(ctx: QuotaChangeContext): void {
  assertNoFieldErrors(checkOperatorMetadata({ reason: ctx.reason, ticket: ctx.ticket ?? undefined }));
}

/** The quotas of one tenant: every statement carries the tenant id. */
export class PostgresTenantQuotaStore implements TenantQuotaStore {
  readonly tenantId: string;
  readonly #ctx: LedgerContext;

  /** @param ctx - the shared driver and notifier; @param tenantId - the tenant of every operation */
  constructor(ctx: LedgerContext, tenantId: string) {
    this.#ctx = ctx;
    this.tenantId = tenantId;
  }

  /** @inheritdoc */
  async createQuota(
    params: { readonly quota: NewQuota } & QuotaChangeContext,
  ): Promise<{ quota: Quota; created: boolean }> {
    assertNoFieldErrors(checkQuotaDefinition(params.quota));
    checkWhy(params);
    return runLedgerOperation(() =>
      this.#ctx.driver.transaction((tx) => createQuotaAudited(tx, this.tenantId, params)),
    );
  }

  /** @inheritdoc */
  async getQuota(quotaId: string): Promise<Quota | null> {
    if (!isUuid(quotaId)) return null;
    const row = await runLedgerOperation(() => getQuota(this.#ctx.driver, this.tenantId, quotaId));
    return row === null ? null : mapQuota(row);
  }

  /** @inheritdoc */
  async listQuotas(query: ListQuotasQuery): Promise<Page<Quota>> {
    const limit = pageLimit(query.pageSize);
    const afterSeq = decodeSeqToken(query.pageToken);
    const rows = await runLedgerOperation(() =>
      listQuotas(this.#ctx.driver, {
        tenantId: this.tenantId,
        jobType: query.jobType ?? null,
        afterSeq,
        limit: limit + 1,
      }),
    );
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map(mapQuota),
      nextPageToken: rows.length > limit && last !== undefined ? encodePageToken([last.seq]) : null,
    };
  }

  /** @inheritdoc */
  async updateQuota(
    params: {
      readonly quotaId: string;
      readonly limits: QuotaLimits;
      readonly expectedVersion?: number | undefined;
    } & QuotaChangeContext,
  ): Promise<QuotaChangeResult> {
    this.#requireId(params.quotaId);
    assertNoFieldErrors(checkQuotaLimits(params.limits));
    checkWhy(params);
    return this.#run((tx) => updateQuotaAudited(tx, this.tenantId, params));
  }

  /** @inheritdoc */
  async deleteQuota(
    params: { readonly quotaId: string; readonly expectedVersion?: number | undefined } & QuotaChangeContext,
  ): Promise<Quota> {
    this.#requireId(params.quotaId);
    checkWhy(params);
    const outcome = await this.#run(async (tx) => ({
      quota: await deleteQuotaAudited(tx, this.tenantId, params),
      changed: true,
      loosened: true,
    }));
    return outcome.quota;
  }

  /** @inheritdoc */
  async changeQuotaState(
    params: { readonly quotaId: string; readonly change: QuotaStateChange } & QuotaChangeContext,
  ): Promise<QuotaChangeResult> {
    this.#requireId(params.quotaId);
    if (params.change.action === 'pause') assertNoFieldErrors(checkQuotaPause(params.change.pause));
    checkWhy(params);
    return this.#run((tx) => changeQuotaStateAudited(tx, this.tenantId, params));
  }

  /** @inheritdoc */
  async quotaSummary(): Promise<QuotaSummary> {
    // One transaction: one database clock for the counts, the bucket levels and the refill.
    const { quotas, loads, levels, nowMs } = await runLedgerOperation(() =>
      this.#ctx.driver.transaction(async (tx) => ({
        quotas: await allQuotas(tx, this.tenantId),
        loads: await jobTypeLoads(tx, this.tenantId),
        levels: await quotaLevels(tx, this.tenantId),
        nowMs: await ledgerNowMillis(tx),
      })),
    );
    return summarizeQuotas({
      tenantId: this.tenantId,
      quotas: quotas.map(mapQuota),
      loads: loads.map((row) => ({ jobType: row.job_type, active: row.active, ready: row.ready })),
      levels: new Map(
        levels.map((row) => [row.limit_key, { tokens: row.tokens, refilledAtMs: row.refilled_at_ms }]),
      ),
      nowMs,
    });
  }

  /** An id that is not a UUID names no quota. */
  #requireId(quotaId: string): void {
    if (!isUuid(quotaId)) throw quotaNotFound(quotaId);
  }

  /** Runs an audited change in one transaction; wakes workers when it may let more work through. */
  async #run(action: (tx: SqlExecutor) => Promise<QuotaActionOutcome>): Promise<QuotaChangeResult> {
    const { driver, notifier } = this.#ctx;
    const outcome = await runLedgerOperation(() =>
      driver.transaction(async (tx) => {
        const result = await action(tx);
        if (result.loosened) {
          await notifyJobsReady(tx, { channel: notifier.channel, payload: notifier.payload(this.tenantId) });
        }
        return result;
      }),
    );
    // After the commit: listeners in this process hear at once; others through the NOTIFY.
    if (outcome.loosened) notifier.announce(this.tenantId);
    return { quota: outcome.quota, changed: outcome.changed };
  }
}
