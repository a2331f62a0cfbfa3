import type { BurnRates, IncidentStatus, IncidentTrigger } from '@stella-orch/core';
import type { SqlExecutor } from '../sql-driver.js';

/** A row of orch.incidents. */
export interface IncidentRow {
  readonly tenant_id: string;
  readonly incident_id: string;
  readonly seq: number;
  readonly slo_id: string;
  readonly status: IncidentStatus;
  readonly trigger: IncidentTrigger;
  readonly opened_at: Date | string;
  readonly resolved_at: Date | string | null;
  readonly burn_rates_at_open: BurnRates;
  readonly burn_rates_at_resolve: BurnRates | null;
  readonly paused_source_id: string | null;
  readonly source_paused: boolean;
}

const INCIDENT_COLUMNS = `i.tenant_id, i.incident_id, i.seq::float8 AS seq, i.slo_id, i.status, i.trigger, i.opened_at,
  i.resolved_at, i.burn_rates_at_open, i.burn_rates_at_resolve, i.paused_source_id, i.source_paused`;

// At most one open incident per SLO (incidents_one_open): a second open, from this replica or another,
// inserts nothing; so does an open for an SLO that is gone.
const INSERT_INCIDENT = `
INSERT INTO orch.incidents AS i (tenant_id, incident_id, slo_id, trigger, burn_rates_at_open, paused_source_id)
SELECT s.tenant_id, $3::uuid, s.slo_id, $4, $5::text::jsonb, $6
FROM orch.slos s
WHERE s.tenant_id = $1 AND s.slo_id = $2::uuid
ON CONFLICT (tenant_id, slo_id) WHERE status = 'open' DO NOTHING
RETURNING ${INCIDENT_COLUMNS}`;

// Only an open incident resolves: a replica that lost the race updates nothing.
const RESOLVE_INCIDENT = `
UPDATE orch.incidents AS i
SET status = 'resolved', resolved_at = now(), burn_rates_at_resolve = $3::text::jsonb
WHERE i.tenant_id = $1 AND i.incident_id = $2::uuid AND i.status = 'open'
RETURNING ${INCIDENT_COLUMNS}`;

const SET_SOURCE_PAUSED = `
UPDATE orch.incidents AS i
SET source_paused = $3
WHERE i.tenant_id = $1 AND i.incident_id = $2::uuid
RETURNING ${INCIDENT_COLUMNS}`;

const GET_INCIDENT = `
SELECT ${INCIDENT_COLUMNS}
FROM orch.incidents i
WHERE i.tenant_id = $1 AND i.incident_id = $2::uuid`;

const GET_OPEN_INCIDENT = `
SELECT ${INCIDENT_COLUMNS}
FROM orch.incidents i
WHERE i.tenant_id = $1 AND i.slo_id = $2::uuid AND i.status = 'open'`;

const LIST_INCIDENTS = `
SELECT ${INCIDENT_COLUMNS}
FROM orch.incidents i
WHERE i.tenant_id = $1
  AND ($2::text IS NULL OR i.status = $2::text)
  AND ($3::uuid IS NULL OR i.slo_id = $3::uuid)
  AND ($4::bigint IS NULL OR i.seq < $4::bigint)
ORDER BY i.seq DESC
LIMIT $5`;

/** Opens an incident; null when the SLO has one open already, or is gone. */
export async function insertIncident(
  tx: SqlExecutor,
  params: {
    readonly tenantId: string;
    readonly sloId: string;
    readonly incidentId: string;
    readonly trigger: IncidentTrigger;
    readonly burnRates: BurnRates;
    readonly pausedSourceId: string | null;
  },
): Promise<IncidentRow | null> {
  const [row] = await tx.query<IncidentRow>(INSERT_INCIDENT, [
    params.tenantId,
    params.sloId,
    params.incidentId,
    params.trigger,
    JSON.stringify(params.burnRates),
    params.pausedSourceId,
  ]);
  return row ?? null;
}

/** Resolves an open incident; null when it is not open. */
export async function resolveIncident(
  tx: SqlExecutor,
  tenantId: string,
  incidentId: string,
  burnRates: BurnRates,
): Promise<IncidentRow | null> {
  const [row] = await tx.query<IncidentRow>(RESOLVE_INCIDENT, [
    tenantId,
    incidentId,
    JSON.stringify(burnRates),
  ]);
  return row ?? null;
}

/** Records whether the pause of the incident's source took; null when the incident is gone. */
export async function setSourcePaused(
  db: SqlExecutor,
  tenantId: string,
  incidentId: string,
  paused: boolean,
): Promise<IncidentRow | null> {
  const [row] = await db.query<IncidentRow>(SET_SOURCE_PAUSED, [tenantId, incidentId, paused]);
  return row ?? null;
}

/** One incident, or null. */
export async function getIncident(
  db: SqlExecutor,
  tenantId: string,
  incidentId: string,
): Promise<IncidentRow | null> {
  const [row] = await db.query<IncidentRow>(GET_INCIDENT, [tenantId, incidentId]);
  return row ?? null;
}

/** The open incident of an SLO, or null. */
export async function getOpenIncident(
  db: SqlExecutor,
  tenantId: string,
  sloId: string,
): Promise<IncidentRow | null> {
  const [row] = await db.query<IncidentRow>(GET_OPEN_INCIDENT, [tenantId, sloId]);
  return row ?? null;
}

/** Up to `limit` incidents, newest first, filtered. */
export function listIncidents(
  db: SqlExecutor,
  params: {
    readonly tenantId: string;
    readonly status: IncidentStatus | null;
    readonly sloId: string | null;
    readonly beforeSeq: number | null;
    readonly limit: number;
  },
): Promise<IncidentRow[]> {
  return db.query<IncidentRow>(LIST_INCIDENTS, [
    params.tenantId,
    params.status,
    params.sloId,
    params.beforeSeq,
    params.limit,
  ]);
}
