import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_CONFIG, validateConfig } from './config.js';
import { validateSloConfig } from './slo-config.js';

describe('the slo configuration', () => {
  it('defaults to an evaluation every 30 s', () => {
    expect(validateSloConfig(undefined)).toEqual({ evaluationIntervalMs: 30_000 });
    expect(validateConfig({ ...DEFAULT_CONFIG }).slo).toEqual({ evaluationIntervalMs: 30_000 });
  });

  it('takes 0 (off) or 1 s to 1 h', () => {
    expect(validateSloConfig({ evaluationIntervalMs: 0 })).toEqual({ evaluationIntervalMs: 0 });
    expect(validateSloConfig({ evaluationIntervalMs: 1_000 })).toEqual({ evaluationIntervalMs: 1_000 });
    for (const bad of [999, 3_600_001, 1.5, '30000', -1]) {
      expect(() => validateSloConfig({ evaluationIntervalMs: bad })).toThrow(ConfigError);
    }
    expect(() => validateSloConfig({ intervalMs: 1_000 })).toThrow(/slo.intervalMs/);
    expect(() => validateSloConfig([])).toThrow(ConfigError);
  });
});
