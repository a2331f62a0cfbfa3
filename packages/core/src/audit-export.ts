import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import type { AuditEntry } from './audit-entry.js';
import type { FieldError } from './errors.js';

/** A run of a tenant's chain, both ends included. */
export interface AuditSequenceRange {
  readonly fromSequence: number;
  readonly throughSequence: number;
}

/**
 * A range as asked for: an end left out is the ledger's, at the time of the call (the first entry after the
 * latest archive, the head). An export and its manifest describe the same bytes only when both name the
 * same range: a client pairing them passes both ends, or takes them from the manifest.
 */
export type AuditRangeRequest = Partial<AuditSequenceRange>;

/**
 * The line of an entry in an export or an archive file: the canonical JSON of the entry as the API serves
 * it (fields picked by name, absent ones left out, `hash` included) and `\n`. A reader parses a line, drops
 * `hash` and recomputes it with `computeAuditHash`; the lines of a range are the bytes a manifest's
 * `ndjsonDigest` covers.
 */
export function auditNdjsonLine(entry: AuditEntry): string {
  return `${canonicalJson({
    auditId: entry.auditId,
    tenantId: entry.tenantId,
    sequence: entry.sequence,
    occurredAt: entry.occurredAt,
    actor: entry.actor,
    action: entry.action,
    resourceType: entry.resourceType,
    resourceId: entry.resourceId,
    before: entry.before,
    after: entry.after,
    reason: entry.reason,
    ticket: entry.ticket,
    requestReason: entry.requestReason,
    requestTicket: entry.requestTicket,
    correlationId: entry.correlationId,
    prevHash: entry.prevHash,
    hash: entry.hash,
  })}\n`;
}

/** What part of a tenant's chain the ledger holds: from just after the latest archive to the head. */
export interface AuditLedgerBounds {
  /** The first sequence still in the ledger: the latest archive's `throughSequence + 1`, or 1. */
  readonly firstSequence: number;
  /** The head's sequence; 0 for a trail with no entry. */
  readonly lastSequence: number;
}

/**
 * The field errors of a range asked for (paths as the query string names them): both ends integers of at
 * least 1, not reversed, and inside the ledger's part of the chain (not archived, not past the head). Any
 * range is refused when the ledger holds no entry.
 */
export function checkAuditRange(range: AuditSequenceRange, bounds: AuditLedgerBounds): FieldError[] {
  if (bounds.lastSequence < bounds.firstSequence) {
    const message =
      bounds.lastSequence === 0
        ? 'the audit trail has no entry'
        : `the ledger holds no entry: everything through ${bounds.lastSequence} is archived`;
    return [{ path: 'through_sequence', message }];
  }
  const errors: FieldError[] = [];
  const { fromSequence: from, throughSequence: through } = range;
  for (const [path, value] of [
    ['from_sequence', from],
    ['through_sequence', through],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 1) errors.push({ path, message: 'must be an integer ≥ 1' });
  }
  if (errors.length > 0) return errors;
  if (through < from) {
    errors.push({ path: 'through_sequence', message: 'must not be less than from_sequence' });
  }
  if (from < bounds.firstSequence) {
    errors.push({
      path: 'from_sequence',
      message: `entries before ${bounds.firstSequence} are archived: the ledger starts at ${bounds.firstSequence}`,
    });
  }
  if (through > bounds.lastSequence) {
    errors.push({ path: 'through_sequence', message: `must not pass the head (${bounds.lastSequence})` });
  }
  return errors;
}

/** A running `sha256:` digest of text fed a piece at a time (UTF-8), such as the lines of an archive. */
export class Sha256Accumulator {
  readonly #hash = createHash('sha256');

  /** Adds `text`'s UTF-8 bytes. */
  update(text: string): void {
    this.#hash.update(text, 'utf8');
  }

  /** `sha256:<hex>` of everything added. Call once. */
  digest(): string {
    return `sha256:${this.#hash.digest('hex')}`;
  }
}
