import type { AuditMetadata } from './audit-entry.js';
import type {
  Backfill,
  BackfillEstimate,
  BackfillStatus,
  BackfillWithProgress,
  Watermark,
} from './backfill.js';
import type { BackfillPlan, BackfillRequest, BackfillStep } from './backfill-plan.js';
import type { Actor, Page } from './job.js';

/** Who acts on a backfill and why: recorded in the audit entry written with the change. */
export interface BackfillChangeContext {
  readonly actor: Actor;
  readonly audit?: AuditMetadata | undefined;
}

/** A checked backfill as the ledger writes it. */
export interface NewBackfill {
  readonly request: BackfillRequest;
  readonly plan: BackfillPlan;
  /** From the token's `backfill_reason` / `backfill_ticket`, or the request's operator headers. */
  readonly reason: string;
  readonly ticket: string;
  readonly defaultMaxAttempts: number;
  readonly correlationId: string;
  readonly idempotencyKey: string | null;
  readonly requestDigest: string;
}

/** What `dryRun: true` answers: the jobs a backfill would create and how long they may take. */
export interface BackfillPreview {
  readonly dryRun: true;
  readonly sourceId: string;
  readonly jobType: string;
  readonly windowStart: string;
  readonly windowEnd: string;
  readonly step: string;
  readonly jobCount: number;
  readonly firstStep: BackfillStep;
  readonly lastStep: BackfillStep;
  /** The windows of the first steps, up to {@link BACKFILL_PREVIEW_STEPS}. */
  readonly steps: readonly BackfillStep[];
  readonly stepsTruncated: boolean;
  readonly estimate: BackfillEstimate;
}

/** The most step windows a preview lists. */
export const BACKFILL_PREVIEW_STEPS = 100;

/** Filters and page of a backfill listing. Order: newest first. */
export interface ListBackfillsQuery {
  readonly sourceId?: string;
  readonly jobType?: string;
  readonly status?: BackfillStatus;
  readonly pageSize: number;
  readonly pageToken?: string;
}

/** Filters and page of a watermark listing. Order: source, then job type. */
export interface ListWatermarksQuery {
  readonly sourceId?: string;
  readonly jobType?: string;
  readonly pageSize: number;
  readonly pageToken?: string;
}

/** A state change of a backfill. */
export type BackfillStateChange =
  { readonly action: 'pause' | 'resume' } | { readonly action: 'cancel'; readonly reason: string };

/** What a change did: the backfill after it, and whether anything changed (a repeat changes nothing). */
export interface BackfillChangeResult {
  readonly backfill: Backfill;
  readonly changed: boolean;
}

/**
 * The backfills and watermarks of one tenant. Every change appends its `backfill.*` audit entry (and so
 * its `operator.backfill.*` event) in the transaction of the change; a refused change writes nothing.
 */
export interface TenantBackfillStore {
  readonly tenantId: string;
  /**
   * The preview of a backfill: nothing is written.
   * @throws OrchestratorError `SOURCE_NOT_FOUND`, `SOURCE_DISABLED`
   */
  previewBackfill(backfill: NewBackfill): Promise<BackfillPreview>;
  /**
   * Creates a backfill, its run and all its jobs (lane `backfill`) in one transaction, with its
   * `backfill.create` audit entry. The same idempotency key with the same request returns the backfill it
   * made (`created: false`).
   * @throws OrchestratorError `SOURCE_NOT_FOUND`, `SOURCE_DISABLED`, `BACKFILL_OVERLAP` (details:
   *   `backfillId` of the open backfill it overlaps), `IDEMPOTENCY_CONFLICT`
   */
  createBackfill(
    params: { readonly backfill: NewBackfill } & BackfillChangeContext,
  ): Promise<{ readonly backfill: Backfill; readonly created: boolean }>;
  getBackfill(backfillId: string): Promise<BackfillWithProgress | null>;
  /** @throws OrchestratorError `INVALID_CURSOR` */
  listBackfills(query: ListBackfillsQuery): Promise<Page<Backfill>>;
  /**
   * Pauses (holds its unfinished jobs), resumes (releases those its source does not hold) or cancels (its
   * unfinished jobs, with the reason) a backfill. A repeat changes nothing and records nothing.
   * @throws OrchestratorError `BACKFILL_NOT_FOUND`, `BACKFILL_FINISHED`
   */
  changeBackfillState(
    params: { readonly backfillId: string; readonly change: BackfillStateChange } & BackfillChangeContext,
  ): Promise<BackfillChangeResult>;
  getWatermark(sourceId: string, jobType: string): Promise<Watermark | null>;
  /** @throws OrchestratorError `INVALID_CURSOR` */
  listWatermarks(query: ListWatermarksQuery): Promise<Page<Watermark>>;
}

/** The backfill port. */
export interface BackfillStore {
  forTenant(tenantId: string): TenantBackfillStore;
}
