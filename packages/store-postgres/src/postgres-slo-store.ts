import {
  applySloPatch,
  canonicalJson,
  checkSloDefinition,
  encodePageToken,
  incidentEvent,
  OrchestratorError,
  sloAuditRecord,
  sloDefinitionOf,
  validationError,
  type BurnRates,
  type Incident,
  type ListIncidentsQuery,
  type ListSlosQuery,
  type NewIncident,
  type NewSlo,
  type Page,
  type Slo,
  type SloAuditAction,
  type SloChangeContext,
  type SloDefinition,
  type SloOutcomeCounts,
  type SloPatch,
  type SloStore,
  type TenantSloStore,
} from '@stella-orch/core';
import { appendAuditEntry } from './audit-append.js';
import { isUuid, runLedgerOperation } from './ledger-errors.js';
import {
  getIncident,
  getOpenIncident,
  insertIncident,
  listIncidents,
  resolveIncident,
  setSourcePaused,
} from './queries/incidents.js';
import { insertOperatorEvent } from './queries/insert-event.js';
import { countSloOutcomes } from './queries/slo-outcomes.js';
import {
  deleteSlo,
  getSlo,
  insertSlo,
  listSloTenants,
  listSlos,
  lockSlo,
  updateSlo,
} from './queries/slos.js';
import { mapIncident, mapOutcomeCounts, mapSlo } from './slo-rows.js';
import type { SqlDriver, SqlExecutor } from './sql-driver.js';
import { isSqlError } from './sql-errors.js';
import { decodeSeqToken, pageLimit } from './page-keys.js';

function pageOf<R extends { readonly seq: number }, T>(
  rows: readonly R[],
  limit: number,
  map: (row: R) => T,
): Page<T> {
  const last = rows[limit - 1];
  return {
    items: rows.slice(0, limit).map(map),
    nextPageToken: rows.length > limit && last !== undefined ? encodePageToken([last.seq]) : null,
  };
}

function sloNotFound(sloId: string): OrchestratorError {
  return new OrchestratorError('SLO_NOT_FOUND', `SLO ${sloId} does not exist`, { details: { sloId } });
}

function nameTaken(name: string): OrchestratorError {
  return new OrchestratorError('SLO_NAME_TAKEN', `an SLO named "${name}" exists already`, {
    details: { name },
  });
}

/** Whether a patched definition is the SLO's own. */
function sameDefinition(slo: Slo, definition: SloDefinition): boolean {
  return canonicalJson(sloDefinitionOf(slo)) === canonicalJson(definition);
}

async function recordChange(
  tx: SqlExecutor,
  tenantId: string,
  action: SloAuditAction,
  before: Slo | null,
  after: Slo | null,
  change: SloChangeContext,
): Promise<void> {
  await appendAuditEntry(
    tx,
    tenantId,
    sloAuditRecord({ action, actor: change.actor, before, after, audit: change.audit }),
  );
}

/** The SLOs and incidents of one tenant on PostgreSQL or PGlite: every statement carries the tenant id. */
export class PostgresTenantSloStore implements TenantSloStore {
  readonly tenantId: string;
  readonly #driver: SqlDriver;

  /** @param driver - a migrated ledger; @param tenantId - the tenant of every operation */
  constructor(driver: SqlDriver, tenantId: string) {
    this.#driver = driver;
    this.tenantId = tenantId;
  }

  /** @inheritdoc */
  async createSlo(slo: NewSlo, change: SloChangeContext): Promise<Slo> {
    const errors = checkSloDefinition(slo);
    if (errors.length > 0) throw validationError(errors);
    return runLedgerOperation(() =>
      this.#driver.transaction(async (tx) => {
        const row = await insertSlo(tx, this.tenantId, slo);
        if (row === null) throw nameTaken(slo.name);
        const created = mapSlo(row);
        await recordChange(tx, this.tenantId, 'slo.create', null, created, change);
        return created;
      }),
    );
  }

  /** @inheritdoc */
  async getSlo(sloId: string): Promise<Slo | null> {
    if (!isUuid(sloId)) return null;
    const row = await runLedgerOperation(() => getSlo(this.#driver, this.tenantId, sloId));
    return row === null ? null : mapSlo(row);
  }

  /** @inheritdoc */
  async listSlos(query: ListSlosQuery): Promise<Page<Slo>> {
    const limit = pageLimit(query.pageSize);
    const beforeSeq = decodeSeqToken(query.pageToken);
    const rows = await runLedgerOperation(() =>
      listSlos(this.#driver, { tenantId: this.tenantId, beforeSeq, limit: limit + 1 }),
    );
    return pageOf(rows, limit, mapSlo);
  }

  /** @inheritdoc */
  async updateSlo(sloId: string, patch: SloPatch, change: SloChangeContext): Promise<Slo> {
    if (!isUuid(sloId)) throw sloNotFound(sloId);
    return runLedgerOperation(() =>
      this.#driver.transaction(async (tx) => {
        const row = await lockSlo(tx, this.tenantId, sloId);
        if (row === null) throw sloNotFound(sloId);
        const before = mapSlo(row);
        const definition = applySloPatch(before, patch);
        const errors = checkSloDefinition(definition);
        if (errors.length > 0) throw validationError(errors);
        // Already so: nothing to change, nothing to record.
        if (sameDefinition(before, definition)) return before;
        let updated;
        try {
          updated = await updateSlo(tx, this.tenantId, sloId, definition, change.actor.subject);
        } catch (error) {
          // The transaction is aborted either way: it rolls back with this error.
          if (isSqlError(error, '23505', 'slos_name')) throw nameTaken(definition.name);
          throw error;
        }
        if (updated === null) throw sloNotFound(sloId);
        const after = mapSlo(updated);
        await recordChange(tx, this.tenantId, 'slo.update', before, after, change);
        return after;
      }),
    );
  }

  /** @inheritdoc */
  async deleteSlo(sloId: string, change: SloChangeContext): Promise<Slo> {
    if (!isUuid(sloId)) throw sloNotFound(sloId);
    return runLedgerOperation(() =>
      this.#driver.transaction(async (tx) => {
        const row = await deleteSlo(tx, this.tenantId, sloId);
        if (row === null) throw sloNotFound(sloId);
        const deleted = mapSlo(row);
        await recordChange(tx, this.tenantId, 'slo.delete', deleted, null, change);
        return deleted;
      }),
    );
  }

  /** @inheritdoc */
  async countOutcomes(slo: Pick<Slo, 'jobType' | 'sourceId' | 'windowSeconds'>): Promise<SloOutcomeCounts> {
    const row = await runLedgerOperation(() =>
      countSloOutcomes(this.#driver, {
        tenantId: this.tenantId,
        jobType: slo.jobType,
        sourceId: slo.sourceId,
        windowSeconds: slo.windowSeconds,
      }),
    );
    return mapOutcomeCounts(row);
  }

  /** @inheritdoc */
  async getOpenIncident(sloId: string): Promise<Incident | null> {
    if (!isUuid(sloId)) return null;
    const row = await runLedgerOperation(() => getOpenIncident(this.#driver, this.tenantId, sloId));
    return row === null ? null : mapIncident(row);
  }

  /** @inheritdoc */
  async openIncident(slo: Slo, incident: NewIncident): Promise<Incident | null> {
    return runLedgerOperation(() =>
      this.#driver.transaction(async (tx) => {
        const row = await insertIncident(tx, {
          tenantId: this.tenantId,
          sloId: slo.sloId,
          incidentId: incident.incidentId,
          trigger: incident.trigger,
          burnRates: incident.burnRatesAtOpen,
          pausedSourceId: incident.pausedSourceId,
        });
        if (row === null) return null;
        const opened = mapIncident(row);
        await insertOperatorEvent(tx, incidentEvent('incident.opened', opened, slo));
        return opened;
      }),
    );
  }

  /** @inheritdoc */
  async resolveIncident(slo: Slo, incidentId: string, burnRates: BurnRates): Promise<Incident | null> {
    if (!isUuid(incidentId)) return null;
    return runLedgerOperation(() =>
      this.#driver.transaction(async (tx) => {
        const row = await resolveIncident(tx, this.tenantId, incidentId, burnRates);
        if (row === null) return null;
        const resolved = mapIncident(row);
        await insertOperatorEvent(tx, incidentEvent('incident.resolved', resolved, slo));
        return resolved;
      }),
    );
  }

  /** @inheritdoc */
  async recordSourcePause(incidentId: string, paused: boolean): Promise<Incident | null> {
    if (!isUuid(incidentId)) return null;
    const row = await runLedgerOperation(() =>
      setSourcePaused(this.#driver, this.tenantId, incidentId, paused),
    );
    return row === null ? null : mapIncident(row);
  }

  /** @inheritdoc */
  async listIncidents(query: ListIncidentsQuery): Promise<Page<Incident>> {
    const limit = pageLimit(query.pageSize);
    const beforeSeq = decodeSeqToken(query.pageToken);
    if (query.sloId !== undefined && !isUuid(query.sloId)) return { items: [], nextPageToken: null };
    const rows = await runLedgerOperation(() =>
      listIncidents(this.#driver, {
        tenantId: this.tenantId,
        status: query.status ?? null,
        sloId: query.sloId ?? null,
        beforeSeq,
        limit: limit + 1,
      }),
    );
    return pageOf(rows, limit, mapIncident);
  }

  /** @inheritdoc */
  async getIncident(incidentId: string): Promise<Incident | null> {
    if (!isUuid(incidentId)) return null;
    const row = await runLedgerOperation(() => getIncident(this.#driver, this.tenantId, incidentId));
    return row === null ? null : mapIncident(row);
  }
}

/**
 * The SLO store on the ledger (PostgreSQL or PGlite, same SQL): `orch.slos` and `orch.incidents`, with the
 * outcome counts read from `orch.jobs`.
 */
export class PostgresSloStore implements SloStore {
  readonly #driver: SqlDriver;

  /** @param driver - a migrated ledger (see `openLedger`) */
  constructor(driver: SqlDriver) {
    this.#driver = driver;
  }

  /**
   * The SLOs of one tenant.
   * @throws OrchestratorError `VALIDATION_FAILED` for an empty tenant id
   */
  forTenant(tenantId: string): TenantSloStore {
    if (tenantId.length === 0) throw validationError([{ path: 'tenantId', message: 'must not be empty' }]);
    return new PostgresTenantSloStore(this.#driver, tenantId);
  }

  /** @inheritdoc */
  listSloTenants(): Promise<string[]> {
    return runLedgerOperation(() => listSloTenants(this.#driver));
  }
}
