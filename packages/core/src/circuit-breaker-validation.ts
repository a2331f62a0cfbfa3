import { canonicalJson, sha256Digest } from './canonical-json.js';
import { CIRCUIT_LIMITS, DEFAULT_CIRCUIT_SETTINGS, type CircuitBreakerSettings } from './circuit-breaker.js';
import type { FieldError } from './errors.js';
import { IDENTIFIER_PATTERN, JOB_TYPE_PATTERN } from './job-submission.js';

/** The setting names, in the order they are checked and listed. */
export const CIRCUIT_SETTING_NAMES = [
  'failureRatio',
  'minVolume',
  'windowSeconds',
  'coolDownSeconds',
  'probeLeases',
] as const satisfies readonly (keyof CircuitBreakerSettings)[];

/**
 * Settings as a request gives them: any of them. An absent setting takes its default
 * ({@link DEFAULT_CIRCUIT_SETTINGS}) when a breaker is created, and keeps its value when one is updated.
 */
export type CircuitBreakerSettingsPatch = Partial<CircuitBreakerSettings>;

/** What a caller creates: a breaker on exactly one of a source and a job type, with optional settings. */
export interface CircuitBreakerDefinition extends CircuitBreakerSettingsPatch {
  readonly sourceId?: string | null;
  readonly jobType?: string | null;
}

// The whole-number settings and their bounds; the ledger's CHECK constraints hold the same.
const WHOLE_SETTINGS: readonly {
  readonly name: keyof CircuitBreakerSettings;
  readonly min: number;
  readonly max: number;
}[] = [
  { name: 'minVolume', min: 1, max: CIRCUIT_LIMITS.maxMinVolume },
  { name: 'windowSeconds', min: CIRCUIT_LIMITS.minWindowSeconds, max: CIRCUIT_LIMITS.maxWindowSeconds },
  { name: 'coolDownSeconds', min: 1, max: CIRCUIT_LIMITS.maxCoolDownSeconds },
  { name: 'probeLeases', min: 1, max: CIRCUIT_LIMITS.maxProbeLeases },
];

/**
 * Field errors of the settings a request gives: `failureRatio` a number in (0, 1]; `minVolume` 1 to
 * 1,000,000; `windowSeconds` 10 to 86,400; `coolDownSeconds` 1 to 86,400; `probeLeases` 1 to 1,000 (whole
 * numbers). Absent settings are not checked.
 */
export function checkCircuitBreakerSettings(input: CircuitBreakerSettingsPatch): FieldError[] {
  const errors: FieldError[] = [];
  const ratio = input.failureRatio;
  if (
    ratio !== undefined &&
    (typeof ratio !== 'number' || !Number.isFinite(ratio) || ratio <= 0 || ratio > 1)
  ) {
    errors.push({ path: 'failureRatio', message: 'must be a number greater than 0 and at most 1' });
  }
  for (const { name, min, max } of WHOLE_SETTINGS) {
    const value = input[name];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      errors.push({ path: name, message: `must be an integer from ${min} to ${max}` });
    }
  }
  return errors;
}

/**
 * Field errors of a new breaker: exactly one of `sourceId` (a source id) and `jobType` (the job-type rule of
 * submissions), and its settings ({@link checkCircuitBreakerSettings}).
 */
export function checkCircuitBreakerDefinition(input: CircuitBreakerDefinition): FieldError[] {
  const errors: FieldError[] = [];
  const sourceId = input.sourceId ?? null;
  const jobType = input.jobType ?? null;
  if ((sourceId === null) === (jobType === null)) {
    errors.push({ path: 'body', message: 'must give exactly one of sourceId and jobType' });
  }
  if (sourceId !== null && (typeof sourceId !== 'string' || !IDENTIFIER_PATTERN.test(sourceId))) {
    errors.push({ path: 'sourceId', message: 'must be a source id (1–256 of A-Z a-z 0-9 . _ : / @ -)' });
  }
  if (jobType !== null && (typeof jobType !== 'string' || !JOB_TYPE_PATTERN.test(jobType))) {
    errors.push({
      path: 'jobType',
      message: 'must be 1–128 of A-Z a-z 0-9 . _ : / - starting with a letter or digit',
    });
  }
  errors.push(...checkCircuitBreakerSettings(input));
  return errors;
}

/** Field errors of an update: at least one setting, each within its bounds. */
export function checkCircuitBreakerUpdate(input: CircuitBreakerSettingsPatch): FieldError[] {
  if (CIRCUIT_SETTING_NAMES.every((name) => input[name] === undefined)) {
    return [{ path: 'body', message: `must name at least one of ${CIRCUIT_SETTING_NAMES.join(', ')}` }];
  }
  return checkCircuitBreakerSettings(input);
}

/**
 * The whole settings a request makes: those it gives over `base` (the defaults for a new breaker, the
 * current settings for an update). Only the setting names are read, whatever else the input holds.
 */
export function circuitBreakerSettingsOf(
  input: CircuitBreakerSettingsPatch,
  base: CircuitBreakerSettings = DEFAULT_CIRCUIT_SETTINGS,
): CircuitBreakerSettings {
  return {
    failureRatio: input.failureRatio ?? base.failureRatio,
    minVolume: input.minVolume ?? base.minVolume,
    windowSeconds: input.windowSeconds ?? base.windowSeconds,
    coolDownSeconds: input.coolDownSeconds ?? base.coolDownSeconds,
    probeLeases: input.probeLeases ?? base.probeLeases,
  };
}

/**
 * The digest of a breaker request: an `Idempotency-Key` reused with another request conflicts. Absent and
 * `null` count the same; a setting left to its default and the same value given are different requests.
 */
export function circuitBreakerRequestDigest(input: CircuitBreakerDefinition): string {
  return sha256Digest(
    canonicalJson({
      sourceId: input.sourceId ?? null,
      jobType: input.jobType ?? null,
      ...Object.fromEntries(CIRCUIT_SETTING_NAMES.map((name) => [name, input[name] ?? null])),
    }),
  );
}
