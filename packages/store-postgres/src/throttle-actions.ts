import { randomUUID } from 'node:crypto';
import {
  checkThrottleExpiry,
  OrchestratorError,
  throttleAuditRecord,
  throttleExpiryMs,
  validationError,
  type NewThrottle,
  type ThrottleChangeContext,
  type ThrottleView,
} from '@stella-orch/core';
import { appendAuditEntry } from './audit-append.js';
import { ledgerNowMillis } from './queries/ledger-clock.js';
import { getSource } from './queries/sources.js';
import {
  getThrottle,
  getThrottleByIdempotencyKey,
  insertThrottle,
  revokeThrottle,
  type ThrottleRow,
} from './queries/throttles.js';
import { sourceNotFound } from './source-actions.js';
import type { SqlExecutor } from './sql-driver.js';
import { mapThrottle } from './throttle-rows.js';

/** The `THROTTLE_NOT_FOUND` answer. */
export function throttleNotFound(throttleId: string): OrchestratorError {
  return new OrchestratorError('THROTTLE_NOT_FOUND', `throttle ${throttleId} does not exist`, {
    details: { throttleId },
  });
}

/** The throttle an idempotency key made, when this is a repeat of its request; `null` for a fresh key. */
function replayOf(earlier: ThrottleRow | null, throttle: NewThrottle): ThrottleView | null {
  if (earlier === null) return null;
  if (earlier.request_digest === throttle.requestDigest) return mapThrottle(earlier);
  throw new OrchestratorError(
    'IDEMPOTENCY_CONFLICT',
    `idempotency key ${throttle.idempotencyKey ?? ''} was already used for another request (throttle ${earlier.throttle_id})`,
    { details: { idempotencyKey: throttle.idempotencyKey, throttleId: earlier.throttle_id } },
  );
}

/**
 * Creates a throttle and writes its `throttle.create` audit entry inside the caller's transaction. An
 * idempotent repeat (same key, same request) returns the throttle it made, even once it has ended, and
 * writes nothing. The end is checked against the database clock; the source, when named, must be
 * registered for the tenant, and stays locked (FOR SHARE) until the transaction ends.
 *
 * @throws OrchestratorError `SOURCE_NOT_FOUND`, `IDEMPOTENCY_CONFLICT`, `VALIDATION_FAILED` (an end in the
 *   past or more than 30 days away)
 */
export async function createThrottleAudited(
  tx: SqlExecutor,
  tenantId: string,
  params: { readonly throttle: NewThrottle } & ThrottleChangeContext,
): Promise<{ throttle: ThrottleView; created: boolean }> {
  const { throttle } = params;
  const key = throttle.idempotencyKey;
  const repeat = replayOf(
    key === null ? null : await getThrottleByIdempotencyKey(tx, tenantId, key),
    throttle,
  );
  if (repeat !== null) return { throttle: repeat, created: false };
  const nowMs = await ledgerNowMillis(tx);
  const expiresAtMs = throttleExpiryMs(throttle, nowMs);
  const expiryErrors = checkThrottleExpiry(expiresAtMs, nowMs);
  if (expiryErrors.length > 0) throw validationError(expiryErrors);
  const sourceId = throttle.sourceId ?? null;
  if (sourceId !== null && (await getSource(tx, tenantId, sourceId, { share: true })) === null) {
    throw sourceNotFound(sourceId);
  }
  const row = await insertThrottle(tx, {
    tenantId,
    throttleId: randomUUID(),
    sourceId,
    jobType: throttle.jobType ?? null,
    pause: throttle.pause ?? false,
    maxPerSecond: throttle.maxPerSecond ?? null,
    maxConcurrent: throttle.maxConcurrent ?? null,
    reason: params.reason,
    ticket: params.ticket,
    expiresAt: new Date(expiresAtMs).toISOString(),
    idempotencyKey: key,
    requestDigest: throttle.requestDigest,
    createdBy: params.actor.subject,
  });
  if (row === null) {
    // Another request with the same key committed first.
    const again = replayOf(
      key === null ? null : await getThrottleByIdempotencyKey(tx, tenantId, key),
      throttle,
    );
    if (again === null)
      throw new OrchestratorError('INTERNAL', 'the throttle was neither inserted nor found');
    return { throttle: again, created: false };
  }
  const created = mapThrottle(row);
  await appendAuditEntry(
    tx,
    tenantId,
    throttleAuditRecord({
      action: 'throttle.create',
      actor: params.actor,
      before: null,
      after: created,
      audit: params.audit,
    }),
  );
  return { throttle: created, created: true };
}

/**
 * Revokes a throttle in force and writes its `throttle.revoke` audit entry inside the caller's
 * transaction; a revoked or expired throttle is returned as it is, and nothing is written.
 *
 * @throws OrchestratorError `THROTTLE_NOT_FOUND`
 */
export async function revokeThrottleAudited(
  tx: SqlExecutor,
  tenantId: string,
  params: { readonly throttleId: string; readonly revokeReason: string | null } & ThrottleChangeContext,
): Promise<{ throttle: ThrottleView; changed: boolean }> {
  const row = await getThrottle(tx, tenantId, params.throttleId, { lock: true });
  if (row === null) throw throttleNotFound(params.throttleId);
  const before = mapThrottle(row);
  if (!before.active) return { throttle: before, changed: false };
  const revoked = await revokeThrottle(
    tx,
    tenantId,
    before.throttleId,
    params.actor.subject,
    params.revokeReason,
  );
  if (revoked === null) throw throttleNotFound(params.throttleId);
  const after = mapThrottle(revoked);
  await appendAuditEntry(
    tx,
    tenantId,
    throttleAuditRecord({
      action: 'throttle.revoke',
      actor: params.actor,
      before,
      after,
      audit: params.audit,
    }),
  );
  return { throttle: after, changed: true };
}
