import type { AuditChainSource, AuditHead } from './audit-chain.js';
import type { AuditArchiveManifest, AuditCheckpoint } from './audit-checkpoint.js';
import type { AuditEntry, AuditRecord } from './audit-entry.js';
import type { Page } from './job.js';

/** Filters and page of an audit listing. Order: newest first (sequence descending). */
export interface ListAuditEntriesQuery {
  /** The actor's subject. */
  readonly actorSubject?: string;
  /** The actor's OAuth client. */
  readonly clientId?: string;
  readonly action?: string;
  readonly resourceType?: string;
  readonly resourceId?: string;
  /** Matches the credentials' ticket or the request's ticket. */
  readonly ticket?: string;
  /** Only entries that occurred strictly after this ISO-8601 time. */
  readonly occurredAfter?: string;
  /** Only entries that occurred strictly before this ISO-8601 time. */
  readonly occurredBefore?: string;
  readonly pageSize: number;
  readonly pageToken?: string;
}

/**
 * The audit trail of one tenant: append-only and hash-chained. Operator actions of the job store append
 * their entries inside their own transactions; {@link TenantAuditTrail.appendAuditEntry} is for actions
 * that have no other ledger write (a token grant, for instance).
 */
export interface TenantAuditTrail extends AuditChainSource {
  readonly tenantId: string;
  /**
   * Appends one entry in a transaction of its own: the next sequence, chained to the head, under the
   * head's row lock, so that concurrent appends stay one linear chain.
   * @throws OrchestratorError `VALIDATION_FAILED` for a record `checkAuditRecord` refuses
   */
  appendAuditEntry(record: AuditRecord): Promise<AuditEntry>;
  /** @throws OrchestratorError `INVALID_CURSOR` */
  listAuditEntries(query: ListAuditEntriesQuery): Promise<Page<AuditEntry>>;
  /** One entry of this tenant, or `null` (also for an id that is not a UUID). */
  getAuditEntry(auditId: string): Promise<AuditEntry | null>;
  /** Up to `limit` entries with `sequence >= fromSequence`, in sequence order: the input of verification. */
  readAuditChain(params: { readonly fromSequence: number; readonly limit: number }): Promise<AuditEntry[]>;
  /** The last sequence and hash of this tenant's chain; `null` before its first entry. */
  getAuditHead(): Promise<AuditHead | null>;
  /**
   * Keeps a signed checkpoint. A second checkpoint of the same sequence is not stored.
   * @returns the checkpoint kept for that sequence (the earlier one on a repeat)
   */
  appendAuditCheckpoint(checkpoint: AuditCheckpoint): Promise<AuditCheckpoint>;
  /** The checkpoint of the highest sequence, or `null`. */
  getLatestAuditCheckpoint(): Promise<AuditCheckpoint | null>;
  /**
   * Records that entries `manifest.firstSequence..throughSequence` were archived, and removes them from
   * the ledger, in one transaction. The database lets an entry be deleted only once such a record covers
   * it. `firstSequence` must follow the previous archive (or be 1), `throughSequence` must not pass the head.
   * @returns how many entries were removed
   * @throws OrchestratorError `VALIDATION_FAILED` for a range that does not follow on or passes the head
   */
  recordAuditArchive(manifest: AuditArchiveManifest): Promise<number>;
  /** The most recent archive of this tenant (the one with the highest `throughSequence`), or `null`. */
  getLatestAuditArchive(): Promise<AuditArchiveManifest | null>;
}

/** The audit trail port: one trail per tenant, nothing shared between tenants. */
export interface AuditTrail {
  /** The trail of one tenant. */
  forTenant(tenantId: string): TenantAuditTrail;
}
