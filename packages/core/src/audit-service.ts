import { AUDIT_VERIFY_PAGE_SIZE, verifyAuditTrail, type AuditTrailVerification } from './audit-chain.js';
import type { AuditEntry } from './audit-entry.js';
import type { AuditTrail, ListAuditEntriesQuery } from './audit-trail.js';
import { MAX_PAGE_SIZE } from './cursor.js';
import { OrchestratorError, validationError } from './errors.js';
import type { Page } from './job.js';
import type { RequestContext } from './request-context.js';

/** The application service of the audit trail: queries and verification, always in the caller's tenant. */
export class AuditService {
  readonly #trail: AuditTrail;
  readonly #verifyPageSize: number;

  /**
   * @param deps - the audit trail port
   * @param options - entries read per page while verifying (default 500)
   */
  constructor(deps: { readonly trail: AuditTrail }, options: { readonly verifyPageSize?: number } = {}) {
    this.#trail = deps.trail;
    this.#verifyPageSize = options.verifyPageSize ?? AUDIT_VERIFY_PAGE_SIZE;
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

  /** Recomputes the caller's tenant's whole chain, a page at a time, and compares its end with the head. */
  async verifyAuditTrail(ctx: RequestContext): Promise<AuditTrailVerification> {
    return verifyAuditTrail(this.#trail.forTenant(ctx.tenantId), this.#verifyPageSize);
  }
}
