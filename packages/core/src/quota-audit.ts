import type { AuditMetadata, AuditRecord, AuditState } from './audit-entry.js';
import type { Actor } from './job.js';
import type { Quota } from './quota.js';

/** The operator actions on a quota, each audited with the quota before and after. */
export const QUOTA_AUDIT_ACTIONS = [
  'quota.create',
  'quota.update',
  'quota.delete',
  'quota.pause',
  'quota.resume',
] as const;

/** An operator action on a quota. */
export type QuotaAuditAction = (typeof QUOTA_AUDIT_ACTIONS)[number];

/** The quota state an audit entry keeps before and after an action. */
export function quotaAuditState(quota: Quota): AuditState {
  return {
    jobType: quota.jobType,
    maxActive: quota.maxActive,
    maxPerHour: quota.maxPerHour,
    burst: quota.burst,
    paused: quota.paused,
    pauseReason: quota.pauseReason,
    pauseTicket: quota.pauseTicket,
    reason: quota.reason,
    ticket: quota.ticket,
    version: quota.version,
  };
}

/**
 * The record of an operator action on a quota: `resourceType` `quota`, the quota id as the resource, the
 * quota before (absent for `quota.create`) and after (absent for `quota.delete`), and the action's reasons
 * and tickets — for quota actions, the token's `quota_reason` / `quota_ticket` as `reason` / `ticket`.
 *
 * @param params.audit - the metadata of the action; without a correlation id, the entry correlates with
 *   the quota (`quota:<quotaId>`)
 */
export function quotaAuditRecord(params: {
  readonly action: QuotaAuditAction;
  readonly actor: Actor;
  readonly before: Quota | null;
  readonly after: Quota | null;
  readonly audit?: AuditMetadata | undefined;
}): AuditRecord {
  const { audit = {}, before, after } = params;
  const quota = after ?? before;
  if (quota === null) throw new Error('a quota audit record needs the quota before or after');
  return {
    actor: params.actor,
    action: params.action,
    resourceType: 'quota',
    resourceId: quota.quotaId,
    ...(before === null ? {} : { before: quotaAuditState(before) }),
    ...(after === null ? {} : { after: quotaAuditState(after) }),
    ...(audit.reason === undefined ? {} : { reason: audit.reason }),
    ...(audit.ticket === undefined ? {} : { ticket: audit.ticket }),
    ...(audit.requestReason === undefined ? {} : { requestReason: audit.requestReason }),
    ...(audit.requestTicket === undefined ? {} : { requestTicket: audit.requestTicket }),
    correlationId: audit.correlationId ?? `quota:${quota.quotaId}`,
  };
}
