import type { FieldError } from './errors.js';

/** The shortest SLO window: one hour. */
export const MIN_SLO_WINDOW_SECONDS = 3_600;
/** The longest SLO window: 90 days. */
export const MAX_SLO_WINDOW_SECONDS = 90 * 86_400;
/** The SLO window when none is given: 30 days. */
export const DEFAULT_SLO_WINDOW_SECONDS = 30 * 86_400;

/**
 * The alert policy of an SLO: the multiwindow burn-rate alerts of the Google SRE workbook. An incident
 * opens when the burn rate over 1 hour passes `fastBurnThreshold` (2 % of a 30-day budget spent in an
 * hour) or the burn rate over 6 hours passes `slowBurnThreshold` (5 % in 6 hours).
 */
export interface SloAlertPolicy {
  readonly fastBurnThreshold: number;
  readonly slowBurnThreshold: number;
}

/** The workbook's thresholds: 14.4 over 1 hour, 6 over 6 hours. */
export const DEFAULT_SLO_ALERT_POLICY: SloAlertPolicy = { fastBurnThreshold: 14.4, slowBurnThreshold: 6 };

/** The largest burn-rate threshold accepted (a burn rate cannot pass 1 / (1 − objective) anyway). */
export const MAX_BURN_THRESHOLD = 1_000_000;

/**
 * A service-level objective over job outcomes: of the terminal jobs of a tenant (of one job type and/or
 * one source, or all), the share `objective` must succeed over a rolling window of `windowSeconds`.
 * Succeeded jobs are good, failed jobs (dead-lettered or non-retryable) bad; canceled jobs do not count.
 */
export interface Slo {
  readonly sloId: string;
  readonly tenantId: string;
  readonly name: string;
  readonly description: string | null;
  /** `null`: jobs of every type. */
  readonly jobType: string | null;
  /** `null`: jobs of every source. */
  readonly sourceId: string | null;
  /** 0 < objective < 1, such as 0.99. */
  readonly objective: number;
  readonly windowSeconds: number;
  readonly alertPolicy: SloAlertPolicy;
  /** Whether opening an incident asks for `sourceId` to be paused. */
  readonly pauseSourceOnIncident: boolean;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly updatedAt: string;
  readonly updatedBy: string;
}

/** What defines an SLO: everything a caller chooses. */
export interface SloDefinition {
  readonly name: string;
  readonly description: string | null;
  readonly jobType: string | null;
  readonly sourceId: string | null;
  readonly objective: number;
  readonly windowSeconds: number;
  readonly alertPolicy: SloAlertPolicy;
  readonly pauseSourceOnIncident: boolean;
}

/** A new SLO as the ledger keeps it: its definition, its id and who made it. */
export interface NewSlo extends SloDefinition {
  readonly sloId: string;
  readonly createdBy: string;
}

/**
 * A change of an SLO: the fields given replace the current ones (`null` clears a nullable one); a
 * threshold left out of `alertPolicy` keeps its value.
 */
export type SloPatch = Partial<Omit<SloDefinition, 'alertPolicy'>> & {
  readonly alertPolicy?: Partial<SloAlertPolicy>;
};

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 ._:/-]{0,127}$/;
const MAX_TEXT = 256;
const MAX_DESCRIPTION = 2_000;

/**
 * Checks an SLO definition: a name of 1–128 letters, digits, spaces and `._:/-` (starting with a letter or
 * digit), an objective strictly between 0 and 1, a whole window from 1 hour to 90 days, thresholds above 0,
 * job type and source of 1–256 characters when given, and a source to pause when pausing is asked for.
 * @returns the field errors, empty when the definition is valid
 */
export function checkSloDefinition(definition: SloDefinition): FieldError[] {
  const errors: FieldError[] = [];
  if (!NAME_PATTERN.test(definition.name)) {
    errors.push({
      path: 'name',
      message: 'must be 1–128 letters, digits, spaces or ._:/- starting with a letter or digit',
    });
  }
  if (definition.description !== null && definition.description.length > MAX_DESCRIPTION) {
    errors.push({ path: 'description', message: `must be at most ${MAX_DESCRIPTION} characters` });
  }
  for (const key of ['jobType', 'sourceId'] as const) {
    const value = definition[key];
    if (value !== null && (value.length === 0 || value.length > MAX_TEXT)) {
      errors.push({ path: key, message: `must be 1–${MAX_TEXT} characters or null` });
    }
  }
  if (!(Number.isFinite(definition.objective) && definition.objective > 0 && definition.objective < 1)) {
    errors.push({ path: 'objective', message: 'must be a number strictly between 0 and 1, such as 0.99' });
  }
  const window = definition.windowSeconds;
  if (!Number.isInteger(window) || window < MIN_SLO_WINDOW_SECONDS || window > MAX_SLO_WINDOW_SECONDS) {
    errors.push({
      path: 'windowSeconds',
      message: `must be a whole number of seconds from ${MIN_SLO_WINDOW_SECONDS} (1 h) to ${MAX_SLO_WINDOW_SECONDS} (90 d)`,
    });
  }
  for (const key of ['fastBurnThreshold', 'slowBurnThreshold'] as const) {
    const value = definition.alertPolicy[key];
    if (!(Number.isFinite(value) && value > 0 && value <= MAX_BURN_THRESHOLD)) {
      errors.push({
        path: `alertPolicy.${key}`,
        message: `must be a number above 0 (at most ${MAX_BURN_THRESHOLD})`,
      });
    }
  }
  if (definition.pauseSourceOnIncident && definition.sourceId === null) {
    errors.push({ path: 'pauseSourceOnIncident', message: 'needs a sourceId to pause' });
  }
  return errors;
}

/** The definition of `slo` with `patch` applied. */
export function applySloPatch(slo: SloDefinition, patch: SloPatch): SloDefinition {
  return {
    name: patch.name ?? slo.name,
    description: patch.description === undefined ? slo.description : patch.description,
    jobType: patch.jobType === undefined ? slo.jobType : patch.jobType,
    sourceId: patch.sourceId === undefined ? slo.sourceId : patch.sourceId,
    objective: patch.objective ?? slo.objective,
    windowSeconds: patch.windowSeconds ?? slo.windowSeconds,
    alertPolicy: { ...slo.alertPolicy, ...patch.alertPolicy },
    pauseSourceOnIncident: patch.pauseSourceOnIncident ?? slo.pauseSourceOnIncident,
  };
}

/** The definition part of an SLO. */
export function sloDefinitionOf(slo: Slo): SloDefinition {
  return {
    name: slo.name,
    description: slo.description,
    jobType: slo.jobType,
    sourceId: slo.sourceId,
    objective: slo.objective,
    windowSeconds: slo.windowSeconds,
    alertPolicy: slo.alertPolicy,
    pauseSourceOnIncident: slo.pauseSourceOnIncident,
  };
}
