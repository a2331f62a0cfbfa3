import { randomUUID } from 'node:crypto';
import {
  checkAuditRecord,
  GENESIS_PREV_HASH,
  operatorEventOf,
  sealAuditEntry,
  validationError,
  type AuditEntry,
  type AuditRecord,
} from '@stella-orch/core';
import { insertAuditEntry, ledgerNowMs, lockAuditHead, type AuditEntryRow } from './queries/audit-entries.js';
import { insertOperatorEvent } from './queries/insert-event.js';
import type { SqlExecutor } from './sql-driver.js';

/**
 * Appends one entry to a tenant's audit chain inside the caller's transaction, so that it commits or rolls
 * back with the action it records: lock the head row (made on the first append), read the ledger clock,
 * seal the entry in TypeScript (`sequence` = head + 1, `prevHash` = head hash, `hash` over the rest), then
 * insert it and move the head in one statement; then the action's `operator.{action}` event (none for token
 * grants and refusals, see `operatorEventOf`). Call it after the action's own writes: every transaction
 * takes its job rows first and the head last, so appends never deadlock with each other.
 *
 * @throws OrchestratorError `VALIDATION_FAILED` for a record `checkAuditRecord` refuses
 */
export async function appendAuditEntry(
  tx: SqlExecutor,
  tenantId: string,
  record: AuditRecord,
): Promise<AuditEntry> {
  const errors = checkAuditRecord(record);
  if (errors.length > 0) throw validationError(errors);
  const head = await lockAuditHead(tx, tenantId, GENESIS_PREV_HASH);
  const entry = sealAuditEntry({
    auditId: randomUUID(),
    tenantId,
    sequence: head.last_sequence + 1,
    occurredAt: await ledgerNowMs(tx),
    ...record,
    // Exactly the fields the entry stores: the actor is hashed whole, as the ledger will give it back.
    actor: {
      subject: record.actor.subject,
      clientId: record.actor.clientId,
      scopes: [...record.actor.scopes],
    },
    prevHash: head.last_hash,
  });
  await insertAuditEntry(tx, entry);
  const event = operatorEventOf(entry);
  if (event !== null) await insertOperatorEvent(tx, event);
  return entry;
}

/** A stored entry as the port's {@link AuditEntry}: absent optional fields (SQL NULL) are left out. */
export function mapAuditEntry(row: AuditEntryRow): AuditEntry {
  return {
    auditId: row.audit_id,
    tenantId: row.tenant_id,
    sequence: row.sequence,
    occurredAt: (row.occurred_at instanceof Date ? row.occurred_at : new Date(row.occurred_at)).toISOString(),
    actor: row.actor,
    action: row.action,
    resourceType: row.resource_type,
    resourceId: row.resource_id,
    ...(row.before === null ? {} : { before: row.before }),
    ...(row.after === null ? {} : { after: row.after }),
    ...(row.reason === null ? {} : { reason: row.reason }),
    ...(row.ticket === null ? {} : { ticket: row.ticket }),
    ...(row.request_reason === null ? {} : { requestReason: row.request_reason }),
    ...(row.request_ticket === null ? {} : { requestTicket: row.request_ticket }),
    correlationId: row.correlation_id,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
