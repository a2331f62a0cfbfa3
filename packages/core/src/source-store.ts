import type { AuditMetadata } from './audit-entry.js';
import type { Actor, Page } from './job.js';
import type { Source } from './source.js';
import type { SourcePatch, SourcePause, SourceRegistration } from './source-validation.js';

/** Who acts on a source and why: recorded in the audit entry written with the change. */
export interface SourceChangeContext {
  readonly actor: Actor;
  readonly audit?: AuditMetadata | undefined;
}

/** A registration as the ledger writes it: validated, with its idempotency key and request digest. */
export interface NewSource extends SourceRegistration {
  readonly idempotencyKey: string | null;
  readonly requestDigest: string;
}

/** Filters and page of a source listing. Order: registration order (oldest first). */
export interface ListSourcesQuery {
  readonly sourceType?: string;
  readonly enabled?: boolean;
  readonly paused?: boolean;
  readonly pageSize: number;
  readonly pageToken?: string;
}

/** A state change of a source: `pause` carries its reason. */
export type SourceStateChange =
  | { readonly action: 'enable' | 'disable' | 'resume' }
  | { readonly action: 'pause'; readonly pause: SourcePause };

/** What a change did: the source after it, and whether anything changed (a repeat changes nothing). */
export interface SourceChangeResult {
  readonly source: Source;
  readonly changed: boolean;
}

/**
 * The sources of one tenant. Every change appends its `source.*` audit entry (and so its `operator.source.*`
 * event) in the transaction of the change; a refused change, or one that changes nothing, writes none.
 * Pausing or disabling a source holds its unfinished jobs (the lease skips them); resuming and enabling
 * releases them once the source is both enabled and not paused.
 */
export interface TenantSourceStore {
  readonly tenantId: string;
  /**
   * Registers a source; the same idempotency key with the same registration returns the source it made
   * (`created: false`).
   * @throws OrchestratorError `SOURCE_EXISTS`, `IDEMPOTENCY_CONFLICT`, `VALIDATION_FAILED`
   */
  registerSource(params: { readonly source: NewSource } & SourceChangeContext): Promise<{
    readonly source: Source;
    readonly created: boolean;
  }>;
  getSource(sourceId: string): Promise<Source | null>;
  /** @throws OrchestratorError `INVALID_CURSOR` */
  listSources(query: ListSourcesQuery): Promise<Page<Source>>;
  /**
   * Changes the descriptive fields, the type or the rate limit. With `expectedVersion`, refused unless the
   * source is at that version.
   * @throws OrchestratorError `SOURCE_NOT_FOUND`, `SOURCE_VERSION_MISMATCH`, `VALIDATION_FAILED`
   */
  updateSource(
    params: {
      readonly sourceId: string;
      readonly patch: SourcePatch;
      readonly expectedVersion?: number | undefined;
    } & SourceChangeContext,
  ): Promise<SourceChangeResult>;
  /**
   * Enables, disables, pauses or resumes a source. A repeat (pausing a paused source…) changes nothing and
   * records nothing; a paused source keeps its first reason.
   * @throws OrchestratorError `SOURCE_NOT_FOUND`, `VALIDATION_FAILED`
   */
  changeSourceState(
    params: { readonly sourceId: string; readonly change: SourceStateChange } & SourceChangeContext,
  ): Promise<SourceChangeResult>;
}

/** The source registry port. */
export interface SourceStore {
  /** The sources of one tenant. */
  forTenant(tenantId: string): TenantSourceStore;
}
