import { OrchestratorError, type AuditEntry, type AuditState } from '@stella-orch/core';
import type { SqlExecutor } from '../sql-driver.js';

const AUDIT_COLUMNS = `e.tenant_id, e.sequence::float8 AS sequence, e.audit_id::text AS audit_id, e.occurred_at,
  e.actor, e.action, e.resource_type, e.resource_id, e.before, e.after, e.reason, e.ticket, e.request_reason,
  e.request_ticket, e.correlation_id, e.prev_hash, e.hash`;

// The head row, locked until the transaction ends: every append of the tenant waits here, so sequences
// are taken one after another and each entry chains to the one committed before it.
const LOCK_HEAD = `
SELECT h.last_sequence::float8 AS last_sequence, h.last_hash
FROM orch.audit_heads h
WHERE h.tenant_id = $1
FOR UPDATE`;

// The first append of a tenant makes its head; a concurrent first append waits on the key, then finds it.
const CREATE_HEAD = `
INSERT INTO orch.audit_heads (tenant_id, last_sequence, last_hash)
VALUES ($1, 0, $2)
ON CONFLICT (tenant_id) DO NOTHING`;

// Read after the lock is held, so that occurred_at never runs backwards along the chain; truncated to the
// millisecond because that is what the hash covers.
const LEDGER_NOW = `
SELECT to_char(date_trunc('milliseconds', clock_timestamp()) AT TIME ZONE 'UTC',
  'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS now`;

const APPEND_ENTRY = `
-- 1. the entry, hashed by the caller
WITH entry AS (
  INSERT INTO orch.audit_entries (tenant_id, sequence, audit_id, occurred_at, actor, action, resource_type,
    resource_id, before, after, reason, ticket, request_reason, request_ticket, correlation_id, prev_hash, hash)
  VALUES ($1, $2::bigint, $3::uuid, $4::timestamptz, $5::text::jsonb, $6, $7, $8, $9::text::jsonb,
    $10::text::jsonb, $11, $12, $13, $14, $15, $16, $17)
  RETURNING tenant_id, sequence, hash
)
-- 2. the head moves to it (the head-advance trigger refuses anything but the next sequence)
UPDATE orch.audit_heads AS h
SET last_sequence = e.sequence, last_hash = e.hash, updated_at = now()
FROM entry e
WHERE h.tenant_id = e.tenant_id
RETURNING h.last_sequence::float8 AS last_sequence`;

const GET_HEAD = `
SELECT h.last_sequence::float8 AS last_sequence, h.last_hash
FROM orch.audit_heads h
WHERE h.tenant_id = $1`;

const GET_ENTRY = `
SELECT ${AUDIT_COLUMNS}
FROM orch.audit_entries e
WHERE e.tenant_id = $1 AND e.audit_id = $2::uuid`;

const READ_CHAIN = `
SELECT ${AUDIT_COLUMNS}
FROM orch.audit_entries e
WHERE e.tenant_id = $1 AND e.sequence >= $2::bigint
ORDER BY e.sequence
LIMIT $3`;

const LIST_ENTRIES = `
SELECT ${AUDIT_COLUMNS}
FROM orch.audit_entries e
WHERE e.tenant_id = $1
  AND ($2::text IS NULL OR e.actor ->> 'subject' = $2::text)
  AND ($3::text IS NULL OR e.actor ->> 'clientId' = $3::text)
  AND ($4::text IS NULL OR e.action = $4::text)
  AND ($5::text IS NULL OR e.resource_type = $5::text)
  AND ($6::text IS NULL OR e.resource_id = $6::text)
  AND ($7::text IS NULL OR e.ticket = $7::text OR e.request_ticket = $7::text)
  AND ($8::timestamptz IS NULL OR e.occurred_at > $8::timestamptz)
  AND ($9::timestamptz IS NULL OR e.occurred_at < $9::timestamptz)
  AND ($10::bigint IS NULL OR e.sequence < $10::bigint)
ORDER BY e.sequence DESC
LIMIT $11`;

/** A row of orch.audit_entries. */
export interface AuditEntryRow {
  readonly tenant_id: string;
  readonly sequence: number;
  readonly audit_id: string;
  readonly occurred_at: Date | string;
  readonly actor: { readonly subject: string; readonly clientId: string | null; readonly scopes: string[] };
  readonly action: string;
  readonly resource_type: string;
  readonly resource_id: string;
  readonly before: AuditState | null;
  readonly after: AuditState | null;
  readonly reason: string | null;
  readonly ticket: string | null;
  readonly request_reason: string | null;
  readonly request_ticket: string | null;
  readonly correlation_id: string;
  readonly prev_hash: string;
  readonly hash: string;
}

/** A tenant's head row. */
export interface AuditHeadRow {
  readonly last_sequence: number;
  readonly last_hash: string;
}

/** Locks the tenant's head row until the transaction ends; null before the tenant's first entry. */
export async function lockExistingAuditHead(tx: SqlExecutor, tenantId: string): Promise<AuditHeadRow | null> {
  const [head] = await tx.query<AuditHeadRow>(LOCK_HEAD, [tenantId]);
  return head ?? null;
}

/** Locks the tenant's head row, making it first when missing; returns it. */
export async function lockAuditHead(
  tx: SqlExecutor,
  tenantId: string,
  genesisHash: string,
): Promise<AuditHeadRow> {
  const head = await lockExistingAuditHead(tx, tenantId);
  if (head !== null) return head;
  await tx.query(CREATE_HEAD, [tenantId, genesisHash]);
  const [created] = await tx.query<AuditHeadRow>(LOCK_HEAD, [tenantId]);
  if (created === undefined)
    throw new OrchestratorError(
      'INTERNAL',
      `the audit head of tenant ${tenantId} was neither made nor found`,
    );
  return created;
}

/** The ledger clock as ISO-8601 UTC with milliseconds. */
export async function ledgerNowMs(tx: SqlExecutor): Promise<string> {
  const [row] = await tx.query<{ now: string }>(LEDGER_NOW);
  if (row === undefined) throw new OrchestratorError('INTERNAL', 'the ledger did not tell the time');
  return row.now;
}

/** Inserts a sealed entry and moves the (locked) head to it, in one statement. */
export async function insertAuditEntry(tx: SqlExecutor, entry: AuditEntry): Promise<void> {
  const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value));
  const rows = await tx.query(APPEND_ENTRY, [
    entry.tenantId,
    entry.sequence,
    entry.auditId,
    entry.occurredAt,
    json(entry.actor),
    entry.action,
    entry.resourceType,
    entry.resourceId,
    json(entry.before),
    json(entry.after),
    entry.reason ?? null,
    entry.ticket ?? null,
    entry.requestReason ?? null,
    entry.requestTicket ?? null,
    entry.correlationId,
    entry.prevHash,
    entry.hash,
  ]);
  if (rows.length !== 1)
    throw new OrchestratorError('INTERNAL', `the audit head of tenant ${entry.tenantId} did not move`);
}

/** The tenant's head row, or null before its first entry. */
export async function getAuditHead(db: SqlExecutor, tenantId: string): Promise<AuditHeadRow | null> {
  const [row] = await db.query<AuditHeadRow>(GET_HEAD, [tenantId]);
  return row ?? null;
}

/** One entry, or null. */
export async function getAuditEntry(
  db: SqlExecutor,
  tenantId: string,
  auditId: string,
): Promise<AuditEntryRow | null> {
  const [row] = await db.query<AuditEntryRow>(GET_ENTRY, [tenantId, auditId]);
  return row ?? null;
}

/** Up to `limit` entries from `fromSequence` on, in sequence order. */
export function readAuditChain(
  db: SqlExecutor,
  params: { readonly tenantId: string; readonly fromSequence: number; readonly limit: number },
): Promise<AuditEntryRow[]> {
  return db.query<AuditEntryRow>(READ_CHAIN, [params.tenantId, params.fromSequence, params.limit]);
}

/** Filters and page of {@link listAuditEntries}. */
export interface ListAuditEntriesParams {
  readonly tenantId: string;
  readonly actorSubject: string | null;
  readonly clientId: string | null;
  readonly action: string | null;
  readonly resourceType: string | null;
  readonly resourceId: string | null;
  readonly ticket: string | null;
  readonly occurredAfter: string | null;
  readonly occurredBefore: string | null;
  /** The sequence of the last entry of the previous page. */
  readonly beforeSequence: number | null;
  readonly limit: number;
}

/** Up to `limit` entries, newest first, before `beforeSequence`. */
export function listAuditEntries(db: SqlExecutor, params: ListAuditEntriesParams): Promise<AuditEntryRow[]> {
  return db.query<AuditEntryRow>(LIST_ENTRIES, [
    params.tenantId,
    params.actorSubject,
    params.clientId,
    params.action,
    params.resourceType,
    params.resourceId,
    params.ticket,
    params.occurredAfter,
    params.occurredBefore,
    params.beforeSequence,
    params.limit,
  ]);
}
