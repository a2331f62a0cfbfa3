import type { AuditMetadata } from './audit-entry.js';
import type {
  BulkReplayResult,
  DeadLetterStats,
  DeadLetterSummary,
  ReplayFilter,
  ReplayPreview,
} from './dead-letter.js';
import type { Actor, DeadLetterEntry } from './job.js';
import type { CreatedJob, NewJob } from './job-store.js';

/** The identity the service chose for the job a replay makes. */
export type ReplayIdentity = Pick<
  NewJob,
  'jobId' | 'correlationId' | 'idempotencyKey' | 'traceparent' | 'tracestate'
>;

/** Who acts, and the audit metadata of the action. */
export interface DeadLetterAttribution {
  readonly actor: Actor;
  readonly audit?: AuditMetadata;
}

/**
 * The dead-letter operations of one tenant, and replay by filter. Every change writes its audit entry
 * (and so its `operator.*` event) in its own transaction; a refused change writes nothing.
 */
export interface TenantDeadLetterStore {
  readonly tenantId: string;
  /** The entry, or `null` when the tenant has none with this id (malformed ids included). */
  getDeadLetter(entryId: string): Promise<DeadLetterEntry | null>;
  /** Counts by status, the `top` most frequent error types of open entries, the oldest open entry. */
  deadLetterStats(params: { readonly top: number }): Promise<DeadLetterStats>;
  /** Open entries grouped by job type × error type × source, the largest groups first. */
  summarizeDeadLetters(): Promise<DeadLetterSummary>;
  /**
   * Replays the entry's job as a new job (`replayOf` = the job; the job itself untouched) and marks the
   * entry `replayed` with the new job's id, with one `deadletter.replay` audit entry. A repeat with the
   * idempotency key of the replay that closed the entry answers that job (`created: false`).
   * @throws OrchestratorError `DEAD_LETTER_NOT_FOUND`, `DEAD_LETTER_NOT_OPEN`, `IDEMPOTENCY_CONFLICT`
   */
  replayDeadLetter(
    params: DeadLetterAttribution & { readonly entryId: string; readonly newJob: ReplayIdentity },
  ): Promise<{ readonly entry: DeadLetterEntry } & CreatedJob>;
  /**
   * Marks an open entry `resolved` with the operator's note, with one `deadletter.resolve` audit entry.
   * @throws OrchestratorError `DEAD_LETTER_NOT_FOUND`, `DEAD_LETTER_NOT_OPEN`, `VALIDATION_FAILED`
   */
  resolveDeadLetter(
    params: DeadLetterAttribution & { readonly entryId: string; readonly note: string },
  ): Promise<DeadLetterEntry>;
  /** What {@link TenantDeadLetterStore.replayJobs} would take for `filter`; writes nothing. */
  previewReplay(filter: ReplayFilter): Promise<ReplayPreview>;
  /**
   * Replays every job `filter` matches in one transaction: each clone has `replayOf` = its original, the
   * originals' open dead-letter entries become `replayed`, and one `job.bulk_replay` audit entry records
   * the filter and the counts. When more than `max` jobs match, nothing is written.
   * @param identityFor - the clone's identity, given the original's job id
   * @throws OrchestratorError `REPLAY_LIMIT_EXCEEDED` (`details.matched`, `details.max`),
   *   `IDEMPOTENCY_CONFLICT`
   */
  replayJobs(
    params: DeadLetterAttribution & {
      readonly filter: ReplayFilter;
      readonly max: number;
      readonly replayId: string;
      readonly identityFor: (originalJobId: string) => ReplayIdentity;
    },
  ): Promise<BulkReplayResult>;
}

/** The dead-letter port: the operations of one tenant at a time. */
export interface DeadLetterStore {
  forTenant(tenantId: string): TenantDeadLetterStore;
}
