import {
  decodePageToken,
  encodePageToken,
  OrchestratorError,
  validationError,
  type AuditArchiveManifest,
  type AuditCheckpoint,
  type AuditEntry,
  type AuditHead,
  type AuditRecord,
  type AuditTrail,
  type ListAuditEntriesQuery,
  type Page,
  type TenantAuditTrail,
} from '@stella-orch/core';
import { appendAuditEntry, mapAuditEntry } from './audit-append.js';
import { archiveAuditEntries } from './audit-archive.js';
import {
  checkAuditArchiveManifest,
  checkAuditCheckpoint,
  mapAuditArchive,
  mapAuditCheckpoint,
} from './audit-signed-records.js';
import { isUuid, runLedgerOperation } from './ledger-errors.js';
import { getLatestAuditArchive } from './queries/audit-archives.js';
import {
  getAuditCheckpoint,
  getLatestAuditCheckpoint,
  insertAuditCheckpoint,
} from './queries/audit-checkpoints.js';
import { getAuditEntry, getAuditHead, listAuditEntries, readAuditChain } from './queries/audit-entries.js';
import type { SqlDriver } from './sql-driver.js';
import { pageLimit } from './page-keys.js';

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
    const limit = pageLimit(query.pageSize);
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

  /**
   * @inheritdoc
   * @throws OrchestratorError `VALIDATION_FAILED` for a checkpoint of another tenant, or one the ledger
   *   cannot keep as signed (a time not in `toISOString` form, a malformed hash or signature)
   */
  async appendAuditCheckpoint(checkpoint: AuditCheckpoint): Promise<AuditCheckpoint> {
    const errors = checkAuditCheckpoint(this.tenantId, checkpoint);
    if (errors.length > 0) throw validationError(errors);
    const row = await runLedgerOperation(async () => {
      // A repeat inserts nothing; the next statement (a fresh snapshot) sees the checkpoint kept first,
      // even when it was committed by a concurrent call while the insert waited.
      const inserted = await insertAuditCheckpoint(this.#driver, checkpoint);
      return inserted ?? (await getAuditCheckpoint(this.#driver, this.tenantId, checkpoint.sequence));
    });
    if (row === null) {
      throw new OrchestratorError('INTERNAL', `checkpoint ${checkpoint.sequence} was neither kept nor found`);
    }
    return mapAuditCheckpoint(row);
  }

  /** @inheritdoc */
  async getLatestAuditCheckpoint(): Promise<AuditCheckpoint | null> {
    const row = await runLedgerOperation(() => getLatestAuditCheckpoint(this.#driver, this.tenantId));
    return row === null ? null : mapAuditCheckpoint(row);
  }

  /**
   * @inheritdoc
   * The manifest must also be of this tenant, name the `prevHash` of its first entry and the `hash` of its
   * last as the ledger holds them, and carry a lower-case `archiveId` and a `createdAt` in `toISOString`
   * form (what the ledger gives back, so that the signature still matches).
   */
  async recordAuditArchive(manifest: AuditArchiveManifest): Promise<number> {
    const errors = checkAuditArchiveManifest(this.tenantId, manifest);
    if (errors.length > 0) throw validationError(errors);
    return runLedgerOperation(() => this.#driver.transaction((tx) => archiveAuditEntries(tx, manifest)));
  }

  /** @inheritdoc */
  async getLatestAuditArchive(): Promise<AuditArchiveManifest | null> {
    const row = await runLedgerOperation(() => getLatestAuditArchive(this.#driver, this.tenantId));
    return row === null ? null : mapAuditArchive(row);
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

  /** Every tenant that has an audit chain (a head row), by tenant id: what the periodic tasks walk. */
  async listAuditTenants(): Promise<string[]> {
    const rows = await this.#driver.query<{ tenant_id: string }>(
      'SELECT tenant_id FROM orch.audit_heads ORDER BY tenant_id',
    );
    return rows.map((row) => row.tenant_id);
  }
}
