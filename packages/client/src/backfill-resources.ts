// The backfill and watermark resources of the HTTP contract (docs/api.md, "Backfills and watermarks"), as
// they travel on the wire.
import type { PageQuery } from './job-resources.js';

/** What `POST /backfills` asks for. */
export interface NewBackfill {
  readonly sourceId: string;
  readonly jobType: string;
  /** ISO-8601 date-time with an offset (inclusive). */
  readonly windowStart: string;
  /** ISO-8601 date-time with an offset (exclusive). */
  readonly windowEnd: string;
  /** An ISO-8601 duration of weeks, days, hours, minutes, seconds (`PT1H`, `P1D`), or whole seconds. */
  readonly step: string | number;
  /** The template of every job's payload (an object); the step's window is added as `window`. */
  readonly payload?: Readonly<Record<string, unknown>>;
  readonly priority?: number;
  readonly maxAttempts?: number;
}

/** `active`, `paused`, `completed` (every job terminal) or `canceled`. */
export type BackfillStatus = 'active' | 'paused' | 'completed' | 'canceled';

/** A backfill: one run of jobs reprocessing a source over an event-time window, step by step. */
export interface Backfill {
  readonly backfillId: string;
  readonly tenantId: string;
  readonly sourceId: string;
  readonly jobType: string;
  readonly windowStart: string;
  readonly windowEnd: string;
  readonly step: string;
  readonly stepSeconds: number;
  readonly status: BackfillStatus;
  readonly runId: string;
  readonly totalJobs: number;
  readonly reason: string;
  readonly ticket: string;
  readonly payloadTemplate: Readonly<Record<string, unknown>>;
  readonly priority: number;
  readonly maxAttempts: number;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedBy: string;
  readonly updatedAt: string;
  readonly pausedBy: string | null;
  readonly pausedAt: string | null;
  readonly canceledReason: string | null;
  readonly canceledBy: string | null;
  readonly canceledAt: string | null;
}

/** A backfill with its progress (`GET /backfills/{id}`). */
export interface BackfillWithProgress extends Backfill {
  readonly progress: {
    readonly counts: Readonly<Record<string, number>>;
    readonly finished: number;
    readonly percentDone: number;
    readonly watermark: string | null;
  };
}

/** One step's event-time window. */
export interface BackfillStep {
  readonly start: string;
  readonly end: string;
}

/** What `dryRun: true` answers: nothing was written. */
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
  readonly steps: readonly BackfillStep[];
  readonly stepsTruncated: boolean;
  readonly estimate: {
    readonly durationMs: number | null;
    readonly basis: 'history' | 'rate_limit' | 'history_and_rate_limit' | 'none';
    readonly meanJobDurationMs: number | null;
    readonly observedConcurrency: number | null;
    readonly rateLimitPerSecond: number | null;
    readonly note: string;
  };
}

/** Filters of `GET /backfills`. */
export interface ListBackfillsQuery extends PageQuery {
  readonly sourceId?: string;
  readonly jobType?: string;
  readonly status?: BackfillStatus;
}

/** The greatest event time of the succeeded live jobs of a source and job type. */
export interface Watermark {
  readonly tenantId: string;
  readonly sourceId: string;
  readonly jobType: string;
  readonly watermark: string;
  readonly updatedAt: string;
}

/** Filters of `GET /watermarks`. */
export interface ListWatermarksQuery extends PageQuery {
  readonly sourceId?: string;
  readonly jobType?: string;
}
