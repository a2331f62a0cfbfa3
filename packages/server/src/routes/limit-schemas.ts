// JSON Schemas of the quota and throttle routes (request validation, response serialisation, OpenAPI).
// Bodies check types only: the ranges are core's (quota-validation.ts, throttle-validation.ts), so a
// refusal names the rule the same way whichever door the request came through.

const nullableString = { type: ['string', 'null'] } as const;
const nullableInteger = { type: ['integer', 'null'] } as const;
const timestamp = { type: 'string', format: 'date-time' } as const;
const nullableTimestamp = { type: ['string', 'null'], format: 'date-time' } as const;

const quotaLimitFields = {
  maxActive: {
    ...nullableInteger,
    description: 'The most jobs of the scope leased or running at once: 1 to 1,000,000; null: no cap.',
  },
  maxPerHour: {
    ...nullableInteger,
    description: 'The most leases an hour: 1 to 360,000,000; null: no hourly rate.',
  },
  burst: {
    ...nullableInteger,
    description:
      'The capacity of the hourly rate’s token bucket: 1 to 1,000,000, only with maxPerHour; null: a minute’s worth of maxPerHour (at least 1).',
  },
} as const;

export const quotaCreateBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    jobType: {
      type: ['string', 'null'],
      description: 'The job type the quota covers; absent or null: every job of the tenant together.',
    },
    ...quotaLimitFields,
  },
} as const;

export const quotaReplaceBody = {
  type: 'object',
  additionalProperties: false,
  properties: { ...quotaLimitFields, version: { type: 'integer', minimum: 1 } },
} as const;

export const quotaSchema = {
  type: 'object',
  required: [
    'quotaId',
    'tenantId',
    'jobType',
    'maxActive',
    'maxPerHour',
    'burst',
    'paused',
    'reason',
    'version',
    'createdAt',
  ],
  properties: {
    quotaId: { type: 'string' },
    tenantId: { type: 'string' },
    jobType: nullableString,
    maxActive: nullableInteger,
    maxPerHour: nullableInteger,
    burst: nullableInteger,
    paused: { type: 'boolean' },
    pauseReason: nullableString,
    pauseTicket: nullableString,
    pausedBy: nullableString,
    pausedAt: nullableTimestamp,
    reason: { type: 'string', description: 'The quota_reason of the last change.' },
    ticket: { ...nullableString, description: 'The quota_ticket of the last change.' },
    version: { type: 'integer', minimum: 1 },
    createdAt: timestamp,
    createdBy: { type: 'string' },
    updatedAt: timestamp,
    updatedBy: { type: 'string' },
  },
} as const;

export const quotaSummarySchema = {
  type: 'object',
  required: ['tenantId', 'asOf', 'totals', 'quotas'],
  properties: {
    tenantId: { type: 'string' },
    asOf: { ...timestamp, description: 'The database clock the usage was read at.' },
    totals: {
      type: 'object',
      description: 'Every job of the tenant, with or without a quota.',
      required: ['active', 'readyJobs'],
      properties: { active: { type: 'integer' }, readyJobs: { type: 'integer' } },
    },
    quotas: {
      type: 'array',
      items: {
        type: 'object',
        required: ['quota', 'active', 'tokens', 'tokenCapacity', 'readyJobs', 'holds'],
        properties: {
          quota: quotaSchema,
          active: { type: 'integer', description: 'Jobs of the scope leased or running.' },
          tokens: {
            type: ['number', 'null'],
            description:
              'Tokens in the hourly bucket now (full when no lease drew on it yet); null without maxPerHour.',
          },
          tokenCapacity: nullableInteger,
          readyJobs: {
            type: 'integer',
            description: 'Pending jobs of the scope that are not held and eligible now.',
          },
          holds: {
            type: 'array',
            description:
              'What the quota holds back now, in the words and codes of GET /jobs/{id}/why (QUOTA_PAUSED, QUOTA_ACTIVE_LIMIT, QUOTA_RATE_LIMIT); empty while it allows a lease or nothing waits.',
            items: {
              type: 'object',
              required: ['code', 'message', 'details'],
              properties: {
                code: { type: 'string' },
                message: { type: 'string' },
                until: timestamp,
                details: { type: 'object', additionalProperties: true },
              },
            },
          },
        },
      },
    },
  },
} as const;

export const throttleCreateBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    sourceId: { ...nullableString, description: 'A registered source of the tenant; absent: every source.' },
    jobType: { ...nullableString, description: 'Absent: every job type.' },
    pause: { type: 'boolean', description: 'Lease nothing of the target until the throttle ends.' },
    maxPerSecond: {
      type: ['number', 'null'],
      description: 'Lower the rate to this many leases a second: greater than 0, at most 100,000.',
    },
    maxConcurrent: {
      ...nullableInteger,
      description: 'Lower the concurrency to this many jobs leased or running: 0 to 1,000,000.',
    },
    durationSeconds: { type: 'integer', description: '1 to 2,592,000 (30 days); or give expiresAt.' },
    expiresAt: {
      type: 'string',
      description: 'An ISO-8601 date-time with an offset, in the future and within 30 days.',
    },
  },
} as const;

export const throttleSchema = {
  type: 'object',
  required: [
    'throttleId',
    'tenantId',
    'sourceId',
    'jobType',
    'pause',
    'maxPerSecond',
    'maxConcurrent',
    'reason',
    'ticket',
    'expiresAt',
    'active',
    'createdAt',
  ],
  properties: {
    throttleId: { type: 'string' },
    tenantId: { type: 'string' },
    sourceId: nullableString,
    jobType: nullableString,
    pause: { type: 'boolean' },
    maxPerSecond: { type: ['number', 'null'] },
    maxConcurrent: nullableInteger,
    reason: { type: 'string' },
    ticket: { type: 'string' },
    expiresAt: timestamp,
    revokedAt: nullableTimestamp,
    revokedBy: nullableString,
    revokeReason: nullableString,
    active: {
      type: 'boolean',
      description: 'In force now (not revoked, not expired), by the database clock.',
    },
    createdAt: timestamp,
    createdBy: { type: 'string' },
  },
} as const;
