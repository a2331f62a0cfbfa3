import type { AuditMetadata, AuditRecord, AuditState } from './audit-entry.js';
import type { Actor } from './job.js';
import type { Throttle } from './throttle.js';

/** The operator actions on a throttle, each audited with the throttle before (revoke) and after. */
export const THROTTLE_AUDIT_ACTIONS = ['throttle.create', 'throttle.revoke'] as const;

/** An operator action on a throttle. */
export type ThrottleAuditAction = (typeof THROTTLE_AUDIT_ACTIONS)[number];

/** The throttle state an audit entry keeps before and after an action. */
export function throttleAuditState(throttle: Throttle): AuditState {
  return {
    sourceId: throttle.sourceId,
    jobType: throttle.jobType,
    pause: throttle.pause,
    maxPerSecond: throttle.maxPerSecond,
    maxConcurrent: throttle.maxConcurrent,
    expiresAt: throttle.expiresAt,
    revokedAt: throttle.revokedAt,
    revokedBy: throttle.revokedBy,
    revokeReason: throttle.revokeReason,
  };
}

/**
 * The record of an operator action on a throttle: `resourceType` `throttle`, the throttle id as the
 * resource, the throttle before (absent for `throttle.create`) and after, and the operator's reasons and
 * tickets.
 *
 * @param params.audit - the metadata of the action; without a correlation id, the entry correlates with
 *   the throttle (`throttle:<throttleId>`)
 */
export function throttleAuditRecord(params: {
  readonly action: ThrottleAuditAction;
  readonly actor: Actor;
  readonly before: Throttle | null;
  readonly after: Throttle;
  readonly audit?: AuditMetadata | undefined;
}): AuditRecord {
  const { audit = {}, before, after } = params;
  return {
    actor: params.actor,
    action: params.action,
    resourceType: 'throttle',
    resourceId: after.throttleId,
    ...(before === null ? {} : { before: throttleAuditState(before) }),
    after: throttleAuditState(after),
    ...(audit.reason === undefined ? {} : { reason: audit.reason }),
    ...(audit.ticket === undefined ? {} : { ticket: audit.ticket }),
    ...(audit.requestReason === undefined ? {} : { requestReason: audit.requestReason }),
    ...(audit.requestTicket === undefined ? {} : { requestTicket: audit.requestTicket }),
    correlationId: audit.correlationId ?? `throttle:${after.throttleId}`,
  };
}
