import type { AuditMetadata, AuditRecord, AuditState } from './audit-entry.js';
import type { JsonValue } from './canonical-json.js';
import type { Actor } from './job.js';
import type { OperatorEventDraft } from './operator-event.js';
import type { Slo } from './slo.js';
import type { Incident } from './slo-incident.js';

/** The changes of an SLO, each recorded in the tenant's audit trail. */
export const SLO_AUDIT_ACTIONS = ['slo.create', 'slo.update', 'slo.delete'] as const;

/** A change of an SLO. */
export type SloAuditAction = (typeof SLO_AUDIT_ACTIONS)[number];

/** The subject of the events the SLO evaluator writes. */
export const SLO_EVALUATOR_ACTOR = 'system:slo-evaluator';

/** The event types of incident mode. */
export const INCIDENT_EVENT_TYPES = ['incident.opened', 'incident.resolved'] as const;

/** One of {@link INCIDENT_EVENT_TYPES}. */
export type IncidentEventType = (typeof INCIDENT_EVENT_TYPES)[number];

/** The SLO state an audit entry keeps before and after a change: its whole definition. */
export function sloAuditState(slo: Slo): AuditState {
  return {
    name: slo.name,
    description: slo.description,
    jobType: slo.jobType,
    sourceId: slo.sourceId,
    objective: slo.objective,
    windowSeconds: slo.windowSeconds,
    fastBurnThreshold: slo.alertPolicy.fastBurnThreshold,
    slowBurnThreshold: slo.alertPolicy.slowBurnThreshold,
    pauseSourceOnIncident: slo.pauseSourceOnIncident,
  };
}

/**
 * The audit record of a change of an SLO: resource type `slo`, the SLO id as the resource, the definition
 * before (absent for `slo.create`) and after (absent for `slo.delete`).
 */
export function sloAuditRecord(params: {
  readonly action: SloAuditAction;
  readonly actor: Actor;
  readonly before: Slo | null;
  readonly after: Slo | null;
  readonly audit: AuditMetadata;
}): AuditRecord {
  const { audit, before, after } = params;
  const slo = after ?? before;
  if (slo === null) throw new Error('an SLO audit record needs the SLO before or after the change');
  return {
    actor: params.actor,
    action: params.action,
    resourceType: 'slo',
    resourceId: slo.sloId,
    ...(before === null ? {} : { before: sloAuditState(before) }),
    ...(after === null ? {} : { after: sloAuditState(after) }),
    ...(audit.reason === undefined ? {} : { reason: audit.reason }),
    ...(audit.ticket === undefined ? {} : { ticket: audit.ticket }),
    ...(audit.requestReason === undefined ? {} : { requestReason: audit.requestReason }),
    ...(audit.requestTicket === undefined ? {} : { requestTicket: audit.requestTicket }),
    correlationId: audit.correlationId ?? `slo:${slo.sloId}`,
  };
}

/**
 * The event of an incident opening or resolving, written with the incident row by the evaluator (actor
 * {@link SLO_EVALUATOR_ACTOR}, correlation `incident:{incidentId}`): the incident, the SLO it belongs to
 * and the burn rates and thresholds that decided it.
 */
export function incidentEvent(type: IncidentEventType, incident: Incident, slo: Slo): OperatorEventDraft {
  const data: Record<string, JsonValue> = {
    incidentId: incident.incidentId,
    sloId: slo.sloId,
    sloName: slo.name,
    status: incident.status,
    trigger: incident.trigger,
    objective: slo.objective,
    jobType: slo.jobType,
    sourceId: slo.sourceId,
    fastBurnThreshold: slo.alertPolicy.fastBurnThreshold,
    slowBurnThreshold: slo.alertPolicy.slowBurnThreshold,
    burnRates: {
      ...(type === 'incident.opened' ? incident.burnRatesAtOpen : (incident.burnRatesAtResolve ?? {})),
    },
    openedAt: incident.openedAt,
    resolvedAt: incident.resolvedAt,
    pausedSourceId: incident.pausedSourceId,
  };
  return {
    tenantId: incident.tenantId,
    eventType: type,
    jobId: null,
    actor: SLO_EVALUATOR_ACTOR,
    actorScopes: [],
    correlationId: `incident:${incident.incidentId}`,
    data,
  };
}
