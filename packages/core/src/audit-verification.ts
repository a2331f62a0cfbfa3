import {
  AUDIT_VERIFY_PAGE_SIZE,
  verifyAuditTrail,
  type AuditTrailVerification,
  type AuditChainSource,
} from './audit-chain.js';
import {
  checkpointSigningInput,
  manifestSigningInput,
  type AuditArchiveManifest,
  type AuditCheckpoint,
  type AuditSigner,
} from './audit-checkpoint.js';
import type { TenantAuditTrail } from './audit-trail.js';

/** The reads of a whole-trail verification: the chain and its head, the latest archive and checkpoint. */
export type AuditTrailSource = AuditChainSource &
  Pick<TenantAuditTrail, 'tenantId' | 'getLatestAuditArchive' | 'getLatestAuditCheckpoint'>;

/** How many times a verification starts again when entries were archived while it ran. */
const MAX_ATTEMPTS = 3;

/**
 * Verifies a tenant's trail as far as the ledger can tell:
 *
 * 1. the latest archive record, if any, is signed, and the chain in the ledger starts right after it
 *    (sequence `throughSequence + 1`, `prevHash` its `lastHash`), or else at 1 from genesis;
 * 2. the chain recomputes, a page at a time, up to the head, and ends at the head;
 * 3. the latest checkpoint, if any, is signed by a published key, does not pass the end of the chain
 *    (`truncated`) and, where the ledger (or the archive's last hash) still has its sequence, names that
 *    entry's hash (`checkpoint_mismatch`).
 *
 * The checkpoint and archive are read before the head, so neither can name a sequence the head had not
 * reached. Entries archived (and removed) while this runs would look like a gap: when the chain breaks and
 * the latest archive moved meanwhile, the verification starts again after the new one.
 */
export async function verifyTenantAuditTrail(
  source: AuditTrailSource,
  signer: AuditSigner,
  pageSize: number = AUDIT_VERIFY_PAGE_SIZE,
): Promise<AuditTrailVerification> {
  for (let attempt = 1; ; attempt++) {
    const checkpoint = await source.getLatestAuditCheckpoint();
    const archive = await source.getLatestAuditArchive();
    const result = await verifyOnce(source, signer, pageSize, checkpoint, archive);
    if (result.ok || attempt === MAX_ATTEMPTS) return result;
    const latest = await source.getLatestAuditArchive();
    if ((latest?.throughSequence ?? 0) === (archive?.throughSequence ?? 0)) return result;
  }
}

async function verifyOnce(
  source: AuditTrailSource,
  signer: AuditSigner,
  pageSize: number,
  checkpoint: AuditCheckpoint | null,
  archive: AuditArchiveManifest | null,
): Promise<AuditTrailVerification> {
  if (archive !== null && !(await archiveIsSigned(source.tenantId, signer, archive))) {
    return { ok: false, brokenAt: archive.firstSequence, reason: 'bad_archive_signature' };
  }
  const chain = await verifyAuditTrail(source, pageSize, archive ?? undefined);
  if (!chain.ok) return chain;
  const withArchive =
    archive === null
      ? chain
      : {
          ...chain,
          archive: {
            archiveId: archive.archiveId,
            throughSequence: archive.throughSequence,
            lastHash: archive.lastHash,
          },
        };
  if (checkpoint === null) return withArchive;
  if (!(await checkpointIsSigned(source.tenantId, signer, checkpoint))) {
    return { ok: false, brokenAt: checkpoint.sequence, reason: 'bad_checkpoint_signature' };
  }
  if (checkpoint.sequence > chain.lastSequence) {
    return { ok: false, brokenAt: chain.lastSequence + 1, reason: 'truncated' };
  }
  const hash = await hashAt(source, checkpoint.sequence, chain, archive);
  if (hash !== undefined && hash !== checkpoint.headHash) {
    return { ok: false, brokenAt: checkpoint.sequence, reason: 'checkpoint_mismatch' };
  }
  const { sequence, signedAt, keyId } = checkpoint;
  return { ...withArchive, checkpoint: { sequence, signedAt, keyId } };
}

/**
 * The hash of the entry at `sequence` of a verified chain: the head's, the archive's last, or the entry's
 * as the ledger holds it; `undefined` for an entry archived before the latest archive's last one (or
 * archived since the chain was read), which the ledger can no longer show.
 */
async function hashAt(
  source: AuditChainSource,
  sequence: number,
  chain: { readonly lastSequence: number; readonly headHash: string },
  archive: AuditArchiveManifest | null,
): Promise<string | undefined> {
  if (sequence === chain.lastSequence) return chain.headHash;
  const archivedThrough = archive?.throughSequence ?? 0;
  if (sequence === archivedThrough) return archive?.lastHash;
  if (sequence < archivedThrough) return undefined;
  const [entry] = await source.readAuditChain({ fromSequence: sequence, limit: 1 });
  return entry?.sequence === sequence ? entry.hash : undefined;
}

async function checkpointIsSigned(
  tenantId: string,
  signer: AuditSigner,
  checkpoint: AuditCheckpoint,
): Promise<boolean> {
  return (
    checkpoint.tenantId === tenantId &&
    signer.verify(checkpointSigningInput(checkpoint), checkpoint.keyId, checkpoint.signature)
  );
}

async function archiveIsSigned(
  tenantId: string,
  signer: AuditSigner,
  archive: AuditArchiveManifest,
): Promise<boolean> {
  return (
    archive.tenantId === tenantId &&
    signer.verify(manifestSigningInput(archive), archive.keyId, archive.signature)
  );
}
