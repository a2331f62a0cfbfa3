import type { JobFailure } from './job-resources.js';
import type { CompletionDisposition, CompletionOutcome, LeaseGrant } from './lease-resources.js';

/** Counters of what a worker did since it was made. */
export interface WorkerStats {
  /** Leases received. */
  readonly leased: number;
  /** Completions accepted with outcome `succeeded`, `failed`, `canceled`. */
  readonly succeeded: number;
  readonly failed: number;
  readonly canceled: number;
  /** Leases the server no longer recognised (heartbeat, call or completion answered `LEASE_LOST`). */
  readonly lostLeases: number;
  /** Of those, completions whose earlier attempt may have been applied (see `LeaseOutcomeUnknownError`). */
  readonly outcomeUnknown: number;
  /** Leases received but never started, given back on shutdown. */
  readonly returned: number;
  /** Lease calls that failed (the loop backed off). */
  readonly pollErrors: number;
  /** Completions that could not be delivered or were refused; their leases lapse on the server. */
  readonly completionErrors: number;
  /** Handlers running now. */
  readonly inFlight: number;
}

/** A completion the server accepted. */
export interface JobCompletedEvent {
  readonly grant: LeaseGrant;
  readonly outcome: CompletionOutcome;
  readonly disposition: CompletionDisposition;
  readonly error?: JobFailure;
}

/** A lease the server no longer recognised. */
export interface LeaseLostEvent {
  readonly grant: LeaseGrant;
  /**
   * What answered `LEASE_LOST`: a heartbeat (automatic, or `ctx.heartbeat()`/`ctx.progress()`), an
   * artifact call (`ctx.addArtifacts()`), or the completion.
   */
  readonly during: 'heartbeat' | 'call' | 'complete';
  /** On `complete`: an earlier attempt of the completion may have been applied. */
  readonly outcomeUnknown: boolean;
}

/** The events a `Worker` emits. */
export interface WorkerEvents {
  leased: [grant: LeaseGrant];
  completed: [event: JobCompletedEvent];
  leaseLost: [event: LeaseLostEvent];
  returned: [grant: LeaseGrant];
  pollError: [error: unknown];
  stopped: [];
}

/** Options of `Worker.stop`. */
export interface StopOptions {
  /** Let running handlers finish (default) or abort them at once with reason `shutdown`. */
  readonly graceful?: boolean;
  /** How long to wait for handlers before aborting them; the worker's `stopTimeoutMs` by default. */
  readonly timeoutMs?: number;
}
