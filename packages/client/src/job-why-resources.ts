/** The stable codes of `GET /jobs/{id}/why` (docs/api.md, "Why is my job not running?"). */
export type JobConditionCode =
  | 'DEPENDENCY_NOT_MET'
  | 'NOT_BEFORE'
  | 'BACKOFF'
  | 'SOURCE_PAUSED'
  | 'SOURCE_DISABLED'
  | 'BACKFILL_PAUSED'
  | 'HELD'
  | 'READY'
  | 'LEASED'
  | 'CANCEL_REQUESTED'
  | 'TERMINAL'
  // Conditions added by later servers (limits: quota, rate, concurrency, circuit, throttle …).
  | (string & {});

/** One condition on a job: what holds it, or where it stands when nothing does. */
export interface JobCondition {
  readonly code: JobConditionCode;
  /** In plain words, times in ISO-8601 and relative to the server's clock. */
  readonly message: string;
  /** When the condition lifts by itself, if it does. */
  readonly until?: string;
  readonly details: Readonly<Record<string, unknown>>;
}

/** Why a job is not running (`GET /jobs/{id}/why`). */
export interface JobWhy {
  readonly jobId: string;
  readonly status: string;
  /** Whether a worker may lease the job now. */
  readonly runnable: boolean;
  /** In order: dependencies, back-off / notBefore, source, backfill, [limits], then where the job stands. */
  readonly conditions: readonly JobCondition[];
  /** The server's database clock at the answer. */
  readonly evaluatedAt: string;
}
