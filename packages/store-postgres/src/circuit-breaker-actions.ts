import { randomUUID } from 'node:crypto';
import {
  circuitAuditRecord,
  circuitBreakerSettingsOf,
  circuitResetEvent,
  OrchestratorError,
  type CircuitBreaker,
  type CircuitBreakerChangeContext,
  type CircuitBreakerChangeResult,
  type CircuitBreakerSettingsPatch,
  type CircuitBreakerView,
  type NewCircuitBreaker,
} from '@stella-orch/core';
import { appendAuditEntry } from './audit-append.js';
import { mapCircuitBreaker } from './circuit-breaker-rows.js';
import {
  deleteBreaker,
  getBreaker,
  getBreakerByIdempotencyKey,
  getBreakerByScope,
  insertBreaker,
  resetBreaker,
  updateBreakerSettings,
  type CircuitBreakerRow,
} from './queries/circuit-breakers.js';
import { insertOperatorEvent } from './queries/insert-event.js';
import { getSource } from './queries/sources.js';
import { sourceNotFound } from './source-actions.js';
import type { SqlExecutor } from './sql-driver.js';

/** The `CIRCUIT_BREAKER_NOT_FOUND` answer. */
export function circuitBreakerNotFound(breakerId: string): OrchestratorError {
  return new OrchestratorError('CIRCUIT_BREAKER_NOT_FOUND', `circuit breaker ${breakerId} does not exist`, {
    details: { breakerId },
  });
}

/** The breaker an idempotency key made, when this is a repeat of its request; `null` for a fresh key. */
function replayOf(earlier: CircuitBreakerRow | null, breaker: NewCircuitBreaker): CircuitBreakerView | null {
  if (earlier === null) return null;
  if (earlier.request_digest === breaker.requestDigest) return mapCircuitBreaker(earlier);
  throw new OrchestratorError(
    'IDEMPOTENCY_CONFLICT',
    `idempotency key ${breaker.idempotencyKey ?? ''} was already used for another request (circuit breaker ${earlier.breaker_id})`,
    { details: { idempotencyKey: breaker.idempotencyKey, breakerId: earlier.breaker_id } },
  );
}

/**
 * Creates a closed breaker and writes its `circuit_breaker.create` audit entry inside the caller's
 * transaction. An idempotent repeat (same key, same request) returns the breaker it made and writes
 * nothing. A source, when named, must be registered for the tenant, and stays locked (FOR SHARE) until the
 * transaction ends.
 *
 * @throws OrchestratorError `CIRCUIT_BREAKER_EXISTS` (`details.breakerId` names the breaker of that scope),
 *   `SOURCE_NOT_FOUND`, `IDEMPOTENCY_CONFLICT`
 */
export async function createBreakerAudited(
  tx: SqlExecutor,
  tenantId: string,
  params: { readonly breaker: NewCircuitBreaker } & CircuitBreakerChangeContext,
): Promise<{ breaker: CircuitBreakerView; created: boolean }> {
  const { breaker } = params;
  const key = breaker.idempotencyKey;
  const repeat = replayOf(key === null ? null : await getBreakerByIdempotencyKey(tx, tenantId, key), breaker);
  if (repeat !== null) return { breaker: repeat, created: false };
  const sourceId = breaker.sourceId ?? null;
  const jobType = breaker.jobType ?? null;
  if (sourceId !== null && (await getSource(tx, tenantId, sourceId, { share: true })) === null) {
    throw sourceNotFound(sourceId);
  }
  const row = await insertBreaker(tx, {
    tenantId,
    breakerId: randomUUID(),
    sourceId,
    jobType,
    settings: circuitBreakerSettingsOf(breaker),
    idempotencyKey: key,
    requestDigest: breaker.requestDigest,
    createdBy: params.actor.subject,
  });
  if (row === null) {
    // Another request with the same key committed first, or the scope has a breaker.
    const again = replayOf(
      key === null ? null : await getBreakerByIdempotencyKey(tx, tenantId, key),
      breaker,
    );
    if (again !== null) return { breaker: again, created: false };
    const existing = await getBreakerByScope(tx, tenantId, { sourceId, jobType });
    throw new OrchestratorError(
      'CIRCUIT_BREAKER_EXISTS',
      sourceId === null
        ? `the tenant has a circuit breaker on job type ${jobType ?? ''} already`
        : `the tenant has a circuit breaker on source ${sourceId} already`,
      { details: { sourceId, jobType, breakerId: existing?.breaker_id ?? null } },
    );
  }
  const created = mapCircuitBreaker(row);
  await appendAuditEntry(
    tx,
    tenantId,
    circuitAuditRecord({
      action: 'circuit_breaker.create',
      actor: params.actor,
      before: null,
      after: created,
      audit: params.audit,
    }),
  );
  return { breaker: created, created: true };
}

/** What an audited change did, and whether it may let more work through (workers should be woken). */
export interface CircuitBreakerActionOutcome extends CircuitBreakerChangeResult {
  readonly loosened: boolean;
}

async function lockedBreaker(
  tx: SqlExecutor,
  tenantId: string,
  breakerId: string,
  expectedVersion?: number,
): Promise<CircuitBreakerView> {
  const row = await getBreaker(tx, tenantId, breakerId, { lock: true });
  if (row === null) throw circuitBreakerNotFound(breakerId);
  const breaker = mapCircuitBreaker(row);
  if (expectedVersion !== undefined && expectedVersion !== breaker.version) {
    throw new OrchestratorError(
      'CIRCUIT_BREAKER_VERSION_MISMATCH',
      `circuit breaker ${breaker.breakerId} is at version ${breaker.version}, not ${expectedVersion}`,
      { details: { breakerId: breaker.breakerId, expectedVersion, currentVersion: breaker.version } },
    );
  }
  return breaker;
}

/**
 * Changes a breaker's settings (those given; the others stay) and writes its `circuit_breaker.update` audit
 * entry inside the caller's transaction; settings equal to the current ones write nothing.
 *
 * @throws OrchestratorError `CIRCUIT_BREAKER_NOT_FOUND`, `CIRCUIT_BREAKER_VERSION_MISMATCH`
 */
export async function updateBreakerAudited(
  tx: SqlExecutor,
  tenantId: string,
  params: {
    readonly breakerId: string;
    readonly settings: CircuitBreakerSettingsPatch;
    readonly expectedVersion?: number | undefined;
  } & CircuitBreakerChangeContext,
): Promise<CircuitBreakerActionOutcome> {
  const before = await lockedBreaker(tx, tenantId, params.breakerId, params.expectedVersion);
  const next = circuitBreakerSettingsOf(params.settings, before);
  const current = circuitBreakerSettingsOf({}, before);
  if ((Object.keys(next) as (keyof typeof next)[]).every((name) => next[name] === current[name])) {
    return { breaker: before, changed: false, loosened: false };
  }
  const row = await updateBreakerSettings(tx, tenantId, before.breakerId, next, params.actor.subject);
  if (row === null) throw circuitBreakerNotFound(before.breakerId);
  const after = mapCircuitBreaker(row);
  await appendAuditEntry(
    tx,
    tenantId,
    circuitAuditRecord({
      action: 'circuit_breaker.update',
      actor: params.actor,
      before,
      after,
      audit: params.audit,
    }),
  );
  // More probes of a half-open breaker let more through at once: a waiting lease call should look again.
  return { breaker: after, changed: true, loosened: after.probeLeases > before.probeLeases };
}

/**
 * Deletes a breaker (its outcome buckets with it) and writes its `circuit_breaker.delete` audit entry (the
 * breaker before, no after) inside the caller's transaction. Its lock row in `orch.limit_state` stays: the
 * lease grant owns it.
 *
 * @throws OrchestratorError `CIRCUIT_BREAKER_NOT_FOUND`, `CIRCUIT_BREAKER_VERSION_MISMATCH`
 */
export async function deleteBreakerAudited(
  tx: SqlExecutor,
  tenantId: string,
  params: {
    readonly breakerId: string;
    readonly expectedVersion?: number | undefined;
  } & CircuitBreakerChangeContext,
): Promise<{ readonly breaker: CircuitBreaker; readonly loosened: boolean }> {
  const before = await lockedBreaker(tx, tenantId, params.breakerId, params.expectedVersion);
  await deleteBreaker(tx, tenantId, before.breakerId);
  await appendAuditEntry(
    tx,
    tenantId,
    circuitAuditRecord({
      action: 'circuit_breaker.delete',
      actor: params.actor,
      before,
      after: null,
      audit: params.audit,
    }),
  );
  // An open or half-open breaker no longer holds its scope.
  return { breaker: before, loosened: before.state !== 'closed' };
}

/**
 * Resets an open or half-open breaker to closed inside the caller's transaction: the breaker row (its window
 * emptied), its `circuit_breaker.reset` audit entry and its `circuit.closed` event change together. A closed
 * breaker is returned as it is, and nothing is written.
 *
 * @throws OrchestratorError `CIRCUIT_BREAKER_NOT_FOUND`
 */
export async function resetBreakerAudited(
  tx: SqlExecutor,
  tenantId: string,
  params: { readonly breakerId: string } & CircuitBreakerChangeContext,
): Promise<CircuitBreakerActionOutcome> {
  const before = await lockedBreaker(tx, tenantId, params.breakerId);
  if (before.state === 'closed') return { breaker: before, changed: false, loosened: false };
  const row = await resetBreaker(tx, tenantId, before.breakerId, params.actor.subject);
  if (row === null) throw circuitBreakerNotFound(before.breakerId);
  const after = mapCircuitBreaker(row);
  await appendAuditEntry(
    tx,
    tenantId,
    circuitAuditRecord({
      action: 'circuit_breaker.reset',
      actor: params.actor,
      before,
      after,
      audit: params.audit,
    }),
  );
  // After the operator's event: the state change it made, as the evaluator's transitions are written.
  await insertOperatorEvent(tx, circuitResetEvent(before, params.actor, params.audit));
  return { breaker: after, changed: true, loosened: true };
}
