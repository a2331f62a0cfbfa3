import {
  admit,
  agedPriority,
  bucketLevelsAfter,
  pickAdmitted,
  queueBudgetHolds,
  type InFlightCount,
  type LimitHold,
} from '@stella-orch/core';
import { inFlightOf, lockTenantLimits } from './limit-reads.js';
import { leaseAdmitted, leaseCandidates, type ScopeBudget } from './queries/lease-queues.js';
import type { JobRow } from './row-mappers.js';
import type { SqlExecutor } from './sql-driver.js';

/** What a lease call asks for. */
export interface LeaseRequest {
  readonly tenantId: string;
  /** Distinct job types. */
  readonly jobTypes: readonly string[];
  readonly limit: number;
  readonly leaseDurationMs: number;
  readonly workerId: string;
  /** The backfill lane's share of each limit, in (0, 1]. */
  readonly backfillShare: number;
}

/**
 * The lease grant of a tenant with limits, inside one transaction (docs/decisions/0016-admission-and-limits.md),
 * in three statements: read the limits that can apply and lock their state rows in key order; scan each
 * queue up to its budget and count the jobs in flight (one statement, after the lock); then, with core `admit`
 * and `pickAdmitted` choosing the jobs every limit allows together, lease them and store the buckets' new
 * levels. Replicas granting against one limit queue up on its row, so none can grant what another already
 * took. `limited` says whether any limit applied (the caller's path hint); `holds`, which limits held back
 * ready work (one per limit; for metrics).
 */
export async function leaseWithLimits(
  tx: SqlExecutor,
  request: LeaseRequest,
): Promise<{ readonly rows: JobRow[]; readonly limited: boolean; readonly holds: readonly LimitHold[] }> {
  const { tenantId, limit } = request;
  const { limits, levels } = await lockTenantLimits(tx, tenantId, request.jobTypes);
  const evaluate = (inFlight: readonly InFlightCount[]) =>
    admit({
      rules: limits.rules,
      levels,
      inFlight,
      nowMs: limits.nowMs,
      backfillShare: request.backfillShare,
    });
  // Budgets before the jobs in flight are counted (nothing in flight: each cap bounds its queues' scans),
  // then the admission again with the count the scan statement made under the locks.
  const budgets: ScopeBudget[] = evaluate([])
    .states.filter((s) => Number.isFinite(s.remaining))
    .map((s) => ({
      jobType: s.rule.scope.jobType,
      sourceId: s.rule.scope.sourceId,
      budget: Math.max(0, Math.min(limit, s.remaining)),
    }));
  const found = await leaseCandidates(tx, {
    tenantId,
    jobTypes: request.jobTypes,
    budgets,
    limit,
    countInFlight: limits.rules.some((r) => r.maxConcurrent !== null),
  });
  const admission = evaluate(inFlightOf(found.in_flight));
  const { picked, granted, held } = pickAdmitted(
    admission,
    found.candidates.map((c) => ({
      jobId: c.job_id,
      jobType: c.job_type,
      sourceId: c.source_id,
      lane: c.lane,
      priority: agedPriority(c.ready_rank, admission.nowMs),
      seq: c.seq,
    })),
    limit,
  );
  const limited = limits.rules.length > 0;
  const holds = [...new Map([...queueBudgetHolds(admission, found.held_queues), ...held]).values()];
  if (picked.length === 0) return { rows: [], limited, holds };
  const at = new Date(admission.nowMs).toISOString();
  const levelWrites = bucketLevelsAfter(admission, granted)
    .filter((l) => (granted.get(l.key) ?? 0) > 0)
    .map((l) => ({ ...l, at }));
  const rows = await leaseAdmitted(tx, {
    tenantId,
    jobIds: picked.map((c) => c.jobId),
    leaseDurationMs: request.leaseDurationMs,
    workerId: request.workerId,
    levels: levelWrites,
  });
  return { rows, limited, holds };
}
