import { ConfigError } from './config-error.js';

/** The `metrics` section of the configuration: the Prometheus endpoint `GET /metrics` and its labels. */
export interface MetricsConfig {
  /** Record metrics and serve `GET /metrics`; `false`: neither (the endpoint answers 404). */
  readonly enabled: boolean;
  /** When set, `GET /metrics` requires `Authorization: Bearer <this>`; `null` leaves it open. */
  readonly bearerToken: string | null;
  /** Label series by tenant; `false` puts every tenant under the label value `_all`. */
  readonly tenantLabels: boolean;
  /** Distinct job types this process labels; any type seen after them is labelled `_other`. */
  readonly maxJobTypeLabels: number;
  /** How long the gauges read from the ledger (queue depths) are reused between scrapes. */
  readonly ledgerCacheMs: number;
}

export const DEFAULT_METRICS_CONFIG: MetricsConfig = {
  enabled: true,
  bearerToken: null,
  tenantLabels: true,
  maxJobTypeLabels: 100,
  ledgerCacheMs: 5_000,
};

const KEYS = Object.keys(DEFAULT_METRICS_CONFIG);

/** Checks the `metrics` section, filling in defaults. @throws ConfigError */
export function validateMetricsConfig(value: unknown): MetricsConfig {
  if (value === undefined) return DEFAULT_METRICS_CONFIG;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError('metrics', 'must be an object');
  }
  const raw = value as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!KEYS.includes(key)) throw new ConfigError(`metrics.${key}`, 'is not a configuration key');
  }
  const bearerToken = raw['bearerToken'] ?? null;
  if (
    bearerToken !== null &&
    (typeof bearerToken !== 'string' || !/^[\x21-\x7e]{16,512}$/.test(bearerToken))
  ) {
    throw new ConfigError(
      'metrics.bearerToken',
      'must be null or 16–512 printable characters without spaces',
    );
  }
  return {
    enabled: flag(raw, 'enabled'),
    bearerToken,
    tenantLabels: flag(raw, 'tenantLabels'),
    maxJobTypeLabels: whole(raw, 'maxJobTypeLabels', 1, 10_000),
    ledgerCacheMs: whole(raw, 'ledgerCacheMs', 0, 300_000),
  };
}

function flag(raw: Record<string, unknown>, key: 'enabled' | 'tenantLabels'): boolean {
  const value = raw[key] ?? DEFAULT_METRICS_CONFIG[key];
  if (typeof value !== 'boolean') throw new ConfigError(`metrics.${key}`, 'must be true or false');
  return value;
}

function whole(
  raw: Record<string, unknown>,
  key: 'maxJobTypeLabels' | 'ledgerCacheMs',
  min: number,
  max: number,
): number {
  const value = raw[key] ?? DEFAULT_METRICS_CONFIG[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`metrics.${key}`, `must be an integer from ${min} to ${max}`);
  }
  return value;
}
