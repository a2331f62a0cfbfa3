import { computeAuditHash, GENESIS_PREV_HASH, type AuditEntry } from './audit-entry.js';

/** Why a chain does not verify. */
export type AuditChainBreak = 'hash_mismatch' | 'prev_hash_mismatch' | 'sequence_gap';

/** The answer of {@link verifyAuditChain}. */
export type AuditChainVerification =
  | { readonly ok: true; readonly checked: number; readonly lastSequence: number; readonly lastHash: string }
  | { readonly ok: false; readonly brokenAt: number; readonly reason: AuditChainBreak };

/** Where a run of entries must start; both default to "wherever the first entry says". */
export interface AuditChainExpectations {
  /** The `prevHash` the first entry must carry (the previous page's last hash; genesis for sequence 1). */
  readonly expectedPrevHash?: string;
  /** The `sequence` the first entry must carry. */
  readonly expectedFirstSequence?: number;
}

/**
 * Verifies a run of entries in sequence order: each entry's sequence follows the one before, its
 * `prevHash` is the hash of the one before, and its `hash` is what its fields hash to. Pure.
 *
 * An empty run verifies, with `lastSequence` and `lastHash` the expectations (or 0 and genesis).
 *
 * @returns the last sequence and hash, or the first sequence where the chain breaks and why: a sequence
 *   that is not the next one (`sequence_gap`, reported at the sequence that was expected), an entry whose
 *   fields do not give its hash (`hash_mismatch`: an edited entry), or an entry that does not name the hash
 *   before it (`prev_hash_mismatch`: an entry removed, reordered or re-hashed before it)
 */
export function verifyAuditChain(
  entries: readonly AuditEntry[],
  expectations: AuditChainExpectations = {},
): AuditChainVerification {
  let expectedSequence = expectations.expectedFirstSequence;
  let expectedPrevHash =
    expectations.expectedPrevHash ?? (expectedSequence === 1 ? GENESIS_PREV_HASH : undefined);
  for (const entry of entries) {
    if (expectedSequence !== undefined && entry.sequence !== expectedSequence) {
      return { ok: false, brokenAt: expectedSequence, reason: 'sequence_gap' };
    }
    if (computeAuditHash(entry) !== entry.hash) {
      return { ok: false, brokenAt: entry.sequence, reason: 'hash_mismatch' };
    }
    if (
      (expectedPrevHash !== undefined && entry.prevHash !== expectedPrevHash) ||
      (entry.sequence === 1 && entry.prevHash !== GENESIS_PREV_HASH)
    ) {
      return { ok: false, brokenAt: entry.sequence, reason: 'prev_hash_mismatch' };
    }
    expectedSequence = entry.sequence + 1;
    expectedPrevHash = entry.hash;
  }
  return {
    ok: true,
    checked: entries.length,
    lastSequence: expectedSequence === undefined ? 0 : expectedSequence - 1,
    lastHash: expectedPrevHash ?? GENESIS_PREV_HASH,
  };
}

/** Where a tenant's chain ends, as the ledger's head row records it. */
export interface AuditHead {
  readonly lastSequence: number;
  readonly lastHash: string;
}

/**
 * Where the ledger's part of a tenant's chain starts once older entries were archived and removed: the last
 * archived sequence and its hash, which the first entry left in the ledger must name as its `prevHash`.
 */
export interface AuditChainAnchor {
  readonly throughSequence: number;
  readonly lastHash: string;
}

/**
 * Why a tenant's trail does not verify: a break in the chain; a chain that does not end at the head
 * (`head_mismatch`); a chain shorter than its latest signed checkpoint (`truncated`: entries removed from
 * the end, head row and all); an entry other than the one the checkpoint signed (`checkpoint_mismatch`:
 * history rewritten and re-hashed from some point on); a checkpoint or archive record whose signature does
 * not verify (`bad_checkpoint_signature`, `bad_archive_signature`).
 */
export type AuditTrailBreak =
  | AuditChainBreak
  | 'head_mismatch'
  | 'truncated'
  | 'checkpoint_mismatch'
  | 'bad_checkpoint_signature'
  | 'bad_archive_signature';

/** The signed checkpoint a verification compared the chain with. */
export interface AuditCheckpointRef {
  readonly sequence: number;
  readonly signedAt: string;
  readonly keyId: string;
}

/** The archive a verification started after: the ledger's chain starts at `throughSequence + 1`. */
export interface AuditArchiveRef {
  readonly archiveId: string;
  readonly throughSequence: number;
  readonly lastHash: string;
}

/**
 * The answer of a verification (and of `GET /audit/verify`). `checked` counts the entries read from the
 * ledger; `checkpoint` and `archive` are there when one was used.
 */
export type AuditTrailVerification =
  | {
      readonly ok: true;
      readonly checked: number;
      readonly lastSequence: number;
      readonly headHash: string;
      readonly checkpoint?: AuditCheckpointRef;
      readonly archive?: AuditArchiveRef;
    }
  | { readonly ok: false; readonly brokenAt: number; readonly reason: AuditTrailBreak };

/** The reads {@link verifyAuditTrail} needs from a tenant's trail. */
export interface AuditChainSource {
  getAuditHead(): Promise<AuditHead | null>;
  /** Up to `limit` entries with `sequence >= fromSequence`, in sequence order. */
  readAuditChain(params: { readonly fromSequence: number; readonly limit: number }): Promise<AuditEntry[]>;
}

/** Entries read per page when a whole trail is verified. */
export const AUDIT_VERIFY_PAGE_SIZE = 500;

/**
 * Verifies a tenant's chain in the ledger, from sequence 1 (or from just after `anchor`) to the head, a
 * page at a time, and checks that the chain ends where the head row says: an entry missing at the end is a
 * `sequence_gap`, a last hash other than the head's a `head_mismatch`. The head is read first, so entries
 * appended while this runs are not checked (they cannot change what was). Memory stays one page, whatever
 * the length of the chain. Checkpoints are not looked at here (see `verifyTenantAuditTrail`).
 *
 * @param anchor - the last archived sequence and hash, when older entries were archived
 */
export async function verifyAuditTrail(
  source: AuditChainSource,
  pageSize: number = AUDIT_VERIFY_PAGE_SIZE,
  anchor: AuditChainAnchor = { throughSequence: 0, lastHash: GENESIS_PREV_HASH },
): Promise<AuditTrailVerification> {
  const head = await source.getAuditHead();
  if (head === null) {
    // No head: nothing was ever appended, unless the head row itself was removed.
    if (anchor.throughSequence > 0) {
      return { ok: false, brokenAt: anchor.throughSequence + 1, reason: 'head_mismatch' };
    }
    const first = await source.readAuditChain({ fromSequence: 1, limit: 1 });
    return first.length === 0
      ? { ok: true, checked: 0, lastSequence: 0, headHash: GENESIS_PREV_HASH }
      : { ok: false, brokenAt: 1, reason: 'head_mismatch' };
  }
  let checked = 0;
  let lastSequence = anchor.throughSequence;
  let lastHash = anchor.lastHash;
  while (lastSequence < head.lastSequence) {
    const limit = Math.min(pageSize, head.lastSequence - lastSequence);
    const page = await source.readAuditChain({ fromSequence: lastSequence + 1, limit });
    if (page.length === 0) break;
    const result = verifyAuditChain(page, {
      expectedFirstSequence: lastSequence + 1,
      expectedPrevHash: lastHash,
    });
    if (!result.ok) return result;
    checked += result.checked;
    lastSequence = result.lastSequence;
    lastHash = result.lastHash;
  }
  if (lastSequence < head.lastSequence) {
    return { ok: false, brokenAt: lastSequence + 1, reason: 'sequence_gap' };
  }
  if (lastSequence > head.lastSequence || lastHash !== head.lastHash) {
    return { ok: false, brokenAt: head.lastSequence, reason: 'head_mismatch' };
  }
  return { ok: true, checked, lastSequence, headHash: lastHash };
}
