import { canonicalJson } from './canonical-json.js';

/**
 * A signed statement "tenant T's chain had sequence N with hash H at time S" (Ed25519). Kept in the ledger
 * and printed by `stella-orch audit checkpoint` so it can be kept elsewhere too: entries removed from the
 * tail of the chain, head row and all, are found by comparing the chain with its latest checkpoint.
 */
export interface AuditCheckpoint {
  readonly tenantId: string;
  readonly sequence: number;
  readonly headHash: string;
  /** ISO-8601 UTC with milliseconds. */
  readonly signedAt: string;
  /** The `kid` of the audit-checkpoint key that signed it. */
  readonly keyId: string;
  /** base64url Ed25519 signature of {@link checkpointSigningInput}. */
  readonly signature: string;
}

/** A checkpoint before it is signed. */
export type UnsignedAuditCheckpoint = Omit<AuditCheckpoint, 'signature'>;

/** The bytes a checkpoint's signature covers: a domain-separating prefix and the canonical JSON of its fields. */
export function checkpointSigningInput(checkpoint: UnsignedAuditCheckpoint): string {
  return `stella-orch.audit-checkpoint.v1\n${canonicalJson({
    tenantId: checkpoint.tenantId,
    sequence: checkpoint.sequence,
    headHash: checkpoint.headHash,
    signedAt: checkpoint.signedAt,
    keyId: checkpoint.keyId,
  })}`;
}

/**
 * The manifest of an archive of a tenant's entries `firstSequence..throughSequence` (NDJSON, one entry per
 * line in sequence order, each line the canonical JSON of the entry): enough to check the file and to go on
 * verifying the chain after it once the entries are removed from the ledger.
 */
export interface AuditArchiveManifest {
  readonly tenantId: string;
  readonly archiveId: string;
  readonly firstSequence: number;
  readonly throughSequence: number;
  /** The `prevHash` of the first archived entry. */
  readonly firstPrevHash: string;
  /** The `hash` of the last archived entry: the `prevHash` the first entry left in the ledger must carry. */
  readonly lastHash: string;
  readonly entryCount: number;
  /** `sha256:` of the NDJSON file's bytes. */
  readonly ndjsonDigest: string;
  /** ISO-8601. */
  readonly createdAt: string;
  readonly keyId: string;
  /** base64url Ed25519 signature of {@link manifestSigningInput}. */
  readonly signature: string;
}

/** A manifest before it is signed. */
export type UnsignedAuditArchiveManifest = Omit<AuditArchiveManifest, 'signature'>;

/** The bytes a manifest's signature covers. */
export function manifestSigningInput(manifest: UnsignedAuditArchiveManifest): string {
  return `stella-orch.audit-archive.v1\n${canonicalJson({
    tenantId: manifest.tenantId,
    archiveId: manifest.archiveId,
    firstSequence: manifest.firstSequence,
    throughSequence: manifest.throughSequence,
    firstPrevHash: manifest.firstPrevHash,
    lastHash: manifest.lastHash,
    entryCount: manifest.entryCount,
    ndjsonDigest: manifest.ndjsonDigest,
    createdAt: manifest.createdAt,
    keyId: manifest.keyId,
  })}`;
}

/** Signs and verifies checkpoints and manifests (Ed25519, outside the core). */
export interface AuditSigner {
  /**
   * Signs with the active audit-checkpoint key. The signed bytes name the key that signs them, so they are
   * built from its id: `input(keyId)` is called once, with the key that then signs, and a key rotated in
   * meanwhile cannot sign bytes that name another.
   */
  sign(input: (keyId: string) => string): Promise<{ readonly keyId: string; readonly signature: string }>;
  /** Whether `signature` is a valid signature of `input` by the published key `keyId`. */
  verify(input: string, keyId: string, signature: string): Promise<boolean>;
}
