import {
  OrchestratorError,
  sourceAuditRecord,
  type NewSource,
  type Source,
  type SourceChangeContext,
  type SourceChangeResult,
  type SourcePatch,
  type SourceStateChange,
} from '@stella-orch/core';
import { appendAuditEntry } from './audit-append.js';
import {
  getSource,
  getSourceByIdempotencyKey,
  insertSource,
  setSourceJobsHeld,
  updateSource,
  type SourceState,
} from './queries/sources.js';
import { holdsJobs, mapSource, stateOf } from './source-rows.js';
import type { SqlExecutor } from './sql-driver.js';

/** The `SOURCE_NOT_FOUND` answer. */
export function sourceNotFound(sourceId: string): OrchestratorError {
  return new OrchestratorError('SOURCE_NOT_FOUND', `source ${sourceId} does not exist`, {
    details: { sourceId },
  });
}

/**
 * Registers a source and writes its `source.register` audit entry inside the caller's transaction; an
 * idempotent repeat (same key, same registration) returns the source and writes nothing.
 *
 * @throws OrchestratorError `SOURCE_EXISTS`, `IDEMPOTENCY_CONFLICT`
 */
export async function registerSourceAudited(
  tx: SqlExecutor,
  tenantId: string,
  params: { readonly source: NewSource } & SourceChangeContext,
): Promise<{ source: Source; created: boolean }> {
  const { source } = params;
  const row = await insertSource(tx, {
    tenantId,
    sourceId: source.sourceId,
    sourceType: source.sourceType,
    displayName: source.displayName ?? null,
    description: source.description ?? null,
    rateLimitBurst: source.rateLimit?.burst ?? null,
    rateLimitRefillPerSecond: source.rateLimit?.refillPerSecond ?? null,
    maxConcurrent: source.maxConcurrent ?? null,
    idempotencyKey: source.idempotencyKey,
    requestDigest: source.requestDigest,
    createdBy: params.actor.subject,
  });
  if (row !== null) {
    const created = mapSource(row);
    await appendAuditEntry(
      tx,
      tenantId,
      sourceAuditRecord({
        action: 'source.register',
        actor: params.actor,
        before: null,
        after: created,
        audit: params.audit,
      }),
    );
    return { source: created, created: true };
  }
  const earlier =
    source.idempotencyKey === null
      ? null
      : await getSourceByIdempotencyKey(tx, tenantId, source.idempotencyKey);
  if (earlier !== null) {
    if (earlier.request_digest === source.requestDigest)
      return { source: mapSource(earlier), created: false };
    throw new OrchestratorError(
      'IDEMPOTENCY_CONFLICT',
      `idempotency key ${source.idempotencyKey ?? ''} was already used for another request (source ${earlier.source_id})`,
      { details: { idempotencyKey: source.idempotencyKey, sourceId: earlier.source_id } },
    );
  }
  throw new OrchestratorError('SOURCE_EXISTS', `source ${source.sourceId} is registered already`, {
    details: { sourceId: source.sourceId },
  });
}

function patched(state: SourceState, patch: SourcePatch): SourceState {
  return {
    ...state,
    ...(patch.sourceType === undefined ? {} : { sourceType: patch.sourceType }),
    ...(patch.displayName === undefined ? {} : { displayName: patch.displayName }),
    ...(patch.description === undefined ? {} : { description: patch.description }),
    ...(patch.rateLimit === undefined
      ? {}
      : {
          rateLimitBurst: patch.rateLimit?.burst ?? null,
          rateLimitRefillPerSecond: patch.rateLimit?.refillPerSecond ?? null,
        }),
    ...(patch.maxConcurrent === undefined ? {} : { maxConcurrent: patch.maxConcurrent }),
  };
}

function changedState(
  current: Source,
  change: SourceStateChange,
  actor: SourceChangeContext['actor'],
): SourceState {
  const state = stateOf(current);
  switch (change.action) {
    case 'enable':
      return { ...state, enabled: true };
    case 'disable':
      return { ...state, enabled: false };
    case 'resume':
      return { ...state, paused: false, pauseReason: null, pauseTicket: null, pausedBy: null };
    case 'pause':
      // A paused source keeps its first reason: a repeat changes nothing.
      return current.paused
        ? state
        : {
            ...state,
            paused: true,
            pauseReason: change.pause.reason,
            pauseTicket: change.pause.ticket ?? null,
            pausedBy: actor.subject,
          };
  }
}

function sameState(a: SourceState, b: SourceState): boolean {
  return (Object.keys(a) as (keyof SourceState)[]).every((key) => a[key] === b[key]);
}

/** What an audited change did, and whether held jobs were released (workers should be woken). */
export interface SourceActionOutcome extends SourceChangeResult {
  readonly released: boolean;
}

async function writeChange(
  tx: SqlExecutor,
  tenantId: string,
  params: SourceChangeContext & { readonly action: Parameters<typeof sourceAuditRecord>[0]['action'] },
  before: Source,
  next: SourceState,
): Promise<SourceActionOutcome> {
  if (sameState(stateOf(before), next)) return { source: before, changed: false, released: false };
  const row = await updateSource(tx, tenantId, before.sourceId, next, params.actor.subject);
  if (row === null) throw sourceNotFound(before.sourceId);
  const after = mapSource(row);
  const wasHolding = holdsJobs(stateOf(before));
  const holding = holdsJobs(next);
  if (wasHolding !== holding) await setSourceJobsHeld(tx, tenantId, before.sourceId, holding);
  await appendAuditEntry(
    tx,
    tenantId,
    sourceAuditRecord({ action: params.action, actor: params.actor, before, after, audit: params.audit }),
  );
  return { source: after, changed: true, released: wasHolding && !holding };
}

async function lockedSource(tx: SqlExecutor, tenantId: string, sourceId: string): Promise<Source> {
  const row = await getSource(tx, tenantId, sourceId, { lock: true });
  if (row === null) throw sourceNotFound(sourceId);
  return mapSource(row);
}

/**
 * Updates a source's type, descriptive fields, rate limit or concurrency limit and writes its `source.update` audit entry
 * inside the caller's transaction; an update that changes nothing writes nothing.
 *
 * @throws OrchestratorError `SOURCE_NOT_FOUND`, `SOURCE_VERSION_MISMATCH`
 */
export async function updateSourceAudited(
  tx: SqlExecutor,
  tenantId: string,
  params: {
    readonly sourceId: string;
    readonly patch: SourcePatch;
    readonly expectedVersion?: number | undefined;
  } & SourceChangeContext,
): Promise<SourceActionOutcome> {
  const before = await lockedSource(tx, tenantId, params.sourceId);
  if (params.expectedVersion !== undefined && params.expectedVersion !== before.version) {
    throw new OrchestratorError(
      'SOURCE_VERSION_MISMATCH',
      `source ${before.sourceId} is at version ${before.version}, not ${params.expectedVersion}`,
      {
        details: {
          sourceId: before.sourceId,
          expectedVersion: params.expectedVersion,
          currentVersion: before.version,
        },
      },
    );
  }
  return writeChange(
    tx,
    tenantId,
    { ...params, action: 'source.update' },
    before,
    patched(stateOf(before), params.patch),
  );
}

/**
 * Enables, disables, pauses or resumes a source inside the caller's transaction: the source row, the hold
 * of its unfinished jobs and the `source.{action}` audit entry change together; a repeat writes nothing.
 *
 * @throws OrchestratorError `SOURCE_NOT_FOUND`
 */
export async function changeSourceStateAudited(
  tx: SqlExecutor,
  tenantId: string,
  params: { readonly sourceId: string; readonly change: SourceStateChange } & SourceChangeContext,
): Promise<SourceActionOutcome> {
  const before = await lockedSource(tx, tenantId, params.sourceId);
  return writeChange(
    tx,
    tenantId,
    { ...params, action: `source.${params.change.action}` },
    before,
    changedState(before, params.change, params.actor),
  );
}
