import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKFILL_CONFIG, validateBackfillConfig } from './backfill-config.js';
import { ConfigError } from './config-error.js';

describe('the backfill configuration', () => {
  it('defaults to 10,000 jobs and a quarter share, and takes valid values', () => {
    expect(validateBackfillConfig(undefined)).toEqual({ maxJobs: 10_000, laneShare: 0.25 });
    expect(validateBackfillConfig({ maxJobs: 5 })).toEqual({ ...DEFAULT_BACKFILL_CONFIG, maxJobs: 5 });
    expect(validateBackfillConfig({ laneShare: 1 })).toEqual({ maxJobs: 10_000, laneShare: 1 });
  });

  it.each([
    [[], 'backfill'],
    [{ maxJobs: 0 }, 'backfill.maxJobs'],
    [{ maxJobs: 1.5 }, 'backfill.maxJobs'],
    [{ maxJobs: 2_000_000 }, 'backfill.maxJobs'],
    [{ laneShare: 0 }, 'backfill.laneShare'],
    [{ laneShare: 1.1 }, 'backfill.laneShare'],
    [{ laneShare: '0.5' }, 'backfill.laneShare'],
    [{ other: 1 }, 'backfill.other'],
  ])('refuses %j naming %s', (value, key) => {
    expect(() => validateBackfillConfig(value)).toThrow(ConfigError);
    try {
      validateBackfillConfig(value);
    } catch (error) {
      expect((error as ConfigError).key).toBe(key);
    }
  });
});
