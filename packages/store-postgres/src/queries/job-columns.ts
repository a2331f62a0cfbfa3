/**
 * The columns of a job row (`JobRow`), qualified by `alias`. Every statement that returns jobs selects
 * exactly these, so one row mapper serves them all. Integers are cast to `int` so both drivers return
 * JS numbers.
 */
export function jobColumns(alias: string): string {
  const a = alias;
  return `${a}.job_id::text AS job_id, ${a}.tenant_id, ${a}.project_id, ${a}.source_id, ${a}.run_id,
    ${a}.job_type, ${a}.priority, ${a}.payload, ${a}.payload_digest, ${a}.request_digest, ${a}.depends_on,
    ${a}.status, ${a}.attempt, ${a}.max_attempts, ${a}.idempotency_key, ${a}.correlation_id, ${a}.not_before,
    ${a}.next_eligible_at, ${a}.lease_id::text AS lease_id, ${a}.fencing_token, ${a}.lease_until,
    ${a}.worker_id, ${a}.cancel_requested, ${a}.replay_of::text AS replay_of, ${a}.last_error, ${a}.progress,
    ${a}.result, ${a}.created_at, ${a}.updated_at, ${a}.started_at, ${a}.completed_at, ${a}.traceparent,
    ${a}.tracestate, ${a}.lane, ${a}.event_time`;
}

/** The job columns of the CTE or table `alias`, computed once for the common alias `j`. */
export const JOB_COLUMNS = jobColumns('j');
