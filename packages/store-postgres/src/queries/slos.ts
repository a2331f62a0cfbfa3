import type { NewSlo, SloDefinition } from '@stella-orch/core';
import type { SqlExecutor } from '../sql-driver.js';

/** A row of orch.slos (numbers as float8). */
export interface SloRow {
  readonly tenant_id: string;
  readonly slo_id: string;
  readonly seq: number;
  readonly name: string;
  readonly description: string | null;
  readonly job_type: string | null;
  readonly source_id: string | null;
  readonly objective: number;
  readonly window_seconds: number;
  readonly fast_burn_threshold: number;
  readonly slow_burn_threshold: number;
  readonly pause_source_on_incident: boolean;
  readonly created_at: Date | string;
  readonly created_by: string;
  readonly updated_at: Date | string;
  readonly updated_by: string;
}

const SLO_COLUMNS = `s.tenant_id, s.slo_id, s.seq::float8 AS seq, s.name, s.description, s.job_type, s.source_id,
  s.objective::float8 AS objective, s.window_seconds, s.fast_burn_threshold::float8 AS fast_burn_threshold,
  s.slow_burn_threshold::float8 AS slow_burn_threshold, s.pause_source_on_incident, s.created_at, s.created_by,
  s.updated_at, s.updated_by`;

// A taken name inserts nothing (the transaction stays usable) and the caller answers SLO_NAME_TAKEN.
const INSERT_SLO = `
INSERT INTO orch.slos AS s (tenant_id, slo_id, name, description, job_type, source_id, objective, window_seconds,
  fast_burn_threshold, slow_burn_threshold, pause_source_on_incident, created_by, updated_by)
VALUES ($1, $2::uuid, $3, $4, $5, $6, $7::numeric, $8, $9::numeric, $10::numeric, $11, $12, $12)
ON CONFLICT ON CONSTRAINT slos_name DO NOTHING
RETURNING ${SLO_COLUMNS}`;

const GET_SLO = `
SELECT ${SLO_COLUMNS}
FROM orch.slos s
WHERE s.tenant_id = $1 AND s.slo_id = $2::uuid`;

// The SLO as a change finds it, locked until the transaction ends: the change and its audit entry see the
// same "before".
const LOCK_SLO = `${GET_SLO}
FOR UPDATE`;

const LIST_SLOS = `
SELECT ${SLO_COLUMNS}
FROM orch.slos s
WHERE s.tenant_id = $1 AND ($2::bigint IS NULL OR s.seq < $2::bigint)
ORDER BY s.seq DESC
LIMIT $3`;

const UPDATE_SLO = `
UPDATE orch.slos AS s
SET name = $3, description = $4, job_type = $5, source_id = $6, objective = $7::numeric, window_seconds = $8,
  fast_burn_threshold = $9::numeric, slow_burn_threshold = $10::numeric, pause_source_on_incident = $11,
  updated_by = $12, updated_at = now()
WHERE s.tenant_id = $1 AND s.slo_id = $2::uuid
RETURNING ${SLO_COLUMNS}`;

// Its incidents go with it (ON DELETE CASCADE).
const DELETE_SLO = `
DELETE FROM orch.slos AS s
WHERE s.tenant_id = $1 AND s.slo_id = $2::uuid
RETURNING ${SLO_COLUMNS}`;

// Cross-tenant by design: what the evaluator walks.
const LIST_SLO_TENANTS = `SELECT DISTINCT tenant_id FROM orch.slos ORDER BY tenant_id`;

function definitionParams(definition: SloDefinition): unknown[] {
  return [
    definition.name,
    definition.description,
    definition.jobType,
    definition.sourceId,
    String(definition.objective),
    definition.windowSeconds,
    String(definition.alertPolicy.fastBurnThreshold),
    String(definition.alertPolicy.slowBurnThreshold),
    definition.pauseSourceOnIncident,
  ];
}

/** Inserts an SLO; null when the tenant has one of that name. */
export async function insertSlo(db: SqlExecutor, tenantId: string, slo: NewSlo): Promise<SloRow | null> {
  const [row] = await db.query<SloRow>(INSERT_SLO, [
    tenantId,
    slo.sloId,
    ...definitionParams(slo),
    slo.createdBy,
  ]);
  return row ?? null;
}

/** One SLO, or null. */
export async function getSlo(db: SqlExecutor, tenantId: string, sloId: string): Promise<SloRow | null> {
  const [row] = await db.query<SloRow>(GET_SLO, [tenantId, sloId]);
  return row ?? null;
}

/** One SLO, locked until the transaction ends, or null. */
export async function lockSlo(tx: SqlExecutor, tenantId: string, sloId: string): Promise<SloRow | null> {
  const [row] = await tx.query<SloRow>(LOCK_SLO, [tenantId, sloId]);
  return row ?? null;
}

/** Up to `limit` SLOs, newest first, before `beforeSeq` when given. */
export function listSlos(
  db: SqlExecutor,
  params: { readonly tenantId: string; readonly beforeSeq: number | null; readonly limit: number },
): Promise<SloRow[]> {
  return db.query<SloRow>(LIST_SLOS, [params.tenantId, params.beforeSeq, params.limit]);
}

/** Writes an SLO's definition; null when it is gone. */
export async function updateSlo(
  tx: SqlExecutor,
  tenantId: string,
  sloId: string,
  definition: SloDefinition,
  updatedBy: string,
): Promise<SloRow | null> {
  const [row] = await tx.query<SloRow>(UPDATE_SLO, [
    tenantId,
    sloId,
    ...definitionParams(definition),
    updatedBy,
  ]);
  return row ?? null;
}

/** Deletes an SLO (and its incidents); null when there was none. */
export async function deleteSlo(tx: SqlExecutor, tenantId: string, sloId: string): Promise<SloRow | null> {
  const [row] = await tx.query<SloRow>(DELETE_SLO, [tenantId, sloId]);
  return row ?? null;
}

/** Every tenant with an SLO. */
export async function listSloTenants(db: SqlExecutor): Promise<string[]> {
  const rows = await db.query<{ tenant_id: string }>(LIST_SLO_TENANTS);
  return rows.map((row) => row.tenant_id);
}
