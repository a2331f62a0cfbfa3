import { randomUUID } from 'node:crypto';
import {
  OrchestratorError,
  quotaAuditRecord,
  type NewQuota,
  type Quota,
  type QuotaAuditAction,
  type QuotaChangeContext,
  type QuotaChangeResult,
  type QuotaLimits,
  type QuotaStateChange,
} from '@stella-orch/core';
import { appendAuditEntry } from './audit-append.js';
import {
  deleteQuota,
  getQuota,
  getQuotaByIdempotencyKey,
  getQuotaByScope,
  insertQuota,
  updateQuota,
  type QuotaState,
} from './queries/quotas.js';
import { mapQuota, quotaStateOf } from './quota-rows.js';
import type { SqlExecutor } from './sql-driver.js';

/** The `QUOTA_NOT_FOUND` answer. */
export function quotaNotFound(quotaId: string): OrchestratorError {
  return new OrchestratorError('QUOTA_NOT_FOUND', `quota ${quotaId} does not exist`, {
    details: { quotaId },
  });
}

/**
 * Creates a quota and writes its `quota.create` audit entry inside the caller's transaction; an idempotent
 * repeat (same key, same request) returns the quota and writes nothing.
 *
 * @throws OrchestratorError `QUOTA_EXISTS` (`details.quotaId` names the quota of that scope),
 *   `IDEMPOTENCY_CONFLICT`
 */
export async function createQuotaAudited(
  tx: SqlExecutor,
  tenantId: string,
  params: { readonly quota: NewQuota } & QuotaChangeContext,
): Promise<{ quota: Quota; created: boolean }> {
  const { quota } = params;
  const jobType = quota.jobType ?? null;
  const row = await insertQuota(tx, {
    tenantId,
    quotaId: randomUUID(),
    jobType,
    maxActive: quota.maxActive ?? null,
    maxPerHour: quota.maxPerHour ?? null,
    burst: quota.burst ?? null,
    reason: params.reason,
    ticket: params.ticket,
    idempotencyKey: quota.idempotencyKey,
    requestDigest: quota.requestDigest,
    createdBy: params.actor.subject,
  });
  if (row !== null) {
    const created = mapQuota(row);
    await appendAuditEntry(
      tx,
      tenantId,
      quotaAuditRecord({
        action: 'quota.create',
        actor: params.actor,
        before: null,
        after: created,
        audit: params.audit,
      }),
    );
    return { quota: created, created: true };
  }
  const earlier =
    quota.idempotencyKey === null ? null : await getQuotaByIdempotencyKey(tx, tenantId, quota.idempotencyKey);
  if (earlier !== null) {
    if (earlier.request_digest === quota.requestDigest) return { quota: mapQuota(earlier), created: false };
    throw new OrchestratorError(
      'IDEMPOTENCY_CONFLICT',
      `idempotency key ${quota.idempotencyKey ?? ''} was already used for another request (quota ${earlier.quota_id})`,
      { details: { idempotencyKey: quota.idempotencyKey, quotaId: earlier.quota_id } },
    );
  }
  const existing = await getQuotaByScope(tx, tenantId, jobType);
  throw new OrchestratorError(
    'QUOTA_EXISTS',
    jobType === null
      ? 'the tenant has a tenant-wide quota already'
      : `the tenant has a quota for job type ${jobType} already`,
    { details: { jobType, quotaId: existing?.quota_id ?? null } },
  );
}

/** The state after a change: the new state with the why of this change (kept only if anything changes). */
function withWhy(state: QuotaState, ctx: QuotaChangeContext): QuotaState {
  return { ...state, reason: ctx.reason, ticket: ctx.ticket };
}

function sameLimitsAndPause(a: QuotaState, b: QuotaState): boolean {
  const keys = [
    'maxActive',
    'maxPerHour',
    'burst',
    'paused',
    'pauseReason',
    'pauseTicket',
    'pausedBy',
  ] as const;
  return keys.every((key) => a[key] === b[key]);
}

/** What an audited change did, and whether it may let more work through (workers should be woken). */
export interface QuotaActionOutcome extends QuotaChangeResult {
  readonly loosened: boolean;
}

async function writeChange(
  tx: SqlExecutor,
  tenantId: string,
  params: QuotaChangeContext & { readonly action: QuotaAuditAction },
  before: Quota,
  next: QuotaState,
): Promise<QuotaActionOutcome> {
  // A change that changes nothing writes nothing, whatever its reason.
  if (sameLimitsAndPause(quotaStateOf(before), next))
    return { quota: before, changed: false, loosened: false };
  const row = await updateQuota(tx, tenantId, before.quotaId, withWhy(next, params), params.actor.subject);
  if (row === null) throw quotaNotFound(before.quotaId);
  const after = mapQuota(row);
  await appendAuditEntry(
    tx,
    tenantId,
    quotaAuditRecord({ action: params.action, actor: params.actor, before, after, audit: params.audit }),
  );
  // A resume, or new limits (which may be higher): a waiting lease call should look again.
  return { quota: after, changed: true, loosened: !after.paused };
}

async function lockedQuota(
  tx: SqlExecutor,
  tenantId: string,
  quotaId: string,
  expectedVersion?: number,
): Promise<Quota> {
  const row = await getQuota(tx, tenantId, quotaId, { lock: true });
  if (row === null) throw quotaNotFound(quotaId);
  const quota = mapQuota(row);
  if (expectedVersion !== undefined && expectedVersion !== quota.version) {
    throw new OrchestratorError(
      'QUOTA_VERSION_MISMATCH',
      `quota ${quota.quotaId} is at version ${quota.version}, not ${expectedVersion}`,
      { details: { quotaId: quota.quotaId, expectedVersion, currentVersion: quota.version } },
    );
  }
  return quota;
}

/**
 * Replaces a quota's limits and writes its `quota.update` audit entry inside the caller's transaction; new
 * limits equal to the current ones write nothing.
 *
 * @throws OrchestratorError `QUOTA_NOT_FOUND`, `QUOTA_VERSION_MISMATCH`
 */
export async function updateQuotaAudited(
  tx: SqlExecutor,
  tenantId: string,
  params: {
    readonly quotaId: string;
    readonly limits: QuotaLimits;
    readonly expectedVersion?: number | undefined;
  } & QuotaChangeContext,
): Promise<QuotaActionOutcome> {
  const before = await lockedQuota(tx, tenantId, params.quotaId, params.expectedVersion);
  const next: QuotaState = {
    ...quotaStateOf(before),
    maxActive: params.limits.maxActive ?? null,
    maxPerHour: params.limits.maxPerHour ?? null,
    burst: params.limits.burst ?? null,
  };
  return writeChange(tx, tenantId, { ...params, action: 'quota.update' }, before, next);
}

/**
 * Deletes a quota and writes its `quota.delete` audit entry (the quota before, no after) inside the
 * caller's transaction. Its bucket's `orch.limit_state` row stays: the lease grant owns it, and a quota
 * made again for the scope finds it capped at its own capacity.
 *
 * @throws OrchestratorError `QUOTA_NOT_FOUND`, `QUOTA_VERSION_MISMATCH`
 */
export async function deleteQuotaAudited(
  tx: SqlExecutor,
  tenantId: string,
  params: { readonly quotaId: string; readonly expectedVersion?: number | undefined } & QuotaChangeContext,
): Promise<Quota> {
  const before = await lockedQuota(tx, tenantId, params.quotaId, params.expectedVersion);
  await deleteQuota(tx, tenantId, before.quotaId);
  await appendAuditEntry(
    tx,
    tenantId,
    quotaAuditRecord({
      action: 'quota.delete',
      actor: params.actor,
      before,
      after: null,
      audit: params.audit,
    }),
  );
  return before;
}

function changedState(current: Quota, change: QuotaStateChange, ctx: QuotaChangeContext): QuotaState {
  const state = quotaStateOf(current);
  switch (change.action) {
    case 'resume':
      return { ...state, paused: false, pauseReason: null, pauseTicket: null, pausedBy: null };
    case 'pause':
      // A paused quota keeps its first reason: a repeat changes nothing.
      return current.paused
        ? state
        : {
            ...state,
            paused: true,
            pauseReason: change.pause.reason,
            pauseTicket: change.pause.ticket ?? null,
            pausedBy: ctx.actor.subject,
          };
  }
}

/**
 * Pauses or resumes a quota inside the caller's transaction: the quota row and its `quota.{action}` audit
 * entry change together; a repeat writes nothing.
 *
 * @throws OrchestratorError `QUOTA_NOT_FOUND`
 */
export async function changeQuotaStateAudited(
  tx: SqlExecutor,
  tenantId: string,
  params: { readonly quotaId: string; readonly change: QuotaStateChange } & QuotaChangeContext,
): Promise<QuotaActionOutcome> {
  const before = await lockedQuota(tx, tenantId, params.quotaId);
  return writeChange(
    tx,
    tenantId,
    { ...params, action: `quota.${params.change.action}` },
    before,
    changedState(before, params.change, params),
  );
}
