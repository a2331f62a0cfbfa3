import type { DeadLetterEntry, Job } from './job-resources.js';

/** Counts of dead-letter entries (`GET /deadletter/stats`). */
export interface DeadLetterStats {
  readonly total: number;
  readonly byStatus: Readonly<Record<DeadLetterEntry['status'], number>>;
  /** Error types of open entries, the most frequent first. */
  readonly topErrorTypes: readonly { readonly errorType: string; readonly count: number }[];
  readonly oldestOpen: {
    readonly entryId: string;
    readonly jobId: string;
    readonly jobType: string;
    readonly createdAt: string;
  } | null;
}

/** Open entries grouped by job type × error type × source (`GET /deadletter/summary`). */
export interface DeadLetterSummary {
  readonly totalOpen: number;
  readonly truncated: boolean;
  readonly groups: readonly {
    readonly jobType: string;
    readonly errorType: string;
    readonly sourceId: string | null;
    readonly count: number;
    readonly firstSeenAt: string;
    readonly lastSeenAt: string;
    readonly sampleMessage: string;
  }[];
}

/** A dead-letter entry after a replay, and the job the replay made. */
export interface DeadLetterReplay {
  readonly entry: DeadLetterEntry;
  readonly job: Job;
}

/** Which terminal jobs a replay by filter takes (`POST /jobs/replay`). */
export interface ReplayFilter {
  readonly jobType?: string;
  readonly sourceId?: string;
  /** `failed` when absent. */
  readonly status?: readonly ('failed' | 'canceled' | 'succeeded')[];
  readonly createdAfter?: string;
  readonly createdBefore?: string;
  /** `open`: only jobs whose dead-letter entry is open. */
  readonly deadLetterStatus?: 'open';
}

/** Counts of the jobs a replay by filter takes. */
export interface ReplayCounts {
  readonly total: number;
  readonly byJobType: readonly { readonly jobType: string; readonly count: number }[];
  readonly bySource: readonly { readonly sourceId: string | null; readonly count: number }[];
}

/** The answer of a dry run: what a replay would take, and whether it is over `max`. */
export interface ReplayPreview extends ReplayCounts {
  readonly dryRun: true;
  readonly max: number | null;
  readonly exceedsMax: boolean;
}

/** What a replay by filter did. */
export interface BulkReplay extends ReplayCounts {
  readonly dryRun: false;
  readonly replayId: string;
  readonly created: number;
  readonly existing: number;
  readonly deadLettersReplayed: number;
  readonly jobs: readonly { readonly replayOf: string; readonly jobId: string; readonly created: boolean }[];
}
