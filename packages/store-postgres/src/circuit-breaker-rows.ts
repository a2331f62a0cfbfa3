import {
  CIRCUIT_STATES,
  OrchestratorError,
  type CircuitBreaker,
  type CircuitBreakerView,
  type CircuitState,
} from '@stella-orch/core';
import type { CircuitBreakerRow } from './queries/circuit-breakers.js';
import { toIso, toIsoOrNull } from './row-mappers.js';

/** A state column, checked: the schema's CHECK constraint makes anything else a defect. */
export function toCircuitState(value: string): CircuitState {
  const state = CIRCUIT_STATES.find((s) => s === value);
  if (state === undefined) {
    throw new OrchestratorError('INTERNAL', `the ledger holds an unknown circuit breaker state ${value}`);
  }
  return state;
}

/**
 * `opened_with` as the evaluator writes it (`{"attempts": n, "failures": n}`); anything else, or nothing,
 * is `null` rather than a failed read.
 */
function openedWithOf(value: unknown): CircuitBreaker['openedWith'] {
  if (typeof value !== 'object' || value === null) return null;
  const { attempts, failures } = value as { attempts?: unknown; failures?: unknown };
  return typeof attempts === 'number' && typeof failures === 'number' ? { attempts, failures } : null;
}

/** A stored breaker as the port's {@link CircuitBreakerView}. */
export function mapCircuitBreaker(row: CircuitBreakerRow): CircuitBreakerView {
  const state = toCircuitState(row.state);
  return {
    tenantId: row.tenant_id,
    breakerId: row.breaker_id,
    sourceId: row.source_id,
    jobType: row.job_type,
    failureRatio: row.failure_ratio,
    minVolume: row.min_volume,
    windowSeconds: row.window_seconds,
    coolDownSeconds: row.cool_down_seconds,
    probeLeases: row.probe_leases,
    state,
    stateChangedAt: toIso(row.state_changed_at),
    openUntil: toIsoOrNull(row.open_until),
    openedWith: openedWithOf(row.opened_with),
    version: row.version,
    createdAt: toIso(row.created_at),
    createdBy: row.created_by,
    updatedAt: toIso(row.updated_at),
    updatedBy: row.updated_by,
    window: { successes: row.window_successes, failures: row.window_failures },
    // The counters are those of the current half-open period; in the other states they mean nothing.
    probes:
      state === 'half_open'
        ? { successes: row.probe_successes, failures: row.probe_failures }
        : { successes: 0, failures: 0 },
  };
}
