import type { JsonValue } from './canonical-json.js';
import type { EventPosition } from './event-position.js';
import { isJobStatus, type JobStatus } from './job-state.js';

/** The schema name every envelope carries (SPEC §2). */
export const EVENT_SCHEMA = 'orch.event.v1';

/** Who caused an event: the subject, and the scopes of its token when the ledger knew them. */
export interface EventActor {
  readonly subject: string;
  readonly scopes: readonly string[];
}

/** The job an event is about, as SPEC §2 names it: fields the event does not tell are `null`. */
export interface EventJob {
  readonly id: string;
  readonly type: string | null;
  readonly runId: string | null;
  readonly attempt: number | null;
  readonly leaseId: string | null;
  readonly workerId: string | null;
  /** The job's status right after the event, where the event decides it. */
  readonly status: JobStatus | null;
  /** Why: a cancel reason or the error type of a failed attempt. */
  readonly reason: string | null;
  readonly payloadDigest: string | null;
}

/**
 * One event of a tenant's log, `orch.event.v1`. Top-level `jobId`, `runId`, `jobType` and `attempt`
 * repeat what `job` says, so a consumer can route without opening it; all are `null` for events about no
 * job. `data` holds what is particular to the event type.
 */
export interface EventEnvelope {
  readonly schema: typeof EVENT_SCHEMA;
  readonly eventId: string;
  readonly eventType: string;
  /** ISO-8601 UTC: when the writing transaction started (the ledger's clock). */
  readonly occurredAt: string;
  readonly tenantId: string;
  readonly projectId: string | null;
  /** The job's source, when it names one. */
  readonly sourceId: string | null;
  readonly jobId: string | null;
  readonly runId: string | null;
  readonly jobType: string | null;
  readonly attempt: number | null;
  readonly correlationId: string | null;
  /** `orch-{eventType}-{jobId}-{attempt}` for job events, `orch-{eventType}-{auditId}` for operator events. */
  readonly idempotencyKey: string;
  readonly actor: EventActor;
  readonly job: EventJob | null;
  readonly data: Readonly<Record<string, JsonValue>>;
}

/** The immutable fields of the job an event row names, joined when the log is read. */
export interface EventJobFields {
  readonly jobType: string;
  readonly runId: string | null;
  readonly projectId: string | null;
  readonly sourceId: string | null;
  readonly correlationId: string;
  readonly payloadDigest: string;
}

/** An event as the ledger stores it (the outbox row, small), with its position and its job's fields. */
export interface StoredEvent {
  readonly position: EventPosition;
  readonly eventId: string;
  readonly eventType: string;
  readonly occurredAt: string;
  readonly tenantId: string;
  readonly jobId: string | null;
  readonly attempt: number | null;
  /** `null` for rows written before the actor was kept (the envelope says `system`). */
  readonly actor: string | null;
  readonly actorScopes: readonly string[] | null;
  /** Set when the writer's correlation differs from the job's (operator actions); else the job's. */
  readonly correlationId: string | null;
  readonly data: Readonly<Record<string, JsonValue>> | null;
  /** `null` for events about no job, or when the job is gone. */
  readonly job: EventJobFields | null;
}

/** An envelope and its place in the log (the SSE `id:`, the resume point). */
export interface PositionedEvent {
  readonly position: EventPosition;
  readonly event: EventEnvelope;
}

/** The job status each job event type leaves behind. */
const STATUS_AFTER: Readonly<Record<string, JobStatus>> = {
  'job.created': 'pending',
  'job.released': 'pending',
  'job.leased': 'leased',
  'job.running': 'running',
  'job.retry_scheduled': 'pending',
  'job.succeeded': 'succeeded',
  'job.failed': 'failed',
  'job.dead_lettered': 'failed',
  'job.canceled': 'canceled',
};

/**
 * The status an event leaves its job in: a job created with dependencies starts `waiting` (its
 * `job.created` says so in `data.status`), every other one as {@link STATUS_AFTER} says.
 */
function statusAfter(eventType: string, data: Readonly<Record<string, JsonValue>>): JobStatus | null {
  const stated = text(data, 'status');
  if (eventType === 'job.created' && stated !== null && isJobStatus(stated)) return stated;
  return STATUS_AFTER[eventType] ?? null;
}

function text(data: Readonly<Record<string, JsonValue>>, key: string): string | null {
  const value = data[key];
  return typeof value === 'string' ? value : null;
}

/**
 * The idempotency key of an event: `orch-{eventType}-{jobId}-{attempt}` for events of the `job.` family
 * (one per type, job and attempt: a redelivered event has the same key), `orch-{eventType}-{auditId}` for
 * operator actions, otherwise `orch-{eventType}-{eventId}`.
 */
export function eventIdempotencyKey(stored: StoredEvent): string {
  if (stored.eventType.startsWith('job.') && stored.jobId !== null) {
    return `orch-${stored.eventType}-${stored.jobId}-${stored.attempt ?? 0}`;
  }
  const auditId = stored.data === null ? null : text(stored.data, 'auditId');
  return `orch-${stored.eventType}-${auditId ?? stored.eventId}`;
}

/** Builds the `orch.event.v1` envelope of a stored event (pure: what the ledger read, nothing else). */
export function toEventEnvelope(stored: StoredEvent): EventEnvelope {
  const data = stored.data ?? {};
  const job = stored.job;
  return {
    schema: EVENT_SCHEMA,
    eventId: stored.eventId,
    eventType: stored.eventType,
    occurredAt: stored.occurredAt,
    tenantId: stored.tenantId,
    projectId: job?.projectId ?? null,
    sourceId: job?.sourceId ?? null,
    jobId: stored.jobId,
    runId: job?.runId ?? null,
    jobType: job?.jobType ?? null,
    attempt: stored.attempt,
    correlationId: stored.correlationId ?? job?.correlationId ?? null,
    idempotencyKey: eventIdempotencyKey(stored),
    actor: { subject: stored.actor ?? 'system', scopes: stored.actorScopes ?? [] },
    job:
      stored.jobId === null
        ? null
        : {
            id: stored.jobId,
            type: job?.jobType ?? null,
            runId: job?.runId ?? null,
            attempt: stored.attempt,
            leaseId: text(data, 'leaseId'),
            workerId: text(data, 'workerId'),
            status: statusAfter(stored.eventType, data),
            reason: text(data, 'reason') ?? text(data, 'errorType'),
            payloadDigest: job?.payloadDigest ?? null,
          },
    data,
  };
}
