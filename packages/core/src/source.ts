import type { AuditMetadata, AuditRecord, AuditState } from './audit-entry.js';
import type { Actor } from './job.js';

/**
 * A token bucket: up to `burst` jobs at once, refilled at `refillPerSecond`. Stored with the source; the
 * limits engine (a later slice) enforces it at lease time.
 */
export interface SourceRateLimit {
  readonly burst: number;
  readonly refillPerSecond: number;
}

/**
 * A registered producer of work (SPEC §2). A disabled source takes no new jobs; the queued jobs of a paused
 * or a disabled source are held (never leased, never failed) until it is resumed and enabled.
 */
export interface Source {
  readonly tenantId: string;
  readonly sourceId: string;
  /** What kind of producer: `concelier`, `excititor`, `scheduler`, `export`, `policy`… */
  readonly sourceType: string;
  readonly displayName: string | null;
  readonly description: string | null;
  readonly enabled: boolean;
  readonly paused: boolean;
  /** Why the source is paused (`null` while it is not). */
  readonly pauseReason: string | null;
  readonly pauseTicket: string | null;
  readonly pausedBy: string | null;
  readonly pausedAt: string | null;
  /** `null`: unlimited. */
  readonly rateLimit: SourceRateLimit | null;
  /**
   * The most jobs of the source leased or running at once, 1 to 1,000,000; `null`: unlimited. Counted at
   * the lease grant under the source's limit lock (docs/decisions/0016-admission-and-limits.md).
   */
  readonly maxConcurrent: number | null;
  /** Grows by one with every change: the ETag of optimistic updates. */
  readonly version: number;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly updatedAt: string;
  readonly updatedBy: string;
}

/** The operator actions on a source, each audited with the source before and after. */
export const SOURCE_AUDIT_ACTIONS = [
  'source.register',
  'source.update',
  'source.enable',
  'source.disable',
  'source.pause',
  'source.resume',
] as const;

/** An operator action on a source. */
export type SourceAuditAction = (typeof SOURCE_AUDIT_ACTIONS)[number];

/** The source state an audit entry keeps before and after an action. */
export function sourceAuditState(source: Source): AuditState {
  return {
    sourceType: source.sourceType,
    displayName: source.displayName,
    description: source.description,
    enabled: source.enabled,
    paused: source.paused,
    pauseReason: source.pauseReason,
    pauseTicket: source.pauseTicket,
    rateLimit:
      source.rateLimit === null
        ? null
        : { burst: source.rateLimit.burst, refillPerSecond: source.rateLimit.refillPerSecond },
    maxConcurrent: source.maxConcurrent,
    version: source.version,
  };
}

/**
 * The record of an operator action on a source: `resourceType` `source`, the source id as the resource,
 * the source before (absent for `source.register`) and after, and the action's reasons and tickets.
 *
 * @param params.audit - the metadata of the action; without a correlation id, the entry correlates with
 *   the source (`source:<sourceId>`)
 */
export function sourceAuditRecord(params: {
  readonly action: SourceAuditAction;
  readonly actor: Actor;
  readonly before: Source | null;
  readonly after: Source;
  readonly audit?: AuditMetadata | undefined;
}): AuditRecord {
  const { audit = {}, before, after } = params;
  return {
    actor: params.actor,
    action: params.action,
    resourceType: 'source',
    resourceId: after.sourceId,
    ...(before === null ? {} : { before: sourceAuditState(before) }),
    after: sourceAuditState(after),
    ...(audit.reason === undefined ? {} : { reason: audit.reason }),
    ...(audit.ticket === undefined ? {} : { ticket: audit.ticket }),
    ...(audit.requestReason === undefined ? {} : { requestReason: audit.requestReason }),
    ...(audit.requestTicket === undefined ? {} : { requestTicket: audit.requestTicket }),
    correlationId: audit.correlationId ?? `source:${after.sourceId}`,
  };
}
