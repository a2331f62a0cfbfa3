import { BACKFILL_LIMITS, DEFAULT_BACKFILL_LANE_SHARE } from '@stella-orch/core';
import { ConfigError } from './config-error.js';

/** The `backfill` section of the configuration (docs/decisions/0017-backfills-and-watermarks.md). */
export interface BackfillConfig {
  /** The most jobs (steps) one backfill may create; more is refused with 400 BACKFILL_TOO_LARGE. */
  readonly maxJobs: number;
  /**
   * The share of each limit the backfill lane may use, so live traffic keeps priority. Stored only: the
   * limits engine that enforces it is a later release, so today backfill jobs compete like live ones.
   */
  readonly laneShare: number;
}

export const DEFAULT_BACKFILL_CONFIG: BackfillConfig = {
  maxJobs: BACKFILL_LIMITS.defaultMaxJobs,
  laneShare: DEFAULT_BACKFILL_LANE_SHARE,
};

const MAX_JOBS_LIMIT = 1_000_000;

/** Checks the `backfill` section, filling in defaults. @throws ConfigError */
export function validateBackfillConfig(value: unknown): BackfillConfig {
  if (value === undefined) return DEFAULT_BACKFILL_CONFIG;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError('backfill', 'must be an object');
  }
  const raw = value as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!(key in DEFAULT_BACKFILL_CONFIG))
      throw new ConfigError(`backfill.${key}`, 'is not a configuration key');
  }
  const maxJobs = raw['maxJobs'] ?? DEFAULT_BACKFILL_CONFIG.maxJobs;
  if (typeof maxJobs !== 'number' || !Number.isInteger(maxJobs) || maxJobs < 1 || maxJobs > MAX_JOBS_LIMIT) {
    throw new ConfigError('backfill.maxJobs', `must be an integer from 1 to ${MAX_JOBS_LIMIT}`);
  }
  const laneShare = raw['laneShare'] ?? DEFAULT_BACKFILL_CONFIG.laneShare;
  if (typeof laneShare !== 'number' || !Number.isFinite(laneShare) || laneShare <= 0 || laneShare > 1) {
    throw new ConfigError('backfill.laneShare', 'must be a number greater than 0 and at most 1');
  }
  return { maxJobs, laneShare };
}
