import type { ThrottleView } from '@stella-orch/core';
import type { ThrottleRow } from './queries/throttles.js';
import { toIso, toIsoOrNull } from './row-mappers.js';

/** A stored throttle as the port's {@link ThrottleView}. */
export function mapThrottle(row: ThrottleRow): ThrottleView {
  return {
    tenantId: row.tenant_id,
    throttleId: row.throttle_id,
    sourceId: row.source_id,
    jobType: row.job_type,
    pause: row.pause,
    maxPerSecond: row.max_per_second,
    maxConcurrent: row.max_concurrent,
    reason: row.reason,
    ticket: row.ticket,
    expiresAt: toIso(row.expires_at),
    revokedAt: toIsoOrNull(row.revoked_at),
    revokedBy: row.revoked_by,
    revokeReason: row.revoke_reason,
    createdAt: toIso(row.created_at),
    createdBy: row.created_by,
    active: row.active,
  };
}
