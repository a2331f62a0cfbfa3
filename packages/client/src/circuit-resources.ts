// The circuit-breaker resources of the HTTP contract (docs/api.md, "Circuit breakers"), as they travel on
// the wire.
import type { PageQuery } from './job-resources.js';

/** The states of a breaker. */
export type CircuitState = 'closed' | 'open' | 'half_open';

/** Ended attempts: of a breaker's window, or of its probes. */
export interface CircuitCounts {
  readonly successes: number;
  readonly failures: number;
}

/** When a breaker opens, how long it stays open, and how it probes. */
export interface CircuitBreakerSettings {
  /** The share of failed attempts in the window that opens it: greater than 0, at most 1 (default 0.5). */
  readonly failureRatio: number;
  /** The fewest attempts ended in the window for the ratio to count: 1 to 1,000,000 (default 20). */
  readonly minVolume: number;
  /** The sliding window, in 10-second buckets: 10 to 86,400 seconds (default 60). */
  readonly windowSeconds: number;
  /** How long it stays open before probes: 1 to 86,400 seconds (default 30). */
  readonly coolDownSeconds: number;
  /** Half-open: jobs at once as probes, and successes that close it: 1 to 1,000 (default 1). */
  readonly probeLeases: number;
}

/**
 * A circuit breaker on one source or one job type of a tenant. Closed, everything goes through; open,
 * nothing of its scope is leased until `openUntil`; half-open, at most `probeLeases` jobs at once, closed
 * again when that many succeeded, opened again by one failure.
 */
export interface CircuitBreaker extends CircuitBreakerSettings {
  readonly breakerId: string;
  readonly tenantId: string;
  /** Exactly one of `sourceId` and `jobType` is set. */
  readonly sourceId: string | null;
  readonly jobType: string | null;
  readonly state: CircuitState;
  readonly stateChangedAt: string;
  /** Open: when it becomes half-open. */
  readonly openUntil: string | null;
  /** The window's attempts when it last opened. */
  readonly openedWith: { readonly attempts: number; readonly failures: number } | null;
  /** The attempts of its scope that ended in its window now. */
  readonly window: CircuitCounts;
  /** Half-open: the outcomes of its probes so far (zero in the other states). */
  readonly probes: CircuitCounts;
  /** Grows with every change of the settings; the ETag of optimistic updates. */
  readonly version: number;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly updatedAt: string;
  readonly updatedBy: string;
}

/** The body of `POST /circuit-breakers`: exactly one of `sourceId` and `jobType`, and any settings. */
export interface NewCircuitBreaker extends Partial<CircuitBreakerSettings> {
  readonly sourceId?: string | null;
  readonly jobType?: string | null;
}

/** Filters and page of `GET /circuit-breakers`. */
export interface ListCircuitBreakersQuery extends PageQuery {
  readonly state?: CircuitState;
  readonly sourceId?: string;
  readonly jobType?: string;
}
