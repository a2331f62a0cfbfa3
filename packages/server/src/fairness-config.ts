import { isTenantId, type TenantWeights } from '@stella-orch/core';
import { ConfigError } from './config-error.js';

/** The `fairness` section of the configuration (docs/decisions/0016-admission-and-limits.md §5–§6). */
export interface FairnessConfig {
  /**
   * The weight of each tenant when a pool worker's lease call is dealt across tenants: a tenant of weight
   * 2 gets twice the share of a batch of a tenant of weight 1. A tenant not named weighs 1.
   */
  readonly tenantWeights: TenantWeights;
}

export const DEFAULT_FAIRNESS_CONFIG: FairnessConfig = { tenantWeights: {} };

/** The largest weight: a ratio of a million to one between two tenants is beyond any fair use. */
export const MAX_TENANT_WEIGHT = 1_000_000;

/** Checks the `fairness` section, filling in defaults. @throws ConfigError */
export function validateFairnessConfig(value: unknown): FairnessConfig {
  if (value === undefined) return DEFAULT_FAIRNESS_CONFIG;
  const raw = objectAt(value, 'fairness');
  for (const key of Object.keys(raw)) {
    if (!(key in DEFAULT_FAIRNESS_CONFIG))
      throw new ConfigError(`fairness.${key}`, 'is not a configuration key');
  }
  if (raw['tenantWeights'] === undefined) return DEFAULT_FAIRNESS_CONFIG;
  const weights = objectAt(raw['tenantWeights'], 'fairness.tenantWeights');
  const tenantWeights: Record<string, number> = {};
  for (const [tenantId, weight] of Object.entries(weights)) {
    const key = `fairness.tenantWeights.${tenantId}`;
    if (!isTenantId(tenantId)) throw new ConfigError(key, 'is not a tenant id (1–64 of A-Z a-z 0-9 . _ -)');
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0 || weight > MAX_TENANT_WEIGHT) {
      throw new ConfigError(key, `must be a number greater than 0 and at most ${MAX_TENANT_WEIGHT}`);
    }
    tenantWeights[tenantId] = weight;
  }
  return { tenantWeights };
}

function objectAt(value: unknown, key: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(key, 'must be an object');
  }
  return value as Record<string, unknown>;
}
