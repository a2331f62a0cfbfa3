import {
  AUDIT_VERIFY_PAGE_SIZE,
  verifyAuditChain,
  type AuditChainExpectations,
  type AuditTrailVerification,
} from './audit-chain.js';
import {
  checkpointSigningInput,
  manifestSigningInput,
  type AuditArchiveManifest,
  type AuditCheckpoint,
  type AuditSigner,
} from './audit-checkpoint.js';
import { auditMetadataOf, type AuditEntry, type AuditRecord } from './audit-entry.js';
import {
  auditNdjsonLine,
  checkAuditRange,
  Sha256Accumulator,
  type AuditLedgerBounds,
  type AuditRangeRequest,
  type AuditSequenceRange,
} from './audit-export.js';
import {
  auditRetentionCutoffMs,
  auditRetentionWindow,
  checkAuditRetentionPolicy,
  DEFAULT_AUDIT_ARCHIVE_MAX_ENTRIES,
  oldAuditPrefixLength,
  type AuditRetentionPolicy,
} from './audit-retention.js';
import type { AuditTrail, ListAuditEntriesQuery, TenantAuditTrail } from './audit-trail.js';
import { verifyTenantAuditTrail } from './audit-verification.js';
import { GENESIS_PREV_HASH } from './audit-entry.js';
import { MAX_PAGE_SIZE } from './cursor.js';
import { OrchestratorError, validationError } from './errors.js';
import type { Page } from './job.js';
import type { Clock, Ids } from './ports.js';
import type { RequestContext } from './request-context.js';

/** The action of the entry `createCheckpoint` appends before it signs. */
export const AUDIT_CHECKPOINT_ACTION = 'audit.checkpoint';

/** The tenant a call works in: a request's context, or `{ tenantId }` for the server's own periodic tasks. */
export type AuditTenantScope = Pick<RequestContext, 'tenantId'>;

/** What the audit service is built from. */
export interface AuditServiceDeps {
  readonly trail: AuditTrail;
  /** Signs checkpoints and manifests, and verifies them. */
  readonly signer: AuditSigner;
  /** `signedAt` of checkpoints, `createdAt` of manifests, the retention cutoff. */
  readonly clock: Clock;
  /** `archiveId` of manifests. */
  readonly ids: Ids;
}

/** Tuning of the audit service. */
export interface AuditServiceOptions {
  /** Entries read per page while verifying (default 500). */
  readonly verifyPageSize?: number;
  /** Entries read per page while exporting or archiving (default 500). */
  readonly exportPageSize?: number;
}

/**
 * The application service of the audit trail, always in one tenant: queries, verification, signed
 * checkpoints, exports with signed manifests, and the planning and recording of archives.
 */
export class AuditService {
  readonly #trail: AuditTrail;
  readonly #signer: AuditSigner;
  readonly #clock: Clock;
  readonly #ids: Ids;
  readonly #verifyPageSize: number;
  readonly #exportPageSize: number;

  /**
   * @param deps - the audit trail port, the signer, the clock and ids
   * @param options - page sizes
   */
  constructor(deps: AuditServiceDeps, options: AuditServiceOptions = {}) {
    this.#trail = deps.trail;
    this.#signer = deps.signer;
    this.#clock = deps.clock;
    this.#ids = deps.ids;
    this.#verifyPageSize = options.verifyPageSize ?? AUDIT_VERIFY_PAGE_SIZE;
    this.#exportPageSize = options.exportPageSize ?? AUDIT_VERIFY_PAGE_SIZE;
  }

  /**
   * The caller's tenant's entries, newest first, filtered.
   * @throws OrchestratorError `VALIDATION_FAILED` (page size, a time window that ends before it starts),
   *   `INVALID_CURSOR`
   */
  async listAuditEntries(ctx: RequestContext, query: ListAuditEntriesQuery): Promise<Page<AuditEntry>> {
    const errors = [];
    if (!Number.isInteger(query.pageSize) || query.pageSize < 1 || query.pageSize > MAX_PAGE_SIZE) {
      errors.push({ path: 'page_size', message: `must be an integer from 1 to ${MAX_PAGE_SIZE}` });
    }
    const { occurredAfter, occurredBefore } = query;
    if (
      occurredAfter !== undefined &&
      occurredBefore !== undefined &&
      Date.parse(occurredAfter) >= Date.parse(occurredBefore)
    ) {
      errors.push({ path: 'occurred_before', message: 'must be later than occurred_after' });
    }
    if (errors.length > 0) throw validationError(errors);
    return this.#trail.forTenant(ctx.tenantId).listAuditEntries(query);
  }

  /**
   * One entry of the caller's tenant. Another tenant's entry is not found, like an unknown one.
   * @throws OrchestratorError `AUDIT_ENTRY_NOT_FOUND`
   */
  async getAuditEntry(ctx: RequestContext, auditId: string): Promise<AuditEntry> {
    const entry = await this.#trail.forTenant(ctx.tenantId).getAuditEntry(auditId);
    if (entry === null) {
      throw new OrchestratorError('AUDIT_ENTRY_NOT_FOUND', `audit entry ${auditId} does not exist`, {
        details: { auditId },
      });
    }
    return entry;
  }

  /**
   * Verifies the tenant's trail: the latest archive record's signature, the chain in the ledger from just
   * after it (or from 1) to the head, a page at a time, and the latest checkpoint (its signature, not past
   * the end of the chain, the hash it signed). See `verifyTenantAuditTrail`.
   */
  async verifyAuditTrail(ctx: AuditTenantScope): Promise<AuditTrailVerification> {
    return verifyTenantAuditTrail(this.#trail.forTenant(ctx.tenantId), this.#signer, this.#verifyPageSize);
  }

  /**
   * An operator's checkpoint of the caller's tenant: appends an `audit.checkpoint` entry (actor, reasons,
   * tickets and correlation of the request, like every operator action), then signs and keeps a checkpoint
   * of that entry, so the checkpoint covers the record of its own request. There is always something to
   * sign: the entry itself.
   * @throws OrchestratorError `VALIDATION_FAILED` for a reason or ticket outside the operator policy
   */
  async createCheckpoint(ctx: RequestContext): Promise<AuditCheckpoint> {
    const trail = this.#trail.forTenant(ctx.tenantId);
    const record: AuditRecord = {
      ...auditMetadataOf(ctx),
      actor: ctx.actor,
      action: AUDIT_CHECKPOINT_ACTION,
      resourceType: 'audit_trail',
      resourceId: ctx.tenantId,
      correlationId: ctx.correlationId,
    };
    const entry = await trail.appendAuditEntry(record);
    return this.#checkpoint(trail, entry.sequence, entry.hash);
  }

  /**
   * The periodic checkpoint of a tenant: signs and keeps a checkpoint of its head, unless the tenant has no
   * entry or its latest checkpoint is of the head already. Writes no entry (a checkpoint that appended one
   * would move the head it just signed).
   * @returns the new checkpoint, or `null` when there was nothing new to sign
   */
  async checkpointTenant(tenantId: string): Promise<AuditCheckpoint | null> {
    const trail = this.#trail.forTenant(tenantId);
    const latest = await trail.getLatestAuditCheckpoint();
    const head = await trail.getAuditHead();
    if (head === null || head.lastSequence === 0) return null;
    if (latest !== null && latest.sequence >= head.lastSequence) return null;
    return this.#checkpoint(trail, head.lastSequence, head.lastHash);
  }

  /**
   * The tenant's latest checkpoint.
   * @throws OrchestratorError `AUDIT_CHECKPOINT_NOT_FOUND` before the first one
   */
  async getLatestCheckpoint(ctx: AuditTenantScope): Promise<AuditCheckpoint> {
    const checkpoint = await this.#trail.forTenant(ctx.tenantId).getLatestAuditCheckpoint();
    if (checkpoint === null) {
      throw new OrchestratorError('AUDIT_CHECKPOINT_NOT_FOUND', 'the audit trail has no checkpoint yet', {
        details: { tenantId: ctx.tenantId },
      });
    }
    return checkpoint;
  }

  /**
   * The entries of a range as NDJSON ({@link auditNdjsonLine}), read a page at a time: each item of `lines`
   * is the lines of one page. An end left out is the ledger's (its first entry, the head); `range` is the
   * range resolved. The range is checked before anything is read, so a refusal comes before the first
   * byte. Entries missing from the ledger inside the range are missing from the export too; the manifest
   * of the range ({@link AuditService.exportManifest}) refuses such a range.
   * @throws OrchestratorError `VALIDATION_FAILED` for a range that is reversed, archived or past the head
   */
  async exportRange(
    ctx: AuditTenantScope,
    request: AuditRangeRequest,
  ): Promise<{ readonly range: AuditSequenceRange; readonly lines: AsyncIterable<string> }> {
    const trail = this.#trail.forTenant(ctx.tenantId);
    const { range } = await this.#checkRange(trail, request);
    const pages = this.#pages(trail, range);
    const lines = (async function* lines() {
      for await (const page of pages) yield page.map(auditNdjsonLine).join('');
    })();
    return { range, lines };
  }

  /**
   * The signed manifest of a range (ends left out as in {@link AuditService.exportRange}): reads it a page at a time, verifies its chain (from the archive's last
   * hash, or genesis, when it starts where the ledger does), and digests exactly the bytes
   * {@link AuditService.exportRange} gives. Nothing is stored.
   * @throws OrchestratorError `VALIDATION_FAILED` for a range that is reversed, archived or past the head;
   *   `AUDIT_CHAIN_BROKEN` when the entries of the range do not verify (nothing is signed)
   */
  async exportManifest(ctx: AuditTenantScope, request: AuditRangeRequest): Promise<AuditArchiveManifest> {
    const trail = this.#trail.forTenant(ctx.tenantId);
    const { range, anchor } = await this.#checkRange(trail, request);
    const digest = new Sha256Accumulator();
    let expectations: AuditChainExpectations = {
      expectedFirstSequence: range.fromSequence,
      ...(range.fromSequence === anchor.throughSequence + 1 ? { expectedPrevHash: anchor.lastHash } : {}),
    };
    let first: AuditEntry | undefined;
    let last: AuditEntry | undefined;
    for await (const page of this.#pages(trail, range)) {
      const result = verifyAuditChain(page, expectations);
      if (!result.ok) throw chainBroken(result.brokenAt, result.reason);
      expectations = { expectedFirstSequence: result.lastSequence + 1, expectedPrevHash: result.lastHash };
      first ??= page[0];
      last = page.at(-1);
      for (const entry of page) digest.update(auditNdjsonLine(entry));
    }
    if (first === undefined || last === undefined || last.sequence !== range.throughSequence) {
      throw chainBroken((last?.sequence ?? range.fromSequence - 1) + 1, 'sequence_gap');
    }
    const unsigned = {
      tenantId: ctx.tenantId,
      archiveId: this.#ids.uuid(),
      firstSequence: range.fromSequence,
      throughSequence: range.throughSequence,
      firstPrevHash: first.prevHash,
      lastHash: last.hash,
      entryCount: range.throughSequence - range.fromSequence + 1,
      ndjsonDigest: digest.digest(),
      createdAt: this.#now(),
    };
    const { keyId, signature } = await this.#signer.sign((id) =>
      manifestSigningInput({ ...unsigned, keyId: id }),
    );
    return { ...unsigned, keyId, signature };
  }

  /**
   * The range retention would archive now in a tenant: the longest run from the first entry in the ledger
   * whose entries occurred before `now − maxAgeDays`, never the latest entry, at most `maxEntries`.
   * @returns the range, or `null` when nothing is old enough
   * @throws OrchestratorError `VALIDATION_FAILED` for a policy out of range
   */
  async planRetention(
    tenantId: string,
    policy: AuditRetentionPolicy,
    maxEntries: number = DEFAULT_AUDIT_ARCHIVE_MAX_ENTRIES,
  ): Promise<AuditSequenceRange | null> {
    const errors = checkAuditRetentionPolicy(policy);
    if (errors.length > 0) throw validationError(errors);
    const trail = this.#trail.forTenant(tenantId);
    const { bounds } = await this.#ledgerBounds(trail);
    const window = auditRetentionWindow(bounds, maxEntries);
    if (window === null) return null;
    const cutoffMs = auditRetentionCutoffMs(policy, this.#clock.nowMs());
    let through = window.fromSequence - 1;
    for await (const page of this.#pages(trail, window)) {
      const old = oldAuditPrefixLength(page, cutoffMs);
      through = page[old - 1]?.sequence ?? through;
      if (old < page.length) break;
    }
    return through < window.fromSequence
      ? null
      : { fromSequence: window.fromSequence, throughSequence: through };
  }

  /**
   * Records an archive of the tenant's entries and removes them from the ledger, in one transaction (the
   * store refuses a range that does not follow the previous archive or passes the head). Call only once the
   * archive file is written and its digest checked.
   * @returns how many entries were removed
   * @throws OrchestratorError `VALIDATION_FAILED` for another tenant's manifest or a range that does not
   *   follow on
   */
  async recordArchive(tenantId: string, manifest: AuditArchiveManifest): Promise<number> {
    if (manifest.tenantId !== tenantId) {
      throw validationError([{ path: 'tenantId', message: `is not ${tenantId}` }]);
    }
    return this.#trail.forTenant(tenantId).recordAuditArchive(manifest);
  }

  async #checkpoint(trail: TenantAuditTrail, sequence: number, headHash: string): Promise<AuditCheckpoint> {
    const unsigned = { tenantId: trail.tenantId, sequence, headHash, signedAt: this.#now() };
    const { keyId, signature } = await this.#signer.sign((id) =>
      checkpointSigningInput({ ...unsigned, keyId: id }),
    );
    return trail.appendAuditCheckpoint({ ...unsigned, keyId, signature });
  }

  /** Where the ledger's part of the chain starts (after the latest archive) and ends (the head). */
  async #ledgerBounds(
    trail: TenantAuditTrail,
  ): Promise<{ bounds: AuditLedgerBounds; anchor: { throughSequence: number; lastHash: string } }> {
    const archive = await trail.getLatestAuditArchive();
    const head = await trail.getAuditHead();
    const anchor = archive ?? { throughSequence: 0, lastHash: GENESIS_PREV_HASH };
    return {
      bounds: { firstSequence: anchor.throughSequence + 1, lastSequence: head?.lastSequence ?? 0 },
      anchor,
    };
  }

  /** The range asked for, its ends defaulted to the ledger's, checked; and the anchor it follows. */
  async #checkRange(
    trail: TenantAuditTrail,
    request: AuditRangeRequest,
  ): Promise<{ range: AuditSequenceRange; anchor: { throughSequence: number; lastHash: string } }> {
    const { bounds, anchor } = await this.#ledgerBounds(trail);
    const range = {
      fromSequence: request.fromSequence ?? bounds.firstSequence,
      throughSequence: request.throughSequence ?? bounds.lastSequence,
    };
    const errors = checkAuditRange(range, bounds);
    if (errors.length > 0) throw validationError(errors);
    return { range, anchor };
  }

  /** The entries of a range in pages, in sequence order; ends early where the ledger has no more. */
  async *#pages(trail: TenantAuditTrail, range: AuditSequenceRange): AsyncGenerator<AuditEntry[]> {
    let next = range.fromSequence;
    while (next <= range.throughSequence) {
      const limit = Math.min(this.#exportPageSize, range.throughSequence - next + 1);
      const read = await trail.readAuditChain({ fromSequence: next, limit });
      const page = read.filter((entry) => entry.sequence <= range.throughSequence);
      const last = page.at(-1);
      if (last === undefined) return;
      yield page;
      next = last.sequence + 1;
    }
  }

  #now(): string {
    return new Date(this.#clock.nowMs()).toISOString();
  }
}

function chainBroken(brokenAt: number, reason: string): OrchestratorError {
  return new OrchestratorError(
    'AUDIT_CHAIN_BROKEN',
    `the audit chain breaks at sequence ${brokenAt} (${reason}): nothing was signed`,
    { details: { brokenAt, reason } },
  );
}
