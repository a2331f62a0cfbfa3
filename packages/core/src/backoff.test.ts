import { describe, it, expect } from 'vitest';
import {
  DEFAULT_RETRY_POLICY,
  MAX_RETRY_AFTER_MS,
  checkRetryPolicy,
  computeRetryDelayMs,
  retryDelaySchedule,
  type RetryPolicy,
} from './backoff.js';

/** The largest double below 1: what `Math.random()` can return at most. */
const ALMOST_ONE = 1 - Number.EPSILON / 2;

const NO_JITTER: RetryPolicy = { initialDelayMs: 100, multiplier: 3, maxDelayMs: 10_000, jitter: 0 };

describe('DEFAULT_RETRY_POLICY', () => {
  it('is 1 s doubling, capped at 5 minutes, with 20 % jitter', () => {
    expect(DEFAULT_RETRY_POLICY).toEqual({
      initialDelayMs: 1_000,
      multiplier: 2,
      maxDelayMs: 300_000,
      jitter: 0.2,
    });
    expect(checkRetryPolicy(DEFAULT_RETRY_POLICY)).toEqual([]);
  });

  it('caps retryAfterMs at one day', () => {
    expect(MAX_RETRY_AFTER_MS).toBe(24 * 60 * 60 * 1000);
  });
});

describe('computeRetryDelayMs', () => {
  describe('growth and cap', () => {
    it('grows exponentially from the initial delay (random 0 takes no jitter off)', () => {
      const delays = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((a) => computeRetryDelayMs(DEFAULT_RETRY_POLICY, a, 0));
      expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000]);
    });

    it('caps at maxDelayMs', () => {
      expect(computeRetryDelayMs(DEFAULT_RETRY_POLICY, 10, 0)).toBe(300_000); // 512 s uncapped
      expect(computeRetryDelayMs(DEFAULT_RETRY_POLICY, 11, 0)).toBe(300_000);
      expect(computeRetryDelayMs(DEFAULT_RETRY_POLICY, 100, 0)).toBe(300_000);
      expect(computeRetryDelayMs(NO_JITTER, 4, 0.5)).toBe(2_700);
      expect(computeRetryDelayMs(NO_JITTER, 5, 0.5)).toBe(8_100);
      expect(computeRetryDelayMs(NO_JITTER, 6, 0.5)).toBe(10_000);
    });

    it('stays at the cap even when the raw delay overflows to Infinity', () => {
      expect(computeRetryDelayMs(DEFAULT_RETRY_POLICY, 5_000, 0)).toBe(300_000);
      expect(computeRetryDelayMs({ ...NO_JITTER, multiplier: 1e308 }, 3, 0)).toBe(10_000);
    });

    it('treats attempt 0 and negative attempts as the first', () => {
      expect(computeRetryDelayMs(DEFAULT_RETRY_POLICY, 0, 0)).toBe(1_000);
      expect(computeRetryDelayMs(DEFAULT_RETRY_POLICY, -3, 0)).toBe(1_000);
    });

    it('is constant with multiplier 1', () => {
      const flat = { ...NO_JITTER, multiplier: 1 };
      expect([1, 2, 10].map((a) => computeRetryDelayMs(flat, a, 0))).toEqual([100, 100, 100]);
    });

    it('returns 0 for a zero initial delay', () => {
      expect(computeRetryDelayMs({ ...NO_JITTER, initialDelayMs: 0 }, 7, 0.3)).toBe(0);
    });

    it('rounds to whole milliseconds', () => {
      expect(computeRetryDelayMs({ ...NO_JITTER, initialDelayMs: 1.4 }, 1, 0)).toBe(1);
      expect(computeRetryDelayMs({ ...NO_JITTER, initialDelayMs: 1.5 }, 1, 0)).toBe(2);
      expect(computeRetryDelayMs({ ...NO_JITTER, initialDelayMs: 10, multiplier: 1.5 }, 2, 0)).toBe(15);
      expect(computeRetryDelayMs({ ...NO_JITTER, initialDelayMs: 10, multiplier: 1.5 }, 3, 0)).toBe(23); // 22.5
    });
  });

  describe('jitter', () => {
    it('takes nothing off with random 0', () => {
      expect(computeRetryDelayMs(DEFAULT_RETRY_POLICY, 1, 0)).toBe(1_000);
      expect(computeRetryDelayMs({ ...DEFAULT_RETRY_POLICY, jitter: 1 }, 3, 0)).toBe(4_000);
    });

    it('takes almost the whole jitter fraction off with random close to 1', () => {
      expect(computeRetryDelayMs(DEFAULT_RETRY_POLICY, 1, ALMOST_ONE)).toBe(800);
      expect(computeRetryDelayMs(DEFAULT_RETRY_POLICY, 1, 0.999999)).toBe(800);
      expect(computeRetryDelayMs(DEFAULT_RETRY_POLICY, 10, ALMOST_ONE)).toBe(240_000);
      expect(computeRetryDelayMs({ ...DEFAULT_RETRY_POLICY, jitter: 1 }, 1, ALMOST_ONE)).toBe(0);
    });

    it('scales linearly with random in between', () => {
      expect(computeRetryDelayMs(DEFAULT_RETRY_POLICY, 1, 0.5)).toBe(900);
      expect(computeRetryDelayMs(DEFAULT_RETRY_POLICY, 2, 0.25)).toBe(1_900);
      expect(computeRetryDelayMs({ ...DEFAULT_RETRY_POLICY, jitter: 1 }, 1, 0.5)).toBe(500);
    });

    it('always lands in [cap × (1 − jitter), cap] for the attempt', () => {
      const policies: RetryPolicy[] = [
        DEFAULT_RETRY_POLICY,
        { initialDelayMs: 250, multiplier: 1.7, maxDelayMs: 60_000, jitter: 0.5 },
        { initialDelayMs: 1_000, multiplier: 2, maxDelayMs: 30_000, jitter: 1 },
        NO_JITTER,
      ];
      const randoms = [0, 1e-9, 0.1, 0.333, 0.5, 0.75, 0.9, 0.999999, ALMOST_ONE];
      for (const policy of policies) {
        for (let attempt = 1; attempt <= 25; attempt++) {
          const full = Math.min(
            policy.initialDelayMs * policy.multiplier ** (attempt - 1),
            policy.maxDelayMs,
          );
          for (const random of randoms) {
            const delay = computeRetryDelayMs(policy, attempt, random);
            expect(Number.isInteger(delay)).toBe(true);
            expect(delay).toBeGreaterThanOrEqual(Math.floor(full * (1 - policy.jitter)));
            expect(delay).toBeLessThanOrEqual(Math.ceil(full));
            expect(delay).toBeLessThanOrEqual(policy.maxDelayMs);
          }
        }
      }
    });

    it('is non-increasing in random for a fixed attempt', () => {
      let previous = Infinity;
      for (let i = 0; i <= 100; i++) {
        const delay = computeRetryDelayMs(DEFAULT_RETRY_POLICY, 4, Math.min(i / 100, ALMOST_ONE));
        expect(delay).toBeLessThanOrEqual(previous);
        previous = delay;
      }
    });

    it('clamps random into [0, 1]', () => {
      expect(computeRetryDelayMs(DEFAULT_RETRY_POLICY, 1, -5)).toBe(1_000);
      expect(computeRetryDelayMs(DEFAULT_RETRY_POLICY, 1, 7)).toBe(800);
    });

    it('clamps the policy jitter into [0, 1], so a delay is never negative', () => {
      expect(computeRetryDelayMs({ ...DEFAULT_RETRY_POLICY, jitter: -1 }, 1, 0.9)).toBe(1_000);
      expect(computeRetryDelayMs({ ...DEFAULT_RETRY_POLICY, jitter: 3 }, 1, 0.5)).toBe(500);
      expect(computeRetryDelayMs({ ...DEFAULT_RETRY_POLICY, jitter: 3 }, 1, ALMOST_ONE)).toBe(0);
    });
  });

  describe('retryAfterMs', () => {
    it('is honoured as given, whatever the attempt, policy and random', () => {
      expect(computeRetryDelayMs(DEFAULT_RETRY_POLICY, 1, 0, 1_234)).toBe(1_234);
      expect(computeRetryDelayMs(DEFAULT_RETRY_POLICY, 50, 0.9, 1_234)).toBe(1_234);
      expect(computeRetryDelayMs(NO_JITTER, 3, 0.5, 999_999)).toBe(999_999); // above the policy's cap
      expect(computeRetryDelayMs(DEFAULT_RETRY_POLICY, 1, 0.5, 10)).toBe(10); // below the policy's delay
    });

    it('honours 0 (retry at once)', () => {
      expect(computeRetryDelayMs(DEFAULT_RETRY_POLICY, 5, 0.3, 0)).toBe(0);
    });

    it('is rounded to whole milliseconds', () => {
      expect(computeRetryDelayMs(DEFAULT_RETRY_POLICY, 1, 0, 1_234.4)).toBe(1_234);
      expect(computeRetryDelayMs(DEFAULT_RETRY_POLICY, 1, 0, 1_234.6)).toBe(1_235);
    });

    it('is never negative', () => {
      expect(computeRetryDelayMs(DEFAULT_RETRY_POLICY, 1, 0, -1)).toBe(0);
      expect(computeRetryDelayMs(DEFAULT_RETRY_POLICY, 1, 0, -86_400_000)).toBe(0);
      expect(computeRetryDelayMs(DEFAULT_RETRY_POLICY, 1, 0, -Infinity)).toBe(0);
    });

    it('is bounded by MAX_RETRY_AFTER_MS', () => {
      expect(computeRetryDelayMs(DEFAULT_RETRY_POLICY, 1, 0, MAX_RETRY_AFTER_MS)).toBe(MAX_RETRY_AFTER_MS);
      expect(computeRetryDelayMs(DEFAULT_RETRY_POLICY, 1, 0, MAX_RETRY_AFTER_MS + 1)).toBe(
        MAX_RETRY_AFTER_MS,
      );
      expect(computeRetryDelayMs(DEFAULT_RETRY_POLICY, 1, 0, 1e15)).toBe(MAX_RETRY_AFTER_MS);
      expect(computeRetryDelayMs(DEFAULT_RETRY_POLICY, 1, 0, Infinity)).toBe(MAX_RETRY_AFTER_MS);
    });
  });
});

describe('retryDelaySchedule', () => {
  it('has one entry per attempt, attempt 1 at position 0', () => {
    const schedule = retryDelaySchedule(DEFAULT_RETRY_POLICY, 12, () => 0);
    expect(schedule).toHaveLength(12);
    expect(schedule).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000, 300_000, 300_000,
    ]);
  });

  it('has length maxAttempts for the largest allowed maxAttempts', () => {
    const schedule = retryDelaySchedule(DEFAULT_RETRY_POLICY, 100, () => 0.5);
    expect(schedule).toHaveLength(100);
    schedule.forEach((delay, i) => {
      expect(delay).toBe(computeRetryDelayMs(DEFAULT_RETRY_POLICY, i + 1, 0.5));
    });
  });

  it('is empty for zero or negative maxAttempts', () => {
    expect(retryDelaySchedule(DEFAULT_RETRY_POLICY, 0, () => 0)).toEqual([]);
    expect(retryDelaySchedule(DEFAULT_RETRY_POLICY, -1, () => 0)).toEqual([]);
  });

  it('draws one random number per attempt, in order', () => {
    const draws = [0, 0.5, ALMOST_ONE, 0.25];
    let calls = 0;
    const schedule = retryDelaySchedule(DEFAULT_RETRY_POLICY, 4, () => draws[calls++]!);
    expect(calls).toBe(4);
    expect(schedule).toEqual([1_000, 1_800, 3_200, 7_600]);
  });

  it('repeats a worker’s retryAfterMs for every attempt, bounded', () => {
    expect(retryDelaySchedule(DEFAULT_RETRY_POLICY, 5, () => 0.7, 2_500)).toEqual([
      2_500, 2_500, 2_500, 2_500, 2_500,
    ]);
    const capped = retryDelaySchedule(DEFAULT_RETRY_POLICY, 3, () => 0.7, 10 * MAX_RETRY_AFTER_MS);
    expect(capped).toEqual([MAX_RETRY_AFTER_MS, MAX_RETRY_AFTER_MS, MAX_RETRY_AFTER_MS]);
    expect(retryDelaySchedule(DEFAULT_RETRY_POLICY, 2, () => 0.7, -5)).toEqual([0, 0]);
  });
});

describe('checkRetryPolicy', () => {
  it('accepts sound policies, including the boundaries', () => {
    expect(checkRetryPolicy(NO_JITTER)).toEqual([]);
    expect(checkRetryPolicy({ initialDelayMs: 0, multiplier: 1, maxDelayMs: 0, jitter: 0 })).toEqual([]);
    expect(checkRetryPolicy({ initialDelayMs: 500, multiplier: 1, maxDelayMs: 500, jitter: 1 })).toEqual([]);
  });

  it('refuses a negative or non-finite initial delay', () => {
    const problem = 'initialDelayMs must be a number ≥ 0';
    expect(checkRetryPolicy({ ...NO_JITTER, initialDelayMs: -1 })).toEqual([problem]);
    expect(checkRetryPolicy({ ...NO_JITTER, initialDelayMs: Number.NaN })).toEqual([problem]);
    // Infinity also makes maxDelayMs < initialDelayMs.
    expect(checkRetryPolicy({ ...NO_JITTER, initialDelayMs: Infinity })).toEqual([
      problem,
      'maxDelayMs must be a number ≥ initialDelayMs',
    ]);
  });

  it('refuses a multiplier below 1 or non-finite', () => {
    const problem = 'multiplier must be a number ≥ 1';
    expect(checkRetryPolicy({ ...NO_JITTER, multiplier: 0.99 })).toEqual([problem]);
    expect(checkRetryPolicy({ ...NO_JITTER, multiplier: 0 })).toEqual([problem]);
    expect(checkRetryPolicy({ ...NO_JITTER, multiplier: Number.NaN })).toEqual([problem]);
    expect(checkRetryPolicy({ ...NO_JITTER, multiplier: Infinity })).toEqual([problem]);
  });

  it('refuses a cap below the initial delay or non-finite', () => {
    const problem = 'maxDelayMs must be a number ≥ initialDelayMs';
    expect(checkRetryPolicy({ ...NO_JITTER, maxDelayMs: 99 })).toEqual([problem]);
    expect(checkRetryPolicy({ ...NO_JITTER, maxDelayMs: Number.NaN })).toEqual([problem]);
    expect(checkRetryPolicy({ ...NO_JITTER, maxDelayMs: Infinity })).toEqual([problem]);
  });

  it('refuses jitter outside [0, 1] or non-finite', () => {
    const problem = 'jitter must be between 0 and 1';
    expect(checkRetryPolicy({ ...NO_JITTER, jitter: -0.01 })).toEqual([problem]);
    expect(checkRetryPolicy({ ...NO_JITTER, jitter: 1.01 })).toEqual([problem]);
    expect(checkRetryPolicy({ ...NO_JITTER, jitter: Number.NaN })).toEqual([problem]);
  });

  it('lists every problem at once, in field order', () => {
    expect(checkRetryPolicy({ initialDelayMs: -1, multiplier: 0, maxDelayMs: -2, jitter: 2 })).toEqual([
      'initialDelayMs must be a number ≥ 0',
      'multiplier must be a number ≥ 1',
      'maxDelayMs must be a number ≥ initialDelayMs',
      'jitter must be between 0 and 1',
    ]);
  });
});
