import {
  assertNoFieldErrors,
  checkCircuitBreakerDefinition,
  checkCircuitBreakerUpdate,
  encodePageToken,
  type CircuitBreaker,
  type CircuitBreakerChangeContext,
  type CircuitBreakerChangeResult,
  type CircuitBreakerCount,
  type CircuitBreakerSettingsPatch,
  type CircuitBreakerStore,
  type CircuitBreakerView,
  type ListCircuitBreakersQuery,
  type NewCircuitBreaker,
  type Page,
  type TenantCircuitBreakerStore,
} from '@stella-orch/core';
import {
  circuitBreakerNotFound,
  createBreakerAudited,
  deleteBreakerAudited,
  resetBreakerAudited,
  updateBreakerAudited,
} from './circuit-breaker-actions.js';
import { mapCircuitBreaker, toCircuitState } from './circuit-breaker-rows.js';
import type { LedgerContext } from './ledger-context.js';
import { isUuid, requireTenantId, runLedgerOperation } from './ledger-errors.js';
import { decodeSeqToken, pageLimit } from './page-keys.js';
import { notifyJobsReady } from './queries/create-jobs.js';
import { breakerCounts, getBreaker, listBreakers } from './queries/circuit-breakers.js';
import type { SqlExecutor } from './sql-driver.js';

/**
 * The circuit breakers on PostgreSQL or PGlite: the {@link CircuitBreakerStore} port. It shares the job
 * store's ledger context, so a change that may let more work through (a reset, a delete of a breaker that
 * holds its scope, more probes) wakes waiting workers. The state transitions are the evaluator's
 * (`circuit-evaluation.ts`); this store manages the breakers.
 */
export class PostgresCircuitBreakerStore implements CircuitBreakerStore {
  readonly #ctx: LedgerContext;

  /** @param ctx - the driver and notifier of the job store on the same ledger */
  constructor(ctx: LedgerContext) {
    this.#ctx = ctx;
  }

  /**
   * The breakers of one tenant.
   * @throws OrchestratorError `VALIDATION_FAILED` for an empty tenant id
   */
  forTenant(tenantId: string): TenantCircuitBreakerStore {
    requireTenantId(tenantId);
    return new PostgresTenantCircuitBreakerStore(this.#ctx, tenantId);
  }

  /** @inheritdoc */
  async breakerCounts(): Promise<CircuitBreakerCount[]> {
    const rows = await runLedgerOperation(() => breakerCounts(this.#ctx.driver));
    return rows.map((row) => ({
      tenantId: row.tenant_id,
      state: toCircuitState(row.state),
      count: row.count,
    }));
  }
}

/** The breakers of one tenant: every statement carries the tenant id. */
export class PostgresTenantCircuitBreakerStore implements TenantCircuitBreakerStore {
  readonly tenantId: string;
  readonly #ctx: LedgerContext;

  /** @param ctx - the shared driver and notifier; @param tenantId - the tenant of every operation */
  constructor(ctx: LedgerContext, tenantId: string) {
    this.#ctx = ctx;
    this.tenantId = tenantId;
  }

  /** @inheritdoc */
  async createBreaker(
    params: { readonly breaker: NewCircuitBreaker } & CircuitBreakerChangeContext,
  ): Promise<{ breaker: CircuitBreakerView; created: boolean }> {
    assertNoFieldErrors(checkCircuitBreakerDefinition(params.breaker));
    return runLedgerOperation(() =>
      this.#ctx.driver.transaction((tx) => createBreakerAudited(tx, this.tenantId, params)),
    );
  }

  /** @inheritdoc */
  async getBreaker(breakerId: string): Promise<CircuitBreakerView | null> {
    if (!isUuid(breakerId)) return null;
    const row = await runLedgerOperation(() => getBreaker(this.#ctx.driver, this.tenantId, breakerId));
    return row === null ? null : mapCircuitBreaker(row);
  }

  /** @inheritdoc */
  async listBreakers(query: ListCircuitBreakersQuery): Promise<Page<CircuitBreakerView>> {
    const limit = pageLimit(query.pageSize);
    const afterSeq = decodeSeqToken(query.pageToken);
    const rows = await runLedgerOperation(() =>
      listBreakers(this.#ctx.driver, {
        tenantId: this.tenantId,
        state: query.state ?? null,
        sourceId: query.sourceId ?? null,
        jobType: query.jobType ?? null,
        afterSeq,
        limit: limit + 1,
      }),
    );
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map(mapCircuitBreaker),
      nextPageToken: rows.length > limit && last !== undefined ? encodePageToken([last.seq]) : null,
    };
  }

  /** @inheritdoc */
  async updateBreaker(
    params: {
      readonly breakerId: string;
      readonly settings: CircuitBreakerSettingsPatch;
      readonly expectedVersion?: number | undefined;
    } & CircuitBreakerChangeContext,
  ): Promise<CircuitBreakerChangeResult> {
    this.#requireId(params.breakerId);
    assertNoFieldErrors(checkCircuitBreakerUpdate(params.settings));
    const outcome = await this.#run((tx) => updateBreakerAudited(tx, this.tenantId, params));
    return { breaker: outcome.breaker, changed: outcome.changed };
  }

  /** @inheritdoc */
  async deleteBreaker(
    params: {
      readonly breakerId: string;
      readonly expectedVersion?: number | undefined;
    } & CircuitBreakerChangeContext,
  ): Promise<CircuitBreaker> {
    this.#requireId(params.breakerId);
    const outcome = await this.#run((tx) => deleteBreakerAudited(tx, this.tenantId, params));
    return outcome.breaker;
  }

  /** @inheritdoc */
  async resetBreaker(
    params: { readonly breakerId: string } & CircuitBreakerChangeContext,
  ): Promise<CircuitBreakerChangeResult> {
    this.#requireId(params.breakerId);
    const outcome = await this.#run((tx) => resetBreakerAudited(tx, this.tenantId, params));
    return { breaker: outcome.breaker, changed: outcome.changed };
  }

  /** An id that is not a UUID names no breaker. */
  #requireId(breakerId: string): void {
    if (!isUuid(breakerId)) throw circuitBreakerNotFound(breakerId);
  }

  /** Runs an audited change in one transaction; wakes workers when it may let more work through. */
  async #run<T extends { readonly loosened: boolean }>(action: (tx: SqlExecutor) => Promise<T>): Promise<T> {
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
    return outcome;
  }
}
