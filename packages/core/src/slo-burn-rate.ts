/** The windows every burn rate is reported over. */
export const BURN_WINDOWS = ['1h', '6h', '24h', '30d'] as const;

/** One of {@link BURN_WINDOWS}. */
export type BurnWindow = (typeof BURN_WINDOWS)[number];

/** The length of each burn window in seconds. `30d` is always 30 days, whatever the SLO's own window. */
export const BURN_WINDOW_SECONDS: Readonly<Record<BurnWindow, number>> = {
  '1h': 3_600,
  '6h': 21_600,
  '24h': 86_400,
  '30d': 2_592_000,
};

/** Outcomes of terminal jobs over one window: good = succeeded, bad = failed (canceled jobs are not counted). */
export interface OutcomeCounts {
  readonly good: number;
  readonly bad: number;
}

/** The outcome counts of one SLO, read in one statement at `asOf` (the ledger's clock). */
export interface SloOutcomeCounts {
  readonly asOf: string;
  readonly windows: Readonly<Record<BurnWindow, OutcomeCounts>>;
  /** Over the SLO's own window (`windowSeconds`): the error budget's period. */
  readonly sloWindow: OutcomeCounts;
}

/** The burn rate over one window. */
export interface WindowBurn {
  readonly good: number;
  readonly bad: number;
  /** good + bad; 0 means no terminal job in the window, and then the burn rate is 0. */
  readonly total: number;
  /** bad / total (0 when total is 0). */
  readonly errorRatio: number;
  /** errorRatio / (1 − objective): 1 spends the budget exactly over the SLO window. */
  readonly burnRate: number;
}

/** The error budget over the SLO window. */
export interface ErrorBudget {
  readonly windowSeconds: number;
  readonly good: number;
  readonly bad: number;
  readonly total: number;
  readonly errorRatio: number;
  /** Failures the objective allows for the jobs seen: (1 − objective) × total. */
  readonly allowedFailures: number;
  /** The share of the budget spent: errorRatio / (1 − objective) (above 1 when overspent). */
  readonly consumed: number;
  /** 1 − consumed: 1 with nothing spent, 0 when spent, negative when overspent. */
  readonly remaining: number;
}

/** The burn rates of one SLO at one time. */
export interface SloBurnReport {
  readonly asOf: string;
  readonly objective: number;
  readonly windows: Readonly<Record<BurnWindow, WindowBurn>>;
  readonly errorBudget: ErrorBudget;
}

/** Rounds away binary noise (0.1 / 0.01 = 10.000000000000002), keeping 12 significant digits. */
function tidy(value: number): number {
  return Number(value.toPrecision(12));
}

/**
 * The burn rate of `counts` against `objective`: error ratio = bad / total, burn rate = error ratio /
 * (1 − objective). No terminal job in the window is burn rate 0, with `total: 0` saying so.
 */
export function burnRateOf(counts: OutcomeCounts, objective: number): WindowBurn {
  const total = counts.good + counts.bad;
  const errorRatio = total === 0 ? 0 : counts.bad / total;
  return {
    good: counts.good,
    bad: counts.bad,
    total,
    errorRatio: tidy(errorRatio),
    burnRate: tidy(errorRatio / (1 - objective)),
  };
}

/**
 * The burn rates over every window and the error budget over the SLO window.
 * @param counts - the outcome counts the ledger read
 * @param slo - the SLO's objective and window
 */
export function sloBurnReport(
  counts: SloOutcomeCounts,
  slo: { readonly objective: number; readonly windowSeconds: number },
): SloBurnReport {
  const windows = Object.fromEntries(
    BURN_WINDOWS.map((window) => [window, burnRateOf(counts.windows[window], slo.objective)]),
  ) as Record<BurnWindow, WindowBurn>;
  const budget = burnRateOf(counts.sloWindow, slo.objective);
  return {
    asOf: counts.asOf,
    objective: slo.objective,
    windows,
    errorBudget: {
      windowSeconds: slo.windowSeconds,
      good: budget.good,
      bad: budget.bad,
      total: budget.total,
      errorRatio: budget.errorRatio,
      allowedFailures: tidy((1 - slo.objective) * budget.total),
      consumed: budget.burnRate,
      remaining: tidy(1 - budget.burnRate),
    },
  };
}

/** The burn rate of every window, as an incident keeps them: `{ "1h": 20, "6h": 3.5, … }`. */
export type BurnRates = Readonly<Record<BurnWindow, number>>;

/** The burn rates of a report. */
export function burnRatesOf(report: SloBurnReport): BurnRates {
  return Object.fromEntries(
    BURN_WINDOWS.map((window) => [window, report.windows[window].burnRate]),
  ) as Record<BurnWindow, number>;
}
