import type { JsonValue } from './canonical-json.js';
import type { AuditEntry } from './audit-entry.js';

/** The family of the events operator actions write: `operator.` and the audit action (`operator.job.cancel`). */
export const OPERATOR_EVENT_PREFIX = 'operator.';

/**
 * Audit actions that write no event: token grants and refusals are authentication, not operator actions
 * on the orchestrator's state, and stay in the audit trail only.
 */
const ACTIONS_WITHOUT_EVENT = ['token.'] as const;

/** The event row an audited operator action writes in the transaction of its audit entry. */
export interface OperatorEventDraft {
  readonly tenantId: string;
  readonly eventType: string;
  /** The job acted on (resource type `job`), else `null`. */
  readonly jobId: string | null;
  readonly actor: string;
  readonly actorScopes: readonly string[];
  readonly correlationId: string;
  readonly data: Readonly<Record<string, JsonValue>>;
}

/**
 * The event of an audited action: `operator.{action}` with the actor and scopes of the entry and, in
 * `data`, what identifies and explains the action (the audit id and sequence, the resource, the reasons and
 * tickets, the `before` / `after` summaries, which hold no secret by construction). `null` for actions
 * that write no event (token grants and refusals).
 */
export function operatorEventOf(entry: AuditEntry): OperatorEventDraft | null {
  if (ACTIONS_WITHOUT_EVENT.some((prefix) => entry.action.startsWith(prefix))) return null;
  const data: Record<string, JsonValue> = {
    auditId: entry.auditId,
    auditSequence: entry.sequence,
    action: entry.action,
    resourceType: entry.resourceType,
    resourceId: entry.resourceId,
  };
  if (entry.reason !== undefined) data['reason'] = entry.reason;
  if (entry.ticket !== undefined) data['ticket'] = entry.ticket;
  if (entry.requestReason !== undefined) data['requestReason'] = entry.requestReason;
  if (entry.requestTicket !== undefined) data['requestTicket'] = entry.requestTicket;
  if (entry.before !== undefined) data['before'] = entry.before;
  if (entry.after !== undefined) data['after'] = entry.after;
  return {
    tenantId: entry.tenantId,
    eventType: OPERATOR_EVENT_PREFIX + entry.action,
    jobId: entry.resourceType === 'job' ? entry.resourceId : null,
    actor: entry.actor.subject,
    actorScopes: [...entry.actor.scopes],
    correlationId: entry.correlationId,
    data,
  };
}
