import {
  decodePageToken,
  DEFAULT_PAGE_SIZE,
  encodePageToken,
  MAX_PAGE_SIZE,
  OrchestratorError,
  validationError,
  type AuditEntry,
  type AuditHead,
  type AuditRecord,
  type AuditTrail,
  type ListAuditEntriesQuery,
  type Page,
  type TenantAuditTrail,
} from '@stella-orch/core';
import { appendAuditEntry, mapAuditEntry } from './audit-append.js';
import { isUuid, runLedgerOperation } from './ledger-errors.js';
import { getAuditEntry, getAuditHead, listAuditEntries, readAuditChain } from './queries/audit-entries.js';
import type { SqlDriver } from './sql-driver.js';

function pageSize(requested: number): number {
  return Number.isInteger(requested) ? Math.min(Math.max(requested, 1), MAX_PAGE_SIZE) : DEFAULT_PAGE_SIZE;
}

function decodeSequenceToken(token: string | undefined): number | null {
  if (token === undefined) return null;
  const [sequence] = decodePageToken(token, 1);
  if (typeof sequence !== 'number' || !Number.isSafeInteger(sequence) || sequence < 1) {
    throw new OrchestratorError('INVALID_CURSOR', 'page_token is not a token this server issued');
  }
  return sequence;
}

function timeOrNull(value: string | undefined, path: string): string | null {
  if (value === undefined) return null;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw validationError([{ path, message: 'must be an ISO-8601 date-time' }]);
  return new Date(ms).toISOString();
}

/** The audit trail of one tenant on PostgreSQL or PGlite: every statement carries the tenant id. */
export class PostgresTenantAuditTrail implements TenantAuditTrail {
  readonly tenantId: string;
  readonly #driver: SqlDriver;

  /** @param driver - a migrated ledger; @param tenantId - the tenant of every operation */
  constructor(driver: SqlDriver, tenantId: string) {
    this.#driver = driver;
    this.tenantId = tenantId;
  }

  /** @inheritdoc */
  async appendAuditEntry(record: AuditRecord): Promise<AuditEntry> {
    return runLedgerOperation(() =>
      this.#driver.transaction((tx) => appendAuditEntry(tx, this.tenantId, record)),
    );
  }

  /** @inheritdoc */
  async listAuditEntries(query: ListAuditEntriesQuery): Promise<Page<AuditEntry>> {
    const limit = pageSize(query.pageSize);
    const beforeSequence = decodeSequenceToken(query.pageToken);
    const occurredAfter = timeOrNull(query.occurredAfter, 'occurredAfter');
    const occurredBefore = timeOrNull(query.occurredBefore, 'occurredBefore');
    const rows = await runLedgerOperation(() =>
      listAuditEntries(this.#driver, {
        tenantId: this.tenantId,
        actorSubject: query.actorSubject ?? null,
        clientId: query.clientId ?? null,
        action: query.action ?? null,
        resourceType: query.resourceType ?? null,
        resourceId: query.resourceId ?? null,
        ticket: query.ticket ?? null,
        occurredAfter,
        occurredBefore,
        beforeSequence,
        limit: limit + 1,
      }),
    );
    const items = rows.slice(0, limit).map(mapAuditEntry);
    const last = items.at(-1);
    return {
      items,
      nextPageToken: rows.length > limit && last !== undefined ? encodePageToken([last.sequence]) : null,
    };
  }

  /** @inheritdoc */
  async getAuditEntry(auditId: string): Promise<AuditEntry | null> {
    if (!isUuid(auditId)) return null;
    const row = await runLedgerOperation(() => getAuditEntry(this.#driver, this.tenantId, auditId));
    return row === null ? null : mapAuditEntry(row);
  }

  /** @inheritdoc */
  async readAuditChain(params: {
    readonly fromSequence: number;
    readonly limit: number;
  }): Promise<AuditEntry[]> {
    const fromSequence = Math.max(1, Math.floor(params.fromSequence));
    const limit = Math.max(1, Math.floor(params.limit));
    const rows = await runLedgerOperation(() =>
      readAuditChain(this.#driver, { tenantId: this.tenantId, fromSequence, limit }),
    );
    return rows.map(mapAuditEntry);
  }

  /** @inheritdoc */
  async getAuditHead(): Promise<AuditHead | null> {
    const row = await runLedgerOperation(() => getAuditHead(this.#driver, this.tenantId));
    return row === null ? null : { lastSequence: row.last_sequence, lastHash: row.last_hash };
  }
}

/**
 * The audit trail port on the ledger (PostgreSQL or PGlite, same SQL). Operator actions of the job store
 * append their entries in their own transactions; this class reads the trail and appends stand-alone
 * entries.
 */
export class PostgresAuditTrail implements AuditTrail {
  readonly #driver: SqlDriver;

  /** @param driver - a migrated ledger (see `openLedger`) */
  constructor(driver: SqlDriver) {
    this.#driver = driver;
  }

  /**
   * The trail of one tenant.
   * @throws OrchestratorError `VALIDATION_FAILED` for an empty tenant id
   */
  forTenant(tenantId: string): TenantAuditTrail {
    if (tenantId.length === 0) throw validationError([{ path: 'tenantId', message: 'must not be empty' }]);
    return new PostgresTenantAuditTrail(this.#driver, tenantId);
  }
}
