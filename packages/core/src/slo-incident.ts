import type { SloAlertPolicy } from './slo.js';
import type { BurnRates } from './slo-burn-rate.js';

/** Which alert opened an incident: the fast one (1 h), the slow one (6 h), or both at once. */
export type IncidentTrigger = 'fast' | 'slow' | 'fast+slow';

/** Open until every alerting window is back below its threshold, then resolved for good. */
export type IncidentStatus = 'open' | 'resolved';

/** The statuses of an incident. */
export const INCIDENT_STATUSES: readonly IncidentStatus[] = ['open', 'resolved'];

/**
 * Incident mode of one SLO: opened when a burn rate passed its alert threshold, resolved when they are
 * back below. At most one incident of an SLO is open at a time.
 */
export interface Incident {
  readonly incidentId: string;
  readonly tenantId: string;
  readonly sloId: string;
  readonly status: IncidentStatus;
  readonly trigger: IncidentTrigger;
  readonly openedAt: string;
  readonly resolvedAt: string | null;
  readonly burnRatesAtOpen: BurnRates;
  readonly burnRatesAtResolve: BurnRates | null;
  /** The source the SLO asked to pause when the incident opened, else `null`. */
  readonly pausedSourceId: string | null;
  /** Whether that pause took (the source pauser said so). */
  readonly sourcePaused: boolean;
}

/**
 * An open incident resolves only once every alerting window is below this share of its threshold:
 * a burn rate hovering around a threshold does not open and resolve incident after incident.
 */
export const INCIDENT_RESOLVE_RATIO = 0.9;

/** What the evaluator does about one SLO. */
export type IncidentDecision =
  | { readonly action: 'open'; readonly trigger: IncidentTrigger }
  | { readonly action: 'resolve' }
  | { readonly action: 'none' };

/**
 * The incident decision for one SLO (pure): with no open incident, open one when burn(1 h) >
 * `fastBurnThreshold` or burn(6 h) > `slowBurnThreshold`; with one open, resolve it when burn(1 h) ≤
 * 0.9 × `fastBurnThreshold` and burn(6 h) ≤ 0.9 × `slowBurnThreshold` ({@link INCIDENT_RESOLVE_RATIO});
 * otherwise nothing.
 */
export function decideIncident(
  rates: BurnRates,
  policy: SloAlertPolicy,
  openIncident: boolean,
): IncidentDecision {
  if (openIncident) {
    const calm =
      rates['1h'] <= policy.fastBurnThreshold * INCIDENT_RESOLVE_RATIO &&
      rates['6h'] <= policy.slowBurnThreshold * INCIDENT_RESOLVE_RATIO;
    return calm ? { action: 'resolve' } : { action: 'none' };
  }
  const fast = rates['1h'] > policy.fastBurnThreshold;
  const slow = rates['6h'] > policy.slowBurnThreshold;
  if (fast && slow) return { action: 'open', trigger: 'fast+slow' };
  if (fast) return { action: 'open', trigger: 'fast' };
  if (slow) return { action: 'open', trigger: 'slow' };
  return { action: 'none' };
}
