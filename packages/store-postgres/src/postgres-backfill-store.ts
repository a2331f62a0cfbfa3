import {
  backfillProgress,
  decodePageToken,
  encodePageToken,
  OrchestratorError,
  type Backfill,
  type BackfillChangeContext,
  type BackfillChangeResult,
  type BackfillPreview,
  type BackfillStateChange,
  type BackfillStore,
  type BackfillWithProgress,
  type ListBackfillsQuery,
  type ListWatermarksQuery,
  type NewBackfill,
  type Page,
  type TenantBackfillStore,
  type Watermark,
} from '@stella-orch/core';
import {
  changeBackfillStateAudited,
  createBackfillAudited,
  previewBackfill,
  type BackfillActionOutcome,
} from './backfill-actions.js';
import { mapBackfill, mapWatermark } from './backfill-rows.js';
import type { LedgerContext } from './ledger-context.js';
import { isUuid, requireTenantId, runLedgerOperation } from './ledger-errors.js';
import {
  getBackfill,
  getWatermark,
  listBackfills,
  listWatermarks,
  runJobCounts,
} from './queries/backfills.js';
import { notifyJobsReady } from './queries/create-jobs.js';
import type { SqlExecutor } from './sql-driver.js';
import { decodeSeqToken, pageLimit } from './page-keys.js';

/**
 * Backfills and watermarks on PostgreSQL or PGlite: the {@link BackfillStore} port. It shares the job
 * store's ledger context, so a backfill's jobs wake waiting workers like a submit does.
 */
export class PostgresBackfillStore implements BackfillStore {
  readonly #ctx: LedgerContext;

  /** @param ctx - the driver and notifier of the job store on the same ledger */
  constructor(ctx: LedgerContext) {
    this.#ctx = ctx;
  }

  /**
   * The backfills of one tenant.
   * @throws OrchestratorError `VALIDATION_FAILED` for an empty tenant id
   */
  forTenant(tenantId: string): TenantBackfillStore {
    requireTenantId(tenantId);
    return new PostgresTenantBackfillStore(this.#ctx, tenantId);
  }
}

/** The backfills of one tenant: every statement carries the tenant id. */
export class PostgresTenantBackfillStore implements TenantBackfillStore {
  readonly tenantId: string;
  readonly #ctx: LedgerContext;

  /** @param ctx - the shared driver and notifier; @param tenantId - the tenant of every operation */
  constructor(ctx: LedgerContext, tenantId: string) {
    this.#ctx = ctx;
    this.tenantId = tenantId;
  }

  /** @inheritdoc */
  previewBackfill(backfill: NewBackfill): Promise<BackfillPreview> {
    return runLedgerOperation(() => previewBackfill(this.#ctx.driver, this.tenantId, backfill));
  }

  /** @inheritdoc */
  async createBackfill(
    params: { readonly backfill: NewBackfill } & BackfillChangeContext,
  ): Promise<{ backfill: Backfill; created: boolean }> {
    const { driver, notifier } = this.#ctx;
    const result = await runLedgerOperation(() =>
      driver.transaction((tx) => createBackfillAudited(tx, this.tenantId, notifier, params)),
    );
    if (result.created) notifier.announce(this.tenantId);
    return result;
  }

  /** @inheritdoc */
  async getBackfill(backfillId: string): Promise<BackfillWithProgress | null> {
    if (!isUuid(backfillId)) return null;
    const { driver } = this.#ctx;
    return runLedgerOperation(async () => {
      const row = await getBackfill(driver, this.tenantId, backfillId);
      if (row === null) return null;
      const backfill = mapBackfill(row);
      const [counts, watermark] = await Promise.all([
        runJobCounts(driver, this.tenantId, backfill.runId),
        getWatermark(driver, this.tenantId, backfill.sourceId, backfill.jobType),
      ]);
      const mark = watermark === null ? null : mapWatermark(watermark).watermark;
      return { ...backfill, progress: backfillProgress(backfill.totalJobs, counts, mark) };
    });
  }

  /** @inheritdoc */
  async listBackfills(query: ListBackfillsQuery): Promise<Page<Backfill>> {
    const limit = pageLimit(query.pageSize);
    const beforeSeq = decodeSeqToken(query.pageToken);
    const rows = await runLedgerOperation(() =>
      listBackfills(this.#ctx.driver, {
        tenantId: this.tenantId,
        sourceId: query.sourceId ?? null,
        jobType: query.jobType ?? null,
        status: query.status ?? null,
        beforeSeq,
        limit: limit + 1,
      }),
    );
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map(mapBackfill),
      nextPageToken: rows.length > limit && last !== undefined ? encodePageToken([last.seq]) : null,
    };
  }

  /** @inheritdoc */
  async changeBackfillState(
    params: { readonly backfillId: string; readonly change: BackfillStateChange } & BackfillChangeContext,
  ): Promise<BackfillChangeResult> {
    if (!isUuid(params.backfillId)) {
      throw new OrchestratorError('BACKFILL_NOT_FOUND', `backfill ${params.backfillId} does not exist`, {
        details: { backfillId: params.backfillId },
      });
    }
    return this.#run((tx) => changeBackfillStateAudited(tx, this.tenantId, params));
  }

  /** @inheritdoc */
  async getWatermark(sourceId: string, jobType: string): Promise<Watermark | null> {
    const row = await runLedgerOperation(() =>
      getWatermark(this.#ctx.driver, this.tenantId, sourceId, jobType),
    );
    return row === null ? null : mapWatermark(row);
  }

  /** @inheritdoc */
  async listWatermarks(query: ListWatermarksQuery): Promise<Page<Watermark>> {
    const limit = pageLimit(query.pageSize);
    const after = query.pageToken === undefined ? null : decodeKeyToken(query.pageToken);
    const rows = await runLedgerOperation(() =>
      listWatermarks(this.#ctx.driver, {
        tenantId: this.tenantId,
        sourceId: query.sourceId ?? null,
        jobType: query.jobType ?? null,
        after,
        limit: limit + 1,
      }),
    );
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map(mapWatermark),
      nextPageToken:
        rows.length > limit && last !== undefined ? encodePageToken([last.source_id, last.job_type]) : null,
    };
  }

  /** Runs an audited change in one transaction; wakes workers when it released held jobs. */
  async #run(action: (tx: SqlExecutor) => Promise<BackfillActionOutcome>): Promise<BackfillChangeResult> {
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
    if (outcome.released) notifier.announce(this.tenantId);
    return { backfill: outcome.backfill, changed: outcome.changed };
  }
}

function decodeKeyToken(token: string): [string, string] {
  const [sourceId, jobType] = decodePageToken(token, 2);
  if (typeof sourceId !== 'string' || typeof jobType !== 'string') {
    throw new OrchestratorError('INVALID_CURSOR', 'page_token is not a token this server issued');
  }
  return [sourceId, jobType];
}
