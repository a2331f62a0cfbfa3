import { describe, expect, it } from 'vitest';
import { burnRateOf, burnRatesOf, sloBurnReport, type SloOutcomeCounts } from './slo-burn-rate.js';

function counts(
  windows: Record<'1h' | '6h' | '24h' | '30d', [number, number]>,
  sloWindow: [number, number],
): SloOutcomeCounts {
  const of = ([good, bad]: [number, number]) => ({ good, bad });
  return {
    asOf: '2025-01-01T00:00:00.000Z',
    windows: {
      '1h': of(windows['1h']),
      '6h': of(windows['6h']),
      '24h': of(windows['24h']),
      '30d': of(windows['30d']),
    },
    sloWindow: of(sloWindow),
  };
}

describe('burnRateOf', () => {
  it('divides the error ratio by the error budget (1 − objective)', () => {
    // 2 failures in 100 against 99 %: 2 % of errors where 1 % is allowed burns twice as fast.
    expect(burnRateOf({ good: 98, bad: 2 }, 0.99)).toEqual({
      good: 98,
      bad: 2,
      total: 100,
      errorRatio: 0.02,
      burnRate: 2,
    });
    // 1 in 10 against 99.9 %: 100 times the budget.
    expect(burnRateOf({ good: 9, bad: 1 }, 0.999).burnRate).toBe(100);
    // Every job failing against 90 %: 1 / 0.1.
    expect(burnRateOf({ good: 0, bad: 5 }, 0.9)).toMatchObject({ errorRatio: 1, burnRate: 10 });
    // Exactly the budget.
    expect(burnRateOf({ good: 95, bad: 5 }, 0.95).burnRate).toBe(1);
  });

  it('is 0 with total 0 when no job ended in the window', () => {
    expect(burnRateOf({ good: 0, bad: 0 }, 0.99)).toEqual({
      good: 0,
      bad: 0,
      total: 0,
      errorRatio: 0,
      burnRate: 0,
    });
  });

  it('is 0 when nothing failed', () => {
    expect(burnRateOf({ good: 1_000, bad: 0 }, 0.999).burnRate).toBe(0);
  });
});

describe('sloBurnReport', () => {
  it('reports every window and the error budget over the SLO window', () => {
    const report = sloBurnReport(
      counts({ '1h': [90, 10], '6h': [580, 20], '24h': [2_370, 30], '30d': [9_960, 40] }, [4_980, 20]),
      { objective: 0.99, windowSeconds: 7 * 86_400 },
    );
    expect(burnRatesOf(report)).toEqual({ '1h': 10, '6h': 3.33333333333, '24h': 1.25, '30d': 0.4 });
    expect(report.windows['1h']).toEqual({ good: 90, bad: 10, total: 100, errorRatio: 0.1, burnRate: 10 });
    // Over the 7-day window: 20 failures of 5,000 where 50 are allowed — 40 % spent, 60 % left.
    expect(report.errorBudget).toEqual({
      windowSeconds: 604_800,
      good: 4_980,
      bad: 20,
      total: 5_000,
      errorRatio: 0.004,
      allowedFailures: 50,
      consumed: 0.4,
      remaining: 0.6,
    });
    expect(report.objective).toBe(0.99);
    expect(report.asOf).toBe('2025-01-01T00:00:00.000Z');
  });

  it('shows an overspent budget as negative remaining, and an idle one as whole', () => {
    const spent = sloBurnReport(
      counts({ '1h': [0, 0], '6h': [0, 0], '24h': [0, 0], '30d': [0, 0] }, [70, 30]),
      { objective: 0.9, windowSeconds: 30 * 86_400 },
    );
    expect(spent.errorBudget).toMatchObject({ consumed: 3, remaining: -2, allowedFailures: 10 });
    expect(spent.windows['1h']).toMatchObject({ total: 0, burnRate: 0 });
    const idle = sloBurnReport(counts({ '1h': [0, 0], '6h': [0, 0], '24h': [0, 0], '30d': [0, 0] }, [0, 0]), {
      objective: 0.99,
      windowSeconds: 3_600,
    });
    expect(idle.errorBudget).toMatchObject({ total: 0, consumed: 0, remaining: 1, allowedFailures: 0 });
  });
});
