import { auditMetadataOf } from './audit-entry.js';
import {
  checkResolutionNote,
  DEAD_LETTER_LIMITS,
  replayRequestErrors,
  type BulkReplayResult,
  type DeadLetterStats,
  type DeadLetterSummary,
  type ReplayFilter,
  type ReplayPreview,
} from './dead-letter.js';
import type { DeadLetterStore, ReplayIdentity, TenantDeadLetterStore } from './dead-letter-store.js';
import { OrchestratorError, validationError } from './errors.js';
import type { DeadLetterEntry } from './job.js';
import { noJobMetrics, type JobMetrics } from './job-metrics.js';
import type { CreatedJob } from './job-store.js';
import { JOB_LIMITS } from './job-submission.js';
import type { Ids } from './ports.js';
import type { RequestContext } from './request-context.js';

/** Settings of the dead-letter service. */
export interface DeadLetterServiceOptions {
  /** The largest `max` a replay by filter may ask for. */
  readonly maxReplayJobs: number;
}

/** A replay by filter as a caller asks for it. */
export interface ReplayRequest {
  readonly filter: ReplayFilter;
  /** Required unless `dryRun`: the most jobs the call may replay (more matching ones refuse it). */
  readonly max?: number;
  readonly dryRun: boolean;
}

/** The answer to a replay by filter: a preview (dry run) or what was done. */
export type ReplayAnswer =
  | ({ readonly dryRun: true; readonly max: number | null; readonly exceedsMax: boolean } & ReplayPreview)
  | ({ readonly dryRun: false } & BulkReplayResult);

// A clone of a replay by filter gets `<key>:<original job id>` as its idempotency key.
const ORIGINAL_SUFFIX_LENGTH = 37;

/**
 * The dead-letter operations and replay by filter, as the API offers them: validates what the store does
 * not, chooses the new jobs' identities and carries the request's audit metadata to the store.
 */
export class DeadLetterService {
  readonly #store: DeadLetterStore;
  readonly #ids: Ids;
  readonly #metrics: JobMetrics;
  readonly #options: DeadLetterServiceOptions;

  /**
   * @param deps - the ledger, the id source, and where to report the jobs replays make
   * @param options - the cap on replay by filter (10,000 by default)
   */
  constructor(
    deps: { readonly store: DeadLetterStore; readonly ids: Ids; readonly metrics?: JobMetrics },
    options: Partial<DeadLetterServiceOptions> = {},
  ) {
    this.#store = deps.store;
    this.#ids = deps.ids;
    this.#metrics = deps.metrics ?? noJobMetrics;
    this.#options = { maxReplayJobs: DEAD_LETTER_LIMITS.defaultMaxReplayJobs, ...options };
  }

  /** The effective options. */
  get options(): DeadLetterServiceOptions {
    return this.#options;
  }

  /** One entry. @throws OrchestratorError `DEAD_LETTER_NOT_FOUND` */
  async getDeadLetter(ctx: RequestContext, entryId: string): Promise<DeadLetterEntry> {
    const entry = await this.#tenant(ctx).getDeadLetter(entryId);
    if (entry === null) throw deadLetterNotFound(entryId);
    return entry;
  }

  /** Counts, top error types, oldest open entry. @throws OrchestratorError `VALIDATION_FAILED` (`top`) */
  async stats(
    ctx: RequestContext,
    top: number = DEAD_LETTER_LIMITS.defaultTopErrorTypes,
  ): Promise<DeadLetterStats> {
    if (!Number.isInteger(top) || top < 1 || top > DEAD_LETTER_LIMITS.maxTopErrorTypes) {
      throw validationError([
        {
          path: 'querystring.top',
          message: `must be an integer from 1 to ${DEAD_LETTER_LIMITS.maxTopErrorTypes}`,
        },
      ]);
    }
    return this.#tenant(ctx).deadLetterStats({ top });
  }

  /** The open entries, grouped. */
  async summary(ctx: RequestContext): Promise<DeadLetterSummary> {
    return this.#tenant(ctx).summarizeDeadLetters();
  }

  /**
   * Replays an open entry's job.
   * @throws OrchestratorError `DEAD_LETTER_NOT_FOUND`, `DEAD_LETTER_NOT_OPEN`, `IDEMPOTENCY_CONFLICT`,
   *   `VALIDATION_FAILED`
   */
  async replayDeadLetter(
    ctx: RequestContext,
    entryId: string,
    idempotencyKey?: string,
  ): Promise<{ readonly entry: DeadLetterEntry } & CreatedJob> {
    const audit = auditMetadataOf(ctx);
    checkKey(idempotencyKey, JOB_LIMITS.maxKeyLength);
    const replayed = await this.#tenant(ctx).replayDeadLetter({
      entryId,
      newJob: this.#identity(ctx, idempotencyKey ?? null),
      actor: ctx.actor,
      audit,
    });
    if (replayed.created) this.#metrics.jobsCreated([replayed.job], 'replay');
    return replayed;
  }

  /**
   * Resolves an open entry with a note.
   * @throws OrchestratorError `DEAD_LETTER_NOT_FOUND`, `DEAD_LETTER_NOT_OPEN`, `VALIDATION_FAILED`
   */
  async resolveDeadLetter(ctx: RequestContext, entryId: string, note: string): Promise<DeadLetterEntry> {
    const audit = auditMetadataOf(ctx);
    checkResolutionNote(note);
    return this.#tenant(ctx).resolveDeadLetter({ entryId, note, actor: ctx.actor, audit });
  }

  /**
   * Replays the terminal jobs a filter matches, or previews them (`dryRun`). With an idempotency key, the
   * clone of each original gets `<key>:<original job id>`, so a repeat finds the clones again.
   * @throws OrchestratorError `VALIDATION_FAILED`, `REPLAY_LIMIT_EXCEEDED`, `IDEMPOTENCY_CONFLICT`
   */
  async replayJobs(
    ctx: RequestContext,
    request: ReplayRequest,
    idempotencyKey?: string,
  ): Promise<ReplayAnswer> {
    const errors = replayRequestErrors({ ...request, max: request.max, maxCap: this.#options.maxReplayJobs });
    if (errors.length > 0) throw validationError(errors);
    const tenant = this.#tenant(ctx);
    if (request.dryRun) {
      const preview = await tenant.previewReplay(request.filter);
      const max = request.max ?? null;
      return { dryRun: true, ...preview, max, exceedsMax: max !== null && preview.total > max };
    }
    const audit = auditMetadataOf(ctx);
    checkKey(idempotencyKey, JOB_LIMITS.maxKeyLength - ORIGINAL_SUFFIX_LENGTH);
    const result = await tenant.replayJobs({
      filter: request.filter,
      max: request.max ?? 0,
      replayId: this.#ids.uuid(),
      identityFor: (original) =>
        this.#identity(ctx, idempotencyKey === undefined ? null : `${idempotencyKey}:${original}`),
      actor: ctx.actor,
      audit,
    });
    return { dryRun: false, ...result };
  }

  #tenant(ctx: RequestContext): TenantDeadLetterStore {
    return this.#store.forTenant(ctx.tenantId);
  }

  #identity(ctx: RequestContext, idempotencyKey: string | null): ReplayIdentity {
    // As for a job replay: the clone joins the operator's trace when the request has one.
    return {
      jobId: this.#ids.uuid(),
      correlationId: ctx.correlationId,
      idempotencyKey,
      ...(ctx.trace === undefined
        ? {}
        : { traceparent: ctx.trace.traceparent, tracestate: ctx.trace.tracestate ?? null }),
    };
  }
}

/** `DEAD_LETTER_NOT_FOUND` for `entryId`. */
export function deadLetterNotFound(entryId: string): OrchestratorError {
  return new OrchestratorError('DEAD_LETTER_NOT_FOUND', `dead-letter entry ${entryId} does not exist`, {
    details: { entryId },
  });
}

function checkKey(key: string | undefined, maxLength: number): void {
  if (key !== undefined && key.length > maxLength) {
    throw validationError([{ path: 'Idempotency-Key', message: `must be at most ${maxLength} characters` }]);
  }
}
