// The worker-bridge resources of the HTTP contract (docs/api.md, "Workers"), as they travel on the wire.
import type { Job, JobFailure, JobStatus, JsonValue } from './job-resources.js';

/** The body of `POST /leases`. */
export interface LeaseRequest {
  readonly workerId: string;
  readonly jobTypes: readonly string[];
  /** 1–100 jobs; the server's default is 1. */
  readonly limit?: number;
  /** The server's default is 30,000. */
  readonly leaseDurationMs?: number;
  /** Long-poll: wait up to this long (0–30,000) for work to arrive. */
  readonly waitMs?: number;
}

/** One leased job: the lease and the job it holds. */
export interface LeaseGrant {
  readonly leaseId: string;
  readonly fencingToken: number;
  readonly leaseUntil: string;
  readonly job: Job;
}

/** The body of `POST /leases/{leaseId}/heartbeat`. */
export interface HeartbeatRequest {
  readonly fencingToken: number;
  readonly leaseDurationMs?: number;
}

/** The body of `POST /leases/{leaseId}/progress`. */
export interface ProgressRequest {
  readonly fencingToken: number;
  readonly progress: JsonValue;
  readonly leaseDurationMs?: number;
}

/** The answer to a heartbeat or progress report. */
export interface LeaseStatus {
  readonly jobId: string;
  readonly leaseUntil: string;
  /** An operator asked to cancel the job: the worker should stop and complete it `canceled`. */
  readonly cancelRequested: boolean;
  readonly status: JobStatus;
}

/** An artifact to attach to the job of a lease. */
export interface NewArtifact {
  readonly uri: string;
  /** `sha256:<64 lowercase hex>`. */
  readonly digest: string;
  readonly sizeBytes: number;
  readonly mediaType: string;
}

/** The body of `POST /leases/{leaseId}/artifacts`. */
export interface AddArtifactsRequest {
  readonly fencingToken: number;
  readonly artifacts: readonly NewArtifact[];
}

/** How a worker ends an attempt. */
export type CompletionOutcome = 'succeeded' | 'failed' | 'canceled';

/** What became of the job after a completion. */
export type CompletionDisposition = 'succeeded' | 'retry_scheduled' | 'dead_lettered' | 'canceled';

/** The body of `POST /leases/{leaseId}/complete`. `error` is required exactly when `outcome` is `failed`. */
export interface CompleteRequest {
  readonly fencingToken: number;
  readonly outcome: CompletionOutcome;
  readonly result?: JsonValue;
  readonly error?: JobFailure;
}

/** The answer of `POST /leases/{leaseId}/complete`. */
export interface CompleteResult {
  readonly job: Job;
  readonly disposition: CompletionDisposition;
}

/** One completion of `POST /leases/complete`. */
export interface BatchCompletion extends CompleteRequest {
  readonly leaseId: string;
}

/**
 * One result of `POST /leases/complete`. `outcomeUnknown` is added by the client (it is not on the wire):
 * `true` on a `LEASE_LOST` result when an earlier attempt of the same call may have reached the server,
 * so the lease may have been lost *because that attempt completed it* (see {@link LeaseOutcomeUnknownError}).
 */
export type BatchCompletionResult =
  | {
      readonly leaseId: string;
      readonly ok: true;
      readonly disposition: CompletionDisposition;
      readonly jobId: string;
    }
  | {
      readonly leaseId: string;
      readonly ok: false;
      readonly code: string;
      readonly detail: string;
      readonly outcomeUnknown?: boolean;
    };

/** One heartbeat of `POST /leases/heartbeat`. */
export interface BatchHeartbeat {
  readonly leaseId: string;
  readonly fencingToken: number;
  readonly leaseDurationMs?: number;
}

/** One result of `POST /leases/heartbeat`. */
export type BatchHeartbeatResult =
  | {
      readonly leaseId: string;
      readonly ok: true;
      readonly leaseUntil: string;
      readonly cancelRequested: boolean;
    }
  | { readonly leaseId: string; readonly ok: false; readonly code: string; readonly detail: string };
