import {
  admit,
  limitRules,
  lockedLimitKeys,
  type Admission,
  type BucketLevel,
  type InFlightCount,
  type LimitRule,
} from '@stella-orch/core';
import {
  countInFlight,
  lockLimitStates,
  readLimitDefinitions,
  readAndLockLimits,
  readLimitStates,
  type InFlightRow,
  type LimitDefinitionsRow,
  type LimitStateRow,
} from './queries/limit-facts.js';
import { toIso, toIsoOrNull } from './row-mappers.js';
import type { SqlExecutor } from './sql-driver.js';

/** The limits of a tenant as rules, with the database clock they were read at. */
export interface TenantLimits {
  readonly nowMs: number;
  readonly rules: readonly LimitRule[];
}

function rulesOf(row: LimitDefinitionsRow, nowMs: number): LimitRule[] {
  return limitRules({
    nowMs,
    sources: row.sources.map((s) => ({
      sourceId: s.sourceId,
      rateLimit:
        s.burst === null || s.refillPerSecond === null
          ? null
          : { burst: s.burst, refillPerSecond: s.refillPerSecond },
      maxConcurrent: s.maxConcurrent,
    })),
    quotas: row.quotas.map((q) => ({ ...q, pausedAt: toIsoOrNull(q.pausedAt) })),
    breakers: row.breakers.map((b) => ({
      ...b,
      openUntil: toIsoOrNull(b.openUntil),
      stateChangedAt: toIso(b.stateChangedAt),
    })),
    throttles: row.throttles.map((t) => ({
      ...t,
      createdAt: toIso(t.createdAt),
      expiresAt: toIso(t.expiresAt),
      revokedAt: toIsoOrNull(t.revokedAt),
    })),
  });
}

/** The limits of a tenant that can hold jobs of `jobTypes` (`null`: every type). */
export async function readTenantLimits(
  db: SqlExecutor,
  tenantId: string,
  jobTypes: readonly string[] | null,
): Promise<TenantLimits> {
  const row = await readLimitDefinitions(db, tenantId, jobTypes);
  const nowMs = Date.parse(toIso(row.db_now));
  return { nowMs, rules: rulesOf(row, nowMs) };
}

function levelsOf(rows: readonly LimitStateRow[]): Map<string, BucketLevel> {
  return new Map(
    rows.map((r) => [r.limit_key, { tokens: r.tokens, refilledAtMs: Date.parse(toIso(r.refilled_at)) }]),
  );
}

/**
 * The limits of a tenant for `jobTypes` and their stored levels, locked for the rest of the transaction:
 * one statement, and one more only when a state row was missing (created full, then locked) — the first
 * grant against a new limit.
 */
export async function lockTenantLimits(
  tx: SqlExecutor,
  tenantId: string,
  jobTypes: readonly string[],
): Promise<{ readonly limits: TenantLimits; readonly levels: Map<string, BucketLevel> }> {
  const row = await readAndLockLimits(tx, tenantId, jobTypes);
  const nowMs = Date.parse(toIso(row.db_now));
  const limits = { nowMs, rules: rulesOf(row, nowMs) };
  const locked = levelsOf(
    row.levels.map((l) => ({ limit_key: l.limit_key, tokens: Number(l.tokens), refilled_at: l.refilled_at })),
  );
  const needed = lockedLimitKeys(limits.rules);
  if (needed.every((key) => locked.has(key))) return { limits, levels: locked };
  return { limits, levels: await limitLevels(tx, tenantId, limits, true) };
}

/**
 * The stored levels of the limits' state rows, locked for the rest of the transaction when `lock` is set
 * (as the lease grant does: missing rows are created, a limit without a bucket at Infinity so that a bucket
 * added to it later starts full).
 */
export async function limitLevels(
  db: SqlExecutor,
  tenantId: string,
  limits: TenantLimits,
  lock: boolean,
): Promise<Map<string, BucketLevel>> {
  const keys = lockedLimitKeys(limits.rules);
  if (!lock) return levelsOf(await readLimitStates(db, tenantId, keys));
  const full = new Map(limits.rules.map((r) => [r.key, r.bucket?.capacity ?? Infinity]));
  return levelsOf(await lockLimitStates(db, tenantId, keys, full));
}

/** Jobs in flight per queue and lane, as the ledger rows give them. */
export function inFlightOf(rows: readonly InFlightRow[]): InFlightCount[] {
  return rows.map((r) => ({ jobType: r.job_type, sourceId: r.source_id, lane: r.lane, count: r.count }));
}

/**
 * Evaluates `limits` without locking them (for `why`): the bucket levels and, when a concurrency cap is
 * among them, the jobs in flight.
 */
export async function evaluateLimits(
  db: SqlExecutor,
  tenantId: string,
  limits: TenantLimits,
  options: { readonly backfillShare: number },
): Promise<Admission> {
  const levels = await limitLevels(db, tenantId, limits, false);
  const capped = limits.rules.some((r) => r.maxConcurrent !== null);
  const inFlight = capped ? inFlightOf(await countInFlight(db, tenantId)) : [];
  return admit({
    rules: limits.rules,
    levels,
    inFlight,
    nowMs: limits.nowMs,
    backfillShare: options.backfillShare,
  });
}
