import type { AuditEntry } from './audit-entry.js';
import type { AuditLedgerBounds, AuditSequenceRange } from './audit-export.js';
import type { FieldError } from './errors.js';

/** How long a tenant's entries stay in the ledger before they are archived and removed. */
export interface AuditRetentionPolicy {
  /** Entries older than this many days are archived. */
  readonly maxAgeDays: number;
}

/** The longest retention accepted: 100 years. */
export const MAX_AUDIT_RETENTION_DAYS = 36_500;

/** Entries archived in one file, at most (the next run goes on where this one stopped). */
export const DEFAULT_AUDIT_ARCHIVE_MAX_ENTRIES = 10_000;

const DAY_MS = 86_400_000;

/** The field errors of a policy: whole days from 1 to {@link MAX_AUDIT_RETENTION_DAYS}. */
export function checkAuditRetentionPolicy(policy: AuditRetentionPolicy, path = 'maxAgeDays'): FieldError[] {
  const days = policy.maxAgeDays;
  return Number.isInteger(days) && days >= 1 && days <= MAX_AUDIT_RETENTION_DAYS
    ? []
    : [{ path, message: `must be an integer from 1 to ${MAX_AUDIT_RETENTION_DAYS}` }];
}

/** The time before which entries are old enough to archive: `now` minus the policy's days. */
export function auditRetentionCutoffMs(policy: AuditRetentionPolicy, nowMs: number): number {
  return nowMs - policy.maxAgeDays * DAY_MS;
}

/**
 * Where retention may look: from the first entry in the ledger to the one before the head (the latest
 * entry is never archived, so a chain always keeps its head in the ledger), at most `maxEntries` of them.
 * `null` when there is nothing but the latest entry.
 */
export function auditRetentionWindow(
  bounds: AuditLedgerBounds,
  maxEntries: number,
): AuditSequenceRange | null {
  const through = Math.min(bounds.lastSequence - 1, bounds.firstSequence + maxEntries - 1);
  return through < bounds.firstSequence
    ? null
    : { fromSequence: bounds.firstSequence, throughSequence: through };
}

/**
 * How many entries at the start of a run (in sequence order) occurred before the cutoff: the old prefix
 * stops at the first entry that is not old, whatever comes after it.
 */
export function oldAuditPrefixLength(
  entries: readonly Pick<AuditEntry, 'occurredAt'>[],
  cutoffMs: number,
): number {
  const young = entries.findIndex((entry) => !(Date.parse(entry.occurredAt) < cutoffMs));
  return young === -1 ? entries.length : young;
}
