import { canonicalJson, sha256Digest, type JsonValue } from './canonical-json.js';
import { validationError, type FieldError } from './errors.js';
import type { Actor, Job } from './job.js';
import { checkOperatorMetadata } from './operator-metadata.js';
import type { RequestContext } from './request-context.js';

/**
 * The `prevHash` of the first entry of every tenant's chain: `sha256:` and 64 zeros. No SHA-256 output is
 * expected to equal it, so a chain can only start here, and an empty chain's head hash is this value.
 */
export const GENESIS_PREV_HASH = `sha256:${'0'.repeat(64)}`;

/** The operator actions recorded today; the trail accepts any `domain.verb` action name. */
export const JOB_AUDIT_ACTIONS = ['job.cancel', 'job.retry', 'job.replay'] as const;

/** An operator action on a job. */
export type JobAuditAction = (typeof JOB_AUDIT_ACTIONS)[number];

/** A JSON object: the `before` / `after` state summaries of an audit entry. */
export type AuditState = Readonly<Record<string, JsonValue>>;

/**
 * What an action records: who, what, on which resource, the state before and after, and why. The trail
 * adds the identity, the place in the chain and the hashes ({@link AuditEntry}).
 */
export interface AuditRecord {
  readonly actor: Actor;
  /** `domain.verb`, such as `job.cancel`. */
  readonly action: string;
  readonly resourceType: string;
  readonly resourceId: string;
  readonly before?: AuditState;
  readonly after?: AuditState;
  /** The operator's reason from the credentials (token claim `operator_reason`). */
  readonly reason?: string;
  /** The operator's ticket from the credentials (token claim `operator_ticket`). */
  readonly ticket?: string;
  /** The request's own reason (`X-Stella-Operator-Reason`). */
  readonly requestReason?: string;
  /** The request's own ticket (`X-Stella-Operator-Ticket`). */
  readonly requestTicket?: string;
  readonly correlationId: string;
}

/**
 * One entry of a tenant's tamper-evident audit trail (SPEC §2). `sequence` counts 1, 2, 3 … per tenant
 * without gaps; `prevHash` is the `hash` of the entry before it ({@link GENESIS_PREV_HASH} for the first);
 * `hash` is {@link computeAuditHash} of everything else.
 */
export interface AuditEntry extends AuditRecord {
  readonly auditId: string;
  readonly tenantId: string;
  readonly sequence: number;
  /** ISO-8601 UTC with milliseconds, from the ledger's clock. */
  readonly occurredAt: string;
  readonly prevHash: string;
  readonly hash: string;
}

/** An entry before it is hashed. */
export type UnsealedAuditEntry = Omit<AuditEntry, 'hash'>;

/**
 * The hash input of an entry: its fields except `hash` (and `prevHash` included), picked by name so that
 * nothing else an object carries can slip in. The actor and the states are hashed whole, as stored.
 * Absent optional fields are left out rather than written as `null`, so an entry that gains a new
 * optional field later still hashes as it did.
 */
function hashInput(entry: UnsealedAuditEntry): Record<string, unknown> {
  return {
    auditId: entry.auditId,
    tenantId: entry.tenantId,
    sequence: entry.sequence,
    occurredAt: entry.occurredAt,
    actor: entry.actor,
    action: entry.action,
    resourceType: entry.resourceType,
    resourceId: entry.resourceId,
    before: entry.before,
    after: entry.after,
    reason: entry.reason,
    ticket: entry.ticket,
    requestReason: entry.requestReason,
    requestTicket: entry.requestTicket,
    correlationId: entry.correlationId,
    prevHash: entry.prevHash,
  };
}

/** `sha256:<hex>` of the canonical JSON of the entry's fields except `hash` (`prevHash` included). */
export function computeAuditHash(entry: UnsealedAuditEntry): string {
  return sha256Digest(canonicalJson(hashInput(entry)));
}

/** The entry with its hash. */
export function sealAuditEntry(entry: UnsealedAuditEntry): AuditEntry {
  return { ...entry, hash: computeAuditHash(entry) };
}

const ACTION_PATTERN = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;

/**
 * The field errors of a record: an action named `domain.verb`, a resource type and id, a subject and a
 * correlation id of 1–256 characters, and reason/ticket values within the operator policy.
 */
export function checkAuditRecord(record: AuditRecord): FieldError[] {
  const errors: FieldError[] = [];
  if (!ACTION_PATTERN.test(record.action) || record.action.length > 128)
    errors.push({ path: 'action', message: 'must be a dotted lower-case name such as job.cancel' });
  for (const [path, value] of [
    ['resourceType', record.resourceType],
    ['resourceId', record.resourceId],
    ['actor.subject', record.actor.subject],
    ['correlationId', record.correlationId],
  ] as const) {
    if (value.length === 0 || value.length > 256)
      errors.push({ path, message: 'must be 1 to 256 characters' });
  }
  errors.push(...checkOperatorMetadata({ reason: record.reason, ticket: record.ticket }));
  errors.push(
    ...checkOperatorMetadata(
      { reason: record.requestReason, ticket: record.requestTicket },
      { reason: 'requestReason', ticket: 'requestTicket' },
    ),
  );
  return errors;
}

/** What an operator action of the job store records besides the job states: why, and the correlation. */
export interface AuditMetadata {
  readonly reason?: string;
  readonly ticket?: string;
  readonly requestReason?: string;
  readonly requestTicket?: string;
  /** Defaults to the job's correlation id (cancel) or the new job's (retry, replay). */
  readonly correlationId?: string;
}

/**
 * The audit metadata of a request: the credentials' reason and ticket, the request's own, and the
 * correlation id. Checked against the operator policy here too, whatever filled the context.
 *
 * @throws OrchestratorError `VALIDATION_FAILED` for a reason or ticket outside the policy
 */
export function auditMetadataOf(ctx: RequestContext): AuditMetadata {
  const { operator = {}, requestOperator = {} } = ctx;
  const errors = [
    ...checkOperatorMetadata(operator, { reason: 'operator.reason', ticket: 'operator.ticket' }),
    ...checkOperatorMetadata(requestOperator, {
      reason: 'header.x-stella-operator-reason',
      ticket: 'header.x-stella-operator-ticket',
    }),
  ];
  if (errors.length > 0) throw validationError(errors);
  return {
    correlationId: ctx.correlationId,
    ...(operator.reason === undefined ? {} : { reason: operator.reason }),
    ...(operator.ticket === undefined ? {} : { ticket: operator.ticket }),
    ...(requestOperator.reason === undefined ? {} : { requestReason: requestOperator.reason }),
    ...(requestOperator.ticket === undefined ? {} : { requestTicket: requestOperator.ticket }),
  };
}

/** The job state an audit entry keeps before and after an action on the job. */
export function jobAuditState(job: Pick<Job, 'status' | 'attempt' | 'cancelRequested'>): AuditState {
  return { status: job.status, attempt: job.attempt, cancelRequested: job.cancelRequested };
}

/**
 * The record of an operator action on a job: the job's state before and after, and for a retry or replay
 * that made (or found, on an idempotent repeat) another job, that job's id.
 *
 * @param params.before - the job as the action found it
 * @param params.after - the same job after the action
 * @param params.newJob - the job a retry or replay cloned, if any
 */
export function jobAuditRecord(params: {
  readonly action: JobAuditAction;
  readonly actor: Actor;
  readonly before: Job;
  readonly after: Job;
  readonly newJob?: { readonly jobId: string; readonly correlationId: string; readonly created: boolean };
  readonly audit?: AuditMetadata;
}): AuditRecord {
  const { audit = {}, newJob } = params;
  const after =
    newJob === undefined
      ? jobAuditState(params.after)
      : { ...jobAuditState(params.after), newJobId: newJob.jobId, newJobCreated: newJob.created };
  return {
    actor: params.actor,
    action: params.action,
    resourceType: 'job',
    resourceId: params.before.jobId,
    before: jobAuditState(params.before),
    after,
    ...(audit.reason === undefined ? {} : { reason: audit.reason }),
    ...(audit.ticket === undefined ? {} : { ticket: audit.ticket }),
    ...(audit.requestReason === undefined ? {} : { requestReason: audit.requestReason }),
    ...(audit.requestTicket === undefined ? {} : { requestTicket: audit.requestTicket }),
    correlationId: audit.correlationId ?? newJob?.correlationId ?? params.before.correlationId,
  };
}
