import type { OperatorEventDraft } from '@stella-orch/core';
import { isUuid } from '../ledger-errors.js';
import type { SqlExecutor } from '../sql-driver.js';

// The event of an audited operator action; its tx_id is the transaction of the action and its entry.
const INSERT_OPERATOR_EVENT = `
INSERT INTO orch.events (tenant_id, event_type, job_id, actor, actor_scopes, correlation_id, data)
VALUES ($1, $2, $3::uuid, $4, $5::text[], $6, $7::text::jsonb)`;

/**
 * Inserts the event of an operator action inside the caller's transaction (the one of its audit entry). A
 * job id that is not a UUID names no job of the ledger and is left out.
 */
export async function insertOperatorEvent(tx: SqlExecutor, event: OperatorEventDraft): Promise<void> {
  await tx.query(INSERT_OPERATOR_EVENT, [
    event.tenantId,
    event.eventType,
    event.jobId !== null && isUuid(event.jobId) ? event.jobId : null,
    event.actor,
    event.actorScopes,
    event.correlationId,
    JSON.stringify(event.data),
  ]);
}
