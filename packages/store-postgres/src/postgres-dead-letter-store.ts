import {
  DEAD_LETTER_LIMITS,
  DEAD_LETTER_STATUSES,
  deadLetterNotFound,
  type BulkReplayResult,
  type CreatedJob,
  type DeadLetterAttribution,
  type DeadLetterEntry,
  type DeadLetterStats,
  type DeadLetterStatus,
  type DeadLetterStore,
  type DeadLetterSummary,
  type ReplayFilter,
  type ReplayIdentity,
  type ReplayPreview,
  type TenantDeadLetterStore,
} from '@stella-orch/core';
import {
  replayDeadLetterAudited,
  replayJobsAudited,
  replayPreviewOf,
  resolveDeadLetterAudited,
} from './dead-letter-operations.js';
import type { LedgerContext } from './ledger-context.js';
import { isUuid, requireTenantId, runLedgerOperation } from './ledger-errors.js';
import {
  countDeadLettersByStatus,
  getDeadLetter,
  oldestOpenDeadLetter,
  openDeadLetterGroups,
  previewReplay,
  topOpenErrorTypes,
} from './queries/dead-letters.js';
import { mapDeadLetter, toIso } from './row-mappers.js';

/**
 * The dead-letter operations and replay by filter on PostgreSQL or PGlite: the {@link DeadLetterStore}
 * port, sharing the job store's driver and wake-ups (see `PostgresJobStore.deadLetters`).
 */
export class PostgresDeadLetterStore implements DeadLetterStore {
  readonly #ctx: LedgerContext;

  /** @param ctx - the job store's driver, notifier and logger */
  constructor(ctx: LedgerContext) {
    this.#ctx = ctx;
  }

  /**
   * The operations of one tenant.
   * @throws OrchestratorError `VALIDATION_FAILED` for an empty tenant id
   */
  forTenant(tenantId: string): TenantDeadLetterStore {
    requireTenantId(tenantId);
    return new PostgresTenantDeadLetterStore(this.#ctx, tenantId);
  }
}

/** The dead-letter operations of one tenant: every statement carries the tenant id. */
export class PostgresTenantDeadLetterStore implements TenantDeadLetterStore {
  readonly tenantId: string;
  readonly #ctx: LedgerContext;

  /** @param ctx - the shared driver and notifier; @param tenantId - the tenant of every operation */
  constructor(ctx: LedgerContext, tenantId: string) {
    this.#ctx = ctx;
    this.tenantId = tenantId;
  }

  /** @inheritdoc */
  async getDeadLetter(entryId: string): Promise<DeadLetterEntry | null> {
    if (!isUuid(entryId)) return null;
    const row = await runLedgerOperation(() => getDeadLetter(this.#ctx.driver, this.tenantId, entryId));
    return row === null ? null : mapDeadLetter(row);
  }

  /** @inheritdoc */
  async deadLetterStats(params: { readonly top: number }): Promise<DeadLetterStats> {
    const top = Math.min(Math.max(Math.floor(params.top), 1), DEAD_LETTER_LIMITS.maxTopErrorTypes);
    const { driver } = this.#ctx;
    const counts = await runLedgerOperation(() => countDeadLettersByStatus(driver, this.tenantId));
    const errorTypes = await runLedgerOperation(() => topOpenErrorTypes(driver, this.tenantId, top));
    const oldest = await runLedgerOperation(() => oldestOpenDeadLetter(driver, this.tenantId));
    const byStatus = Object.fromEntries(DEAD_LETTER_STATUSES.map((s) => [s, 0])) as Record<
      DeadLetterStatus,
      number
    >;
    for (const { status, count } of counts) byStatus[status] += count;
    return {
      total: counts.reduce((sum, c) => sum + c.count, 0),
      byStatus,
      topErrorTypes: errorTypes.map((e) => ({ errorType: e.error_type, count: e.count })),
      oldestOpen:
        oldest === null
          ? null
          : {
              entryId: oldest.entry_id,
              jobId: oldest.job_id,
              jobType: oldest.job_type,
              createdAt: toIso(oldest.created_at),
            },
    };
  }

  /** @inheritdoc */
  async summarizeDeadLetters(): Promise<DeadLetterSummary> {
    const limit = DEAD_LETTER_LIMITS.maxSummaryGroups;
    const rows = await runLedgerOperation(() => openDeadLetterGroups(this.#ctx.driver, this.tenantId, limit));
    return {
      totalOpen: rows[0]?.total_open ?? 0,
      groups: rows.map((row) => ({
        jobType: row.job_type,
        errorType: row.error_type,
        sourceId: row.source_id,
        count: row.count,
        firstSeenAt: toIso(row.first_seen_at),
        lastSeenAt: toIso(row.last_seen_at),
        sampleMessage: row.sample_message,
      })),
      truncated: (rows[0]?.group_count ?? 0) > limit,
    };
  }

  /** @inheritdoc */
  async replayDeadLetter(
    params: DeadLetterAttribution & { readonly entryId: string; readonly newJob: ReplayIdentity },
  ): Promise<{ readonly entry: DeadLetterEntry } & CreatedJob> {
    if (!isUuid(params.entryId)) throw deadLetterNotFound(params.entryId);
    const { driver, notifier } = this.#ctx;
    const outcome = await runLedgerOperation(() =>
      driver.transaction((tx) => replayDeadLetterAudited(tx, this.tenantId, notifier, params)),
    );
    // After the commit: listeners in this process hear at once; others through the NOTIFY.
    if (outcome.wakeUp) notifier.announce(this.tenantId);
    return { entry: outcome.entry, ...outcome.result };
  }

  /** @inheritdoc */
  async resolveDeadLetter(
    params: DeadLetterAttribution & { readonly entryId: string; readonly note: string },
  ): Promise<DeadLetterEntry> {
    if (!isUuid(params.entryId)) throw deadLetterNotFound(params.entryId);
    return runLedgerOperation(() =>
      this.#ctx.driver.transaction((tx) => resolveDeadLetterAudited(tx, this.tenantId, params)),
    );
  }

  /** @inheritdoc */
  async previewReplay(filter: ReplayFilter): Promise<ReplayPreview> {
    const rows = await runLedgerOperation(() => previewReplay(this.#ctx.driver, this.tenantId, filter));
    return replayPreviewOf(
      rows.map((row) => ({ jobType: row.job_type, sourceId: row.source_id, count: row.count })),
    );
  }

  /** @inheritdoc */
  async replayJobs(
    params: DeadLetterAttribution & {
      readonly filter: ReplayFilter;
      readonly max: number;
      readonly replayId: string;
      readonly identityFor: (originalJobId: string) => ReplayIdentity;
    },
  ): Promise<BulkReplayResult> {
    const { driver, notifier } = this.#ctx;
    const outcome = await runLedgerOperation(() =>
      driver.transaction((tx) => replayJobsAudited(tx, this.tenantId, notifier, params)),
    );
    if (outcome.wakeUp) notifier.announce(this.tenantId);
    return outcome.result;
  }
}
