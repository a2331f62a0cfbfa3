import type { Source } from '@stella-orch/core';
import type { SourceRow, SourceState } from './queries/sources.js';
import { toIso, toIsoOrNull } from './row-mappers.js';

/** A stored source as the port's {@link Source}. */
export function mapSource(row: SourceRow): Source {
  return {
    tenantId: row.tenant_id,
    sourceId: row.source_id,
    sourceType: row.source_type,
    displayName: row.display_name,
    description: row.description,
    enabled: row.enabled,
    paused: row.paused,
    pauseReason: row.pause_reason,
    pauseTicket: row.pause_ticket,
    pausedBy: row.paused_by,
    pausedAt: toIsoOrNull(row.paused_at),
    rateLimit:
      row.rate_limit_burst === null || row.rate_limit_refill_per_second === null
        ? null
        : { burst: row.rate_limit_burst, refillPerSecond: row.rate_limit_refill_per_second },
    maxConcurrent: row.max_concurrent,
    version: row.version,
    createdAt: toIso(row.created_at),
    createdBy: row.created_by,
    updatedAt: toIso(row.updated_at),
    updatedBy: row.updated_by,
  };
}

/** The writable state of a source, to change and write back. */
export function stateOf(source: Source): SourceState {
  return {
    sourceType: source.sourceType,
    displayName: source.displayName,
    description: source.description,
    rateLimitBurst: source.rateLimit?.burst ?? null,
    rateLimitRefillPerSecond: source.rateLimit?.refillPerSecond ?? null,
    maxConcurrent: source.maxConcurrent,
    enabled: source.enabled,
    paused: source.paused,
    pauseReason: source.pauseReason,
    pauseTicket: source.pauseTicket,
    pausedBy: source.pausedBy,
  };
}

/** Whether jobs of a source in this state are held (never leased). */
export function holdsJobs(state: Pick<SourceState, 'enabled' | 'paused'>): boolean {
  return state.paused || !state.enabled;
}
