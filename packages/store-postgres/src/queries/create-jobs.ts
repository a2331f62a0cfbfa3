import type { NewJob } from '@stella-orch/core';
import type { SqlExecutor } from '../sql-driver.js';
import type { JobRow } from '../row-mappers.js';
import { JOB_COLUMNS } from './job-columns.js';

/** Rows per multi-row insert: bounded so one statement stays small whatever the batch size. */
export const INSERT_BATCH_SIZE = 1_000;

const INSERT_JOBS = `
-- 1. the submitted jobs, one row each, in submission order
WITH input AS (
  SELECT *
  FROM unnest(
    $2::uuid[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::int[], $9::text[],
    $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::uuid[],
    $23::text[], $24::text[], $25::text[], $26::text[], $27::text[]
  ) WITH ORDINALITY AS i(
    job_id, job_type, priority, payload, payload_digest, request_digest, max_attempts, idempotency_key,
    correlation_id, project_id, source_id, run_id, not_before, depends_on, replay_of, traceparent,
    tracestate, status, lane, event_time, ord
  )
),
-- 2. insert them; a job whose idempotency key exists already is skipped, and compared by the caller
inserted AS (
  INSERT INTO orch.jobs AS j (
    tenant_id, job_id, job_type, priority, payload, payload_digest, request_digest, max_attempts,
    idempotency_key, correlation_id, project_id, source_id, run_id, not_before, next_eligible_at,
    depends_on, replay_of, status, traceparent, tracestate, lane, event_time
  )
  SELECT $1, i.job_id, i.job_type, i.priority, i.payload::jsonb, i.payload_digest, i.request_digest,
    i.max_attempts, i.idempotency_key, i.correlation_id, i.project_id, i.source_id, i.run_id,
    i.not_before::timestamptz, coalesce(i.not_before::timestamptz, now()), i.depends_on::jsonb,
    i.replay_of, coalesce(i.status, 'pending'), i.traceparent, i.tracestate, coalesce(i.lane, 'live'),
    i.event_time::timestamptz
  FROM input i
  ORDER BY i.ord
  ON CONFLICT (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
  RETURNING j.*
),
-- 3. one history row per new job
history AS (
  INSERT INTO orch.job_history (tenant_id, job_id, from_status, to_status, attempt, reason, actor, details)
  SELECT n.tenant_id, n.job_id, NULL, n.status, n.attempt, $17::text, $18::text, $19::text::jsonb
  FROM inserted n
  ORDER BY n.seq
),
-- 4. one job.created event per new job, with the actor and its scopes
events AS (
  INSERT INTO orch.events (tenant_id, event_type, job_id, attempt, actor, actor_scopes, data)
  SELECT n.tenant_id, 'job.created', n.job_id, n.attempt, $18::text, $22::text[],
    jsonb_strip_nulls(jsonb_build_object(
      'reason', $17::text, 'replayOf', n.replay_of,
      'status', CASE WHEN n.status <> 'pending' THEN n.status END
    ))
  FROM inserted n
  ORDER BY n.seq
),
-- 5. wake other processes once the transaction commits, when anything was created (volatile, so this
--    runs once, not once per row)
woken AS (
  SELECT pg_notify($20::text, $21::text) AS notified
  FROM (SELECT 1 FROM inserted LIMIT 1) AS any_inserted
)
SELECT ${JOB_COLUMNS}
FROM inserted j
LEFT JOIN woken ON true
ORDER BY j.seq`;

const JOBS_BY_IDEMPOTENCY_KEY = `
SELECT ${JOB_COLUMNS}
FROM orch.jobs j
WHERE j.tenant_id = $1 AND j.idempotency_key = ANY($2::text[])`;

/** How the new jobs' first history rows describe their creation. */
export interface CreationRecord {
  /** `submitted`, or `retried` / `replayed` for a clone. */
  readonly reason: string;
  readonly actor: string;
  /** The scopes of the actor's token, kept with the `job.created` events. */
  readonly actorScopes: readonly string[];
  readonly details: unknown;
}

/** The NOTIFY a statement that creates jobs sends (delivered when its transaction commits). */
export interface WakeUp {
  readonly channel: string;
  readonly payload: string;
}

/**
 * Inserts up to {@link INSERT_BATCH_SIZE} jobs in one statement, `pending` or as `statuses` says (`waiting`
 * for a job whose parents have not all succeeded), with one history row and one `job.created` event each, and the `wakeUp` NOTIFY when it inserted any. Jobs whose idempotency key
 * exists already are skipped (not returned).
 * @returns the inserted rows, in submission order
 */
export function insertJobs(
  db: SqlExecutor,
  tenantId: string,
  jobs: readonly NewJob[],
  record: CreationRecord,
  wakeUp: WakeUp,
  statuses: readonly ('pending' | 'waiting')[] | null = null,
): Promise<JobRow[]> {
  const column = <T>(pick: (job: NewJob) => T): T[] => jobs.map(pick);
  return db.query<JobRow>(INSERT_JOBS, [
    tenantId,
    column((j) => j.jobId),
    column((j) => j.jobType),
    column((j) => j.priority),
    column((j) => JSON.stringify(j.payload)),
    column((j) => j.payloadDigest),
    column((j) => j.requestDigest),
    column((j) => j.maxAttempts),
    column((j) => j.idempotencyKey),
    column((j) => j.correlationId),
    column((j) => j.projectId),
    column((j) => j.sourceId),
    column((j) => j.runId),
    column((j) => j.notBefore),
    column((j) => JSON.stringify(j.dependsOn)),
    column((j) => j.replayOf),
    record.reason,
    record.actor,
    record.details === null ? null : JSON.stringify(record.details),
    wakeUp.channel,
    wakeUp.payload,
    record.actorScopes,
    column((j) => j.traceparent ?? null),
    column((j) => j.tracestate ?? null),
    statuses === null ? jobs.map(() => null) : statuses,
    column((j) => j.lane ?? null),
    column((j) => j.eventTime ?? null),
  ]);
}

/** The jobs of a tenant holding any of the idempotency keys. */
export function selectJobsByIdempotencyKey(
  db: SqlExecutor,
  tenantId: string,
  keys: readonly string[],
): Promise<JobRow[]> {
  return db.query<JobRow>(JOBS_BY_IDEMPOTENCY_KEY, [tenantId, keys]);
}

/** Sends the `wakeUp` NOTIFY, delivered when the transaction commits. */
export async function notifyJobsReady(db: SqlExecutor, wakeUp: WakeUp): Promise<void> {
  await db.query('SELECT pg_notify($1::text, $2::text)', [wakeUp.channel, wakeUp.payload]);
}
