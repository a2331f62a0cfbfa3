import { bucketLevelsAfter, pickAdmitted } from '@stella-orch/core';
import { evaluateLimits, readTenantLimits } from './limit-reads.js';
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
}

/**
 * The lease grant of a tenant with limits, inside one transaction (docs/decisions/0016-admission-and-limits.md):
 * read the limits that can apply; lock their state rows in key order and count the jobs in flight under
 * that lock; evaluate them (core `admit`); scan each queue up to its budget; choose the jobs every limit
 * allows together (core `pickAdmitted`); lease them and store the buckets' new levels. Replicas granting
 * against one limit queue up on its row, so none can grant what another already took.
 */
export async function leaseWithLimits(tx: SqlExecutor, request: LeaseRequest): Promise<JobRow[]> {
  const { tenantId, limit } = request;
  const limits = await readTenantLimits(tx, tenantId, request.jobTypes);
  const admission = await evaluateLimits(tx, tenantId, limits, true);
  const budgets: ScopeBudget[] = admission.states
    .filter((s) => Number.isFinite(s.remaining))
    .map((s) => ({
      jobType: s.rule.scope.jobType,
      sourceId: s.rule.scope.sourceId,
      budget: Math.max(0, Math.min(limit, s.remaining)),
    }));
  const candidates = await leaseCandidates(tx, { tenantId, jobTypes: request.jobTypes, budgets, limit });
  const { picked, granted } = pickAdmitted(
    admission,
    candidates.map((c) => ({
      jobId: c.job_id,
      jobType: c.job_type,
      sourceId: c.source_id,
      priority: c.priority,
      seq: Number(c.seq),
    })),
    limit,
  );
  if (picked.length === 0) return [];
  const at = new Date(admission.nowMs).toISOString();
  const levels = bucketLevelsAfter(admission, granted)
    .filter((l) => (granted.get(l.key) ?? 0) > 0)
    .map((l) => ({ ...l, at }));
  return leaseAdmitted(tx, {
    tenantId,
    jobIds: picked.map((c) => c.jobId),
    leaseDurationMs: request.leaseDurationMs,
    workerId: request.workerId,
    levels,
  });
}
