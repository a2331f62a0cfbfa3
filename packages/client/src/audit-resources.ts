// The audit-trail resources of the HTTP contract (docs/api.md, "Audit trail"), as they travel on the wire.
import type { JsonValue, PageQuery } from './job-resources.js';

/** Who performed an audited action: the token's subject, its client and scopes. */
export interface AuditActor {
  readonly subject: string;
  readonly clientId: string | null;
  readonly scopes: readonly string[];
}

/**
 * One entry of a tenant's hash-chained audit trail. `hash` is `sha256:` over the canonical JSON of the
 * entry without `hash`; `prevHash` is the hash of the entry before it.
 */
export interface AuditEntry {
  readonly auditId: string;
  readonly tenantId: string;
  readonly sequence: number;
  readonly occurredAt: string;
  readonly actor: AuditActor;
  /** `domain.verb`, such as `job.cancel`. */
  readonly action: string;
  readonly resourceType: string;
  readonly resourceId: string;
  readonly before?: Readonly<Record<string, JsonValue>>;
  readonly after?: Readonly<Record<string, JsonValue>>;
  /** The token's operator reason. */
  readonly reason?: string;
  /** The token's operator ticket. */
  readonly ticket?: string;
  /** The request's own reason (`X-Stella-Operator-Reason`). */
  readonly requestReason?: string;
  /** The request's own ticket (`X-Stella-Operator-Ticket`). */
  readonly requestTicket?: string;
  readonly correlationId: string;
  readonly prevHash: string;
  readonly hash: string;
}

/** Filters of `GET /audit`. Time bounds are exclusive. */
export interface ListAuditEntriesQuery extends PageQuery {
  /** The actor's subject. */
  readonly actor?: string;
  readonly clientId?: string;
  /** Such as `job.cancel`. */
  readonly action?: string;
  readonly resourceType?: string;
  readonly resourceId?: string;
  /** Matches the token's ticket or the request's ticket. */
  readonly ticket?: string;
  /** ISO-8601 lower bound of `occurredAt` (exclusive). */
  readonly occurredAfter?: string;
  /** ISO-8601 upper bound of `occurredAt` (exclusive). */
  readonly occurredBefore?: string;
}

/** Why a trail does not verify. */
export type AuditBreakReason =
  | 'hash_mismatch'
  | 'prev_hash_mismatch'
  | 'sequence_gap'
  | 'head_mismatch'
  | 'truncated'
  | 'checkpoint_mismatch'
  | 'bad_checkpoint_signature';

/** A signed statement that a tenant's chain had `sequence` with `headHash` at `signedAt` (Ed25519). */
export interface AuditCheckpoint {
  readonly tenantId: string;
  readonly sequence: number;
  readonly headHash: string;
  readonly signedAt: string;
  /** The key id of the audit-checkpoint key that signed it. */
  readonly keyId: string;
  /** base64url Ed25519 signature. */
  readonly signature: string;
}

/** The answer of `GET /audit/verify`: the whole chain checked, or where it breaks and why. */
export type AuditVerification =
  | {
      readonly ok: true;
      readonly checked: number;
      readonly lastSequence: number;
      readonly headHash: string;
      /** The latest checkpoint the chain was compared with, when there is one. */
      readonly checkpoint?: AuditCheckpoint;
    }
  | { readonly ok: false; readonly brokenAt: number; readonly reason: AuditBreakReason };

/** Which entries an export covers; the server's defaults (the whole chain) when absent. */
export interface AuditExportRange {
  readonly fromSequence?: number;
  readonly throughSequence?: number;
}

/** The signed manifest of an NDJSON export of entries `firstSequence..throughSequence`. */
export interface AuditArchiveManifest {
  readonly tenantId: string;
  readonly archiveId: string;
  readonly firstSequence: number;
  readonly throughSequence: number;
  /** The `prevHash` of the first entry. */
  readonly firstPrevHash: string;
  /** The `hash` of the last entry. */
  readonly lastHash: string;
  readonly entryCount: number;
  /** `sha256:<hex>` of the NDJSON bytes. */
  readonly ndjsonDigest: string;
  readonly createdAt: string;
  readonly keyId: string;
  /** base64url Ed25519 signature. */
  readonly signature: string;
}
