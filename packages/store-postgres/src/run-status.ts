import { JOB_STATUSES, TERMINAL_STATUSES, type JobStatus, type Run, type RunStatus } from '@stella-orch/core';
import { toIso } from './row-mappers.js';
import type { RunRow } from './queries/runs.js';

/** Zero jobs in every status. */
export function emptyCounts(): Record<JobStatus, number> {
  return Object.fromEntries(JOB_STATUSES.map((status) => [status, 0])) as Record<JobStatus, number>;
}

/**
 * A run's aggregate status: `empty` without jobs; `active` while any job is not terminal; then `failed` if
 * any failed, `canceled` if any was canceled, else `succeeded`.
 */
export function runStatusOf(counts: Readonly<Record<JobStatus, number>>): RunStatus {
  const total = JOB_STATUSES.reduce((sum, status) => sum + counts[status], 0);
  if (total === 0) return 'empty';
  if (JOB_STATUSES.some((status) => !TERMINAL_STATUSES.includes(status) && counts[status] > 0))
    return 'active';
  if (counts.failed > 0) return 'failed';
  if (counts.canceled > 0) return 'canceled';
  return 'succeeded';
}

/** A run row as the port's {@link Run}. */
export function mapRun(row: RunRow): Run {
  const counts = emptyCounts();
  for (const status of JOB_STATUSES) counts[status] = row.counts[status] ?? 0;
  return {
    runId: row.run_id,
    tenantId: row.tenant_id,
    name: row.name,
    sourceId: row.source_id,
    status: runStatusOf(counts),
    counts,
    total: JOB_STATUSES.reduce((sum, status) => sum + counts[status], 0),
    createdAt: toIso(row.created_at),
  };
}
