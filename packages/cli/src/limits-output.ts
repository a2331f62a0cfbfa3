import type { Quota, QuotaSummary, Throttle } from '@stella-orch/client';
import { formatTime, renderFields, renderTable } from './output.js';

const ALL_JOB_TYPES = '(all job types)';
const orNone = (value: number | null, none = '-') => (value === null ? none : String(value));

function quotaScope(quota: Quota): string {
  return quota.jobType ?? ALL_JOB_TYPES;
}

function burstOf(quota: Quota): string {
  if (quota.maxPerHour === null) return '-';
  return quota.burst === null ? 'default' : String(quota.burst);
}

function quotaState(quota: Quota): string {
  return quota.paused ? 'paused' : 'active';
}

/** The quota list: id, job type, limits, state, version. */
export function renderQuotaList(quotas: readonly Quota[]): string {
  if (quotas.length === 0) return 'No quotas.';
  return renderTable(
    ['QUOTA ID', 'JOB TYPE', 'MAX ACTIVE', 'MAX/HOUR', 'BURST', 'STATE', 'VERSION'],
    quotas.map((q) => [
      q.quotaId,
      quotaScope(q),
      orNone(q.maxActive),
      orNone(q.maxPerHour),
      burstOf(q),
      quotaState(q),
      String(q.version),
    ]),
  );
}

/** One quota, field by field. */
export function renderQuota(quota: Quota): string {
  return renderFields([
    ['Quota ID', quota.quotaId],
    ['Job type', quotaScope(quota)],
    ['Max active', orNone(quota.maxActive, 'no cap')],
    ['Max per hour', orNone(quota.maxPerHour, 'no rate')],
    ['Burst', burstOf(quota)],
    ['State', quotaState(quota)],
    ['Pause reason', quota.pauseReason ?? ''],
    ['Pause ticket', quota.pauseTicket ?? ''],
    ['Paused', quota.pausedAt === null ? '' : `${formatTime(quota.pausedAt)} by ${quota.pausedBy ?? ''}`],
    ['Reason', quota.reason],
    ['Ticket', quota.ticket ?? ''],
    ['Version', String(quota.version)],
    ['Created', `${formatTime(quota.createdAt)} by ${quota.createdBy}`],
    ['Updated', `${formatTime(quota.updatedAt)} by ${quota.updatedBy}`],
  ]);
}

/** The summary: per quota, its use against its limits; then the tenant's totals. */
export function renderQuotaSummary(summary: QuotaSummary): string {
  const totals = `Tenant ${summary.tenantId} at ${formatTime(summary.asOf)}: ${summary.totals.active} active, ${summary.totals.readyJobs} ready.`;
  if (summary.quotas.length === 0) return `No quotas.\n${totals}`;
  const table = renderTable(
    ['QUOTA ID', 'JOB TYPE', 'ACTIVE', 'READY', 'TOKENS', 'STATE'],
    summary.quotas.map((u) => [
      u.quota.quotaId,
      quotaScope(u.quota),
      u.quota.maxActive === null ? String(u.active) : `${u.active}/${u.quota.maxActive}`,
      String(u.readyJobs),
      u.tokens === null ? '-' : `${u.tokens.toFixed(1)}/${orNone(u.tokenCapacity)}`,
      quotaState(u.quota),
    ]),
  );
  const holds = summary.quotas.flatMap((u) => u.holds.map((h) => `  ${h.code}: ${h.message}`));
  return [table, ...(holds.length === 0 ? [] : ['Holding back:', ...holds]), totals].join('\n');
}

function throttleTarget(throttle: Throttle): string {
  const parts = [
    throttle.sourceId === null ? null : `source ${throttle.sourceId}`,
    throttle.jobType === null ? null : `job type ${throttle.jobType}`,
  ].filter((part): part is string => part !== null);
  return parts.length === 0 ? 'whole tenant' : parts.join(', ');
}

function throttleEffect(throttle: Throttle): string {
  const parts = [
    throttle.pause ? 'pause' : null,
    throttle.maxPerSecond === null ? null : `≤ ${throttle.maxPerSecond}/s`,
    throttle.maxConcurrent === null ? null : `≤ ${throttle.maxConcurrent} at once`,
  ].filter((part): part is string => part !== null);
  return parts.join(', ');
}

function throttleState(throttle: Throttle): string {
  if (throttle.active) return 'active';
  return throttle.revokedAt === null ? 'expired' : 'revoked';
}

/** The throttle list: id, target, effect, end, state. */
export function renderThrottleList(throttles: readonly Throttle[]): string {
  if (throttles.length === 0) return 'No throttles.';
  return renderTable(
    ['THROTTLE ID', 'TARGET', 'EFFECT', 'EXPIRES', 'STATE'],
    throttles.map((t) => [
      t.throttleId,
      throttleTarget(t),
      throttleEffect(t),
      formatTime(t.expiresAt),
      throttleState(t),
    ]),
  );
}

/** One throttle, field by field. */
export function renderThrottle(throttle: Throttle): string {
  return renderFields([
    ['Throttle ID', throttle.throttleId],
    ['Target', throttleTarget(throttle)],
    ['Effect', throttleEffect(throttle)],
    ['State', throttleState(throttle)],
    ['Expires', formatTime(throttle.expiresAt)],
    ['Reason', throttle.reason],
    ['Ticket', throttle.ticket],
    [
      'Revoked',
      throttle.revokedAt === null ? '' : `${formatTime(throttle.revokedAt)} by ${throttle.revokedBy ?? ''}`,
    ],
    ['Revoke reason', throttle.revokeReason ?? ''],
    ['Created', `${formatTime(throttle.createdAt)} by ${throttle.createdBy}`],
  ]);
}
