import { ConfigError } from './config-error.js';

/** The `slo` section of the configuration: how often the SLO evaluator runs. */
export interface SloConfig {
  /** Between two evaluations of every SLO of every tenant; 0 turns the evaluator off in this process. */
  readonly evaluationIntervalMs: number;
}

export const DEFAULT_SLO_CONFIG: SloConfig = { evaluationIntervalMs: 30_000 };

const MIN_INTERVAL_MS = 1_000;
const MAX_INTERVAL_MS = 3_600_000;

/** Checks the `slo` section, filling in defaults. @throws ConfigError */
export function validateSloConfig(value: unknown): SloConfig {
  if (value === undefined) return DEFAULT_SLO_CONFIG;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError('slo', 'must be an object');
  }
  const raw = value as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!(key in DEFAULT_SLO_CONFIG)) throw new ConfigError(`slo.${key}`, 'is not a configuration key');
  }
  const interval = raw['evaluationIntervalMs'] ?? DEFAULT_SLO_CONFIG.evaluationIntervalMs;
  if (
    typeof interval !== 'number' ||
    !Number.isInteger(interval) ||
    (interval !== 0 && (interval < MIN_INTERVAL_MS || interval > MAX_INTERVAL_MS))
  ) {
    throw new ConfigError(
      'slo.evaluationIntervalMs',
      `must be 0 (off) or an integer from ${MIN_INTERVAL_MS} to ${MAX_INTERVAL_MS}`,
    );
  }
  return { evaluationIntervalMs: interval };
}
