/**
 * The steps that end an attempt, shared by a worker's completion and the lease reaper. They follow a CTE
 * named `decided` with one row per job: `tenant_id, job_id, from_status, disposition, error (jsonb),
 * result (jsonb), retry_delay_ms, actor, reason`, where `disposition` is `succeeded`, `retry_scheduled`,
 * `dead_lettered` or `canceled`. They define the CTE `ended`: the updated job rows (all job columns) with
 * `disposition`.
 *
 * `first` is the number of the first step, so the numbered comments read on from the caller's steps.
 */
export function endAttemptSteps(first: number): string {
  return `
-- ${first}. the job row: terminal, or back to pending with the back-off of the attempt that failed
ended AS (
  UPDATE orch.jobs AS j
  SET status = CASE d.disposition
        WHEN 'retry_scheduled' THEN 'pending'
        WHEN 'dead_lettered' THEN 'failed'
        ELSE d.disposition
      END,
      result = CASE WHEN d.disposition = 'succeeded' THEN d.result ELSE j.result END,
      last_error = coalesce(d.error, j.last_error),
      next_eligible_at = CASE
        WHEN d.disposition = 'retry_scheduled' THEN now() + d.retry_delay_ms * interval '1 millisecond'
        ELSE j.next_eligible_at
      END,
      lease_id = NULL,
      lease_until = NULL,
      worker_id = NULL,
      completed_at = CASE WHEN d.disposition = 'retry_scheduled' THEN NULL ELSE now() END,
      updated_at = now()
  FROM decided d
  WHERE j.tenant_id = d.tenant_id AND j.job_id = d.job_id
  RETURNING j.*, d.disposition, d.from_status, d.reason, d.actor, d.retry_delay_ms, d.error
),
-- ${first + 1}. one history row for the transition
ended_history AS (
  INSERT INTO orch.job_history (tenant_id, job_id, from_status, to_status, attempt, reason, actor, details)
  SELECT e.tenant_id, e.job_id, e.from_status, e.status, e.attempt, e.reason, e.actor,
    nullif(jsonb_strip_nulls(jsonb_build_object(
      'error', e.error,
      'retryDelayMs', CASE WHEN e.disposition = 'retry_scheduled' THEN e.retry_delay_ms END
    )), '{}'::jsonb)
  FROM ended e
),
-- ${first + 2}. a dead-letter entry for a job that failed for good
dead_lettered AS (
  INSERT INTO orch.dead_letters (tenant_id, job_id, job_type, attempts, error_type, error_message)
  SELECT e.tenant_id, e.job_id, e.job_type, e.attempt,
    coalesce(e.last_error ->> 'type', 'unknown'), coalesce(e.last_error ->> 'message', '')
  FROM ended e
  WHERE e.disposition = 'dead_lettered'
  RETURNING tenant_id, job_id, entry_id
),
-- ${first + 3}. the events: job.failed and job.dead_lettered for a dead letter, otherwise one
ended_events AS (
  INSERT INTO orch.events (tenant_id, event_type, job_id, attempt, actor, data)
  SELECT e.tenant_id, v.event_type, e.job_id, e.attempt, e.actor,
    CASE v.event_type
      WHEN 'job.retry_scheduled' THEN
        jsonb_build_object('errorType', e.last_error ->> 'type', 'nextEligibleAt', e.next_eligible_at)
      WHEN 'job.failed' THEN jsonb_build_object('errorType', e.last_error ->> 'type')
      WHEN 'job.dead_lettered' THEN jsonb_build_object('entryId', dl.entry_id)
      WHEN 'job.canceled' THEN jsonb_build_object('reason', coalesce(e.cancel_reason, e.reason))
    END
  FROM ended e
  JOIN (VALUES
    ('succeeded', 'job.succeeded', 1),
    ('retry_scheduled', 'job.retry_scheduled', 1),
    ('dead_lettered', 'job.failed', 1),
    ('dead_lettered', 'job.dead_lettered', 2),
    ('canceled', 'job.canceled', 1)
  ) AS v(disposition, event_type, ord) ON v.disposition = e.disposition
  LEFT JOIN dead_lettered dl ON dl.tenant_id = e.tenant_id AND dl.job_id = e.job_id
  ORDER BY e.seq, v.ord
)`;
}
