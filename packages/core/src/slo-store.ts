import type { AuditMetadata } from './audit-entry.js';
import type { Actor, Page } from './job.js';
import type { NewSlo, Slo, SloPatch } from './slo.js';
import type { BurnRates, SloOutcomeCounts } from './slo-burn-rate.js';
import type { Incident, IncidentStatus, IncidentTrigger } from './slo-incident.js';

/** Who changes an SLO and why: recorded in the audit entry written with the change. */
export interface SloChangeContext {
  readonly actor: Actor;
  readonly audit: AuditMetadata;
}

/** A page of SLOs, newest first. */
export interface ListSlosQuery {
  readonly pageSize: number;
  readonly pageToken?: string;
}

/** Filters and page of the incident listing, newest first. */
export interface ListIncidentsQuery {
  readonly status?: IncidentStatus;
  readonly sloId?: string;
  readonly pageSize: number;
  readonly pageToken?: string;
}

/** An incident to open. */
export interface NewIncident {
  readonly incidentId: string;
  readonly trigger: IncidentTrigger;
  readonly burnRatesAtOpen: BurnRates;
  /** The source the SLO asks to pause, else `null`. */
  readonly pausedSourceId: string | null;
}

/**
 * The SLOs and incidents of one tenant. Every change of an SLO appends its audit entry (`slo.create`,
 * `slo.update`, `slo.delete`, with its `operator.slo.*` event) in the change's transaction; opening and
 * resolving an incident writes its `incident.opened` / `incident.resolved` event in the same transaction
 * as the incident row.
 */
export interface TenantSloStore {
  readonly tenantId: string;
  /** @throws OrchestratorError `VALIDATION_FAILED`, `SLO_NAME_TAKEN` */
  createSlo(slo: NewSlo, change: SloChangeContext): Promise<Slo>;
  /** One SLO, or `null` (also for an id that is not a UUID). */
  getSlo(sloId: string): Promise<Slo | null>;
  /** @throws OrchestratorError `INVALID_CURSOR` */
  listSlos(query: ListSlosQuery): Promise<Page<Slo>>;
  /**
   * Applies `patch` to the SLO as the change finds it (locked), checks the result and writes it; a patch
   * that changes nothing writes and records nothing.
   * @throws OrchestratorError `SLO_NOT_FOUND`, `VALIDATION_FAILED`, `SLO_NAME_TAKEN`
   */
  updateSlo(sloId: string, patch: SloPatch, change: SloChangeContext): Promise<Slo>;
  /**
   * Deletes an SLO and its incidents.
   * @returns the SLO as it was
   * @throws OrchestratorError `SLO_NOT_FOUND`
   */
  deleteSlo(sloId: string, change: SloChangeContext): Promise<Slo>;
  /** The good and bad outcomes of the SLO's jobs over every burn window and its own, in one statement. */
  countOutcomes(slo: Pick<Slo, 'jobType' | 'sourceId' | 'windowSeconds'>): Promise<SloOutcomeCounts>;
  /** The open incident of an SLO, or `null`. */
  getOpenIncident(sloId: string): Promise<Incident | null>;
  /**
   * Opens an incident of `slo` and writes its `incident.opened` event, unless one is open already.
   * @returns the incident, or `null` when the SLO had one open (or is gone): nothing was written
   */
  openIncident(slo: Slo, incident: NewIncident): Promise<Incident | null>;
  /**
   * Resolves an open incident of `slo` and writes its `incident.resolved` event.
   * @returns the incident, or `null` when it was not open (another replica resolved it): nothing written
   */
  resolveIncident(slo: Slo, incidentId: string, burnRates: BurnRates): Promise<Incident | null>;
  /** Records whether the source pause an incident asked for took. */
  recordSourcePause(incidentId: string, paused: boolean): Promise<Incident | null>;
  /** @throws OrchestratorError `INVALID_CURSOR` */
  listIncidents(query: ListIncidentsQuery): Promise<Page<Incident>>;
  /** One incident, or `null`. */
  getIncident(incidentId: string): Promise<Incident | null>;
}

/** The SLO store port: one view per tenant, and the tenants the evaluator walks. */
export interface SloStore {
  forTenant(tenantId: string): TenantSloStore;
  /** Every tenant with at least one SLO, by tenant id. */
  listSloTenants(): Promise<string[]>;
}

/**
 * Pauses a source for an incident (the sources feature provides the real one). Must be idempotent: a
 * source already paused answers `true`.
 */
export interface SourcePauser {
  /** @returns whether the source is paused now */
  pause(tenantId: string, sourceId: string, reason: string): Promise<boolean>;
}

/** A pauser that pauses nothing: the default until sources are wired in. */
export const noSourcePauser: SourcePauser = { pause: () => Promise.resolve(false) };
