import {
  assertNoFieldErrors,
  checkSourcePatch,
  checkSourcePause,
  checkSourceRegistration,
  encodePageToken,
  type ListSourcesQuery,
  type NewSource,
  type Page,
  type Source,
  type SourceChangeContext,
  type SourceChangeResult,
  type SourcePatch,
  type SourceStateChange,
  type SourceStore,
  type TenantSourceStore,
} from '@stella-orch/core';
import type { LedgerContext } from './ledger-context.js';
import { requireTenantId, runLedgerOperation } from './ledger-errors.js';
import { notifyJobsReady } from './queries/create-jobs.js';
import { getSource, listSources } from './queries/sources.js';
import {
  changeSourceStateAudited,
  registerSourceAudited,
  updateSourceAudited,
  type SourceActionOutcome,
} from './source-actions.js';
import { mapSource } from './source-rows.js';
import type { SqlExecutor } from './sql-driver.js';
import { decodeSeqToken, pageLimit } from './page-keys.js';

/**
 * The source registry on PostgreSQL or PGlite: the {@link SourceStore} port. It shares the job store's
 * ledger context, so releasing held jobs wakes waiting workers like a submit does.
 */
export class PostgresSourceStore implements SourceStore {
  readonly #ctx: LedgerContext;

  /** @param ctx - the driver and notifier of the job store on the same ledger */
  constructor(ctx: LedgerContext) {
    this.#ctx = ctx;
  }

  /**
   * The sources of one tenant.
   * @throws OrchestratorError `VALIDATION_FAILED` for an empty tenant id
   */
  forTenant(tenantId: string): TenantSourceStore {
    requireTenantId(tenantId);
    return new PostgresTenantSourceStore(this.#ctx, tenantId);
  }
}

/** The sources of one tenant: every statement carries the tenant id. */
export class PostgresTenantSourceStore implements TenantSourceStore {
  readonly tenantId: string;
  readonly #ctx: LedgerContext;

  /** @param ctx - the shared driver and notifier; @param tenantId - the tenant of every operation */
  constructor(ctx: LedgerContext, tenantId: string) {
    this.#ctx = ctx;
    this.tenantId = tenantId;
  }

  /** @inheritdoc */
  async registerSource(
    params: { readonly source: NewSource } & SourceChangeContext,
  ): Promise<{ source: Source; created: boolean }> {
    assertNoFieldErrors(checkSourceRegistration(params.source));
    return runLedgerOperation(() =>
      this.#ctx.driver.transaction((tx) => registerSourceAudited(tx, this.tenantId, params)),
    );
  }

  /** @inheritdoc */
  async getSource(sourceId: string): Promise<Source | null> {
    const row = await runLedgerOperation(() => getSource(this.#ctx.driver, this.tenantId, sourceId));
    return row === null ? null : mapSource(row);
  }

  /** @inheritdoc */
  async listSources(query: ListSourcesQuery): Promise<Page<Source>> {
    const limit = pageLimit(query.pageSize);
    const afterSeq = decodeSeqToken(query.pageToken);
    const rows = await runLedgerOperation(() =>
      listSources(this.#ctx.driver, {
        tenantId: this.tenantId,
        sourceType: query.sourceType ?? null,
        enabled: query.enabled ?? null,
        paused: query.paused ?? null,
        afterSeq,
        limit: limit + 1,
      }),
    );
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map(mapSource),
      nextPageToken: rows.length > limit && last !== undefined ? encodePageToken([last.seq]) : null,
    };
  }

  /** @inheritdoc */
  async updateSource(
    params: {
      readonly sourceId: string;
      readonly patch: SourcePatch;
      readonly expectedVersion?: number | undefined;
    } & SourceChangeContext,
  ): Promise<SourceChangeResult> {
    assertNoFieldErrors(checkSourcePatch(params.patch));
    return this.#run((tx) => updateSourceAudited(tx, this.tenantId, params));
  }

  /** @inheritdoc */
  async changeSourceState(
    params: { readonly sourceId: string; readonly change: SourceStateChange } & SourceChangeContext,
  ): Promise<SourceChangeResult> {
    if (params.change.action === 'pause') assertNoFieldErrors(checkSourcePause(params.change.pause));
    return this.#run((tx) => changeSourceStateAudited(tx, this.tenantId, params));
  }

  /** Runs an audited change in one transaction; wakes workers when it released held jobs. */
  async #run(action: (tx: SqlExecutor) => Promise<SourceActionOutcome>): Promise<SourceChangeResult> {
    const { driver, notifier } = this.#ctx;
    const outcome = await runLedgerOperation(() =>
      driver.transaction(async (tx) => {
        const result = await action(tx);
        if (result.released) {
          await notifyJobsReady(tx, { channel: notifier.channel, payload: notifier.payload(this.tenantId) });
        }
        return result;
      }),
    );
    // After the commit: listeners in this process hear at once; others through the NOTIFY.
    if (outcome.released) notifier.announce(this.tenantId);
    return { source: outcome.source, changed: outcome.changed };
  }
}
