import type { Incident, Slo, SloOutcomeCounts } from '@stella-orch/core';
import type { IncidentRow } from './queries/incidents.js';
import type { SloOutcomeRow } from './queries/slo-outcomes.js';
import type { SloRow } from './queries/slos.js';

function iso(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

/** A row of orch.slos as the port's {@link Slo}. */
export function mapSlo(row: SloRow): Slo {
  return {
    sloId: row.slo_id,
    tenantId: row.tenant_id,
    name: row.name,
    description: row.description,
    jobType: row.job_type,
    sourceId: row.source_id,
    objective: row.objective,
    windowSeconds: row.window_seconds,
    alertPolicy: {
      fastBurnThreshold: row.fast_burn_threshold,
      slowBurnThreshold: row.slow_burn_threshold,
    },
    pauseSourceOnIncident: row.pause_source_on_incident,
    createdAt: iso(row.created_at),
    createdBy: row.created_by,
    updatedAt: iso(row.updated_at),
    updatedBy: row.updated_by,
  };
}

/** A row of orch.incidents as the port's {@link Incident}. */
export function mapIncident(row: IncidentRow): Incident {
  return {
    incidentId: row.incident_id,
    tenantId: row.tenant_id,
    sloId: row.slo_id,
    status: row.status,
    trigger: row.trigger,
    openedAt: iso(row.opened_at),
    resolvedAt: row.resolved_at === null ? null : iso(row.resolved_at),
    burnRatesAtOpen: row.burn_rates_at_open,
    burnRatesAtResolve: row.burn_rates_at_resolve,
    pausedSourceId: row.paused_source_id,
    sourcePaused: row.source_paused,
  };
}

/** The outcome counts row as the port's {@link SloOutcomeCounts}. */
export function mapOutcomeCounts(row: SloOutcomeRow): SloOutcomeCounts {
  return {
    asOf: iso(row.as_of),
    windows: {
      '1h': { good: row.good_1h, bad: row.bad_1h },
      '6h': { good: row.good_6h, bad: row.bad_6h },
      '24h': { good: row.good_24h, bad: row.bad_24h },
      '30d': { good: row.good_30d, bad: row.bad_30d },
    },
    sloWindow: { good: row.good_slo, bad: row.bad_slo },
  };
}
