import { DAG_LIMITS, JOB_LIMITS, JOB_STATUSES } from '@stella-orch/core';

// JSON Schemas of the API: request validation, response serialisation and the OpenAPI document come
// from these. Bodies refuse unknown fields.

const nullableString = { type: ['string', 'null'] } as const;
const timestamp = { type: 'string', format: 'date-time' } as const;

/** The body of an action that takes none: `{}` and nothing else. */
export const emptyBody = { type: 'object', additionalProperties: false, properties: {} } as const;

/** The body of a pause (of a source, a quota): why, required, and an optional ticket. */
export const pauseBody = {
  type: 'object',
  additionalProperties: false,
  required: ['reason'],
  properties: { reason: { type: 'string' }, ticket: { type: ['string', 'null'] } },
} as const;
const nullableTimestamp = { type: ['string', 'null'], format: 'date-time' } as const;
const identifier = { type: 'string', minLength: 1, maxLength: 256 } as const;

export const jobFailureSchema = {
  $id: 'JobFailure',
  type: 'object',
  additionalProperties: false,
  required: ['type', 'message', 'retryable'],
  properties: {
    type: { type: 'string', minLength: 1, maxLength: 200 },
    message: { type: 'string', maxLength: 8_000 },
    retryable: { type: 'boolean' },
    retryAfterMs: { type: 'integer', minimum: 0, maximum: 86_400_000 },
    details: {},
  },
} as const;

export const leaseSchema = {
  $id: 'Lease',
  type: 'object',
  required: ['leaseId', 'fencingToken', 'leaseUntil', 'workerId'],
  properties: {
    leaseId: { type: 'string' },
    fencingToken: { type: 'integer' },
    leaseUntil: timestamp,
    workerId: { type: 'string' },
  },
} as const;

export const jobSchema = {
  $id: 'Job',
  type: 'object',
  required: [
    'jobId',
    'tenantId',
    'jobType',
    'status',
    'attempt',
    'maxAttempts',
    'payloadDigest',
    'createdAt',
  ],
  properties: {
    jobId: { type: 'string' },
    tenantId: { type: 'string' },
    projectId: nullableString,
    sourceId: nullableString,
    runId: nullableString,
    jobType: { type: 'string' },
    priority: { type: 'integer' },
    payload: {},
    payloadDigest: { type: 'string' },
    dependsOn: { type: 'array', items: { type: 'string' } },
    status: { type: 'string', enum: [...JOB_STATUSES] },
    attempt: { type: 'integer' },
    maxAttempts: { type: 'integer' },
    idempotencyKey: nullableString,
    correlationId: { type: 'string' },
    notBefore: nullableTimestamp,
    nextEligibleAt: timestamp,
    lease: { anyOf: [{ $ref: 'Lease#' }, { type: 'null' }] },
    cancelRequested: { type: 'boolean' },
    replayOf: nullableString,
    lastError: { anyOf: [{ $ref: 'JobFailure#' }, { type: 'null' }] },
    progress: {},
    result: {},
    createdAt: timestamp,
    updatedAt: timestamp,
    startedAt: nullableTimestamp,
    completedAt: nullableTimestamp,
    traceparent: {
      type: 'string',
      description:
        'W3C traceparent (version 00) of the request that created the job: its worker continues this trace. Absent when the job has none.',
    },
    tracestate: { type: 'string', description: 'W3C tracestate that came with traceparent.' },
    lane: {
      type: 'string',
      enum: ['live', 'backfill'],
      description:
        '`backfill` for a job a backfill made (its own lane under every limit); absent for a live job.',
    },
    eventTime: {
      ...timestamp,
      description: 'The event time the job was submitted with; absent without one.',
    },
  },
} as const;

export const problemSchema = {
  $id: 'Problem',
  type: 'object',
  required: ['type', 'title', 'status', 'code', 'detail'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    code: { type: 'string' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    traceId: { type: 'string' },
    errors: {
      type: 'array',
      items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } },
    },
    details: { type: 'object', additionalProperties: true },
  },
} as const;

export const jobSubmissionSchema = {
  $id: 'JobSubmission',
  type: 'object',
  additionalProperties: false,
  required: ['jobType'],
  properties: {
    jobType: { type: 'string', minLength: 1, maxLength: 128 },
    payload: {},
    priority: { type: 'integer', minimum: JOB_LIMITS.minPriority, maximum: JOB_LIMITS.maxPriority },
    maxAttempts: { type: 'integer', minimum: 1, maximum: JOB_LIMITS.maxAttemptsLimit },
    idempotencyKey: identifier,
    correlationId: identifier,
    projectId: identifier,
    sourceId: identifier,
    runId: identifier,
    notBefore: { type: 'string', format: 'date-time' },
    eventTime: {
      type: 'string',
      format: 'date-time',
      description:
        'The event time of the data this job processes: when a job with a source succeeds, it advances the ' +
        'watermark of its source and job type (GET /watermarks).',
    },
    ref: {
      ...identifier,
      description: 'A name for this job inside its batch, for other jobs of the batch to depend on.',
    },
    dependsOn: {
      type: 'array',
      maxItems: DAG_LIMITS.maxDependencies,
      description:
        'Jobs that must succeed before this one runs: job ids of the tenant, or { "ref": … } naming another ' +
        'job of the same batch by its ref.',
      items: {
        anyOf: [
          { type: 'string', minLength: 1, maxLength: 64 },
          { type: 'object', additionalProperties: false, required: ['ref'], properties: { ref: identifier } },
        ],
      },
    },
  },
} as const;

export const runSchema = {
  $id: 'Run',
  type: 'object',
  required: ['runId', 'tenantId', 'name', 'status', 'counts', 'total', 'createdAt'],
  properties: {
    runId: { type: 'string' },
    tenantId: { type: 'string' },
    name: { type: 'string' },
    sourceId: nullableString,
    status: { type: 'string', enum: ['empty', 'active', 'succeeded', 'failed', 'canceled'] },
    counts: { type: 'object', additionalProperties: { type: 'integer' } },
    total: { type: 'integer' },
    createdAt: timestamp,
  },
} as const;

const rateLimitSchema = {
  type: ['object', 'null'],
  description:
    'A token bucket (burst, refilled at refillPerSecond); null: unlimited. Applied at the lease grant (docs/decisions/0016-admission-and-limits.md).',
  required: ['burst', 'refillPerSecond'],
  properties: { burst: { type: 'integer' }, refillPerSecond: { type: 'number' } },
} as const;

export const sourceSchema = {
  $id: 'Source',
  type: 'object',
  required: [
    'sourceId',
    'tenantId',
    'sourceType',
    'enabled',
    'paused',
    'rateLimit',
    'maxConcurrent',
    'version',
    'createdAt',
  ],
  properties: {
    sourceId: { type: 'string' },
    tenantId: { type: 'string' },
    sourceType: { type: 'string' },
    displayName: nullableString,
    description: nullableString,
    enabled: { type: 'boolean' },
    paused: { type: 'boolean' },
    pauseReason: nullableString,
    pauseTicket: nullableString,
    pausedBy: nullableString,
    pausedAt: nullableTimestamp,
    rateLimit: rateLimitSchema,
    maxConcurrent: {
      type: ['integer', 'null'],
      description: 'The most jobs of the source leased or running at once; null: unlimited.',
    },
    version: { type: 'integer', minimum: 1 },
    createdAt: timestamp,
    createdBy: { type: 'string' },
    updatedAt: timestamp,
    updatedBy: { type: 'string' },
  },
} as const;

const sha256 = { type: 'string', pattern: '^sha256:[0-9a-f]{64}$' } as const;

export const auditEntrySchema = {
  $id: 'AuditEntry',
  description:
    'One entry of the tenant’s hash chain. `hash` is sha256 over the canonical JSON of every other field ' +
    '(absent fields left out), so a client can recompute it from the entry as served.',
  type: 'object',
  required: [
    'auditId',
    'tenantId',
    'sequence',
    'occurredAt',
    'actor',
    'action',
    'resourceType',
    'resourceId',
    'correlationId',
    'prevHash',
    'hash',
  ],
  properties: {
    auditId: { type: 'string' },
    tenantId: { type: 'string' },
    sequence: { type: 'integer', minimum: 1 },
    occurredAt: timestamp,
    actor: {
      type: 'object',
      required: ['subject', 'clientId', 'scopes'],
      properties: {
        subject: { type: 'string' },
        clientId: nullableString,
        scopes: { type: 'array', items: { type: 'string' } },
      },
    },
    action: { type: 'string' },
    resourceType: { type: 'string' },
    resourceId: { type: 'string' },
    before: { type: 'object', additionalProperties: true },
    after: { type: 'object', additionalProperties: true },
    reason: { type: 'string' },
    ticket: { type: 'string' },
    requestReason: { type: 'string' },
    requestTicket: { type: 'string' },
    correlationId: { type: 'string' },
    prevHash: sha256,
    hash: sha256,
  },
} as const;

export const auditVerificationSchema = {
  $id: 'AuditVerification',
  description:
    'ok: the latest archive record is signed, the chain in the ledger recomputes from just after it (or from ' +
    'sequence 1) to the head, and the latest checkpoint is signed, not past the end of the chain and of the ' +
    'hash the chain has at its sequence (`checked` entries read, last sequence, head hash, and the checkpoint ' +
    'and archive used, when there is one). Not ok: the first sequence where it breaks, and why.',
  type: 'object',
  required: ['ok'],
  properties: {
    ok: { type: 'boolean' },
    checked: { type: 'integer' },
    lastSequence: { type: 'integer' },
    headHash: sha256,
    checkpoint: {
      type: 'object',
      required: ['sequence', 'signedAt', 'keyId'],
      properties: { sequence: { type: 'integer' }, signedAt: timestamp, keyId: { type: 'string' } },
    },
    archive: {
      type: 'object',
      required: ['archiveId', 'throughSequence', 'lastHash'],
      properties: {
        archiveId: { type: 'string' },
        throughSequence: { type: 'integer' },
        lastHash: sha256,
      },
    },
    brokenAt: { type: 'integer' },
    reason: {
      type: 'string',
      enum: [
        'hash_mismatch',
        'prev_hash_mismatch',
        'sequence_gap',
        'head_mismatch',
        'truncated',
        'checkpoint_mismatch',
        'bad_checkpoint_signature',
        'bad_archive_signature',
      ],
    },
  },
} as const;

export const auditCheckpointSchema = {
  $id: 'AuditCheckpoint',
  description:
    'A signed statement that the tenant’s chain had `sequence` with `headHash` at `signedAt`. `signature` is ' +
    'base64url Ed25519 over `stella-orch.audit-checkpoint.v1\n` + the canonical JSON of the other fields, ' +
    'by the audit-checkpoint key `keyId`. Keep a copy outside the ledger.',
  type: 'object',
  required: ['tenantId', 'sequence', 'headHash', 'signedAt', 'keyId', 'signature'],
  properties: {
    tenantId: { type: 'string' },
    sequence: { type: 'integer', minimum: 1 },
    headHash: sha256,
    signedAt: timestamp,
    keyId: { type: 'string' },
    signature: { type: 'string' },
  },
} as const;

export const auditArchiveManifestSchema = {
  $id: 'AuditArchiveManifest',
  description:
    'The signed manifest of entries `firstSequence..throughSequence` exported as NDJSON: `ndjsonDigest` is ' +
    'sha256 of exactly the bytes `GET /audit/export` gives for the range. `signature` is base64url Ed25519 ' +
    'over `stella-orch.audit-archive.v1\n` + the canonical JSON of the other fields.',
  type: 'object',
  required: [
    'tenantId',
    'archiveId',
    'firstSequence',
    'throughSequence',
    'firstPrevHash',
    'lastHash',
    'entryCount',
    'ndjsonDigest',
    'createdAt',
    'keyId',
    'signature',
  ],
  properties: {
    tenantId: { type: 'string' },
    archiveId: { type: 'string' },
    firstSequence: { type: 'integer', minimum: 1 },
    throughSequence: { type: 'integer', minimum: 1 },
    firstPrevHash: sha256,
    lastHash: sha256,
    entryCount: { type: 'integer', minimum: 1 },
    ndjsonDigest: sha256,
    createdAt: timestamp,
    keyId: { type: 'string' },
    signature: { type: 'string' },
  },
} as const;

/** Schemas registered with `addSchema`, referenced as `Name#`. */
export const SHARED_SCHEMAS = [
  leaseSchema,
  jobFailureSchema,
  jobSchema,
  problemSchema,
  jobSubmissionSchema,
  runSchema,
  sourceSchema,
  auditEntrySchema,
  auditVerificationSchema,
  auditCheckpointSchema,
  auditArchiveManifestSchema,
];

/** A `{ items, next_page_token }` page of `ref`. */
export function pageOf(ref: string) {
  return {
    type: 'object',
    required: ['items', 'next_page_token'],
    properties: { items: { type: 'array', items: { $ref: `${ref}#` } }, next_page_token: nullableString },
  } as const;
}

/** Error responses every route may give. */
export function withProblems<T extends Record<number, unknown>>(
  responses: T,
  codes: readonly number[] = [400, 404, 409],
) {
  const problems: Record<number, unknown> = {};
  for (const code of codes) problems[code] = { $ref: 'Problem#' };
  return { ...problems, ...responses };
}

export const pageQuerySchema = {
  page_size: { type: 'string', pattern: '^[0-9]{1,4}$' },
  page_token: { type: 'string', maxLength: 512 },
} as const;

export const jobIdParams = {
  type: 'object',
  required: ['jobId'],
  properties: { jobId: { type: 'string', maxLength: 64 } },
} as const;

export const leaseIdParams = {
  type: 'object',
  required: ['leaseId'],
  properties: { leaseId: { type: 'string', maxLength: 64 } },
} as const;
