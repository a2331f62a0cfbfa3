import {
  admit,
  limitRules,
  lockedLimitKeys,
  type Admission,
  type BucketLevel,
  type LimitRule,
} from '@stella-orch/core';
import {
  countInFlight,
  lockLimitStates,
  readLimitDefinitions,
  readLimitStates,
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
    rows.map((r) => [
      r.limit_key,
      { tokens: Number(r.tokens), refilledAtMs: Date.parse(toIso(r.refilled_at)) },
    ]),
  );
}

/**
 * Evaluates `limits`: reads the bucket levels of the limits (locked for the rest of the transaction when
 * `lock` is set, as the lease grant does) and, when a concurrency cap is among them, the jobs in flight.
 */
export async function evaluateLimits(
  db: SqlExecutor,
  tenantId: string,
  limits: TenantLimits,
  lock: boolean,
): Promise<Admission> {
  const keys = lockedLimitKeys(limits.rules);
  // A limit without a bucket starts at Infinity, so a bucket added to it later starts full.
  const full = new Map(limits.rules.map((r) => [r.key, r.bucket?.capacity ?? Infinity]));
  const levels = levelsOf(
    lock ? await lockLimitStates(db, tenantId, keys, full) : await readLimitStates(db, tenantId, keys),
  );
  const capped = limits.rules.some((r) => r.maxConcurrent !== null);
  const inFlight = capped
    ? (await countInFlight(db, tenantId)).map((r) => ({
        jobType: r.job_type,
        sourceId: r.source_id,
        count: r.count,
      }))
    : [];
  return admit({ rules: limits.rules, levels, inFlight, nowMs: limits.nowMs });
}
