import type { AuditMetadata } from './audit-entry.js';
import { circuitEventType, type CircuitBreaker } from './circuit-breaker.js';
import type { Actor } from './job.js';
import type { OperatorEventDraft } from './operator-event.js';

/** The reason a reset gives its transition: who reset the breaker. */
export function circuitResetReason(actor: Actor): string {
  return `reset by ${actor.subject}`;
}

/**
 * The `circuit.closed` event of an operator's reset, written with its audit entry: the event type and the
 * data of a transition of the evaluator (`breakerId`, `sourceId`, `jobType`, `from`, `to`, `openUntil`,
 * `reason`; a reset counts no attempts), so that a consumer of the stream sees one kind of state change
 * whoever made it. It correlates with the reset's audit entry (the request's correlation id, else
 * `circuit_breaker:<breakerId>`).
 *
 * @param before - the breaker as it was (open or half-open)
 */
export function circuitResetEvent(
  before: CircuitBreaker,
  actor: Actor,
  audit: AuditMetadata = {},
): OperatorEventDraft {
  return {
    tenantId: before.tenantId,
    eventType: circuitEventType('closed'),
    jobId: null,
    actor: actor.subject,
    actorScopes: [...actor.scopes],
    correlationId: audit.correlationId ?? `circuit_breaker:${before.breakerId}`,
    data: {
      breakerId: before.breakerId,
      sourceId: before.sourceId,
      jobType: before.jobType,
      from: before.state,
      to: 'closed',
      openUntil: null,
      reason: circuitResetReason(actor),
    },
  };
}
