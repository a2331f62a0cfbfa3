import type { Admission, Job, JobHoldFacts } from '@stella-orch/core';
import { evaluateLimits, readTenantLimits } from './limit-reads.js';
import { readJobHoldFacts, type JobHoldFactsRow } from './queries/job-hold-facts.js';
import { mapJob, toIso, toIsoOrNull, toJobStatus } from './row-mappers.js';
import type { SqlExecutor } from './sql-driver.js';

function mapFacts(row: JobHoldFactsRow, maxQueueAhead: number, limits: Admission | null): JobHoldFacts {
  const ahead = row.queue_ahead;
  return {
    limits,
    lane: row.lane,
    now: toIso(row.db_now),
    held: row.held,
    cancelReason: row.cancel_reason,
    unmetParents: row.unmet_parents.map((p) => ({ jobId: p.jobId, status: toJobStatus(p.status) })),
    source:
      row.s_source_id === null
        ? null
        : {
            sourceId: row.s_source_id,
            enabled: row.s_enabled === true,
            paused: row.s_paused === true,
            pauseReason: row.s_pause_reason,
            pauseTicket: row.s_pause_ticket,
            pausedBy: row.s_paused_by,
            pausedAt: toIsoOrNull(row.s_paused_at),
          },
    backfill:
      row.b_backfill_id === null
        ? null
        : {
            backfillId: row.b_backfill_id,
            paused: row.b_status === 'paused',
            pausedBy: row.b_paused_by,
            pausedAt: toIsoOrNull(row.b_paused_at),
          },
    // One row more than the cap is counted, so "more than the cap" is told from "exactly the cap".
    queueAhead:
      ahead === null ? null : { count: Math.min(ahead, maxQueueAhead), capped: ahead > maxQueueAhead },
  };
}

/**
 * A job and its hold facts, from one statement, and for a pending job its tenant's limits evaluated as the
 * lease grant evaluates them (without taking their locks); `null` when the job does not exist.
 */
export async function readJobWithHoldFacts(
  db: SqlExecutor,
  tenantId: string,
  jobId: string,
  options: { readonly maxQueueAhead: number; readonly backfillShare: number },
): Promise<{ job: Job; facts: JobHoldFacts } | null> {
  const cap = Math.max(0, Math.floor(options.maxQueueAhead));
  const row = await readJobHoldFacts(db, tenantId, jobId, cap + 1);
  if (row === null) return null;
  const job = mapJob(row);
  const limits =
    job.status === 'pending'
      ? await evaluateLimits(db, tenantId, await readTenantLimits(db, tenantId, [job.jobType]), {
          backfillShare: options.backfillShare,
        })
      : null;
  return { job, facts: mapFacts(row, cap, limits) };
}
