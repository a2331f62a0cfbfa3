import type { AuditMetadata } from './audit-entry.js';
import type { CircuitBreaker, CircuitCounts, CircuitState } from './circuit-breaker.js';
import type { CircuitBreakerDefinition, CircuitBreakerSettingsPatch } from './circuit-breaker-validation.js';
import type { Actor, Page } from './job.js';

/**
 * Who acts on a breaker and why: recorded in the audit entry written with the change (the operator's
 * reason and ticket of an `orch:operate` token, as for sources; a breaker keeps no reason of its own).
 */
export interface CircuitBreakerChangeContext {
  readonly actor: Actor;
  readonly audit?: AuditMetadata | undefined;
}

/** A breaker as the ledger writes it: validated, with its idempotency key and request digest. */
export interface NewCircuitBreaker extends CircuitBreakerDefinition {
  readonly idempotencyKey: string | null;
  readonly requestDigest: string;
}

/**
 * A breaker as read: with the attempts of its scope that ended in its window (the outcome buckets that
 * started at most `windowSeconds` ago, by the database clock: what a closed breaker is judged on) and,
 * half-open, those of its probes (zero in the other states).
 */
export interface CircuitBreakerView extends CircuitBreaker {
  readonly window: CircuitCounts;
  readonly probes: CircuitCounts;
}

/** Filters and page of a breaker listing. Order: creation order (oldest first). */
export interface ListCircuitBreakersQuery {
  readonly state?: CircuitState;
  readonly sourceId?: string;
  readonly jobType?: string;
  readonly pageSize: number;
  readonly pageToken?: string;
}

/** What a change did: the breaker after it, and whether anything changed (a repeat changes nothing). */
export interface CircuitBreakerChangeResult {
  readonly breaker: CircuitBreakerView;
  readonly changed: boolean;
}

/** How many breakers a tenant has in one state: what the `stella_orch_circuit_breakers` gauge shows. */
export interface CircuitBreakerCount {
  readonly tenantId: string;
  readonly state: CircuitState;
  readonly count: number;
}

/**
 * The circuit breakers of one tenant (SPEC §2 "Limits", docs/decisions/0016-admission-and-limits.md §7): at
 * most one per source and one per job type. Every change appends its `circuit_breaker.*` audit entry (and so
 * its `operator.circuit_breaker.*` event) in the transaction of the change; a refused change, or one that
 * changes nothing, writes none. The breaker's state moves by itself (the evaluator of the ledger, from the
 * attempts its scope ends); operators only change its settings, delete it, or reset it to closed. The lease
 * grant reads the breakers as they are: a change takes effect at the next lease call.
 */
export interface TenantCircuitBreakerStore {
  readonly tenantId: string;
  /**
   * Creates a closed breaker; the settings not given take {@link DEFAULT_CIRCUIT_SETTINGS}. The same
   * idempotency key with the same request returns the breaker it made (`created: false`). A source must be
   * registered for the tenant.
   * @throws OrchestratorError `CIRCUIT_BREAKER_EXISTS` (`details.breakerId`), `SOURCE_NOT_FOUND`,
   *   `IDEMPOTENCY_CONFLICT`, `VALIDATION_FAILED` — nothing written
   */
  createBreaker(params: { readonly breaker: NewCircuitBreaker } & CircuitBreakerChangeContext): Promise<{
    readonly breaker: CircuitBreakerView;
    readonly created: boolean;
  }>;
  /** A breaker, or `null` (an id that is not a UUID included). */
  getBreaker(breakerId: string): Promise<CircuitBreakerView | null>;
  /** @throws OrchestratorError `INVALID_CURSOR` */
  listBreakers(query: ListCircuitBreakersQuery): Promise<Page<CircuitBreakerView>>;
  /**
   * Changes a breaker's settings: those given replace the current ones, the others stay. The version grows
   * by one; its state is left as it is (an open breaker keeps its `openUntil`). With `expectedVersion`,
   * refused unless the breaker is at that version. Settings equal to the current ones change nothing.
   * @throws OrchestratorError `CIRCUIT_BREAKER_NOT_FOUND`, `CIRCUIT_BREAKER_VERSION_MISMATCH`,
   *   `VALIDATION_FAILED`
   */
  updateBreaker(
    params: {
      readonly breakerId: string;
      readonly settings: CircuitBreakerSettingsPatch;
      readonly expectedVersion?: number | undefined;
    } & CircuitBreakerChangeContext,
  ): Promise<CircuitBreakerChangeResult>;
  /**
   * Deletes a breaker and its outcome counts; returns it as it was. Its scope is no longer held by it. With
   * `expectedVersion`, refused unless it is at that version.
   * @throws OrchestratorError `CIRCUIT_BREAKER_NOT_FOUND`, `CIRCUIT_BREAKER_VERSION_MISMATCH`
   */
  deleteBreaker(
    params: {
      readonly breakerId: string;
      readonly expectedVersion?: number | undefined;
    } & CircuitBreakerChangeContext,
  ): Promise<CircuitBreaker>;
  /**
   * Closes an open or half-open breaker now: `openUntil` cleared, probe counts zeroed, `stateChangedAt` now,
   * and its window emptied (the outcome counts that opened it are deleted, so that it is not opened again at
   * once by the failures it was reset after). Audited as `circuit_breaker.reset`, with a `circuit.closed`
   * event. Resetting a closed breaker changes nothing and records nothing. The version stays: it counts the
   * changes of the settings.
   * @throws OrchestratorError `CIRCUIT_BREAKER_NOT_FOUND`
   */
  resetBreaker(
    params: { readonly breakerId: string } & CircuitBreakerChangeContext,
  ): Promise<CircuitBreakerChangeResult>;
}

/** The circuit breaker port. */
export interface CircuitBreakerStore {
  /** The breakers of one tenant. */
  forTenant(tenantId: string): TenantCircuitBreakerStore;
  /** Every tenant's breakers counted by state, in one read (the metrics gauge). */
  breakerCounts(): Promise<CircuitBreakerCount[]>;
}
