import { OrchestratorError, validationError } from './errors.js';
import type { Page } from './job.js';
import type { Ids, Logger } from './ports.js';
import { silentLogger } from './ports.js';
import {
  checkSloDefinition,
  DEFAULT_SLO_ALERT_POLICY,
  DEFAULT_SLO_WINDOW_SECONDS,
  type Slo,
  type SloAlertPolicy,
  type SloDefinition,
  type SloPatch,
} from './slo.js';
import { burnRatesOf, sloBurnReport, type BurnRates, type SloBurnReport } from './slo-burn-rate.js';
import { decideIncident, type Incident } from './slo-incident.js';
import {
  noSourcePauser,
  type ListIncidentsQuery,
  type ListSlosQuery,
  type SloChangeContext,
  type SloStore,
  type SourcePauser,
} from './slo-store.js';

/** What a caller gives to create an SLO: the name and objective, everything else has a default. */
export interface SloInput {
  readonly name: string;
  readonly objective: number;
  readonly description?: string | null;
  readonly jobType?: string | null;
  readonly sourceId?: string | null;
  /** Default 30 days. */
  readonly windowSeconds?: number;
  /** Default {@link DEFAULT_SLO_ALERT_POLICY}; a threshold left out keeps its default. */
  readonly alertPolicy?: Partial<SloAlertPolicy>;
  readonly pauseSourceOnIncident?: boolean;
}

/** An SLO's burn rates now, whether they alert, and its open incident. */
export interface SloBurnStatus {
  readonly slo: Slo;
  readonly report: SloBurnReport;
  /** Whether each alert of the policy fires now (burn(1 h) > fast, burn(6 h) > slow). */
  readonly alerts: { readonly fast: boolean; readonly slow: boolean };
  readonly openIncident: Incident | null;
}

/** The outcome of evaluating one SLO. */
export interface SloEvaluation {
  readonly tenantId: string;
  readonly sloId: string;
  readonly sloName: string;
  readonly burnRates: BurnRates;
  /** What this evaluation did: opened or resolved an incident, or nothing. */
  readonly action: 'opened' | 'resolved' | 'none';
  /** The SLO's open incident after the evaluation, else `null`. */
  readonly openIncidentId: string | null;
}

/** Receives the outcome of every complete evaluation pass (the Prometheus gauges). */
export interface SloMetrics {
  /** The burn rates and open incidents of every SLO evaluated in one pass. */
  evaluated(evaluations: readonly SloEvaluation[]): void;
}

/** Metrics that record nothing. */
export const noSloMetrics: SloMetrics = { evaluated: () => undefined };

/** What the SLO service works with. */
export interface SloServiceDeps {
  readonly store: SloStore;
  readonly ids: Ids;
  /** Pauses a source when an incident of an SLO with `pauseSourceOnIncident` opens; pauses nothing by default. */
  readonly pauser?: SourcePauser;
  readonly metrics?: SloMetrics;
  readonly logger?: Logger;
}

function sloNotFound(sloId: string): OrchestratorError {
  return new OrchestratorError('SLO_NOT_FOUND', `SLO ${sloId} does not exist`, { details: { sloId } });
}

/** The definition of a new SLO: the input with its defaults. */
export function sloDefinitionFrom(input: SloInput): SloDefinition {
  return {
    name: input.name,
    description: input.description ?? null,
    jobType: input.jobType ?? null,
    sourceId: input.sourceId ?? null,
    objective: input.objective,
    windowSeconds: input.windowSeconds ?? DEFAULT_SLO_WINDOW_SECONDS,
    alertPolicy: { ...DEFAULT_SLO_ALERT_POLICY, ...input.alertPolicy },
    pauseSourceOnIncident: input.pauseSourceOnIncident ?? false,
  };
}

/**
 * SLOs, their burn rates and incident mode (docs/decisions/0012-slos-and-incident-mode.md): CRUD with
 * validation, the burn report of an SLO, and the evaluation that opens and resolves incidents. Evaluation
 * is safe in every replica at once: the ledger keeps at most one open incident per SLO, and an open or
 * resolve that lost the race writes nothing.
 */
export class SloService {
  readonly #store: SloStore;
  readonly #ids: Ids;
  readonly #pauser: SourcePauser;
  readonly #metrics: SloMetrics;
  readonly #logger: Logger;

  /** @param deps - the store, ids, and optionally the source pauser, metrics and a logger */
  constructor(deps: SloServiceDeps) {
    this.#store = deps.store;
    this.#ids = deps.ids;
    this.#pauser = deps.pauser ?? noSourcePauser;
    this.#metrics = deps.metrics ?? noSloMetrics;
    this.#logger = deps.logger ?? silentLogger;
  }

  /** @throws OrchestratorError `VALIDATION_FAILED`, `SLO_NAME_TAKEN` */
  async createSlo(tenantId: string, input: SloInput, change: SloChangeContext): Promise<Slo> {
    const definition = sloDefinitionFrom(input);
    const errors = checkSloDefinition(definition);
    if (errors.length > 0) throw validationError(errors);
    return this.#store
      .forTenant(tenantId)
      .createSlo({ ...definition, sloId: this.#ids.uuid(), createdBy: change.actor.subject }, change);
  }

  /** @throws OrchestratorError `SLO_NOT_FOUND` */
  async getSlo(tenantId: string, sloId: string): Promise<Slo> {
    const slo = await this.#store.forTenant(tenantId).getSlo(sloId);
    if (slo === null) throw sloNotFound(sloId);
    return slo;
  }

  /** @throws OrchestratorError `INVALID_CURSOR` */
  listSlos(tenantId: string, query: ListSlosQuery): Promise<Page<Slo>> {
    return this.#store.forTenant(tenantId).listSlos(query);
  }

  /** @throws OrchestratorError `SLO_NOT_FOUND`, `VALIDATION_FAILED`, `SLO_NAME_TAKEN` */
  updateSlo(tenantId: string, sloId: string, patch: SloPatch, change: SloChangeContext): Promise<Slo> {
    return this.#store.forTenant(tenantId).updateSlo(sloId, patch, change);
  }

  /** @throws OrchestratorError `SLO_NOT_FOUND` */
  deleteSlo(tenantId: string, sloId: string, change: SloChangeContext): Promise<Slo> {
    return this.#store.forTenant(tenantId).deleteSlo(sloId, change);
  }

  /** The burn rates of an SLO now. @throws OrchestratorError `SLO_NOT_FOUND` */
  async burnStatus(tenantId: string, sloId: string): Promise<SloBurnStatus> {
    const store = this.#store.forTenant(tenantId);
    const slo = await this.getSlo(tenantId, sloId);
    const [counts, openIncident] = await Promise.all([
      store.countOutcomes(slo),
      store.getOpenIncident(sloId),
    ]);
    const report = sloBurnReport(counts, slo);
    return {
      slo,
      report,
      alerts: {
        fast: report.windows['1h'].burnRate > slo.alertPolicy.fastBurnThreshold,
        slow: report.windows['6h'].burnRate > slo.alertPolicy.slowBurnThreshold,
      },
      openIncident,
    };
  }

  /** @throws OrchestratorError `INVALID_CURSOR` */
  listIncidents(tenantId: string, query: ListIncidentsQuery): Promise<Page<Incident>> {
    return this.#store.forTenant(tenantId).listIncidents(query);
  }

  /** @throws OrchestratorError `INCIDENT_NOT_FOUND` */
  async getIncident(tenantId: string, incidentId: string): Promise<Incident> {
    const incident = await this.#store.forTenant(tenantId).getIncident(incidentId);
    if (incident === null) {
      throw new OrchestratorError('INCIDENT_NOT_FOUND', `incident ${incidentId} does not exist`, {
        details: { incidentId },
      });
    }
    return incident;
  }

  /**
   * Evaluates one SLO: reads its burn rates, then opens an incident (and asks for its source to be
   * paused, when the SLO says so) or resolves the open one, as {@link decideIncident} decides.
   */
  async evaluateSlo(slo: Slo): Promise<SloEvaluation> {
    const store = this.#store.forTenant(slo.tenantId);
    const [counts, open] = await Promise.all([store.countOutcomes(slo), store.getOpenIncident(slo.sloId)]);
    const burnRates = burnRatesOf(sloBurnReport(counts, slo));
    const decision = decideIncident(burnRates, slo.alertPolicy, open !== null);
    const base = { tenantId: slo.tenantId, sloId: slo.sloId, sloName: slo.name, burnRates };
    if (decision.action === 'open') {
      const pausedSourceId = slo.pauseSourceOnIncident ? slo.sourceId : null;
      const opened = await store.openIncident(slo, {
        incidentId: this.#ids.uuid(),
        trigger: decision.trigger,
        burnRatesAtOpen: burnRates,
        pausedSourceId,
      });
      if (opened === null) {
        // Another replica opened it first.
        const current = await store.getOpenIncident(slo.sloId);
        return { ...base, action: 'none', openIncidentId: current?.incidentId ?? null };
      }
      this.#logger.warn(
        { tenantId: slo.tenantId, sloId: slo.sloId, incidentId: opened.incidentId, burnRates },
        'SLO incident opened',
      );
      if (pausedSourceId !== null) await this.#pauseSource(slo, opened, pausedSourceId);
      return { ...base, action: 'opened', openIncidentId: opened.incidentId };
    }
    if (decision.action === 'resolve' && open !== null) {
      const resolved = await store.resolveIncident(slo, open.incidentId, burnRates);
      if (resolved !== null) {
        this.#logger.info(
          { tenantId: slo.tenantId, sloId: slo.sloId, incidentId: open.incidentId, burnRates },
          'SLO incident resolved',
        );
      }
      return { ...base, action: resolved === null ? 'none' : 'resolved', openIncidentId: null };
    }
    return { ...base, action: 'none', openIncidentId: open?.incidentId ?? null };
  }

  async #pauseSource(slo: Slo, incident: Incident, sourceId: string): Promise<void> {
    let paused = false;
    try {
      paused = await this.#pauser.pause(
        slo.tenantId,
        sourceId,
        `incident ${incident.incidentId} of SLO ${slo.name} (${incident.trigger} burn)`,
      );
    } catch (error) {
      this.#logger.error({ err: error, tenantId: slo.tenantId, sourceId }, 'the source could not be paused');
    }
    await this.#store.forTenant(slo.tenantId).recordSourcePause(incident.incidentId, paused);
  }

  /**
   * Evaluates every SLO of one tenant. An SLO that fails is logged and the others go on.
   * @returns the evaluations that completed
   */
  async evaluateTenant(tenantId: string): Promise<SloEvaluation[]> {
    const store = this.#store.forTenant(tenantId);
    const evaluations: SloEvaluation[] = [];
    let pageToken: string | undefined;
    do {
      const page = await store.listSlos({ pageSize: 500, ...(pageToken === undefined ? {} : { pageToken }) });
      for (const slo of page.items) {
        try {
          evaluations.push(await this.evaluateSlo(slo));
        } catch (error) {
          this.#logger.error({ err: error, tenantId, sloId: slo.sloId }, 'SLO evaluation failed');
        }
      }
      pageToken = page.nextPageToken ?? undefined;
    } while (pageToken !== undefined);
    return evaluations;
  }

  /**
   * One evaluation pass over every SLO of every tenant, then the metrics. Never throws: a tenant that
   * fails is logged and the others go on.
   */
  async evaluateAll(): Promise<SloEvaluation[]> {
    let tenants: string[];
    try {
      tenants = await this.#store.listSloTenants();
    } catch (error) {
      this.#logger.error({ err: error }, 'SLO evaluation could not list tenants');
      return [];
    }
    const evaluations: SloEvaluation[] = [];
    for (const tenantId of tenants) {
      try {
        evaluations.push(...(await this.evaluateTenant(tenantId)));
      } catch (error) {
        this.#logger.error({ err: error, tenantId }, 'SLO evaluation failed');
      }
    }
    this.#metrics.evaluated(evaluations);
    return evaluations;
  }
}
