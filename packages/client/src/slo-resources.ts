// The SLO and incident resources of the HTTP contract (docs/api.md, "SLOs and incidents"), as they travel.
import type { PageQuery } from './job-resources.js';

/** The burn-rate windows. */
export type BurnWindow = '1h' | '6h' | '24h' | '30d';

/** Burn-rate thresholds above which an incident opens: over 1 hour (fast) and 6 hours (slow). */
export interface SloAlertPolicy {
  readonly fastBurnThreshold: number;
  readonly slowBurnThreshold: number;
}

/** A service-level objective over a tenant's terminal job outcomes. */
export interface Slo {
  readonly sloId: string;
  readonly tenantId: string;
  readonly name: string;
  readonly description: string | null;
  readonly jobType: string | null;
  readonly sourceId: string | null;
  readonly objective: number;
  readonly windowSeconds: number;
  readonly alertPolicy: SloAlertPolicy;
  readonly pauseSourceOnIncident: boolean;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly updatedAt: string;
  readonly updatedBy: string;
}

/** The body of `POST /slos`: a name and an objective, the rest optional. */
export interface NewSlo {
  readonly name: string;
  readonly objective: number;
  readonly description?: string | null;
  readonly jobType?: string | null;
  readonly sourceId?: string | null;
  readonly windowSeconds?: number;
  readonly alertPolicy?: Partial<SloAlertPolicy>;
  readonly pauseSourceOnIncident?: boolean;
}

/** The body of `PATCH /slos/{sloId}`: the fields to replace. */
export type SloChange = Partial<NewSlo>;

/** Outcomes and burn rate over one window. */
export interface WindowBurn {
  readonly good: number;
  readonly bad: number;
  readonly total: number;
  readonly errorRatio: number;
  readonly burnRate: number;
}

/** An SLO incident. */
export interface Incident {
  readonly incidentId: string;
  readonly tenantId: string;
  readonly sloId: string;
  readonly status: 'open' | 'resolved';
  readonly trigger: 'fast' | 'slow' | 'fast+slow';
  readonly openedAt: string;
  readonly resolvedAt: string | null;
  readonly burnRatesAtOpen: Readonly<Record<BurnWindow, number>>;
  readonly burnRatesAtResolve: Readonly<Record<BurnWindow, number>> | null;
  readonly pausedSourceId: string | null;
  readonly sourcePaused: boolean;
}

/** The answer of `GET /slos/{sloId}/burn-rate`. */
export interface SloBurnRate {
  readonly sloId: string;
  readonly name: string;
  readonly objective: number;
  readonly asOf: string;
  readonly windows: Readonly<Record<BurnWindow, WindowBurn>>;
  readonly errorBudget: {
    readonly windowSeconds: number;
    readonly good: number;
    readonly bad: number;
    readonly total: number;
    readonly errorRatio: number;
    readonly allowedFailures: number;
    readonly consumed: number;
    readonly remaining: number;
  };
  readonly alertPolicy: SloAlertPolicy;
  readonly alerts: { readonly fast: boolean; readonly slow: boolean };
  readonly openIncident: Incident | null;
}

/** Filters of `GET /incidents`. */
export interface ListIncidentsQuery extends PageQuery {
  readonly status?: 'open' | 'resolved';
  readonly sloId?: string;
}
