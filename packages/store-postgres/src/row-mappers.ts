import {
  isJobStatus,
  OrchestratorError,
  type DeadLetterEntry,
  type Job,
  type JobArtifact,
  type JobFailure,
  type JobHistoryEntry,
  type JobStatus,
  type JsonValue,
} from '@stella-orch/core';

/** A timestamp as the drivers return it (`Date`), or as text. */
type SqlTimestamp = Date | string;

/** A row of orch.jobs as selected by `JOB_COLUMNS`. */
export interface JobRow {
  readonly job_id: string;
  readonly tenant_id: string;
  readonly project_id: string | null;
  readonly source_id: string | null;
  readonly run_id: string | null;
  readonly job_type: string;
  readonly priority: number;
  readonly payload: JsonValue;
  readonly payload_digest: string;
  readonly request_digest: string;
  readonly depends_on: readonly string[];
  readonly status: string;
  readonly attempt: number;
  readonly max_attempts: number;
  readonly idempotency_key: string | null;
  readonly correlation_id: string;
  readonly not_before: SqlTimestamp | null;
  readonly next_eligible_at: SqlTimestamp;
  readonly lease_id: string | null;
  readonly fencing_token: number;
  readonly lease_until: SqlTimestamp | null;
  readonly worker_id: string | null;
  readonly cancel_requested: boolean;
  readonly replay_of: string | null;
  readonly last_error: JobFailure | null;
  readonly progress: JsonValue | null;
  readonly result: JsonValue | null;
  readonly created_at: SqlTimestamp;
  readonly updated_at: SqlTimestamp;
  readonly started_at: SqlTimestamp | null;
  readonly completed_at: SqlTimestamp | null;
  readonly traceparent: string | null;
  readonly tracestate: string | null;
  readonly lane: 'live' | 'backfill';
  readonly event_time: Date | string | null;
}

/** The one place timestamps become ISO-8601 strings. */
export function toIso(value: SqlTimestamp): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

/** {@link toIso} for nullable columns. */
export function toIsoOrNull(value: SqlTimestamp | null): string | null {
  return value === null ? null : toIso(value);
}

/** A status column, checked: the schema's CHECK constraint makes anything else a defect. */
export function toJobStatus(value: string): JobStatus {
  if (isJobStatus(value)) return value;
  throw new OrchestratorError('INTERNAL', `the ledger holds an unknown job status ${value}`);
}

/** A job row as the port's {@link Job}. */
export function mapJob(row: JobRow): Job {
  return {
    jobId: row.job_id,
    tenantId: row.tenant_id,
    projectId: row.project_id,
    sourceId: row.source_id,
    runId: row.run_id,
    jobType: row.job_type,
    priority: row.priority,
    payload: row.payload,
    payloadDigest: row.payload_digest,
    dependsOn: row.depends_on,
    status: toJobStatus(row.status),
    attempt: row.attempt,
    maxAttempts: row.max_attempts,
    idempotencyKey: row.idempotency_key,
    correlationId: row.correlation_id,
    notBefore: toIsoOrNull(row.not_before),
    nextEligibleAt: toIso(row.next_eligible_at),
    lease:
      row.lease_id === null || row.lease_until === null || row.worker_id === null
        ? null
        : {
            leaseId: row.lease_id,
            fencingToken: row.fencing_token,
            leaseUntil: toIso(row.lease_until),
            workerId: row.worker_id,
          },
    cancelRequested: row.cancel_requested,
    replayOf: row.replay_of,
    lastError: row.last_error,
    progress: row.progress,
    result: row.result,
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
    startedAt: toIsoOrNull(row.started_at),
    completedAt: toIsoOrNull(row.completed_at),
    // Absent rather than null: jobs without a trace context look as they did before there was one.
    ...(row.traceparent === null ? {} : { traceparent: row.traceparent }),
    ...(row.tracestate === null ? {} : { tracestate: row.tracestate }),
    // Absent for the common case, as the trace context: a live job, a job without an event time.
    ...(row.lane === 'backfill' ? { lane: 'backfill' as const } : {}),
    ...(row.event_time === null ? {} : { eventTime: toIso(row.event_time) }),
  };
}

/** A row of orch.job_history with its per-job sequence number. */
export interface HistoryRow {
  readonly sequence: number;
  readonly job_id: string;
  readonly from_status: string | null;
  readonly to_status: string;
  readonly attempt: number;
  readonly reason: string;
  readonly actor: string;
  readonly details: JsonValue | null;
  readonly occurred_at: SqlTimestamp;
}

/** A history row as the port's {@link JobHistoryEntry}. */
export function mapHistory(row: HistoryRow): JobHistoryEntry {
  return {
    sequence: row.sequence,
    jobId: row.job_id,
    fromStatus: row.from_status === null ? null : toJobStatus(row.from_status),
    toStatus: toJobStatus(row.to_status),
    attempt: row.attempt,
    reason: row.reason,
    actor: row.actor,
    details: row.details,
    occurredAt: toIso(row.occurred_at),
  };
}

/** A row of orch.job_artifacts. */
export interface ArtifactRow {
  readonly artifact_id: string;
  readonly job_id: string;
  readonly attempt: number;
  readonly uri: string;
  readonly digest: string;
  readonly size_bytes: number;
  readonly media_type: string;
  readonly created_at: SqlTimestamp;
}

/** An artifact row as the port's {@link JobArtifact}. */
export function mapArtifact(row: ArtifactRow): JobArtifact {
  return {
    artifactId: row.artifact_id,
    jobId: row.job_id,
    attempt: row.attempt,
    uri: row.uri,
    digest: row.digest,
    sizeBytes: row.size_bytes,
    mediaType: row.media_type,
    createdAt: toIso(row.created_at),
  };
}

/** A row of orch.dead_letters. */
export interface DeadLetterRow {
  readonly entry_id: string;
  readonly seq: number;
  readonly job_id: string;
  readonly job_type: string;
  readonly attempts: number;
  readonly error_type: string;
  readonly error_message: string;
  readonly status: DeadLetterEntry['status'];
  readonly created_at: SqlTimestamp;
  readonly updated_at: SqlTimestamp;
  /** The source of the entry's job (joined from orch.jobs). */
  readonly source_id: string | null;
  readonly replayed_job_id: string | null;
  readonly resolution_note: string | null;
  readonly resolved_by: string | null;
  readonly resolved_at: SqlTimestamp | null;
}

/** A dead-letter row as the port's {@link DeadLetterEntry}. */
export function mapDeadLetter(row: DeadLetterRow): DeadLetterEntry {
  return {
    entryId: row.entry_id,
    jobId: row.job_id,
    jobType: row.job_type,
    attempts: row.attempts,
    errorType: row.error_type,
    errorMessage: row.error_message,
    status: row.status,
    createdAt: toIso(row.created_at),
    sourceId: row.source_id,
    replayedJobId: row.replayed_job_id,
    resolutionNote: row.resolution_note,
    resolvedBy: row.resolved_by,
    resolvedAt: row.resolved_at === null ? null : toIso(row.resolved_at),
    updatedAt: toIso(row.updated_at),
  };
}
