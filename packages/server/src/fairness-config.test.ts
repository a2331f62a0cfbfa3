import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.js';
import { DEFAULT_FAIRNESS_CONFIG, validateFairnessConfig } from './fairness-config.js';

describe('the fairness configuration', () => {
  it('defaults to no weights (every tenant weighs 1), and takes valid ones', () => {
    expect(validateFairnessConfig(undefined)).toEqual({ tenantWeights: {} });
    expect(validateFairnessConfig({})).toBe(DEFAULT_FAIRNESS_CONFIG);
    expect(validateFairnessConfig({ tenantWeights: { acme: 3, 'small.co': 0.5 } })).toEqual({
      tenantWeights: { acme: 3, 'small.co': 0.5 },
    });
  });

  it.each([
    [[], 'fairness'],
    [{ other: 1 }, 'fairness.other'],
    [{ tenantWeights: [] }, 'fairness.tenantWeights'],
    [{ tenantWeights: { acme: 0 } }, 'fairness.tenantWeights.acme'],
    [{ tenantWeights: { acme: -1 } }, 'fairness.tenantWeights.acme'],
    [{ tenantWeights: { acme: '2' } }, 'fairness.tenantWeights.acme'],
    [{ tenantWeights: { acme: 2_000_000 } }, 'fairness.tenantWeights.acme'],
    [{ tenantWeights: { '*': 2 } }, 'fairness.tenantWeights.*'],
    [{ tenantWeights: { 'no spaces': 2 } }, 'fairness.tenantWeights.no spaces'],
  ])('refuses %j naming %s', (value, key) => {
    expect(() => validateFairnessConfig(value)).toThrow(ConfigError);
    try {
      validateFairnessConfig(value);
    } catch (error) {
      expect((error as ConfigError).key).toBe(key);
    }
  });
});
