import type { Quota } from '@stella-orch/core';
import type { QuotaRow, QuotaState } from './queries/quotas.js';
import { toIso, toIsoOrNull } from './row-mappers.js';

/** A stored quota as the port's {@link Quota}. */
export function mapQuota(row: QuotaRow): Quota {
  return {
    tenantId: row.tenant_id,
    quotaId: row.quota_id,
    jobType: row.job_type,
    maxActive: row.max_active,
    maxPerHour: row.max_per_hour,
    burst: row.burst,
    paused: row.paused,
    pauseReason: row.pause_reason,
    pauseTicket: row.pause_ticket,
    pausedBy: row.paused_by,
    pausedAt: toIsoOrNull(row.paused_at),
    reason: row.reason,
    ticket: row.ticket,
    version: row.version,
    createdAt: toIso(row.created_at),
    createdBy: row.created_by,
    updatedAt: toIso(row.updated_at),
    updatedBy: row.updated_by,
  };
}

/** The writable state of a quota, to change and write back. */
export function quotaStateOf(quota: Quota): QuotaState {
  return {
    maxActive: quota.maxActive,
    maxPerHour: quota.maxPerHour,
    burst: quota.burst,
    paused: quota.paused,
    pauseReason: quota.pauseReason,
    pauseTicket: quota.pauseTicket,
    pausedBy: quota.pausedBy,
    reason: quota.reason,
    ticket: quota.ticket,
  };
}
