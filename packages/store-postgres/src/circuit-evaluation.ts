import { circuitEventType, nextCircuitState, type CircuitStateChange } from '@stella-orch/core';
import { runLedgerOperation } from './ledger-errors.js';
import {
  applyTransition,
  lockBreakersToEvaluate,
  pruneCircuitOutcomes,
} from './queries/circuit-evaluation.js';
import { insertOperatorEvent } from './queries/insert-event.js';
import { toIso, toIsoOrNull } from './row-mappers.js';
import type { SqlDriver } from './sql-driver.js';

/** The actor of the transitions the evaluator makes. */
export const CIRCUIT_EVALUATOR_ACTOR = 'system:circuit-breaker';

/**
 * One evaluation of the circuit breakers of every tenant (decision 0016 §7): each breaker that may change
 * state is locked, its next state decided by core `nextCircuitState` from its window's attempts (closed) or
 * its probes' outcomes (half-open), and each transition written with its `circuit.*` event in the same
 * transaction. Safe in every replica: a breaker another evaluator holds is skipped. Outcome buckets that no
 * window reaches are pruned afterwards.
 */
export async function evaluateCircuitBreakers(
  driver: SqlDriver,
  limit: number,
): Promise<CircuitStateChange[]> {
  const changes = await runLedgerOperation(() =>
    driver.transaction(async (tx) => {
      const rows = await lockBreakersToEvaluate(tx, limit);
      const made: CircuitStateChange[] = [];
      for (const row of rows) {
        const nowMs = Date.parse(toIso(row.db_now));
        const transition = nextCircuitState(
          {
            state: row.state,
            openUntil: toIsoOrNull(row.open_until),
            failureRatio: row.failure_ratio,
            minVolume: row.min_volume,
            windowSeconds: row.window_seconds,
            coolDownSeconds: row.cool_down_seconds,
            probeLeases: row.probe_leases,
          },
          { successes: row.window_successes, failures: row.window_failures },
          { successes: row.probe_successes, failures: row.probe_failures },
          nowMs,
        );
        if (transition === null) continue;
        const attempts = transition.counts.successes + transition.counts.failures;
        await applyTransition(tx, {
          tenantId: row.tenant_id,
          breakerId: row.breaker_id,
          state: transition.to,
          openUntil: transition.openUntil,
          openedWith: transition.to === 'open' ? { attempts, failures: transition.counts.failures } : null,
        });
        const change: CircuitStateChange = {
          tenantId: row.tenant_id,
          breakerId: row.breaker_id,
          sourceId: row.source_id,
          jobType: row.job_type,
          ...transition,
        };
        await insertOperatorEvent(tx, {
          tenantId: row.tenant_id,
          eventType: circuitEventType(transition.to),
          jobId: null,
          actor: CIRCUIT_EVALUATOR_ACTOR,
          actorScopes: [],
          correlationId: `circuit_breaker:${row.breaker_id}`,
          data: {
            breakerId: row.breaker_id,
            sourceId: row.source_id,
            jobType: row.job_type,
            from: transition.from,
            to: transition.to,
            openUntil: transition.openUntil,
            reason: transition.reason,
            successes: transition.counts.successes,
            failures: transition.counts.failures,
          },
        });
        made.push(change);
      }
      return made;
    }),
  );
  await runLedgerOperation(() => pruneCircuitOutcomes(driver));
  return changes;
}
